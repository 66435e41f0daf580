//! Webhooks end to end: a real receiver on a loopback port verifies every signature on its
//! own (HMAC-SHA256 as Standard Webhooks has it, not our signing code), and the deliverer
//! sends to it over HTTP.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::{Connection, PgConnection, RunQueryDsl};
use hmac::{Hmac, KeyInit, Mac};
use kinerja_api::integration::webhooks::deliverer::{Deliverer, DeliveryConfig};
use kinerja_api::integration::webhooks::Targets;
use kinerja_domain::webhooks::RetryPolicy;
use kinerja_domain::Role;
use kinerja_store::Db;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{TestApp, TestUser};

/// One request the receiver took, its signature checked.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    body: Value,
}

#[derive(Default)]
struct Log {
    secret: Mutex<Vec<u8>>,
    received: Mutex<Vec<Received>>,
    bad_signatures: AtomicUsize,
    /// Answer 500 to this many requests before taking them.
    fail_next: AtomicUsize,
    /// Answer 500 to everything.
    always_fail: std::sync::atomic::AtomicBool,
    /// Hold this many requests for a long time (a receiver that hangs).
    hang_next: AtomicUsize,
    /// Requests being answered now, by webhook-id, and how often one id was in twice at once.
    in_flight: Mutex<HashSet<String>>,
    overlaps: AtomicUsize,
}

