//! Rule sets and the dry run.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn rule_sets_are_listed_with_the_default() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    let list = app.get("/api/v1/rule-sets", &root.token).await;
    let codes: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["permenpanrb-6-2022", "pp-30-2019", "pp-46-2011"]);
    assert_eq!(list.body["items"][0]["default"], true);
    let matrix = app.get("/api/v1/rule-sets/permenpanrb-6-2022", &root.token).await;
    assert_eq!(matrix.body["competency_assessed_level_from"], serde_json::json!(["supervisor", "assessor"]));
    assert_eq!(matrix.body["matrix"][0]["result_rating"], "di_atas_ekspektasi");
    assert_eq!(matrix.body["matrix"][0]["behaviour_di_bawah_ekspektasi"], "kurang");
    app.get("/api/v1/rule-sets/pp-53-2010", &root.token).await.assert_problem(404, "not_found");
    app.send(Method::GET, "/api/v1/rule-sets", None, None).await.assert_problem(401, "unauthenticated");
}

#[actix_web::test]
async fn the_dry_run_explains_the_deciding_cell_and_stores_nothing() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    let run = |code: &str, body| {
        let path = format!("/api/v1/rule-sets/{code}/evaluate");
        let token = root.token.clone();
        let app = &app;
        async move { app.post(&path, &token, body).await }
    };
    let cells = [
        ("di_atas_ekspektasi", "di_atas_ekspektasi", "sangat_baik"),
        ("di_atas_ekspektasi", "di_bawah_ekspektasi", "kurang"),
        ("sesuai_ekspektasi", "sesuai_ekspektasi", "baik"),
        ("di_bawah_ekspektasi", "di_atas_ekspektasi", "butuh_perbaikan"),
        ("di_bawah_ekspektasi", "di_bawah_ekspektasi", "sangat_kurang"),
    ];
    for (results, behaviour, predikat) in cells {
        let reply = run("permenpanrb-6-2022", json!({"result_rating": results, "behaviour_rating": behaviour})).await;
        assert_eq!(reply.body["predikat"], predikat, "{}", reply.text);
        assert_eq!(reply.body["explanation"]["rule_set"], "permenpanrb-6-2022");
        assert!(reply.body["explanation"]["decided_by"].as_str().unwrap().contains(results));
    }
    let numeric = run("pp-46-2011", json!({"skp_score": 100, "behaviour_score": 80})).await;
    assert_eq!(numeric.body["predikat"], "sangat_baik", "{}", numeric.text);
    assert_eq!(numeric.body["explanation"]["score"], 92.0);
    let by_indicators = run(
        "pp-30-2019",
        json!({"indicators": [{"aspects": [{"aspect": "kuantitas", "target": 10, "realization": 9},
                                           {"aspect": "waktu", "target": 12, "realization": 12}]}],
               "behaviour_score": 90}),
    )
    .await;
    assert_eq!(by_indicators.body["explanation"]["skp_score"], 83.0, "{}", by_indicators.text);
    assert_eq!(by_indicators.body["predikat"], "cukup");

    let missing = run("permenpanrb-6-2022", json!({"result_rating": "sesuai_ekspektasi"})).await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.body["errors"][0]["field"], "behaviour_rating");
    let mixed =
        run("pp-46-2011", json!({"result_rating": "sesuai_ekspektasi", "skp_score": 80, "behaviour_score": 80})).await;
    assert_eq!(mixed.body["errors"][0]["code"], "not_used", "{}", mixed.text);
    run("permenpanrb-6-2022", json!({"result_rating": "bagus", "behaviour_rating": "sesuai_ekspektasi"}))
        .await
        .assert_problem(422, "invalid_value");
    let trail = app.get("/api/v1/audit-events?entity=evaluation", &root.token).await;
    assert_eq!(trail.body["items"], json!([]));
}
