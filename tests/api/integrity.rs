//! Integrity under concurrency: a version check that holds when writes race, a PATCH that writes
//! only what it names, and plan transitions that never undo a concurrent change.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use futures_util::future::join_all;
use kinerja_domain::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{create_database, Reply, TestApp, TestUser};

fn id_of(reply: &Reply) -> String {
    assert!(reply.status.is_success(), "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_owned()
}

fn request(method: Method, path: &str, token: &str, if_match: Option<&str>, body: Value) -> TestRequest {
    let mut req = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .set_json(body);
    if let Some(tag) = if_match {
        req = req.insert_header(("If-Match", tag.to_owned()));
    }
    req
}

/// A registry with one of each resource that answers with an ETag, and a draft plan.
struct World {
    app: TestApp,
    root: TestUser,
    admin: TestUser,
    staff: TestUser,
    kepala: TestUser,
    agency: String,
    unit: String,
    position: String,
    employee: String,
    period: String,
    plan: String,
}

async fn world() -> World {
    // A pool as large as a server's, so that the writes below really run side by side.
    let app = TestApp::on_database_with_pool(create_database(true), 16).await;
    let root = app.super_admin().await;
    let agency = id_of(
        &app.post(
            "/api/v1/agencies",
            &root.token,
            json!({"code": "KOTA-PKY", "name": "Pemerintah Kota Palangka Raya"}),
        )
        .await,
    );
    let a: Uuid = agency.parse().unwrap();
    let admin = app.user("admin", &[Role::AgencyAdmin], Some(a), None).await;
    let t = &admin.token;
    let unit = id_of(
        &app.post(
            &format!("/api/v1/agencies/{agency}/units"),
            t,
            json!({"code": "DISDIK", "name": "Dinas Pendidikan"}),
        )
        .await,
    );
    let position = id_of(
        &app.post(
            &format!("/api/v1/agencies/{agency}/positions"),
            t,
            json!({"code": "ANALIS", "name": "Analis Kebijakan", "kind": "pelaksana"}),
        )
        .await,
    );
    let kepala = id_of(&app.post("/api/v1/employees", t, json!({"nip": "196608011988031001", "name": "Drs. Hendra Wijaya", "agency_id": agency, "employment_type": "pns"})).await);
    let employee = id_of(
        &app.post("/api/v1/employees", t, json!({"nip": "199001012015031001", "name": "Budi Santoso", "agency_id": agency, "employment_type": "pns", "supervisor_id": kepala}))
            .await,
    );
    let period = id_of(
        &app.post("/api/v1/periods", t, json!({"agency_id": agency, "name": "SKP 2026", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "cadence": "annual"}))
            .await,
    );
    let staff = app.user("budi", &[Role::Employee], Some(a), Some(employee.parse().unwrap())).await;
    let kepala_user = app.user("hendra", &[Role::Employee], Some(a), Some(kepala.parse().unwrap())).await;
    let plan = id_of(
        &app.post(
            "/api/v1/performance-plans",
            &staff.token,
            json!({"employee_id": employee, "period_id": period, "approach": "kuantitatif"}),
        )
        .await,
    );
    World { app, root, admin, staff, kepala: kepala_user, agency, unit, position, employee, period, plan }
}

/// A request body for the i-th of a burst of writes.
type Body = Box<dyn Fn(usize) -> Value>;

/// Sends `n` writes at once, all with the ETag read just before, and counts the answers.
async fn race_with_one_etag(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    n: usize,
    body: impl Fn(usize) -> Value,
) -> (usize, usize, Vec<String>) {
    let read_path = path.trim_end_matches("/submit");
    let etag = app.get(read_path, token).await.header("etag").expect("an ETag");
    let replies = join_all((0..n).map(|i| app.call(request(method.clone(), path, token, Some(&etag), body(i))))).await;
    let ok = replies.iter().filter(|r| r.status.is_success()).count();
    let stale = replies.iter().filter(|r| r.status == 412).count();
    let others = replies.iter().filter(|r| !r.status.is_success() && r.status != 412).map(|r| r.text.clone()).collect();
    (ok, stale, others)
}

#[actix_web::test]
async fn of_fifty_writes_with_one_if_match_exactly_one_wins() {
    let w = world().await;
    let app = &w.app;
    let cases: Vec<(&str, String, &str, Body)> = vec![
        (
            "employee",
            format!("/api/v1/employees/{}", w.employee),
            &w.admin.token,
            Box::new(|i| json!({"name": format!("Budi Santoso {i}")})),
        ),
        (
            "unit",
            format!("/api/v1/units/{}", w.unit),
            &w.admin.token,
            Box::new(|i| json!({"name": format!("Dinas Pendidikan {i}")})),
        ),
        (
            "position",
            format!("/api/v1/positions/{}", w.position),
            &w.admin.token,
            Box::new(|i| json!({"name": format!("Analis {i}")})),
        ),
        (
            "period",
            format!("/api/v1/periods/{}", w.period),
            &w.admin.token,
            Box::new(|i| json!({"name": format!("SKP 2026 ({i})")})),
        ),
        (
            "agency",
            format!("/api/v1/agencies/{}", w.agency),
            &w.root.token,
            Box::new(|i| json!({"name": format!("Pemerintah Kota {i}")})),
        ),
        (
            "user",
            format!("/api/v1/users/{}", w.staff.id),
            &w.admin.token,
            Box::new(|i| json!({"is_active": i % 2 == 0 || i % 2 == 1})),
        ),
    ];
    for round in 0..3 {
        for (kind, path, token, body) in &cases {
            let (ok, stale, others) = race_with_one_etag(app, token, Method::PATCH, path, 50, body).await;
            assert_eq!((ok, stale), (1, 49), "{kind}, round {round}: {others:?}");
        }
    }
    // A plan transition: fifty submits of one draft with its ETag, one goes through.
    let plan = format!("/api/v1/performance-plans/{}", w.plan);
    for round in 0..3 {
        let (ok, stale, others) =
            race_with_one_etag(app, &w.staff.token, Method::POST, &format!("{plan}/submit"), 50, |_| json!({})).await;
        assert_eq!((ok, stale), (1, 49), "submit, round {round}: {others:?}");
        let back = app.post(&format!("{plan}/return"), &w.kepala.token, json!({"reason": "Lengkapi indikator"})).await;
        assert_eq!(back.status, 200, "{}", back.text);
    }
}

#[actix_web::test]
async fn every_write_gives_a_new_etag() {
    let w = world().await;
    let path = format!("/api/v1/employees/{}", w.employee);
    let mut seen = std::collections::HashSet::new();
    for i in 0..20 {
        let reply =
            w.app.patch(&path, &w.admin.token, json!({"grade": if i % 2 == 0 { "III/a" } else { "III/b" }})).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(seen.insert(reply.header("etag").unwrap()), "an ETag came back twice");
    }
}

#[actix_web::test]
async fn a_patch_writes_only_the_fields_it_names() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/api/v1/employees/{}", w.employee);
    for i in 0..10 {
        let (name, email) = (format!("Budi Santoso {i}"), format!("budi{i}@palangkaraya.go.id"));
        let replies = join_all([
            app.call(request(Method::PATCH, &path, &w.admin.token, None, json!({"name": name}))),
            app.call(request(Method::PATCH, &path, &w.admin.token, None, json!({"email": email}))),
        ])
        .await;
        assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
        let now = app.get(&path, &w.admin.token).await;
        assert_eq!(
            (now.body["name"].as_str(), now.body["email"].as_str()),
            (Some(name.as_str()), Some(email.as_str())),
            "try {i}"
        );
    }
}