/// A webhook receiver on a loopback port, run by actix-web on its own thread.
struct Receiver {
    url: String,
    log: Arc<Log>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start() -> Receiver {
        let log = Arc::new(Log::default());
        let shared = log.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(web::Data::from(shared.clone())).default_service(web::to(receive))
        })
        .workers(2)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let url = format!("http://{}/hooks/kinerja", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver { url, log, handle }
    }

    fn keep_secret(&self, shown: &str) {
        let key = STANDARD.decode(shown.strip_prefix("whsec_").expect("a whsec_ secret")).unwrap();
        *self.log.secret.lock().unwrap() = key;
    }

    fn received(&self) -> Vec<Received> {
        self.log.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, log: web::Data<Log>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (id, timestamp, signature) = (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
    let mut mac = Hmac::<Sha256>::new_from_slice(&log.secret.lock().unwrap()).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    if !signature.split(' ').any(|s| s == expected) || !fresh {
        log.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::Unauthorized().finish();
    }
    if !log.in_flight.lock().unwrap().insert(id.clone()) {
        log.overlaps.fetch_add(1, Ordering::SeqCst);
    }
    let hang = log.hang_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    actix_web::rt::time::sleep(Duration::from_millis(if hang { 1_000 } else { 20 })).await;
    log.in_flight.lock().unwrap().remove(&id);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    log.received.lock().unwrap().push(Received { id, body });
    let fail = log.always_fail.load(Ordering::SeqCst)
        || log.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if fail {
        HttpResponse::InternalServerError().body("down for maintenance")
    } else {
        HttpResponse::NoContent().finish()
    }
}

/// The number (`n`) a query answers on a connection in a transaction of the test's.
async fn count_in(conn: &mut kinerja_store::AsyncPgConnection, sql: &str) -> i64 {
    diesel_async::RunQueryDsl::get_result::<N>(diesel::sql_query(sql), conn).await.unwrap().n
}

/// Quick tries for tests: 200 ms timeout; retries 50 ms apart.
fn quick() -> DeliveryConfig {
    DeliveryConfig {
        timeout: Duration::from_millis(1_000),
        retry: RetryPolicy {
            first: Duration::from_millis(50),
            factor: 2,
            cap: Duration::from_millis(100),
            attempts: 4,
        },
        batch: 4,
        idle: Duration::from_millis(20),
        targets: Targets::AnyHttp,
        ..DeliveryConfig::default()
    }
}

struct Setup {
    app: TestApp,
    agency: uuid::Uuid,
    admin: TestUser,
    receiver: Receiver,
    webhook: Value,
}

async fn setup(event_types: Value) -> Setup {
    let app = TestApp::with_local_webhooks().await;
    let agency = app.create_agency("KAB-SLM");
    let admin = app.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let receiver = Receiver::start().await;
    let created = app
        .post(
            "/api/v1/webhooks",
            &admin.token,
            json!({"url": receiver.url, "description": "SIASN", "event_types": event_types}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    receiver.keep_secret(created.body["secret"].as_str().unwrap());
    Setup { app, agency, admin, receiver, webhook: created.body }
}

async fn new_employee(s: &Setup, i: usize) -> String {
    let body = json!({"nip": format!("1985020320100110{:02}", i % 100), "name": format!("Pegawai {i}"),
                      "agency_id": s.agency, "employment_type": "pns"});
    let reply = s.app.post("/api/v1/employees", &s.admin.token, body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Runs `deliverer` until no delivery to an enabled endpoint is pending (or `patience` is out).
async fn deliver_until_idle(deliverer: &Deliverer, database_url: &str, patience: Duration) {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if deliverer.run_once().await.unwrap() > 0 {
            continue;
        }
        let mut conn = PgConnection::establish(database_url).unwrap();
        let pending: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.state = 'pending' AND w.enabled",
        )
        .get_result::<N>(&mut conn)
        .unwrap()
        .n;
        if pending == 0 {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(30)).await;
    }
}

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn deliveries_path(s: &Setup) -> String {
    format!("/api/v1/webhooks/{}/deliveries", s.webhook["id"].as_str().unwrap())
}

#[actix_web::test]
async fn subscribed_events_arrive_signed_once_and_the_log_shows_them() {
    let s = setup(json!(["employee.created", "employee.moved"])).await;
    let app = &s.app;
    // The secret is shown once: never on a read.
    assert!(s.webhook["secret"].as_str().unwrap().starts_with("whsec_"));
    let read = app.get(&format!("/api/v1/webhooks/{}", s.webhook["id"].as_str().unwrap()), &s.admin.token).await;
    assert_eq!(read.status, 200);
    assert!(read.body.get("secret").is_none(), "{}", read.text);
    assert_eq!(read.body["event_types"], json!(["employee.created", "employee.moved"]));

    let budi = new_employee(&s, 1).await;
    let chief = new_employee(&s, 2).await;
    let path = format!("/api/v1/employees/{budi}");
    // employee.updated is not subscribed to; employee.moved is.
    assert_eq!(app.patch(&path, &s.admin.token, json!({"name": "Budi Santoso"})).await.status, 200);
    assert_eq!(app.patch(&path, &s.admin.token, json!({"supervisor_id": chief})).await.status, 200);
    // A refused write queues nothing.
    let duplicate =
        json!({"nip": "198502032010011001", "name": "Lagi", "agency_id": s.agency, "employment_type": "pns"});
    app.post("/api/v1/employees", &s.admin.token, duplicate).await.assert_problem(409, "duplicate_nip");
    // Nor does an act rolled back after its audit record (and so its event) was written.
    let mut conn = app.state.db.conn().await.unwrap();
    let actor = kinerja_api::context::audit_actor::AuditActor::system();
    let rolled_back: Result<(), kinerja_api::http::error::ApiError> =
        kinerja_store::in_transaction(&mut conn, async |tx| {
            let event = actor.raw(
                kinerja_domain::audit::AuditEntity::Employee,
                Some(budi.parse().unwrap()),
                "update",
                Some(s.agency),
                json!({"unit_id": {"old": null, "new": chief}}),
            );
            kinerja_store::audit_rows::record(tx, event).await?;
            assert_eq!(
                count_in(tx, "SELECT count(*) AS n FROM webhook_deliveries").await,
                4,
                "queued inside the act's transaction"
            );
            Err(kinerja_api::http::error::ApiError::Forbidden("rolled back on purpose"))
        })
        .await;
    assert!(rolled_back.is_err());
    drop(conn);
    assert_eq!(app.number("SELECT count(*) AS n FROM webhook_deliveries"), 3);

    let deliverer = Deliverer::new(app.state.db.clone(), quick());
    deliver_until_idle(&deliverer, &app.database_url, Duration::from_secs(10)).await;
    let received = s.receiver.received();
    assert_eq!(s.receiver.log.bad_signatures.load(Ordering::SeqCst), 0);
    let types: Vec<&str> = received.iter().map(|r| r.body["type"].as_str().unwrap()).collect();
    assert_eq!(types.len(), 3, "{received:?}");
    assert_eq!(types.iter().filter(|t| **t == "employee.created").count(), 2);
    assert!(types.contains(&"employee.moved"));
    for r in &received {
        assert_eq!(r.body["id"].as_str(), Some(r.id.as_str()), "webhook-id is the event's id");
        assert_eq!(r.body["agency_id"], s.agency.to_string());
    }
    let moved = received.iter().find(|r| r.body["type"] == "employee.moved").unwrap();
    assert_eq!(moved.body["subject_id"], budi.as_str());
    assert_eq!(moved.body["data"]["link"], format!("/api/v1/employees/{budi}"));

    let log = app.get(&deliveries_path(&s), &s.admin.token).await;
    assert_eq!(log.status, 200, "{}", log.text);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|d| d["state"] == "delivered" && d["attempts"] == 1 && d["last_status"] == 204));
    assert!(items[0]["id"].as_i64() > items[1]["id"].as_i64(), "newest first");
    let page = app.get(&format!("{}?limit=2", deliveries_path(&s)), &s.admin.token).await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("{}?limit=2&cursor={cursor}", deliveries_path(&s)), &s.admin.token).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert!(rest.body["next_cursor"].is_null());
    // Nothing is sent twice: another round finds nothing due.
    assert_eq!(deliverer.run_once().await.unwrap(), 0);
    assert_eq!(s.receiver.received().len(), 3);
}

