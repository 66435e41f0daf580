//! Health, readiness, metrics and request ids.

use actix_web::http::Method;
use actix_web::test::TestRequest;

use crate::helpers::TestApp;

#[actix_web::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let health = app.send(Method::GET, "/healthz", None, None).await;
    assert_eq!((health.status.as_u16(), health.body["status"].as_str()), (200, Some("ok")));
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
}

#[actix_web::test]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::new().await;
    let given = app.call(TestRequest::get().uri("/healthz").insert_header(("x-request-id", "portal-42"))).await;
    assert_eq!(given.header("x-request-id").as_deref(), Some("portal-42"));
    let made = app.send(Method::GET, "/no-such-route", None, None).await;
    assert_eq!(made.header("x-request-id").map(|id| id.len()), Some(36));
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_show_the_pool() {
    let app = TestApp::new().await;
    app.send(Method::GET, "/healthz", None, None).await;
    app.send(Method::GET, "/api/v1/users/0192f0a0-0000-7000-8000-000000000000", None, None).await;
    let metrics = app.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    let text = metrics.text;
    assert!(text.contains(r#"kinerja_http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{text}");
    // Route patterns, not raw paths, so ids do not explode the label space.
    assert!(text.contains(r#"route="/api/v1/users/{user_id}",status="401""#), "{text}");
    assert!(text.contains("kinerja_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains(r#"kinerja_db_pool_connections{state="max"} 4"#), "{text}");
    assert!(text.contains(r#"kinerja_db_pool_connections{state="in_use"}"#), "{text}");
}

/// A database that stops answering (here: a table locked by someone else) holds no request past
/// the server's deadline: it answers 503 `request_timed_out` with `Retry-After`, and a key the
/// stopped request had claimed is free for the retry.
#[actix_web::test]
async fn a_request_the_database_holds_is_answered_at_its_deadline() {
    use kinerja_domain::Role;
    use serde_json::json;
    let base = TestApp::new().await;
    let agency = base.create_agency("KAB-BTH");
    let admin = base.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let state =
        kinerja_api::AppState::new(base.state.db.clone(), kinerja_api::auth::JwtKeys::new(crate::helpers::JWT_SECRET))
            .unwrap()
            .with_request_deadline(std::time::Duration::from_millis(1500));
    let app = TestApp { state: actix_web::web::Data::new(state), database_url: base.database_url.clone() };

    let mut holder = <diesel::PgConnection as diesel::Connection>::establish(&app.database_url).unwrap();
    diesel::RunQueryDsl::execute(diesel::sql_query("BEGIN"), &mut holder).unwrap();
    diesel::RunQueryDsl::execute(diesel::sql_query("LOCK TABLE employees IN ACCESS EXCLUSIVE MODE"), &mut holder)
        .unwrap();
    let create = || {
        TestRequest::post()
            .uri("/api/v1/employees")
            .insert_header(("Authorization", format!("Bearer {}", admin.token)))
            .insert_header(("Idempotency-Key", "employee-once"))
            .set_json(
                json!({"nip": "199001012015031001", "name": "Budi", "agency_id": agency, "employment_type": "pns"}),
            )
    };
    let list = || {
        TestRequest::get()
            .uri(&format!("/api/v1/employees?agency_id={agency}"))
            .insert_header(("Authorization", format!("Bearer {}", admin.token)))
    };
    let started = std::time::Instant::now();
    let (created, listed) = tokio::join!(app.call(create()), app.call(list()));
    let took = started.elapsed();
    for reply in [&created, &listed] {
        reply.assert_problem(503, "request_timed_out");
        assert_eq!(reply.header("retry-after").as_deref(), Some("5"));
    }
    // Stopped at 1.5 s, not at the database's own 5 s statement limit.
    assert!(took < std::time::Duration::from_millis(4000), "answered after {took:?}");

    diesel::RunQueryDsl::execute(diesel::sql_query("ROLLBACK"), &mut holder).unwrap();
    // The stopped request's key is freed in the background: the retry runs, and writes once.
    let mut retried = app.call(create()).await;
    for _ in 0..50 {
        if retried.status != 409 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        retried = app.call(create()).await;
    }
    assert_eq!(retried.status, 201, "{}", retried.text);
    assert_eq!(app.number("SELECT count(*) AS n FROM employees WHERE nip = '199001012015031001'"), 1);
}
