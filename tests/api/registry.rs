//! The organisation registry: agencies, units, positions, employees, and the audit trail.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use kinerja_domain::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{Reply, TestApp, TestUser};

fn id(reply: &Reply) -> String {
    assert!(reply.status.is_success(), "{}", reply.text);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Two agencies. In A: units, positions and a supervisor chain kepala → sekretaris → two staff;
/// users for the admins, an auditor and two of the employees.
struct Org {
    app: TestApp,
    root: TestUser,
    agency_a: String,
    agency_b: String,
    admin_a: TestUser,
    auditor_a: TestUser,
    admin_b: TestUser,
    unit_setda: String,
    unit_umum: String,
    kepala: String,
    sekretaris: String,
    staff1: String,
    staff2: String,
    sekretaris_user: TestUser,
    staff1_user: TestUser,
}

async fn employee(app: &TestApp, token: &str, agency: &str, nip: &str, name: &str, supervisor: Option<&str>) -> String {
    id(&app
        .post(
            "/api/v1/employees",
            token,
            json!({"nip": nip, "name": name, "agency_id": agency, "employment_type": "pns", "grade": "III/c",
                   "supervisor_id": supervisor}),
        )
        .await)
}

async fn org() -> Org {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    let agency_a = id(&app
        .post("/api/v1/agencies", &root.token, json!({"code": "KOTA-PKY", "name": "Pemerintah Kota Palangka Raya"}))
        .await);
    let agency_b = id(&app
        .post("/api/v1/agencies", &root.token, json!({"code": "KAB-BTH", "name": "Pemerintah Kabupaten Batanghari"}))
        .await);
    let (a, b) = (agency_a.parse().unwrap(), agency_b.parse().unwrap());
    let admin_a = app.user("admin.a", &[Role::AgencyAdmin], Some(a), None).await;
    let auditor_a = app.user("auditor.a", &[Role::Auditor], Some(a), None).await;
    let admin_b = app.user("admin.b", &[Role::AgencyAdmin], Some(b), None).await;
    let units = format!("/api/v1/agencies/{agency_a}/units");
    let unit_setda =
        id(&app.post(&units, &admin_a.token, json!({"code": "SETDA", "name": "Sekretariat Daerah"})).await);
    let unit_umum = id(&app
        .post(&units, &admin_a.token, json!({"code": "UMUM", "name": "Bagian Umum", "parent_id": unit_setda}))
        .await);
    let t = &admin_a.token;
    let kepala = employee(&app, t, &agency_a, "196608011988031001", "Drs. Hendra Wijaya", None).await;
    let sekretaris = employee(&app, t, &agency_a, "197204101998032004", "Sri Wahyuni, S.Sos.", Some(&kepala)).await;
    let staff1 = employee(&app, t, &agency_a, "199001012015031001", "Budi Santoso", Some(&sekretaris)).await;
    let staff2 = employee(&app, t, &agency_a, "199202022016042002", "Dewi Lestari", Some(&sekretaris)).await;
    let sekretaris_user = app.user("sri", &[Role::Employee], Some(a), Some(sekretaris.parse().unwrap())).await;
    let staff1_user = app.user("budi", &[Role::Employee], Some(a), Some(staff1.parse().unwrap())).await;
    Org {
        app,
        root,
        agency_a,
        agency_b,
        admin_a,
        auditor_a,
        admin_b,
        unit_setda,
        unit_umum,
        kepala,
        sekretaris,
        staff1,
        staff2,
        sekretaris_user,
        staff1_user,
    }
}

fn ids(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut ids: Vec<String> =
        reply.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<&String>) -> Vec<String> {
    v.sort();
    v.into_iter().cloned().collect()
}

#[actix_web::test]
async fn agencies_who_may_do_what() {
    let o = org().await;
    let app = &o.app;
    app.post("/api/v1/agencies", &o.root.token, json!({"code": "KOTA-PKY", "name": "x"}))
        .await
        .assert_problem(409, "duplicate_code");
    app.post("/api/v1/agencies", &o.admin_a.token, json!({"code": "NEW", "name": "x"}))
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/agencies", &o.root.token, json!({"code": "bad code!", "name": ""}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(ids(&app.get("/api/v1/agencies", &o.admin_a.token).await), vec![o.agency_a.clone()]);
    assert_eq!(ids(&app.get("/api/v1/agencies", &o.root.token).await).len(), 2);
    app.get(&format!("/api/v1/agencies/{}", o.agency_b), &o.admin_a.token).await.assert_problem(404, "not_found");
    let path = format!("/api/v1/agencies/{}", o.agency_a);
    let read = app.get(&path, &o.staff1_user.token).await;
    assert_eq!(read.status, 200, "employees read their agency: {}", read.text);
    app.patch(&path, &o.auditor_a.token, json!({"name": "x"})).await.assert_problem(403, "forbidden");
    app.patch(&path, &o.admin_b.token, json!({"name": "x"})).await.assert_problem(404, "not_found");
    let renamed = app.patch(&path, &o.admin_a.token, json!({"name": "Pemkot Palangka Raya"})).await;
    assert_eq!(renamed.body["name"], "Pemkot Palangka Raya", "{}", renamed.text);
    let stale = TestRequest::patch()
        .uri(&path)
        .insert_header(("Authorization", format!("Bearer {}", o.admin_a.token)))
        .insert_header(("If-Match", read.header("etag").unwrap()))
        .set_json(json!({"name": "again"}));
    app.call(stale).await.assert_problem(412, "precondition_failed");
    // Who may write is checked on the locked row before its version: another agency's admin
    // with a stale ETag learns nothing (404, not 412), and an auditor is refused (403).
    for (token, status, code) in [(&o.admin_b.token, 404, "not_found"), (&o.auditor_a.token, 403, "forbidden")] {
        let probe = TestRequest::patch()
            .uri(&path)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("If-Match", read.header("etag").unwrap()))
            .set_json(json!({"name": "again"}));
        app.call(probe).await.assert_problem(status, code);
    }
}