#[actix_web::test]
async fn a_failing_receiver_is_tried_again_until_it_takes_the_event() {
    let s = setup(json!([])).await;
    s.receiver.log.fail_next.store(2, Ordering::SeqCst);
    new_employee(&s, 1).await;
    // The first retry waits 300 ms.
    let retry = RetryPolicy { first: Duration::from_millis(300), cap: Duration::from_millis(300), ..quick().retry };
    let deliverer = Deliverer::new(s.app.state.db.clone(), DeliveryConfig { retry, ..quick() });
    assert_eq!(deliverer.run_once().await.unwrap(), 1);
    let after_one = s.app.get(&deliveries_path(&s), &s.admin.token).await;
    let first = &after_one.body["items"][0];
    assert_eq!(first["state"], "pending", "{}", after_one.text);
    assert_eq!(first["last_status"], 500);
    assert!(first["last_error"].as_str().unwrap().contains("500"));
    assert!(first["next_attempt_at"].is_string());
    let webhook = s.app.get(&format!("/api/v1/webhooks/{}", s.webhook["id"].as_str().unwrap()), &s.admin.token).await;
    assert!(webhook.body["failing_since"].is_string(), "{}", webhook.text);
    // Not due again at once: the retry waits.
    assert_eq!(deliverer.run_once().await.unwrap(), 0);

    deliver_until_idle(&deliverer, &s.app.database_url, Duration::from_secs(10)).await;
    let received = s.receiver.received();
    assert_eq!(received.len(), 3, "two failures, then taken");
    assert!(received.iter().all(|r| r.id == received[0].id), "one webhook-id on every try");
    let log = s.app.get(&deliveries_path(&s), &s.admin.token).await;
    assert_eq!(log.body["items"][0]["state"], "delivered");
    assert_eq!(log.body["items"][0]["attempts"], 3);
    assert!(log.body["items"][0]["last_error"].is_null());
    let webhook = s.app.get(&format!("/api/v1/webhooks/{}", s.webhook["id"].as_str().unwrap()), &s.admin.token).await;
    assert!(webhook.body["failing_since"].is_null(), "a success ends the failing record");
}

