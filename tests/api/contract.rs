//! The conventions a browser portal and a generated client build on: CORS, conditional and
//! compressed reads, `HEAD`, and refusing what an operation does not declare.

use std::io::Read;

use actix_web::http::{header, Method};
use actix_web::test::TestRequest;
use kinerja_domain::Role;

use crate::helpers::{TestApp, TestUser};

const PORTAL: &str = "https://portal.example.go.id";

/// An agency with two employees and its admin.
async fn agency(app: &TestApp) -> (uuid::Uuid, TestUser) {
    let agency = app.create_agency("KAB-TEST");
    app.create_employee(agency, "198001012005011001", "Rina Wulandari");
    app.create_employee(agency, "198502022010012002", "Budi Santoso");
    let admin = app.user("admin-kab", &[Role::AgencyAdmin], Some(agency), None).await;
    (agency, admin)
}

fn preflight(path: &str, origin: &str) -> TestRequest {
    TestRequest::default()
        .method(Method::OPTIONS)
        .uri(path)
        .insert_header((header::ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization, if-none-match"))
}

#[actix_web::test]
async fn a_browser_page_from_an_allowed_origin_may_call_and_read_the_answer() {
    let app = TestApp::with_cors(&[PORTAL]).await;
    let (_, admin) = agency(&app).await;

    let reply = app.call(preflight("/api/v1/employees", PORTAL)).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some(PORTAL));
    assert_eq!(reply.header("access-control-max-age").as_deref(), Some("7200"));
    let methods = reply.header("access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("GET") && methods.contains("POST"), "{methods}");
    let allowed = reply.header("access-control-allow-headers").unwrap_or_default();
    for asked in ["authorization", "if-none-match", "if-match", "idempotency-key", "content-type"] {
        assert!(allowed.contains(asked), "{asked} not in {allowed}");
    }
    assert!(reply.header("access-control-allow-credentials").is_none(), "bearer tokens need no credentials");

    let list = TestRequest::get()
        .uri("/api/v1/employees")
        .insert_header((header::ORIGIN, PORTAL))
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", admin.token)));
    let reply = app.call(list).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some(PORTAL));
    let exposed = reply.header("access-control-expose-headers").unwrap_or_default();
    for header in ["etag", "location", "x-request-id", "retry-after", "ratelimit"] {
        assert!(exposed.contains(header), "{header} not in {exposed}");
    }
    assert!(reply.header("vary").unwrap_or_default().contains("Origin"));

    // An error is readable too: the page can show the problem's detail.
    let unauthenticated = TestRequest::get().uri("/api/v1/employees").insert_header((header::ORIGIN, PORTAL));
    let reply = app.call(unauthenticated).await;
    reply.assert_problem(401, "unauthenticated");
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some(PORTAL));
    // So is one refused before routing (an unknown parameter), with its request id.
    let refused = TestRequest::get().uri("/api/v1/employees?agencyid=x").insert_header((header::ORIGIN, PORTAL));
    let reply = app.call(refused).await;
    reply.assert_problem(422, "unknown_parameter");
    assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some(PORTAL));
    assert!(reply.header("x-request-id").is_some());
}

