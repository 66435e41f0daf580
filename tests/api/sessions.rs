//! Sessions and abuse: a revoked right stops at once on this server and within the session TTL
//! on any other; logout ends the access token.

use actix_web::http::Method;
use kinerja_api::auth::SESSION_TTL;
use kinerja_domain::Role;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn a_deactivated_or_downgraded_admin_loses_their_rights_at_once() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let root = app.super_admin().await;
    let admin = app.user("admin.bth", &[Role::AgencyAdmin], Some(agency), None).await;
    let other = app.user("admin.dua", &[Role::AgencyAdmin], Some(agency), None).await;
    let employee = app.create_employee(agency, "199001012015031001", "Budi Santoso");
    let path = format!("/api/v1/employees/{employee}");
    assert_eq!(app.patch(&path, &admin.token, json!({"grade": "III/a"})).await.status, 200);
    assert_eq!(app.patch(&path, &other.token, json!({"grade": "III/b"})).await.status, 200);

    // Downgraded to auditor: the old token may no longer write, nor create users.
    let down = app.patch(&format!("/api/v1/users/{}", admin.id), &root.token, json!({"roles": ["auditor"]})).await;
    assert_eq!(down.status, 200, "{}", down.text);
    app.patch(&path, &admin.token, json!({"grade": "III/c"})).await.assert_problem(401, "unauthenticated");
    let new_admin = json!({"username": "admin.tiga", "password": "a-long-test-password", "roles": ["agency_admin"], "agency_id": agency});
    app.post("/api/v1/users", &admin.token, new_admin).await.assert_problem(401, "unauthenticated");
    // Signing in again gives a token with the new rights only.
    let again =
        app.login("admin.bth", crate::helpers::PASSWORD).await.body["access_token"].as_str().unwrap().to_owned();
    app.patch(&path, &again, json!({"grade": "III/c"})).await.assert_problem(403, "forbidden");

    // Deactivated: the old token is refused.
    let off = app.patch(&format!("/api/v1/users/{}", other.id), &root.token, json!({"is_active": false})).await;
    assert_eq!(off.status, 200, "{}", off.text);
    app.get("/api/v1/me", &other.token).await.assert_problem(401, "unauthenticated");
}

#[actix_web::test]
async fn logout_ends_the_access_token_too() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    let login = app.login("root", crate::helpers::PASSWORD).await;
    let (access, refresh) = (
        login.body["access_token"].as_str().unwrap().to_owned(),
        login.body["refresh_token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(app.get("/api/v1/me", &access).await.status, 200);
    let out =
        app.send(Method::POST, "/api/v1/auth/logout", Some(&access), Some(json!({"refresh_token": refresh}))).await;
    assert_eq!(out.status, 204, "{}", out.text);
    app.get("/api/v1/me", &access).await.assert_problem(401, "unauthenticated");
    app.get("/api/v1/me", &root.token).await.assert_problem(401, "unauthenticated");
}

#[actix_web::test]
async fn another_server_refuses_a_revoked_token_within_the_session_ttl() {
    let app = TestApp::new().await;
    // A second server on the same database: its own process memory, its own session cache.
    let replica = TestApp::on_database(app.database_url.clone()).await;
    let agency = app.create_agency("KAB-BTH");
    let root = app.super_admin().await;
    let admin = app.user("admin.bth", &[Role::AgencyAdmin], Some(agency), None).await;
    assert_eq!(replica.get("/api/v1/me", &admin.token).await.status, 200);
    let off = app.patch(&format!("/api/v1/users/{}", admin.id), &root.token, json!({"is_active": false})).await;
    assert_eq!(off.status, 200, "{}", off.text);
    let started = std::time::Instant::now();
    loop {
        let reply = replica.get("/api/v1/me", &admin.token).await;
        if reply.status == 401 {
            break;
        }
        assert!(
            started.elapsed() < SESSION_TTL + std::time::Duration::from_millis(500),
            "still accepted after the TTL"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // A deleted integration client, likewise.
    let made = app
        .post("/api/v1/clients", &root.token, json!({"name": "SIASN", "agency_id": agency, "scopes": ["read"]}))
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let (id, secret) =
        (made.body["id"].as_str().unwrap().to_owned(), made.body["client_secret"].as_str().unwrap().to_owned());
    let token = app
        .send(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})),
        )
        .await;
    let token = token.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &token).await.status, 200);
    assert_eq!(app.send(Method::DELETE, &format!("/api/v1/clients/{id}"), Some(&root.token), None).await.status, 204);
    app.get("/api/v1/me", &token).await.assert_problem(401, "unauthenticated");
}

// ---- bounded searches, statement timeouts, plain error words ----