#[actix_web::test]
async fn an_endpoint_that_keeps_failing_is_given_up_disabled_and_replayed_once_mended() {
    let s = setup(json!([])).await;
    let app = &s.app;
    let webhook_path = format!("/api/v1/webhooks/{}", s.webhook["id"].as_str().unwrap());
    s.receiver.log.always_fail.store(true, Ordering::SeqCst);
    new_employee(&s, 1).await;
    // Four tries, then given up.
    let config = DeliveryConfig { disable_after: Duration::from_millis(800), ..quick() };
    let deliverer = Deliverer::new(app.state.db.clone(), config);
    deliver_until_idle(&deliverer, &app.database_url, Duration::from_secs(10)).await;
    assert_eq!(s.receiver.received().len(), 4);
    let log = app.get(&deliveries_path(&s), &s.admin.token).await;
    let delivery = log.body["items"][0].clone();
    assert_eq!(delivery["state"], "failed", "{}", log.text);
    assert_eq!(delivery["attempts"], 4);
    assert!(delivery["next_attempt_at"].is_null());
    let webhook = app.get(&webhook_path, &s.admin.token).await;
    assert_eq!(webhook.body["enabled"], true, "failing, not yet for long: {}", webhook.text);
    assert!(webhook.body["failing_since"].is_string());
    // Still failing after longer than the limit: the next failure disables the endpoint.
    actix_web::rt::time::sleep(Duration::from_millis(900)).await;
    new_employee(&s, 2).await;
    assert_eq!(deliverer.run_once().await.unwrap(), 1);
    let webhook = app.get(&webhook_path, &s.admin.token).await;
    assert_eq!(webhook.body["enabled"], false, "{}", webhook.text);
    assert!(webhook.body["disabled_reason"].as_str().unwrap().contains("every delivery failed"));
    // Disabled: its pending delivery waits, and nothing new is queued.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(deliverer.run_once().await.unwrap(), 0);
    new_employee(&s, 3).await;
    assert_eq!(app.number("SELECT count(*) AS n FROM webhook_deliveries"), 2);
    assert_eq!(s.receiver.received().len(), 5);

    // Mended: enabled again (its failing record afresh), the waiting delivery goes out, and the
    // given-up one is replayed.
    s.receiver.log.always_fail.store(false, Ordering::SeqCst);
    let etag = webhook.header("etag").unwrap();
    let enable = app
        .call(
            actix_web::test::TestRequest::patch()
                .uri(&webhook_path)
                .insert_header(("Authorization", format!("Bearer {}", s.admin.token)))
                .insert_header(("If-Match", etag.clone()))
                .set_json(json!({"enabled": true})),
        )
        .await;
    assert_eq!(enable.status, 200, "{}", enable.text);
    assert_eq!(enable.body["enabled"], true);
    assert!(enable.body["disabled_reason"].is_null() && enable.body["failing_since"].is_null());
    let stale = app
        .call(
            actix_web::test::TestRequest::patch()
                .uri(&webhook_path)
                .insert_header(("Authorization", format!("Bearer {}", s.admin.token)))
                .insert_header(("If-Match", etag))
                .set_json(json!({"enabled": false})),
        )
        .await;
    stale.assert_problem(412, "precondition_failed");
    deliver_until_idle(&deliverer, &app.database_url, Duration::from_secs(10)).await;
    assert_eq!(s.receiver.received().len(), 6);

    let replay_path = format!("{}/{}/replay", deliveries_path(&s), delivery["id"]);
    let replayed = app.post(&replay_path, &s.admin.token, json!({})).await;
    assert_eq!(replayed.status, 202, "{}", replayed.text);
    assert_eq!(replayed.body["state"], "pending");
    assert_eq!(replayed.body["attempts"], 0);
    // Pending: a second replay would send it twice at once.
    app.post(&replay_path, &s.admin.token, json!({})).await.assert_problem(409, "delivery_pending");
    app.post(&format!("{}/999999/replay", deliveries_path(&s)), &s.admin.token, json!({}))
        .await
        .assert_problem(404, "not_found");
    deliver_until_idle(&deliverer, &app.database_url, Duration::from_secs(10)).await;
    let received = s.receiver.received();
    assert_eq!(received.len(), 7);
    assert_eq!(received[6].id, received[0].id, "a replay keeps the webhook-id");
    let log = app.get(&deliveries_path(&s), &s.admin.token).await;
    assert_eq!(log.body["items"][0]["state"], "delivered");
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=webhook&entity_id={}", s.webhook["id"].as_str().unwrap()),
            &s.admin.token,
        )
        .await;
    let actions: Vec<&str> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update", "replay"], "{}", audit.text);
}