#[actix_web::test]
async fn units_form_a_tree_without_cycles() {
    let o = org().await;
    let app = &o.app;
    let t = &o.admin_a.token;
    let units = format!("/api/v1/agencies/{}/units", o.agency_a);
    let sub = id(&app
        .post(&units, t, json!({"code": "RT", "name": "Subbagian Rumah Tangga", "parent_id": o.unit_umum}))
        .await);

    // The nested tree, in one answer.
    let tree = app.get(&format!("/api/v1/units/{}/tree", o.unit_setda), t).await;
    assert_eq!(tree.body["code"], "SETDA", "{}", tree.text);
    assert_eq!(tree.body["children"][0]["code"], "UMUM");
    assert_eq!(tree.body["children"][0]["children"][0]["code"], "RT");

    // No loops: not below itself, not below its own descendant.
    let setda = format!("/api/v1/units/{}", o.unit_setda);
    let cycle = app.patch(&setda, t, json!({"parent_id": sub})).await;
    cycle.assert_problem(422, "validation_failed");
    assert_eq!(cycle.body["errors"][0]["code"], "unit_cycle");
    let own = app.patch(&setda, t, json!({"parent_id": o.unit_setda})).await;
    assert_eq!(own.body["errors"][0]["code"], "unit_cycle", "{}", own.text);
    // A legal move, and back to the top level.
    let moved = app.patch(&format!("/api/v1/units/{sub}"), t, json!({"parent_id": o.unit_setda})).await;
    assert_eq!(moved.body["parent_id"], o.unit_setda.as_str(), "{}", moved.text);
    let top = app.patch(&format!("/api/v1/units/{sub}"), t, json!({"parent_id": null})).await;
    assert_eq!(top.body["parent_id"], Value::Null, "{}", top.text);

    // Parent from another agency; duplicate code.
    let b_unit = id(&app
        .post(
            &format!("/api/v1/agencies/{}/units", o.agency_b),
            &o.admin_b.token,
            json!({"code": "SETDA", "name": "Setda"}),
        )
        .await);
    let foreign = app.post(&units, t, json!({"code": "X", "name": "X", "parent_id": b_unit})).await;
    assert_eq!(foreign.body["errors"][0]["code"], "invalid_parent", "{}", foreign.text);
    app.post(&units, t, json!({"code": "UMUM", "name": "again"})).await.assert_problem(409, "duplicate_code");

    // Children filter.
    let children = app.get(&format!("{units}?parent_id={}", o.unit_setda), t).await;
    assert_eq!(ids(&children), vec![o.unit_umum.clone()]);

    // Delete only when empty.
    app.send(Method::DELETE, &setda, Some(t), None).await.assert_problem(409, "unit_not_empty");
    let gone = app.send(Method::DELETE, &format!("/api/v1/units/{sub}"), Some(t), None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    app.get(&format!("/api/v1/units/{sub}"), t).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn units_who_may_do_what() {
    let o = org().await;
    let app = &o.app;
    let units = format!("/api/v1/agencies/{}/units", o.agency_a);
    let unit = format!("/api/v1/units/{}", o.unit_umum);
    assert_eq!(app.get(&unit, &o.staff1_user.token).await.status, 200);
    assert_eq!(app.get(&units, &o.auditor_a.token).await.status, 200);
    app.get(&unit, &o.admin_b.token).await.assert_problem(404, "not_found");
    app.get(&units, &o.admin_b.token).await.assert_problem(404, "not_found");
    app.post(&units, &o.staff1_user.token, json!({"code": "X", "name": "X"})).await.assert_problem(403, "forbidden");
    app.post(&units, &o.auditor_a.token, json!({"code": "X", "name": "X"})).await.assert_problem(403, "forbidden");
    app.post(&units, &o.admin_b.token, json!({"code": "X", "name": "X"})).await.assert_problem(404, "not_found");
    app.patch(&unit, &o.auditor_a.token, json!({"name": "X"})).await.assert_problem(403, "forbidden");
    app.send(Method::DELETE, &unit, Some(&o.admin_b.token), None).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn positions_have_a_kind_and_functional_ones_a_level() {
    let o = org().await;
    let app = &o.app;
    let t = &o.admin_a.token;
    let positions = format!("/api/v1/agencies/{}/positions", o.agency_a);
    let guru = app
        .post(&positions, t, json!({"code": "GURU-AM", "name": "Guru Ahli Muda", "kind": "fungsional", "level": "ahli_muda", "unit_id": o.unit_umum}))
        .await;
    assert_eq!(guru.status, 201, "{}", guru.text);
    let kabag = id(&app
        .post(&positions, t, json!({"code": "KABAG-UMUM", "name": "Kepala Bagian Umum", "kind": "administrator"}))
        .await);

    let no_level = app.post(&positions, t, json!({"code": "JF1", "name": "Analis", "kind": "fungsional"})).await;
    assert_eq!(no_level.body["errors"][0]["code"], "required", "{}", no_level.text);
    let extra_level =
        app.post(&positions, t, json!({"code": "P1", "name": "Staf", "kind": "pelaksana", "level": "mahir"})).await;
    assert_eq!(extra_level.body["errors"][0]["code"], "not_allowed", "{}", extra_level.text);
    app.post(&positions, t, json!({"code": "P2", "name": "Staf", "kind": "ketua"}))
        .await
        .assert_problem(422, "invalid_value");
    let foreign_unit =
        app.post(&positions, &o.admin_b.token, json!({"code": "P3", "name": "Staf", "kind": "pelaksana"})).await;
    foreign_unit.assert_problem(404, "not_found");

    let fungsional = app.get(&format!("{positions}?kind=fungsional"), t).await;
    assert_eq!(fungsional.body["items"].as_array().unwrap().len(), 1, "{}", fungsional.text);
    assert_eq!(fungsional.body["items"][0]["level"], "ahli_muda");

    let path = format!("/api/v1/positions/{kabag}");
    let to_functional = app.patch(&path, t, json!({"kind": "fungsional"})).await;
    assert_eq!(to_functional.body["errors"][0]["code"], "required", "{}", to_functional.text);
    let ok = app.patch(&path, t, json!({"kind": "fungsional", "level": "ahli_madya"})).await;
    assert_eq!(ok.body["level"], "ahli_madya", "{}", ok.text);
    app.patch(&path, &o.staff1_user.token, json!({"name": "x"})).await.assert_problem(403, "forbidden");
    app.get(&path, &o.admin_b.token).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn each_wrong_part_of_a_nip_has_its_code() {
    let o = org().await;
    let cases = [
        ("19660801198803100", "invalid_nip_length"),
        ("19660801198803100X", "invalid_nip_characters"),
        ("196602301988031001", "invalid_birth_date"),
        ("196608011988131001", "invalid_appointment_date"),
        ("196608011988033001", "invalid_gender_digit"),
        ("196608011988031000", "invalid_sequence"),
    ];
    for (nip, code) in cases {
        let reply = o
            .app
            .post(
                "/api/v1/employees",
                &o.admin_a.token,
                json!({"nip": nip, "name": "X", "agency_id": o.agency_a, "employment_type": "pns"}),
            )
            .await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], "nip");
        assert_eq!(reply.body["errors"][0]["code"], code, "{nip}: {}", reply.text);
    }
}

#[actix_web::test]
async fn employee_rules() {
    let o = org().await;
    let app = &o.app;
    let t = &o.admin_a.token;
    let new = |nip: &str, extra: Value| {
        let mut body = json!({"nip": nip, "name": "Ahmad Fauzi", "agency_id": o.agency_a, "employment_type": "pns"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    // Grades follow the employment type.
    let wrong_grade = app.post("/api/v1/employees", t, new("198807072012121001", json!({"grade": "XI"}))).await;
    assert_eq!(wrong_grade.body["errors"][0]["code"], "invalid_grade", "{}", wrong_grade.text);
    let pppk = app
        .post("/api/v1/employees", t, new("199305052022211001", json!({"employment_type": "pppk", "grade": "IX"})))
        .await;
    assert_eq!(pppk.status, 201, "{}", pppk.text);
    let pppk_pns_grade = app
        .post("/api/v1/employees", t, new("199305052022211002", json!({"employment_type": "pppk", "grade": "III/a"})))
        .await;
    assert_eq!(pppk_pns_grade.body["errors"][0]["code"], "invalid_grade");
    // A NIP is unique.
    app.post("/api/v1/employees", t, new("199001012015031001", json!({}))).await.assert_problem(409, "duplicate_nip");
    // The supervisor must be of the same agency.
    let b_boss = employee(app, &o.admin_b.token, &o.agency_b, "197001011995031001", "Bos B", None).await;
    let foreign = app.post("/api/v1/employees", t, new("198807072012121001", json!({"supervisor_id": b_boss}))).await;
    assert_eq!(foreign.body["errors"][0]["field"], "supervisor_id", "{}", foreign.text);
    // An unusual but legal NIP carries a warning.
    let young = app.post("/api/v1/employees", t, new("200001012017011001", json!({}))).await;
    assert_eq!(young.body["warnings"], json!(["appointed_before_age_18"]), "{}", young.text);
    // Bad email, unknown field, unknown agency.
    let email = app.post("/api/v1/employees", t, new("198807072012121001", json!({"email": "not-an-email"}))).await;
    assert_eq!(email.body["errors"][0]["code"], "invalid_email");
    app.post("/api/v1/employees", t, new("198807072012121001", json!({"golongan": "III/a"})))
        .await
        .assert_problem(422, "unknown_field");
    let nowhere = app
        .post(
            "/api/v1/employees",
            &o.root.token,
            json!({"nip": "198807072012121001", "name": "X", "agency_id": Uuid::now_v7(), "employment_type": "pns"}),
        )
        .await;
    nowhere.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn supervisor_links_never_form_a_cycle() {
    let o = org().await;
    let app = &o.app;
    let t = &o.admin_a.token;
    // kepala → sekretaris → staff1: the kepala cannot report to staff1, nor to themself.
    let kepala = format!("/api/v1/employees/{}", o.kepala);
    let cycle = app.patch(&kepala, t, json!({"supervisor_id": o.staff1})).await;
    cycle.assert_problem(422, "validation_failed");
    assert_eq!(cycle.body["errors"][0]["code"], "supervisor_cycle");
    let own = app.patch(&kepala, t, json!({"supervisor_id": o.kepala})).await;
    assert_eq!(own.body["errors"][0]["code"], "supervisor_cycle", "{}", own.text);
    // A legal re-assignment.
    let moved = app.patch(&format!("/api/v1/employees/{}", o.staff2), t, json!({"supervisor_id": o.kepala})).await;
    assert_eq!(moved.body["supervisor_id"], o.kepala.as_str(), "{}", moved.text);
}

#[actix_web::test]
async fn subordinates_direct_and_all() {
    let o = org().await;
    let app = &o.app;
    let t = &o.admin_a.token;
    let direct = app.get(&format!("/api/v1/employees/{}/subordinates", o.kepala), t).await;
    assert_eq!(ids(&direct), vec![o.sekretaris.clone()]);
    let all = app.get(&format!("/api/v1/employees/{}/subordinates?depth=all", o.kepala), t).await;
    assert_eq!(ids(&all), sorted(vec![&o.sekretaris, &o.staff1, &o.staff2]));
    let paged = app.get(&format!("/api/v1/employees/{}/subordinates?depth=all&limit=2", o.kepala), t).await;
    assert_eq!(paged.body["items"].as_array().unwrap().len(), 2);
    assert!(paged.body["next_cursor"].is_string());
    app.get(&format!("/api/v1/employees/{}/subordinates?depth=some", o.kepala), t)
        .await
        .assert_problem(422, "invalid_value");
}

#[actix_web::test]
async fn search_by_name_or_nip_prefix_and_filters() {
    let o = org().await;
    let app = &o.app;
    let t = &o.admin_a.token;
    assert_eq!(ids(&app.get("/api/v1/employees?q=wahyuni", t).await), vec![o.sekretaris.clone()]);
    assert_eq!(ids(&app.get("/api/v1/employees?q=1990", t).await), vec![o.staff1.clone()]);
    assert_eq!(ids(&app.get("/api/v1/employees?q=19", t).await).len(), 4);
    assert_eq!(ids(&app.get("/api/v1/employees?q=%25", t).await).len(), 0, "wildcards are literal");
    assert_eq!(
        ids(&app.get(&format!("/api/v1/employees?supervisor_id={}", o.sekretaris), t).await),
        sorted(vec![&o.staff1, &o.staff2])
    );
    let by_nip = app.get("/api/v1/employees-by-nip/197204101998032004", t).await;
    assert_eq!(by_nip.body["id"], o.sekretaris.as_str(), "{}", by_nip.text);
    app.get("/api/v1/employees-by-nip/000000000000000000", t).await.assert_problem(404, "not_found");
    // The earlier path answers the same, saying it is deprecated and where its successor is.
    let earlier = app.get("/api/v1/employees/by-nip/197204101998032004", t).await;
    assert_eq!(earlier.body, by_nip.body);
    assert_eq!(earlier.header("deprecation").as_deref(), Some("@1796601600"));
    assert_eq!(
        earlier.header("link").as_deref(),
        Some("</api/v1/employees-by-nip/197204101998032004>; rel=\"successor-version\"")
    );
    app.get("/api/v1/employees/by-nip/000000000000000000", t).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn employees_see_themselves_and_their_subordinates_only() {
    let o = org().await;
    let app = &o.app;
    // The sekretaris sees herself and her two staff; a staff member only himself.
    let sees = ids(&app.get("/api/v1/employees", &o.sekretaris_user.token).await);
    assert_eq!(sees, sorted(vec![&o.sekretaris, &o.staff1, &o.staff2]));
    assert_eq!(ids(&app.get("/api/v1/employees", &o.staff1_user.token).await), vec![o.staff1.clone()]);
    assert_eq!(app.get(&format!("/api/v1/employees/{}", o.staff2), &o.sekretaris_user.token).await.status, 200);
    app.get(&format!("/api/v1/employees/{}", o.kepala), &o.sekretaris_user.token)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/employees/{}", o.staff2), &o.staff1_user.token).await.assert_problem(404, "not_found");
    app.get("/api/v1/employees-by-nip/196608011988031001", &o.staff1_user.token).await.assert_problem(404, "not_found");
    app.get(&format!("/api/v1/employees/{}/subordinates", o.kepala), &o.staff1_user.token)
        .await
        .assert_problem(404, "not_found");
    // Employees write nothing in the registry.
    app.patch(&format!("/api/v1/employees/{}", o.staff1), &o.staff1_user.token, json!({"name": "Budi S."}))
        .await
        .assert_problem(403, "forbidden");
    app.post(
        "/api/v1/employees",
        &o.sekretaris_user.token,
        json!({"nip": "198807072012121001", "name": "X", "agency_id": o.agency_a, "employment_type": "pns"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // Other agencies see nothing of A's people.
    app.get(&format!("/api/v1/employees/{}", o.staff1), &o.admin_b.token).await.assert_problem(404, "not_found");
    app.get(&format!("/api/v1/employees?agency_id={}", o.agency_a), &o.admin_b.token)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(ids(&app.get("/api/v1/employees", &o.admin_b.token).await), Vec::<String>::new());
    // The auditor reads all of A.
    assert_eq!(ids(&app.get("/api/v1/employees", &o.auditor_a.token).await).len(), 4);
}

async fn client_token(app: &TestApp, admin_token: &str, scopes: Value) -> String {
    let c = app.post("/api/v1/clients", admin_token, json!({"name": "SIASN", "scopes": scopes})).await;
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        c.body["id"].as_str().unwrap(),
        c.body["client_secret"].as_str().unwrap()
    );
    let req = TestRequest::post()
        .uri("/api/v1/auth/token")
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .set_payload(form);
    app.call(req).await.body["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn integration_clients_act_by_scope() {
    let o = org().await;
    let app = &o.app;
    let reader = client_token(app, &o.admin_a.token, json!(["read"])).await;
    let writer = client_token(app, &o.admin_a.token, json!(["read", "write"])).await;
    assert_eq!(ids(&app.get("/api/v1/employees", &reader).await).len(), 4);
    app.post(
        "/api/v1/employees",
        &reader,
        json!({"nip": "198807072012121001", "name": "X", "agency_id": o.agency_a, "employment_type": "pns"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let made = app
        .post(
            "/api/v1/employees",
            &writer,
            json!({"nip": "198807072012121001", "name": "X", "agency_id": o.agency_a, "employment_type": "pns"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
}

#[actix_web::test]
async fn audit_events_are_stamped_as_they_are_written_not_when_their_transaction_began() {
    let app = TestApp::new().await;
    app.sql(
        "DO $$ BEGIN
           INSERT INTO audit_events (id, actor_kind, entity, action) VALUES (gen_random_uuid(), 'system', 'unit', 'first');
           PERFORM pg_sleep(0.05);
           INSERT INTO audit_events (id, actor_kind, entity, action) VALUES (gen_random_uuid(), 'system', 'unit', 'second');
         END $$",
    );
    let later = app.number(
        "SELECT (max(at) FILTER (WHERE action = 'second') > max(at) FILTER (WHERE action = 'first'))::int::bigint AS n
         FROM audit_events",
    );
    assert_eq!(later, 1, "two acts of one transaction are ordered by when they happened");
}

#[actix_web::test]
async fn every_write_is_in_the_audit_trail() {
    let o = org().await;
    let app = &o.app;
    let path = format!("/api/v1/employees/{}", o.staff1);
    app.patch(&path, &o.admin_a.token, json!({"grade": "III/d", "email": "budi@palangkaraya.go.id"})).await;
    let trail =
        app.get(&format!("/api/v1/audit-events?entity=employee&entity_id={}", o.staff1), &o.auditor_a.token).await;
    assert_eq!(trail.status, 200, "{}", trail.text);
    let events = trail.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{}", trail.text);
    assert_eq!(events[0]["action"], "create");
    assert_eq!(events[0]["changes"]["nip"]["new"], "199001012015031001");
    assert_eq!(events[1]["action"], "update");
    assert_eq!(events[1]["actor_id"], o.admin_a.id.to_string());
    assert_eq!(
        events[1]["changes"],
        json!({
            "grade": {"old": "III/c", "new": "III/d"},
            "email": {"old": null, "new": "budi@palangkaraya.go.id"},
        })
    );
    assert!(events[1]["request_id"].is_string());

    // By actor, and across entity kinds (the units created in setup).
    let by_admin =
        app.get(&format!("/api/v1/audit-events?actor_id={}&entity=unit", o.admin_a.id), &o.admin_a.token).await;
    assert_eq!(by_admin.body["items"].as_array().unwrap().len(), 2, "{}", by_admin.text);
    // Who may not read it.
    app.get("/api/v1/audit-events", &o.staff1_user.token).await.assert_problem(403, "forbidden");
    let b_view = app.get(&format!("/api/v1/audit-events?entity_id={}", o.staff1), &o.admin_b.token).await;
    assert_eq!(b_view.body["items"], json!([]), "{}", b_view.text);
    app.get(&format!("/api/v1/audit-events?agency_id={}", o.agency_a), &o.admin_b.token)
        .await
        .assert_problem(403, "forbidden");
    // No route changes the trail, and the table itself refuses.
    let event_id = events[0]["id"].as_str().unwrap();
    app.send(Method::DELETE, "/api/v1/audit-events", Some(&o.root.token), None)
        .await
        .assert_problem(405, "method_not_allowed");
    let delete = app.try_sql(&format!("DELETE FROM audit_events WHERE id = '{event_id}'"));
    assert!(delete.unwrap_err().contains("append-only"));
    let update = app.try_sql("UPDATE audit_events SET action = 'x'");
    assert!(update.unwrap_err().contains("append-only"));
    assert!(app.try_sql("TRUNCATE audit_events").unwrap_err().contains("append-only"));
}

#[actix_web::test]
async fn a_deep_page_of_100k_employees_is_served_by_an_index() {
    let o = org().await;
    let agency: Uuid = o.agency_a.parse().unwrap();
    // 100,000 employees with distinct, well-formed NIPs, in time order like real inserts.
    o.app.sql(&format!(
        "INSERT INTO employees (id, agency_id, nip, name, employment_type, supervisor_id)
         SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, '{agency}',
                '198503152010' || lpad(i::text, 6, '0'), 'Pegawai ' || i, 'pns', '{}'
         FROM generate_series(1, 100000) AS i",
        o.sekretaris
    ));
    o.app.sql("ANALYZE employees");
    let page = o.app.get(&format!("/api/v1/employees?agency_id={}&limit=10", o.agency_a), &o.admin_a.token).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 10, "{}", page.text);

    // The plan of the very query the API runs for page 9,000 of 10 (the keyset cursor is the
    // 90,000th id): an index, never a sequential scan.
    let deep_after: Uuid = format!("00000000-0000-7000-8000-{:012x}", 90_000).parse().unwrap();
    let mut conn = o.app.state.db.conn().await.unwrap();
    for filter in [
        kinerja_store::org_rows::EmployeeFilter { agency_id: Some(agency), ..Default::default() },
        kinerja_store::org_rows::EmployeeFilter {
            agency_id: Some(agency),
            q: Some("19850315201009".into()),
            ..Default::default()
        },
        // As the subordinates endpoint asks: the root's agency and the supervisor.
        kinerja_store::org_rows::EmployeeFilter {
            agency_id: Some(agency),
            supervisor_id: Some(o.sekretaris.parse().unwrap()),
            ..Default::default()
        },
    ] {
        let plan = kinerja_store::db::explain::explain(
            &mut conn,
            kinerja_store::org_rows::employees_page(&filter, Some(deep_after), 11),
        )
        .await
        .unwrap()
        .join("\n");
        assert!(!plan.contains("Seq Scan"), "{filter:?}\n{plan}");
        assert!(plan.contains("Index"), "{plan}");
        println!("{filter:?}\n{plan}");
    }
}

#[actix_web::test]
async fn demo_data_is_realistic_and_seeding_twice_changes_nothing() {
    let app = TestApp::new().await;
    let (logins, employees) = kinerja_api::admin::demo::seed(&app.state.db).await.unwrap();
    assert!((180..=220).contains(&employees), "{employees}");
    assert_eq!(logins.len(), 5);
    let (again, employees_again) = kinerja_api::admin::demo::seed(&app.state.db).await.unwrap();
    assert_eq!((again.len(), employees_again), (5, employees));

    // The logins work; the head of the chain sees everyone below, the teacher only himself.
    let login = |name: &'static str| {
        let app = &app;
        async move {
            let reply = app.login(name, kinerja_api::admin::demo::DEMO_PASSWORD).await;
            assert_eq!(reply.status, 200, "{name}: {}", reply.text);
            reply.body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let sekda = login("sekda").await;
    let all = app.get("/api/v1/employees?limit=500", &sekda).await;
    assert_eq!(all.body["items"].as_array().unwrap().len() as i64, employees, "{}", all.text);
    let guru = login("guru").await;
    assert_eq!(app.get("/api/v1/employees", &guru).await.body["items"].as_array().unwrap().len(), 1);
    let admin = login("admin.bth").await;
    let me = app.get("/api/v1/me", &admin).await;
    let agency = me.body["agency_id"].as_str().unwrap().to_owned();
    let units = app.get(&format!("/api/v1/agencies/{agency}/units?limit=500"), &admin).await;
    assert!(units.body["items"].as_array().unwrap().len() >= 15, "{}", units.text);
    // Every NIP is valid for its employment type (the API re-parses it on every read).
    let admin_all = app.get("/api/v1/employees?limit=500", &admin).await;
    for e in admin_all.body["items"].as_array().unwrap() {
        let kind = if e["employment_type"] == "pns" {
            kinerja_domain::civil_service::EmploymentType::Pns
        } else {
            kinerja_domain::civil_service::EmploymentType::Pppk
        };
        assert!(kinerja_domain::civil_service::Nip::parse(e["nip"].as_str().unwrap(), kind).is_ok(), "{e}");
    }
}
