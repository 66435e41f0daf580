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
