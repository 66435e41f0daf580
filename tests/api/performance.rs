//! Periods and performance plans (SKP).

use kinerja_domain::Role;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn periods_carry_cadence_labels_and_rule_set() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    let a = app.create_agency("KOTA-GTO");
    let b = app.create_agency("KAB-MLY");
    let admin = app.user("admin.gto", &[Role::AgencyAdmin], Some(a), None).await;
    let auditor = app.user("auditor.gto", &[Role::Auditor], Some(a), None).await;
    let other = app.user("admin.mly", &[Role::AgencyAdmin], Some(b), None).await;
    let body = json!({"agency_id": a, "name": "SKP 2026", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "cadence": "quarterly"});
    let made = app.post("/api/v1/periods", &admin.token, body.clone()).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["rule_set"], "permenpanrb-6-2022");
    assert_eq!(made.body["sub_periods"], json!(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]));
    let path = format!("/api/v1/periods/{}", made.body["id"].as_str().unwrap());

    app.post("/api/v1/periods", &auditor.token, body.clone()).await.assert_problem(403, "forbidden");
    app.post("/api/v1/periods", &other.token, body.clone()).await.assert_problem(403, "forbidden");
    app.get(&path, &other.token).await.assert_problem(404, "not_found");
    assert_eq!(app.get(&path, &auditor.token).await.status, 200);
    assert_eq!(app.get("/api/v1/periods", &auditor.token).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/periods", &other.token).await.body["items"], json!([]));

    let backwards = app
        .post("/api/v1/periods", &admin.token, json!({"agency_id": a, "name": "x", "starts_on": "2026-12-31", "ends_on": "2026-01-01", "cadence": "monthly"}))
        .await;
    assert_eq!(backwards.body["errors"][0]["code"], "before_start", "{}", backwards.text);
    let unknown = app
        .post("/api/v1/periods", &admin.token, json!({"agency_id": a, "name": "x", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "cadence": "weekly"}))
        .await;
    unknown.assert_problem(422, "invalid_value");

    let monthly = app.patch(&path, &admin.token, json!({"cadence": "monthly", "rule_set": "pp-46-2011"})).await;
    assert_eq!(monthly.body["sub_periods"].as_array().unwrap().len(), 12, "{}", monthly.text);
    assert_eq!(monthly.body["rule_set"], "pp-46-2011");
    app.patch(&path, &auditor.token, json!({"name": "x"})).await.assert_problem(403, "forbidden");
    let _ = root;
}