#[actix_web::test]
async fn a_delivery_survives_a_server_dying_mid_send_and_servers_never_send_one_at_once() {
    let s = setup(json!([])).await;
    let app = &s.app;
    // A server dies while its receiver holds the request: its claim outlives it.
    s.receiver.log.hang_next.store(1, Ordering::SeqCst);
    new_employee(&s, 1).await;
    let config = DeliveryConfig { timeout: Duration::from_millis(400), ..quick() };
    let first = Deliverer::new(app.state.db.clone(), config.clone());
    let dying = actix_web::rt::spawn(async move { first.run_once().await });
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.receiver.log.in_flight.lock().unwrap().is_empty() && Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.receiver.log.in_flight.lock().unwrap().len(), 1, "the first server is sending");
    dying.abort();
    // A restarted server (its own pool): nothing to send while the dead one's lease runs …
    let restarted = Deliverer::new(Db::new(&app.database_url, 2).unwrap(), config.clone());
    assert_eq!(restarted.run_once().await.unwrap(), 0);
    // … then it sends the delivery again (at least once).
    actix_web::rt::time::sleep(config.lease()).await;
    deliver_until_idle(&restarted, &app.database_url, Duration::from_secs(10)).await;
    let log = app.get(&deliveries_path(&s), &s.admin.token).await;
    assert_eq!(log.body["items"][0]["state"], "delivered", "{}", log.text);
    assert_eq!(log.body["items"][0]["attempts"], 2);
    // At least once: the dead server's receiver may have taken it too; the id is the same.
    let first_event: Vec<Received> = s.receiver.received();
    assert!((1..=2).contains(&first_event.len()), "{first_event:?}");
    assert!(first_event.iter().all(|r| r.id == first_event[0].id));
    let before_backlog = first_event.len();

    // Four servers, each on its own thread and pool, share a backlog of 40: each delivery is
    // sent exactly once, never two at once.
    for i in 0..40 {
        new_employee(&s, 10 + i).await;
    }
    let servers: Vec<_> = (0..4)
        .map(|_| {
            let (url, config) = (app.database_url.clone(), DeliveryConfig { batch: 2, ..config.clone() });
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let deliverer = Deliverer::new(Db::new(&url, 2).unwrap(), config);
                    deliver_until_idle(&deliverer, &url, Duration::from_secs(30)).await;
                })
            })
        })
        .collect();
    servers.into_iter().for_each(|server| server.join().unwrap());
    assert_eq!(s.receiver.log.overlaps.load(Ordering::SeqCst), 0, "one delivery sent twice at once");
    let received = s.receiver.received();
    let ids: HashSet<&str> = received.iter().skip(before_backlog).map(|r| r.id.as_str()).collect();
    assert_eq!(received.len() - before_backlog, 40);
    assert_eq!(ids.len(), 40, "each sent once");
    assert_eq!(app.number("SELECT count(*) AS n FROM webhook_deliveries WHERE state <> 'delivered'"), 0);
    assert_eq!(s.receiver.log.bad_signatures.load(Ordering::SeqCst), 0);

    // The log keeps settled deliveries for a while: older ones are pruned, pending ones never.
    app.sql("UPDATE webhook_deliveries SET created_at = now() - interval '31 days' WHERE id IN (SELECT id FROM webhook_deliveries ORDER BY id LIMIT 11)");
    app.sql("UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = now() + interval '1 hour' WHERE id = (SELECT min(id) FROM webhook_deliveries)");
    let pruner = Deliverer::new(app.state.db.clone(), quick());
    assert_eq!(pruner.prune().await.unwrap(), 10);
    assert_eq!(app.number("SELECT count(*) AS n FROM webhook_deliveries"), 31);
    assert_eq!(pruner.prune().await.unwrap(), 0);
}

