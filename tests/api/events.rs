//! The transactional outbox and the event feed (`GET /events`).

use diesel::{Connection, PgConnection, RunQueryDsl};
use futures_util::future::join_all;
use kinerja_domain::{Role, Scope};
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestUser};

/// The events the feed gives `token` after `cursor`, following `next_cursor` page by page
/// until an empty page. An empty page means "nothing safe to read yet": a transaction still
/// running anywhere in the cluster (other tests' too) holds the horizon back.
async fn read_all(app: &TestApp, token: &str, cursor: &mut Option<String>) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let path = match cursor {
            Some(c) => format!("/api/v1/events?limit=3&after={c}"),
            None => "/api/v1/events?limit=3".to_owned(),
        };
        let page = app.get(&path, token).await;
        assert_eq!(page.status, 200, "{}", page.text);
        *cursor = Some(page.body["next_cursor"].as_str().unwrap().to_owned());
        let items = page.body["items"].as_array().unwrap().clone();
        if items.is_empty() {
            return events;
        }
        events.extend(items);
    }
}

/// [`read_all`] until `expected` events have come (or 20 s have passed): a follower polls.
async fn read_expecting(app: &TestApp, token: &str, cursor: &mut Option<String>, expected: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut events = Vec::new();
    while events.len() < expected && std::time::Instant::now() < deadline {
        events.extend(read_all(app, token, cursor).await);
        if events.len() < expected {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    events
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

struct Setup {
    app: TestApp,
    agency: uuid::Uuid,
    admin: TestUser,
}

async fn setup() -> Setup {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let admin = app.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    Setup { app, agency, admin }
}

async fn new_employee(s: &Setup, i: usize) -> String {
    let nip = format!("1990010120150310{:02}", i % 100);
    let reply = s
        .app
        .post(
            "/api/v1/employees",
            &s.admin.token,
            json!({"nip": nip, "name": format!("Pegawai {i}"), "agency_id": s.agency, "employment_type": "pns"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn changes_are_told_in_their_own_transaction_and_a_refused_one_tells_nothing() {
    let s = setup().await;
    let app = &s.app;
    let budi = new_employee(&s, 1).await;
    let chief = new_employee(&s, 2).await;
    let path = format!("/api/v1/employees/{budi}");
    assert_eq!(app.patch(&path, &s.admin.token, json!({"name": "Budi Santoso, S.Kom."})).await.status, 200);
    assert_eq!(app.patch(&path, &s.admin.token, json!({"supervisor_id": chief})).await.status, 200);
    // Refused writes tell nothing: a duplicate NIP, a supervisor loop.
    let duplicate =
        json!({"nip": "199001012015031001", "name": "Lagi", "agency_id": s.agency, "employment_type": "pns"});
    app.post("/api/v1/employees", &s.admin.token, duplicate).await.assert_problem(409, "duplicate_nip");
    app.patch(&format!("/api/v1/employees/{chief}"), &s.admin.token, json!({"supervisor_id": budi}))
        .await
        .assert_problem(422, "validation_failed");

    let mut cursor = None;
    let events = read_expecting(app, &s.admin.token, &mut cursor, 4).await;
    assert_eq!(types(&events), ["employee.created", "employee.created", "employee.updated", "employee.moved"]);
    assert_eq!(events[3]["subject_id"], budi.as_str());
    assert_eq!(events[3]["data"]["link"], format!("/api/v1/employees/{budi}"));
    assert_eq!(events[3]["data"]["changes"]["supervisor_id"]["new"], chief.as_str());
    // Each is what the document (the feed's EventView, the webhooks section) says it is.
    for event in &events {
        crate::helpers::check_against_spec(event, &json!({"$ref": "#/components/schemas/EventView"}))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Nothing new: the same cursor, an empty page.
    assert_eq!(read_all(app, &s.admin.token, &mut cursor).await.len(), 0);
    let only = app.get("/api/v1/events?type=employee.moved", &s.admin.token).await;
    assert_eq!(only.body["items"].as_array().unwrap().len(), 1);
    app.get("/api/v1/events?type=employee.deleted", &s.admin.token).await.assert_problem(422, "validation_failed");
    app.get("/api/v1/events?after=garbage!", &s.admin.token).await.assert_problem(422, "validation_failed");

    // An act rolled back after its audit record was written tells nothing either.
    let before = app.number("SELECT count(*) AS n FROM events");
    let mut conn = app.state.db.conn().await.unwrap();
    let actor = kinerja_api::context::audit_actor::AuditActor::system();
    let outcome: Result<(), kinerja_api::http::error::ApiError> =
        kinerja_store::in_transaction(&mut conn, async |tx| {
            let event = actor.raw(
                kinerja_domain::audit::AuditEntity::Employee,
                Some(budi.parse().unwrap()),
                "update",
                Some(s.agency),
                json!({"supervisor_id": {"old": chief, "new": null}}),
            );
            kinerja_store::audit_rows::record(tx, event).await?;
            Err(kinerja_api::http::error::ApiError::Forbidden("rolled back on purpose"))
        })
        .await;
    assert!(outcome.is_err());
    assert_eq!(app.number("SELECT count(*) AS n FROM events"), before);
}

#[actix_web::test]
async fn who_reads_the_feed() {
    let s = setup().await;
    let app = &s.app;
    new_employee(&s, 1).await;
    let other = app.create_agency("KOTA-GTO");
    let other_admin = app.user("admin.gto", &[Role::AgencyAdmin], Some(other), None).await;
    let auditor = app.user("auditor", &[Role::Auditor], Some(s.agency), None).await;
    assert_eq!(read_expecting(app, &auditor.token, &mut None, 1).await.len(), 1);
    assert_eq!(read_all(app, &other_admin.token, &mut None).await.len(), 0, "another agency's events are not theirs");
    app.get(&format!("/api/v1/events?agency_id={}", s.agency), &other_admin.token)
        .await
        .assert_problem(403, "forbidden");
    let employee_id = app.create_employee(s.agency, "198501012010012001", "Rina Marlina");
    let employee = app.user("rina", &[Role::Employee], Some(s.agency), Some(employee_id)).await;
    app.get("/api/v1/events", &employee.token).await.assert_problem(403, "forbidden");
    // Integration clients need the events:read scope.
    for (scopes, status) in [(vec![Scope::Read], 403), (vec![Scope::EventsRead], 200)] {
        let scope = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
        let client = app
            .post("/api/v1/clients", &s.admin.token, json!({"name": format!("SIASN {scope}"), "scopes": scopes}))
            .await;
        assert_eq!(client.status, 201, "{}", client.text);
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            client.body["id"].as_str().unwrap(),
            client.body["client_secret"].as_str().unwrap(),
            scope.replace(':', "%3A")
        );
        let token = app
            .call(
                actix_web::test::TestRequest::post()
                    .uri("/api/v1/auth/token")
                    .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                    .set_payload(form),
            )
            .await;
        assert_eq!(token.status, 200, "{}", token.text);
        let read = app.get("/api/v1/events", token.body["access_token"].as_str().unwrap()).await;
        assert_eq!(read.status, status, "{scope}: {}", read.text);
    }
}

#[actix_web::test]
async fn a_reader_following_the_cursor_sees_every_event_once_while_writers_commit_out_of_order() {
    let s = setup().await;
    let app = &s.app;
    let first = new_employee(&s, 1).await;
    let mut cursor = None;
    assert_eq!(read_expecting(app, &s.admin.token, &mut cursor, 1).await.len(), 1);

    // A slow writer takes its event id first and commits last.
    let mut slow = PgConnection::establish(&app.database_url).unwrap();
    diesel::sql_query("BEGIN").execute(&mut slow).unwrap();
    diesel::sql_query(format!(
        "INSERT INTO events (event_id, event_type, agency_id, subject_id, data) \
         VALUES (gen_random_uuid(), 'employee.updated', '{}', '{first}', '{{}}')",
        s.agency
    ))
    .execute(&mut slow)
    .unwrap();
    // Meanwhile fast writers commit, concurrently, and the reader reads.
    let writes = join_all((2..8).map(|i| new_employee(&s, i))).await;
    assert_eq!(writes.len(), 6);
    let while_slow = read_all(app, &s.admin.token, &mut cursor).await;
    assert_eq!(while_slow.len(), 0, "nothing past a transaction still running: {while_slow:?}");
    diesel::sql_query("COMMIT").execute(&mut slow).unwrap();
    // More concurrent writers while the reader follows its cursor.
    let (more, read) = futures_util::future::join(
        join_all((8..14).map(|i| new_employee(&s, i))),
        read_all(app, &s.admin.token, &mut cursor),
    )
    .await;
    let mut seen: Vec<Value> = read;
    let missing = 13usize.saturating_sub(seen.len());
    seen.extend(read_expecting(app, &s.admin.token, &mut cursor, missing).await);
    seen.extend(read_all(app, &s.admin.token, &mut cursor).await);
    assert_eq!(more.len(), 6);
    let ids: std::collections::BTreeSet<&str> = seen.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), seen.len(), "no event twice");
    assert_eq!(seen.len(), 13, "the slow one and the twelve fast ones, none skipped");
    assert_eq!(app.number("SELECT count(*) AS n FROM events"), 14);
}