#[actix_web::test]
async fn a_long_search_is_refused_and_a_slow_statement_frees_its_connection() {
    let database_url = crate::helpers::create_database(true);
    let app = TestApp::on_database(database_url.clone()).await;
    let agency = app.create_agency("KAB-BTH");
    let admin = app.user("admin.bth", &[Role::AgencyAdmin], Some(agency), None).await;
    let employee = app.create_employee(agency, "199001012015031001", "Budi Santoso");
    let refused = app.get(&format!("/api/v1/employees?q={}", "a".repeat(101)), &admin.token).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(
        (refused.body["errors"][0]["field"].as_str(), refused.body["errors"][0]["code"].as_str()),
        (Some("q"), Some("too_long"))
    );
    assert_eq!(app.get(&format!("/api/v1/employees?q={}", "a".repeat(100)), &admin.token).await.status, 200);

    // A server whose statements may run 300 ms; a write waits on a row another session holds.
    let db =
        kinerja_store::Db::with_statement_timeout(&database_url, 4, std::time::Duration::from_millis(300)).unwrap();
    let state = actix_web::web::Data::new(
        kinerja_api::AppState::new(db, kinerja_api::auth::JwtKeys::new(crate::helpers::JWT_SECRET)).unwrap(),
    );
    let slow = TestApp { state, database_url: database_url.clone() };
    use diesel::{Connection, RunQueryDsl};
    let mut holder = diesel::PgConnection::establish(&database_url).unwrap();
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query(format!("SELECT 1 FROM employees WHERE agency_id = '{agency}' AND id = '{employee}' FOR UPDATE"))
        .execute(&mut holder)
        .unwrap();
    let path = format!("/api/v1/employees/{employee}");
    let started = std::time::Instant::now();
    let waited = slow.patch(&path, &admin.token, json!({"grade": "III/a"})).await;
    waited.assert_problem(503, "database_unavailable");
    assert!(waited.header("retry-after").is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "{:?}", started.elapsed());
    // That request only: reads go on, and the write succeeds once the row is free.
    assert_eq!(slow.get(&path, &admin.token).await.status, 200);
    diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
    assert_eq!(slow.patch(&path, &admin.token, json!({"grade": "III/a"})).await.status, 200);
}

#[actix_web::test]
async fn parse_errors_speak_json_not_rust() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let admin = app.user("admin.bth", &[Role::AgencyAdmin], Some(agency), None).await;
    let employee = app.create_employee(agency, "199001012015031001", "Budi Santoso");
    let shape = app.patch(&format!("/api/v1/employees/{employee}"), &admin.token, json!("Budi")).await;
    shape.assert_problem(422, "invalid_value");
    assert!(!shape.text.contains("UpdateEmployee") && shape.text.contains("JSON object"), "{}", shape.text);
    let query = app.get(&format!("/api/v1/employees/{employee}/subordinates?depth=deep"), &admin.token).await;
    query.assert_problem(422, "invalid_value");
    assert_eq!(query.body["errors"][0]["field"], "depth");
    assert!(!query.text.contains("Query deserialize error") && !query.text.contains("Depth"), "{}", query.text);
}

// ---- bounded inputs ----

#[actix_web::test]
async fn every_list_number_and_name_has_its_limit() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let admin = app.user("admin.bth", &[Role::AgencyAdmin], Some(agency), None).await;
    let field_code = |reply: &crate::helpers::Reply| {
        reply.assert_problem(422, "validation_failed");
        (
            reply.body["errors"][0]["field"].as_str().unwrap().to_owned(),
            reply.body["errors"][0]["code"].as_str().unwrap().to_owned(),
        )
    };
    // Names: no escape sequences, no text-direction overrides.
    for name in ["Budi\u{1b}[31m Santoso", "Budi \u{202E}otnaS"] {
        let body = json!({"nip": "199001012015031001", "name": name, "agency_id": agency, "employment_type": "pns"});
        let refused = app.post("/api/v1/employees", &admin.token, body).await;
        assert_eq!(field_code(&refused), ("name".to_owned(), "invalid_character".to_owned()), "{}", refused.text);
    }
    let employee = app.create_employee(agency, "199001012015031001", "Budi Santoso");
    let period = app
        .post("/api/v1/periods", &admin.token, json!({"agency_id": agency, "name": "SKP 2026", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "cadence": "annual"}))
        .await;
    let plan = app
        .post(
            "/api/v1/performance-plans",
            &admin.token,
            json!({"employee_id": employee, "period_id": period.body["id"], "approach": "kuantitatif"}),
        )
        .await;
    let results = format!("/api/v1/performance-plans/{}/results", plan.body["id"].as_str().unwrap());
    let indicator = |value: f64| json!({"description": "Jumlah dokumen", "aspect": "kuantitas", "target_value": value});
    let result = |indicators: Vec<serde_json::Value>| json!({"kind": "utama", "description": "Dokumen tersusun", "indicators": indicators});
    // Ten thousand indicators: refused for what they are, not reported as an outage.
    let many = app.post(&results, &admin.token, result(vec![indicator(1.0); 10_000])).await;
    assert_eq!(
        field_code(&many),
        ("indicators".to_owned(), "too_many".to_owned()),
        "{}",
        &many.text[..200.min(many.text.len())]
    );
    let huge = app.post(&results, &admin.token, result(vec![indicator(1e308)])).await;
    assert_eq!(field_code(&huge), ("indicators[0].target_value".to_owned(), "out_of_range".to_owned()));
    let hidden = json!({"kind": "utama", "description": "Dokumen\u{7} tersusun", "indicators": [indicator(10.0)]});
    assert_eq!(
        field_code(&app.post(&results, &admin.token, hidden).await),
        ("description".to_owned(), "invalid_character".to_owned())
    );
    // At most 100 results in a plan.
    for i in 0..100 {
        let body = json!({"kind": "utama", "description": format!("Hasil {i}"), "indicators": [indicator(10.0)]});
        assert_eq!(app.post(&results, &admin.token, body).await.status, 201);
    }
    let full = app.post(&results, &admin.token, result(vec![indicator(10.0)])).await;
    assert_eq!(field_code(&full).1, "too_many", "{}", full.text);
}