#[actix_web::test]
async fn a_submit_racing_result_additions_ends_in_a_state_one_order_allows() {
    let w = world().await;
    let app = &w.app;
    let plan = format!("/api/v1/performance-plans/{}", w.plan);
    let result = |i: usize| {
        json!({"kind": "utama", "description": format!("Hasil kerja {i}"),
               "indicators": [{"description": "Jumlah dokumen", "aspect": "kuantitas", "target_value": 10}]})
    };
    let mut results_before = 0;
    for round in 0..8 {
        let mut calls =
            vec![app.call(request(Method::POST, &format!("{plan}/submit"), &w.staff.token, None, json!({})))];
        for i in 0..6 {
            calls.push(app.call(request(
                Method::POST,
                &format!("{plan}/results"),
                &w.staff.token,
                None,
                result(round * 10 + i),
            )));
        }
        let replies = join_all(calls).await;
        assert_eq!(replies[0].status, 200, "submit, round {round}: {}", replies[0].text);
        let added = replies[1..].iter().filter(|r| r.status == 201).count();
        for refused in replies[1..].iter().filter(|r| r.status != 201) {
            refused.assert_problem(409, "invalid_transition");
        }
        let now = app.get(&plan, &w.staff.token).await;
        assert_eq!(now.body["status"], "submitted", "round {round}: {}", now.text);
        let results = now.body["results"].as_array().unwrap().len();
        assert_eq!(results, results_before + added, "round {round}: every 201 is in the plan, nothing else");
        results_before = results;
        let back = app.post(&format!("{plan}/return"), &w.kepala.token, json!({"reason": "Belum lengkap"})).await;
        assert_eq!(back.status, 200, "{}", back.text);
    }
    // Every status change is in the audit trail: 8 submits and 8 returns.
    let events =
        app.get(&format!("/api/v1/audit-events?entity=plan&entity_id={}&limit=500", w.plan), &w.admin.token).await;
    let actions: Vec<&str> =
        events.body["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "submit").count(), 8, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "return").count(), 8, "{actions:?}");
}