#[actix_web::test]
async fn who_may_manage_webhooks_and_where_they_may_point() {
    let s = setup(json!(["plan.approved"])).await;
    let app = &s.app;
    let webhook_path = format!("/api/v1/webhooks/{}", s.webhook["id"].as_str().unwrap());
    let other_agency = app.create_agency("KAB-BTL");
    let stranger = app.user("admin-btl", &[Role::AgencyAdmin], Some(other_agency), None).await;
    let auditor = app.user("auditor", &[Role::Auditor], Some(s.agency), None).await;
    let employee_id = app.create_employee(s.agency, "198001012005011001", "Siti");
    let employee = app.user("siti", &[Role::Employee], Some(s.agency), Some(employee_id)).await;
    let root = app.user("root", &[Role::SuperAdmin], None, None).await;
    let hook = json!({"url": s.receiver.url});

    // Another agency's admin does not see it; an employee may neither list nor register.
    app.get(&webhook_path, &stranger.token).await.assert_problem(404, "not_found");
    app.get(&format!("{webhook_path}/deliveries"), &stranger.token).await.assert_problem(404, "not_found");
    app.get("/api/v1/webhooks", &employee.token).await.assert_problem(403, "forbidden");
    app.post("/api/v1/webhooks", &employee.token, hook.clone()).await.assert_problem(403, "forbidden");
    let other = json!({"url": s.receiver.url, "agency_id": s.agency});
    app.post("/api/v1/webhooks", &stranger.token, other).await.assert_problem(403, "forbidden");
    // The auditor reads, and changes nothing.
    assert_eq!(app.get(&webhook_path, &auditor.token).await.status, 200);
    assert_eq!(app.get("/api/v1/webhooks", &auditor.token).await.body["items"].as_array().unwrap().len(), 1);
    app.post("/api/v1/webhooks", &auditor.token, hook.clone()).await.assert_problem(403, "forbidden");
    app.send(actix_web::http::Method::DELETE, &webhook_path, Some(&stranger.token), None)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get("/api/v1/webhooks", &stranger.token).await.body["items"].as_array().unwrap().len(), 0);
    // A super admin names the agency.
    app.post("/api/v1/webhooks", &root.token, hook.clone()).await.assert_problem(422, "validation_failed");
    let for_other = json!({"url": s.receiver.url, "agency_id": other_agency});
    assert_eq!(app.post("/api/v1/webhooks", &root.token, for_other).await.status, 201);
    // Bad input.
    let bad_type = app
        .post("/api/v1/webhooks", &s.admin.token, json!({"url": s.receiver.url, "event_types": ["employee.deleted"]}))
        .await;
    assert!(bad_type.status == 400 || bad_type.status == 422, "{}", bad_type.text);
    let not_url = app.post("/api/v1/webhooks", &s.admin.token, json!({"url": "ftp://example.com/x"})).await;
    not_url.assert_problem(422, "validation_failed");
    assert_eq!(not_url.body["errors"][0]["code"], "invalid_url");

    // A production server sends to public https receivers only.
    let production = TestApp::new().await;
    let agency = production.create_agency("KAB-KLN");
    let admin = production.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    for (url, code) in [
        (s.receiver.url.as_str(), "https_required"),
        ("https://127.0.0.1/hooks", "local_address"),
        ("https://169.254.169.254/latest/meta-data", "local_address"),
        ("https://100.100.100.200/latest/meta-data", "local_address"),
        ("https://198.18.0.1/hooks", "local_address"),
        ("https://224.0.0.1/hooks", "local_address"),
        ("https://localhost./hooks", "local_address"),
        ("https://0x7f000001/hooks", "local_address"),
        ("https://127.1/hooks", "local_address"),
        ("https://2130706433/hooks", "local_address"),
        ("https://[64:ff9b::7f00:1]/hooks", "local_address"),
        ("https://[2002:7f00:1::]/hooks", "local_address"),
    ] {
        let refused = production.post("/api/v1/webhooks", &admin.token, json!({"url": url})).await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], code, "{url}");
    }
    // A name is resolved when it is registered: this machine's own name (`vm` in /etc/hosts,
    // a container's private address) is refused like its address.
    let own_name = std::fs::read_to_string("/etc/hostname").unwrap_or_default().trim().to_owned();
    let resolved: Vec<std::net::IpAddr> = std::net::ToSocketAddrs::to_socket_addrs(&(own_name.as_str(), 443))
        .map(|found| found.map(|a| a.ip()).collect())
        .unwrap_or_default();
    if resolved.iter().all(|ip| !ip.is_loopback() && !matches!(ip, std::net::IpAddr::V4(v4) if v4.is_private())) {
        panic!("the drill needs a host name resolving to this machine or a private address; {own_name:?} resolves to {resolved:?}");
    }
    let by_name =
        production.post("/api/v1/webhooks", &admin.token, json!({"url": format!("https://{own_name}/hooks")})).await;
    by_name.assert_problem(422, "validation_failed");
    assert_eq!(by_name.body["errors"][0]["code"], "local_address", "{own_name} → {resolved:?}");
    // A numeric host is kept as the address it is checked and connected as.
    let numeric = production.post("/api/v1/webhooks", &admin.token, json!({"url": "https://0x08080808/hooks"})).await;
    assert_eq!(numeric.body["url"], "https://8.8.8.8/hooks", "{}", numeric.text);
    let public = json!({"url": "https://siasn.example.go.id/hooks/kinerja"});
    assert_eq!(production.post("/api/v1/webhooks", &admin.token, public).await.status, 201);

    // A production deliverer checks again when it sends: an endpoint to a local receiver (allowed
    // when it was registered) is not sent to, and says why.
    let every_type = app.patch(&webhook_path, &s.admin.token, json!({"event_types": []})).await;
    assert_eq!(every_type.status, 200, "{}", every_type.text);
    new_employee(&s, 1).await;
    let production_deliverer = Deliverer::new(app.state.db.clone(), DeliveryConfig::default());
    assert_eq!(production_deliverer.run_once().await.unwrap(), 1);
    assert!(s.receiver.received().is_empty());
    let log = app.get(&format!("{webhook_path}/deliveries"), &s.admin.token).await;
    let error = log.body["items"][0]["last_error"].as_str().unwrap().to_owned();
    assert!(error.contains("not allowed") && error.contains("https"), "{error}");
    // Only the agency's admins send one again: not another agency's, not its auditor.
    let replay = format!("{webhook_path}/deliveries/{}/replay", log.body["items"][0]["id"]);
    app.post(&replay, &stranger.token, json!({})).await.assert_problem(404, "not_found");
    app.post(&replay, &auditor.token, json!({})).await.assert_problem(403, "forbidden");
    app.post(&replay, &employee.token, json!({})).await.assert_problem(404, "not_found");

    // Deleting removes the endpoint and its log.
    let gone = app.send(actix_web::http::Method::DELETE, &webhook_path, Some(&s.admin.token), None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    app.get(&webhook_path, &s.admin.token).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn a_rotated_secret_signs_alongside_the_old_one_for_a_day() {
    let s = setup(json!([])).await;
    let app = &s.app;
    let webhook_path = format!("/api/v1/webhooks/{}", s.webhook["id"].as_str().unwrap());
    let old_secret = s.webhook["secret"].as_str().unwrap().to_owned();
    let etag = app.get(&webhook_path, &s.admin.token).await.header("etag").unwrap();
    let rotate = |etag: String, token: String| {
        actix_web::test::TestRequest::post()
            .uri(&format!("{webhook_path}/rotate-secret"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("If-Match", etag))
    };
    let rotated = app.call(rotate(etag.clone(), s.admin.token.clone())).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert!(new_secret.starts_with("whsec_") && new_secret != old_secret);
    let until: chrono::DateTime<chrono::Utc> =
        rotated.body["previous_secret_valid_until"].as_str().unwrap().parse().unwrap();
    let ahead = until - chrono::Utc::now();
    assert!(ahead > chrono::TimeDelta::hours(23) && ahead <= chrono::TimeDelta::hours(24), "{ahead}");
    app.call(rotate(etag, s.admin.token.clone())).await.assert_problem(412, "precondition_failed");
    let employee_id = app.create_employee(s.agency, "197001012000011001", "Siti");
    let employee = app.user("siti", &[Role::Employee], Some(s.agency), Some(employee_id)).await;
    let fresh = app.get(&webhook_path, &s.admin.token).await.header("etag").unwrap();
    app.call(rotate(fresh, employee.token.clone())).await.assert_problem(404, "not_found");

    // A receiver still on the old secret takes the deliveries; so does one on the new.
    let deliverer = Deliverer::new(app.state.db.clone(), quick());
    new_employee(&s, 1).await;
    deliver_until_idle(&deliverer, &app.database_url, Duration::from_secs(10)).await;
    s.receiver.keep_secret(&new_secret);
    new_employee(&s, 2).await;
    deliver_until_idle(&deliverer, &app.database_url, Duration::from_secs(10)).await;
    assert_eq!(s.receiver.received().len(), 2);
    assert_eq!(s.receiver.log.bad_signatures.load(Ordering::SeqCst), 0);

    // Once the overlap ends, the old secret signs nothing.
    app.sql("UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second'");
    assert!(app.get(&webhook_path, &s.admin.token).await.body["previous_secret_valid_until"].is_null());
    s.receiver.keep_secret(&old_secret);
    new_employee(&s, 3).await;
    assert_eq!(deliverer.run_once().await.unwrap(), 1);
    assert_eq!(s.receiver.log.bad_signatures.load(Ordering::SeqCst), 1);
    let log = app.get(&deliveries_path(&s), &s.admin.token).await;
    assert_eq!(log.body["items"][0]["last_status"], 401, "{}", log.text);

    // The audit trail tells of the rotation, never the secrets.
    let audit = app
        .get(
            &format!("/api/v1/audit-events?entity=webhook&entity_id={}", s.webhook["id"].as_str().unwrap()),
            &s.admin.token,
        )
        .await;
    assert!(audit.body["items"].as_array().unwrap().iter().any(|e| e["action"] == "rotate_secret"), "{}", audit.text);
    let (old_key, new_key) = (old_secret.trim_start_matches("whsec_"), new_secret.trim_start_matches("whsec_"));
    assert!(!audit.text.contains(old_key) && !audit.text.contains(new_key));
}