#[actix_web::test]
async fn another_origin_is_not_let_in() {
    let app = TestApp::with_cors(&[PORTAL]).await;
    let (_, admin) = agency(&app).await;
    for origin in ["https://evil.example", "https://portal.example.go.id.evil.example", "http://portal.example.go.id"] {
        let reply = app.call(preflight("/api/v1/employees", origin)).await;
        reply.assert_problem(403, "forbidden");
        assert!(reply.header("access-control-allow-origin").is_none(), "{origin}");
        let list = TestRequest::get()
            .uri("/api/v1/employees")
            .insert_header((header::ORIGIN, origin))
            .insert_header((header::AUTHORIZATION, format!("Bearer {}", admin.token)));
        let reply = app.call(list).await;
        assert!(reply.header("access-control-allow-origin").is_none(), "{origin}");
    }
    // With no origins set (the default), no page is let in.
    let closed = TestApp::new().await;
    let reply = closed.call(preflight("/api/v1/employees", PORTAL)).await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert!(reply.header("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn options_without_a_preflight_says_what_the_path_allows() {
    let app = TestApp::new().await;
    let reply = app.call(TestRequest::default().method(Method::OPTIONS).uri("/api/v1/auth/login")).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(reply.header("allow").as_deref(), Some("POST"));
}

fn get_with(path: &str, token: &str, if_none_match: Option<&str>) -> TestRequest {
    let mut req = TestRequest::get().uri(path).insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    if let Some(tag) = if_none_match {
        req = req.insert_header((header::IF_NONE_MATCH, tag));
    }
    req
}

#[actix_web::test]
async fn a_read_the_caller_holds_is_not_sent_again() {
    let app = TestApp::new().await;
    let (agency, admin) = agency(&app).await;
    let t = admin.token.as_str();
    let employee = app.get("/api/v1/employees", t).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    for path in [format!("/api/v1/employees/{employee}"), "/api/v1/employees".to_owned()] {
        let first = app.call(get_with(&path, t, None)).await;
        assert_eq!(first.status, 200, "{}", first.text);
        let tag = first.header("etag").expect("an ETag on every read");
        assert_eq!(first.header("cache-control").as_deref(), Some("private, no-cache"));

        let again = app.call(get_with(&path, t, Some(&tag))).await;
        assert_eq!(again.status, 304, "{path}: {}", again.text);
        assert!(again.bytes.is_empty());
        assert_eq!(again.header("etag"), Some(tag.clone()));

        let other = app.call(get_with(&path, t, Some("\"0\", W/\"ffff\""))).await;
        assert_eq!(other.status, 200, "{path}");
    }
    // A change makes the list's tag stale.
    let tag = app.call(get_with("/api/v1/employees", t, None)).await.header("etag").unwrap();
    app.create_employee(agency, "199003032015031003", "Sari Dewi");
    let after = app.call(get_with("/api/v1/employees", t, Some(&tag))).await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag"), Some(tag));
    // A problem is never 304.
    let missing = app.call(get_with("/api/v1/employees/0192f0a0-0000-7000-8000-000000000000", t, Some("*"))).await;
    missing.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn head_is_answered_wherever_get_is() {
    let app = TestApp::new().await;
    let (_, admin) = agency(&app).await;
    let t = admin.token.as_str();
    let employee = app.get("/api/v1/employees", t).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    for path in [format!("/api/v1/employees/{employee}"), "/api/v1/employees".to_owned()] {
        let get = app.call(get_with(&path, t, None)).await;
        let head = app
            .call(
                TestRequest::default()
                    .method(Method::HEAD)
                    .uri(&path)
                    .insert_header((header::AUTHORIZATION, format!("Bearer {t}"))),
            )
            .await;
        assert_eq!(head.status, 200, "{path}: {}", head.text);
        assert_eq!(head.header("etag"), get.header("etag"), "{path}");
        assert_eq!(head.header("content-type"), get.header("content-type"), "{path}");
    }
    // HEAD is checked like GET: no token, no answer.
    let head = app.call(TestRequest::default().method(Method::HEAD).uri("/api/v1/employees")).await;
    assert_eq!(head.status, 401);
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut out).expect("a gzip stream");
    out
}

#[actix_web::test]
async fn answers_are_compressed_when_asked_except_archives() {
    let app = TestApp::new().await;
    let (agency, admin) = agency(&app).await;
    let t = admin.token.as_str();
    let asked = |path: &str, encoding: &str| {
        get_with(path, t, None).insert_header((header::ACCEPT_ENCODING, encoding.to_owned()))
    };
    let plain = app.get("/api/v1/employees", t).await;
    assert!(plain.header("content-encoding").is_none());

    let gzip = app.call(asked("/api/v1/employees", "gzip")).await;
    assert_eq!(gzip.header("content-encoding").as_deref(), Some("gzip"));
    assert!(gzip.header("vary").unwrap_or_default().to_ascii_lowercase().contains("accept-encoding"));
    assert_eq!(gunzip(&gzip.bytes), plain.text);

    let br = app.call(asked("/api/v1/employees", "br;q=1, gzip;q=0.5")).await;
    assert_eq!(br.header("content-encoding").as_deref(), Some("br"));

    let csv = app.call(asked(&format!("/api/v1/exports/employees?agency_id={agency}"), "gzip")).await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.header("content-encoding").as_deref(), Some("gzip"));
    assert!(gunzip(&csv.bytes).contains("198001012005011001"));

    let xlsx = app.call(asked(&format!("/api/v1/exports/employees?agency_id={agency}&format=xlsx"), "gzip, br")).await;
    assert_eq!(xlsx.status, 200, "{}", xlsx.text);
    assert!(xlsx.header("content-encoding").is_none(), "a workbook is compressed already");
    assert!(xlsx.bytes.starts_with(b"PK"));
}

#[actix_web::test]
async fn a_query_parameter_the_operation_does_not_take_is_refused_by_name() {
    let app = TestApp::new().await;
    let (agency, admin) = agency(&app).await;
    let t = admin.token.as_str();
    let reply = app.get(&format!("/api/v1/employees?agencyid={agency}&limit=5"), t).await;
    reply.assert_problem(422, "unknown_parameter");
    assert_eq!(reply.body["errors"][0]["field"], "agencyid");
    assert_eq!(reply.body["errors"][0]["code"], "unknown_parameter");
    let reply = app.get("/api/v1/events?cursor=abc", t).await;
    reply.assert_problem(422, "unknown_parameter");
    assert_eq!(reply.body["errors"][0]["field"], "cursor");
    // A header's value is checked too: Kinerja-Read-From has one.
    let bad = TestRequest::get()
        .uri("/api/v1/employees")
        .insert_header((header::AUTHORIZATION, format!("Bearer {t}")))
        .insert_header(("Kinerja-Read-From", "replica"));
    let refused = app.call(bad).await;
    refused.assert_problem(422, "invalid_value");
    assert_eq!(refused.body["errors"][0]["field"], "Kinerja-Read-From");
    // The declared ones still work.
    let reply = app.get(&format!("/api/v1/employees?agency_id={agency}&limit=5"), t).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// A portal's table: related records embedded (`expand`), sorted on a column with pages that
/// follow on (the cursor keeps the order), and a sync's "what changed since".
#[actix_web::test]
async fn lists_embed_sort_and_filter_by_change_as_a_table_needs() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-TBL");
    let admin = app.user("admin-tbl", &[Role::AgencyAdmin], Some(agency), None).await;
    let t = admin.token.as_str();
    let unit = crate::helpers::id_of(
        &app.post(
            &format!("/api/v1/agencies/{agency}/units"),
            t,
            serde_json::json!({"code": "DISDIK", "name": "Dinas Pendidikan"}),
        )
        .await,
    );
    let position = crate::helpers::id_of(
        &app.post(
            &format!("/api/v1/agencies/{agency}/positions"),
            t,
            serde_json::json!({"code": "GURU-AM", "name": "Guru Ahli Muda", "kind": "fungsional", "level": "ahli_muda", "unit_id": unit}),
        )
        .await,
    );
    let chief = app.create_employee(agency, "197204101998032004", "Bambang Sutrisno");
    let names = ["Sari Dewi", "Agus Salim", "Rina Wulandari", "Dedi Kurnia"];
    for (i, name) in names.iter().enumerate() {
        let body = serde_json::json!({"nip": format!("198503152010012{:03}", i + 1), "name": name, "agency_id": agency,
            "employment_type": "pns", "unit_id": unit, "position_id": position, "supervisor_id": chief});
        let made = app.post("/api/v1/employees", t, body).await;
        assert_eq!(made.status, 201, "{}", made.text);
    }

    let expanded = app.get("/api/v1/employees?expand=unit,position,supervisor&q=Rina", t).await;
    assert_eq!(expanded.status, 200, "{}", expanded.text);
    let rina = &expanded.body["items"][0];
    assert_eq!(rina["unit"]["name"], "Dinas Pendidikan");
    assert_eq!(rina["position"]["code"], "GURU-AM");
    assert_eq!(rina["supervisor"]["name"], "Bambang Sutrisno");
    let plain = app.get("/api/v1/employees?q=Rina", t).await;
    assert!(plain.body["items"][0].get("unit").is_none(), "nothing embedded unless asked");
    let unknown = app.get("/api/v1/employees?expand=agency", t).await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["field"], "expand");

    // One name a page, by name and the other way round: the cursor carries the order.
    for (sort, mut expected) in [("name", names.to_vec()), ("-name", names.to_vec())] {
        expected.push("Bambang Sutrisno");
        expected.sort();
        if sort == "-name" {
            expected.reverse();
        }
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = app.get(&format!("/api/v1/employees?sort={sort}&limit=2&cursor={cursor}"), t).await;
            assert_eq!(page.status, 200, "{}", page.text);
            seen.extend(page.body["items"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()));
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen, expected, "sort={sort}");
    }
    let by_name = app.get("/api/v1/employees?sort=name&limit=1", t).await;
    let cursor = by_name.body["next_cursor"].as_str().unwrap();
    let mixed = app.get(&format!("/api/v1/employees?sort=nip&cursor={cursor}"), t).await;
    mixed.assert_problem(422, "validation_failed");
    assert_eq!(mixed.body["errors"][0]["code"], "invalid_cursor");

    // What changed since a moment: only those written after it.
    app.sql(&format!("UPDATE employees SET updated_at = '2026-01-01T00:00:00Z' WHERE agency_id = '{agency}'"));
    app.patch(&format!("/api/v1/employees/{chief}"), t, serde_json::json!({"grade": "IV/a"})).await;
    let changed = app.get("/api/v1/employees?updated_since=2026-06-01T00:00:00Z&sort=-updated_at", t).await;
    let ids: Vec<&str> = changed.body["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [chief.to_string()], "{}", changed.text);
    app.get("/api/v1/employees?updated_since=yesterday", t).await.assert_problem(422, "invalid_value");
    // The other registry lists too.
    app.sql(&format!("UPDATE units SET updated_at = '2026-01-01T00:00:00Z' WHERE agency_id = '{agency}'"));
    app.sql(&format!("UPDATE positions SET updated_at = '2026-01-01T00:00:00Z' WHERE agency_id = '{agency}'"));
    for list in ["units", "positions"] {
        let since = |at: &str| format!("/api/v1/agencies/{agency}/{list}?updated_since={at}");
        assert_eq!(app.get(&since("2025-12-31T00:00:00Z"), t).await.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.get(&since("2026-06-01T00:00:00Z"), t).await.body["items"], serde_json::json!([]), "{list}");
    }
}
