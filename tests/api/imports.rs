//! Bulk import and export by curl: all or nothing, re-runnable, natural keys, idempotent.

use actix_web::http::header;
use actix_web::test::TestRequest;
use kinerja_domain::Role;
use uuid::Uuid;

use crate::helpers::{Reply, TestApp, TestUser};

const CSV: &str = "text/csv";
const NDJSON: &str = "application/x-ndjson";

async fn import(app: &TestApp, token: &str, path: &str, content_type: &str, body: &str, key: Option<&str>) -> Reply {
    import_bytes(app, token, path, content_type, body.as_bytes().to_vec(), key).await
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn import_bytes(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    key: Option<&str>,
) -> Reply {
    let mut req = TestRequest::post()
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .insert_header((header::CONTENT_TYPE, content_type))
        .set_payload(body);
    if let Some(key) = key {
        req = req.insert_header(("Idempotency-Key", key));
    }
    app.call(req).await
}

/// A refused file's errors as (line, field, code).
fn line_errors(refused: &Reply) -> Vec<(i64, String, String)> {
    let errors = refused.body["errors"].as_array().unwrap().iter();
    errors
        .map(|e| (e["line"].as_i64().unwrap(), e["field"].as_str().unwrap().into(), e["code"].as_str().unwrap().into()))
        .collect()
}

fn count(app: &TestApp, table: &str) -> i64 {
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&app.database_url).unwrap();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N =
        diesel::RunQueryDsl::get_result(diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")), &mut conn)
            .unwrap();
    n.n
}

/// An agency KOTA-PKY with its admin, and another agency with its own admin.
struct Setup {
    app: TestApp,
    admin: TestUser,
    other_admin: TestUser,
    agency: Uuid,
}

async fn setup() -> Setup {
    let app = TestApp::new().await;
    let agency = app.create_agency("KOTA-PKY");
    let other = app.create_agency("KAB-BTH");
    let admin = app.user("admin.pky", &[Role::AgencyAdmin], Some(agency), None).await;
    let other_admin = app.user("admin.bth", &[Role::AgencyAdmin], Some(other), None).await;
    Setup { app, admin, other_admin, agency }
}

const UNITS: &str = "code,name,parent_code
DISDIK-SD,Bidang Pembinaan SD,DISDIK
DISDIK,Dinas Pendidikan,
";

const POSITIONS: &str = "code,name,kind,level,unit_code
KADIS,Kepala Dinas Pendidikan,jpt_pratama,,DISDIK
KABID-SD,Kepala Bidang Pembinaan SD,administrator,,DISDIK-SD
GURU-AM,Guru Ahli Muda,fungsional,ahli_muda,DISDIK-SD
";

/// The supervisor (line 4) is defined below the subordinates that name him (lines 2 and 3).
const EMPLOYEES: &str = "nip,name,employment_type,grade,email,unit_code,position_code,supervisor_nip
198503152010012003,\"Rina Marlina, S.Pd.\",pns,III/c,rina@pky.go.id,DISDIK-SD,GURU-AM,197001011995031002
199001012015031001,Agus Salim,pns,III/a,,DISDIK-SD,,197001011995031002
197001011995031002,Drs. Bambang Wijaya,pns,IV/a,,DISDIK-SD,KABID-SD,196601011990031001
196601011990031001,Dr. Hj. Siti Aminah,pns,IV/c,,DISDIK,KADIS,
";

async fn load_org(s: &Setup) {
    for (kind, file) in [("units", UNITS), ("positions", POSITIONS), ("employees", EMPLOYEES)] {
        let reply = import(&s.app, &s.admin.token, &format!("/api/v1/imports/{kind}"), CSV, file, None).await;
        assert_eq!(reply.status, 200, "{kind}: {}", reply.text);
        assert_eq!(reply.body["inserted"], reply.body["total"], "{kind}: {}", reply.text);
    }
}

#[actix_web::test]
async fn a_file_loads_whole_with_references_further_down_and_a_rerun_changes_nothing() {
    let s = setup().await;
    load_org(&s).await;
    let app = &s.app;
    let rina = app.get("/api/v1/employees-by-nip/198503152010012003", &s.admin.token).await;
    let bambang = app.get("/api/v1/employees-by-nip/197001011995031002", &s.admin.token).await;
    assert_eq!(rina.body["supervisor_id"], bambang.body["id"], "{}", rina.text);
    assert_eq!(rina.body["name"], "Rina Marlina, S.Pd.");
    assert_eq!(rina.body["email"], "rina@pky.go.id");
    assert!(rina.body["unit_id"].is_string() && rina.body["position_id"].is_string(), "{}", rina.text);
    let units = app.get(&format!("/api/v1/agencies/{}/units", s.agency), &s.admin.token).await;
    let items = units.body["items"].as_array().unwrap();
    let disdik = items.iter().find(|u| u["code"] == "DISDIK").unwrap();
    let sd = items.iter().find(|u| u["code"] == "DISDIK-SD").unwrap();
    assert_eq!(sd["parent_id"], disdik["id"], "a parent defined below its child resolves");

    // Each record was audited as created by the admin, plus one event for each import.
    let events = app
        .get(
            &format!("/api/v1/audit-events?entity=employee&entity_id={}", rina.body["id"].as_str().unwrap()),
            &s.admin.token,
        )
        .await;
    let event = &events.body["items"][0];
    assert_eq!(event["action"], "create", "{}", events.text);
    assert_eq!(event["actor_id"], s.admin.id.to_string());
    assert_eq!(event["changes"]["nip"], serde_json::json!({"old": null, "new": "198503152010012003"}));

    let audited = count(app, "audit_events");
    let etag = rina.header("etag");
    let again = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, EMPLOYEES, None).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["total"], 4);
    assert_eq!(again.body["inserted"], 0);
    assert_eq!(again.body["updated"], 4);
    assert_eq!(again.body["changed"], 0);
    assert_eq!(count(app, "employees"), 4);
    let rina_again = app.get("/api/v1/employees-by-nip/198503152010012003", &s.admin.token).await;
    assert_eq!(rina_again.header("etag"), etag, "an unchanged row is not written");
    assert_eq!(count(app, "audit_events"), audited + 1, "only the import's own event");

    // A changed grade is an update of that one record, audited with old and new.
    let changed = EMPLOYEES.replace("Agus Salim,pns,III/a", "Agus Salim,pns,III/b");
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, &changed, None).await;
    assert_eq!((reply.body["updated"].as_i64(), reply.body["changed"].as_i64()), (Some(4), Some(1)), "{}", reply.text);
    let agus = app.get("/api/v1/employees-by-nip/199001012015031001", &s.admin.token).await;
    assert_eq!(agus.body["grade"], "III/b");
    let events = app
        .get(
            &format!("/api/v1/audit-events?entity=employee&entity_id={}", agus.body["id"].as_str().unwrap()),
            &s.admin.token,
        )
        .await;
    let last = events.body["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "update");
    assert_eq!(last["changes"], serde_json::json!({"grade": {"old": "III/a", "new": "III/b"}}));
}

#[actix_web::test]
async fn one_bad_row_in_the_middle_writes_nothing_and_every_error_is_listed() {
    let s = setup().await;
    let app = &s.app;
    let file = "nip,name,employment_type,grade
198503152010012003,Rina Marlina,pns,III/c
123,Agus Salim,pns,III/a
197001011995031002,Bambang Wijaya,pns,V/z
196601011990031001,Siti Aminah,pns,IV/c
199001012015031001,Agus Salim,pns,III/a,extra
";
    let before = count(app, "audit_events");
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, file, None).await;
    reply.assert_problem(422, "invalid_rows");
    assert_eq!(reply.body["total"], 5);
    assert_eq!(reply.body["rejected"], 3);
    assert_eq!(reply.body["inserted"], 0);
    let errors = reply.body["errors"].as_array().unwrap();
    assert_eq!(reply.body["error_count"], errors.len() as i64);
    assert_eq!((errors[0]["line"].as_i64(), errors[0]["field"].as_str()), (Some(3), Some("nip")), "{}", reply.text);
    assert_eq!(
        (errors[1]["line"].as_i64(), errors[1]["code"].as_str()),
        (Some(4), Some("invalid_grade")),
        "{}",
        reply.text
    );
    assert_eq!(count(app, "employees"), 0, "nothing written");
    assert_eq!(count(app, "audit_events"), before, "nothing audited");

    // NDJSON: a broken line and an unknown field are row errors too.
    let ndjson = "{\"nip\": \"198503152010012003\", \"name\": \"Rina\", \"employment_type\": \"pns\"}\n{\"nip\": \n{\"nip\": \"199001012015031001\", \"name\": \"Agus\", \"employment_type\": \"pns\", \"shoe_size\": 42}\n";
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", NDJSON, ndjson, None).await;
    reply.assert_problem(422, "invalid_rows");
    let codes: Vec<(i64, &str)> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, vec![(2, "malformed_json"), (3, "unknown_field")]);
    assert_eq!(count(app, "employees"), 0);

    // A header with an unknown column or without a required one is refused at once.
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, "nip,nama\n1,x\n", None).await;
    reply.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(
        fields.contains(&"nama") && fields.contains(&"name") && fields.contains(&"employment_type"),
        "{}",
        reply.text
    );

    // Neither CSV nor NDJSON.
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", "application/json", "[]", None).await;
    reply.assert_problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn duplicates_unknown_references_and_loops_are_refused_with_their_lines() {
    let s = setup().await;
    load_org(&s).await;
    let app = &s.app;
    let before = count(app, "employees");
    let file = "nip,name,employment_type,unit_code,supervisor_nip
199203042019032001,Dewi Lestari,pns,DISDIK-SD,
199105052018031002,Budi Santoso,pns,NOWHERE,199912312020121001
199203042019032001,Dewi Lestari (again),pns,DISDIK-SD,
";
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, file, None).await;
    reply.assert_problem(422, "invalid_rows");
    let errors = reply.body["errors"].as_array().unwrap();
    let find = |line: i64, field: &str| errors.iter().find(|e| e["line"] == line && e["field"] == field).cloned();
    let first = find(2, "nip").expect("line 2 names its twin");
    assert_eq!(first["code"], "duplicate_in_file");
    assert!(first["message"].as_str().unwrap().contains("line 4"), "{first}");
    assert!(find(4, "nip").unwrap()["message"].as_str().unwrap().contains("line 2"));
    assert_eq!(find(3, "unit_code").unwrap()["code"], "not_found");
    assert_eq!(find(3, "supervisor_nip").unwrap()["code"], "not_found");

    // A loop closed by the file: Bambang (stored) now reports to Rina, who reports to Bambang.
    let file = "nip,name,employment_type,supervisor_nip
197001011995031002,Drs. Bambang Wijaya,pns,198503152010012003
";
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, file, None).await;
    reply.assert_problem(422, "invalid_rows");
    assert_eq!(reply.body["errors"][0]["code"], "supervisor_cycle", "{}", reply.text);
    assert_eq!(reply.body["errors"][0]["line"], 2);
    // A loop within the file, and someone supervising themself.
    let file = "nip,name,employment_type,supervisor_nip
199203042019032001,Dewi Lestari,pns,199105052018031002
199105052018031002,Budi Santoso,pns,199203042019032001
199912312020121001,Ani Wulandari,pns,199912312020121001
";
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, file, None).await;
    reply.assert_problem(422, "invalid_rows");
    let lines: Vec<i64> =
        reply.body["errors"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![2, 3, 4], "{}", reply.text);
    // Units loop too.
    let reply = import(
        app,
        &s.admin.token,
        "/api/v1/imports/units",
        CSV,
        "code,name,parent_code\nDISDIK,Dinas Pendidikan,DISDIK-SD\n",
        None,
    )
    .await;
    reply.assert_problem(422, "invalid_rows");
    assert_eq!(reply.body["errors"][0]["code"], "unit_cycle");
    assert_eq!(count(app, "employees"), before, "nothing written");
}

#[actix_web::test]
async fn dry_runs_write_nothing_and_keys_replay_the_first_answer() {
    let s = setup().await;
    let app = &s.app;
    let reply = import(app, &s.admin.token, "/api/v1/imports/units?dry_run=true", CSV, UNITS, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!((reply.body["dry_run"].as_bool(), reply.body["inserted"].as_i64()), (Some(true), Some(2)));
    assert_eq!(count(app, "units"), 0);

    let first = import(app, &s.admin.token, "/api/v1/imports/units", CSV, UNITS, Some("units-2026-11-23")).await;
    assert_eq!(first.body["inserted"], 2, "{}", first.text);
    let retry = import(app, &s.admin.token, "/api/v1/imports/units", CSV, UNITS, Some("units-2026-11-23")).await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.body, first.body, "a retry replays the first answer");
    assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
    let other =
        import(app, &s.admin.token, "/api/v1/imports/units", CSV, "code,name\nX,Y\n", Some("units-2026-11-23")).await;
    other.assert_problem(422, "idempotency_key_reused");
    assert_eq!(count(app, "units"), 2);
    // Without the key the same file is simply a re-run.
    let rerun = import(app, &s.admin.token, "/api/v1/imports/units", CSV, UNITS, None).await;
    assert_eq!((rerun.body["inserted"].as_i64(), rerun.body["updated"].as_i64()), (Some(0), Some(2)));
}

#[actix_web::test]
async fn twenty_concurrent_imports_with_one_key_run_once() {
    let s = setup().await;
    let app = &s.app;
    let calls = (0..20).map(|_| import(app, &s.admin.token, "/api/v1/imports/units", CSV, UNITS, Some("units-once")));
    let replies = futures_util::future::join_all(calls).await;
    let ran: Vec<&Reply> =
        replies.iter().filter(|r| r.status == 200 && r.header("idempotent-replayed").is_none()).collect();
    assert_eq!(ran.len(), 1, "one of the twins runs: {:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    for reply in &replies {
        if reply.header("idempotent-replayed").is_some() {
            assert_eq!(reply.body, ran[0].body, "a replay is the first answer");
        } else if reply.status != 200 {
            reply.assert_problem(409, "idempotency_key_in_use");
        }
    }
    assert_eq!(app.number("SELECT count(*) AS n FROM audit_events WHERE entity = 'import'"), 1, "one import ran");
    assert_eq!(app.number("SELECT count(*) AS n FROM events WHERE event_type = 'import.finished'"), 1, "one event");
    let told = app.first_event(&s.admin.token, "import.finished", "ImportFinishedEvent").await;
    assert_eq!(told["data"]["changes"]["kind"], "units", "{told}");
    // Once it has finished, the key replays.
    let retry = import(app, &s.admin.token, "/api/v1/imports/units", CSV, UNITS, Some("units-once")).await;
    assert_eq!((retry.status.as_u16(), retry.header("idempotent-replayed").as_deref()), (200, Some("true")));
    assert_eq!(retry.body, ran[0].body);
    // A file refused as a whole frees its key: the mended file runs under it.
    let refused =
        import(app, &s.admin.token, "/api/v1/imports/units", CSV, "nonsense\nx\n", Some("units-mended")).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let mended = import(app, &s.admin.token, "/api/v1/imports/units", CSV, UNITS, Some("units-mended")).await;
    assert_eq!((mended.status.as_u16(), mended.header("idempotent-replayed")), (200, None), "{}", mended.text);
}

#[actix_web::test]
async fn a_file_of_one_row_repeated_is_checked_in_one_pass_with_a_bounded_answer() {
    let s = setup().await;
    let app = &s.app;
    // 20,000 copies of one employee: each used to name every other line (a 120 MB answer).
    let mut file = String::from("nip,name,employment_type\n");
    for _ in 0..20_000 {
        file.push_str("198503152010012003,Rina Marlina,pns\n");
    }
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees?dry_run=true", CSV, &file, None).await;
    reply.assert_problem(422, "invalid_rows");
    assert_eq!(reply.body["error_count"], 20_000, "every copy is counted");
    assert_eq!(reply.body["errors"].as_array().unwrap().len(), 1000, "the first 1,000 are listed");
    assert!(reply.bytes.len() < 200_000, "a bounded answer: {} bytes", reply.bytes.len());
    let errors = reply.body["errors"].as_array().unwrap();
    assert_eq!(errors[0]["message"], "NIP 198503152010012003 is also on line 3 and 19998 more");
    assert_eq!(errors[1]["message"], "NIP 198503152010012003 is also on line 2");

    // A value of 50,000 characters is named, shortened, in its message.
    let long_unit = "U".repeat(50_000);
    let file = format!("nip,name,employment_type,unit_code\n198503152010012003,Rina,pns,{long_unit}\n");
    let reply = import(app, &s.admin.token, "/api/v1/imports/employees?dry_run=true", CSV, &file, None).await;
    reply.assert_problem(422, "invalid_rows");
    let message = reply.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.chars().count() <= 201 && message.ends_with('…'), "{message}");
}

#[actix_web::test]
async fn a_header_of_many_unknown_columns_lists_at_most_a_thousand() {
    let s = setup().await;
    let columns: Vec<String> = (0..20_000).map(|i| format!("kolom_{i}")).collect();
    let file = format!("nip,name,{}\n198503152010012003,Rina\n", columns.join(","));
    let reply = import(&s.app, &s.admin.token, "/api/v1/imports/employees", CSV, &file, None).await;
    reply.assert_problem(422, "validation_failed");
    let errors = reply.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1000, "{}", &reply.text[..200]);
    // The missing column comes first, the count of the rest last.
    assert_eq!((errors[0]["field"].as_str(), errors[0]["code"].as_str()), (Some("employment_type"), Some("required")));
    assert_eq!(errors[999]["code"], "too_many_errors");
    assert_eq!(errors[999]["message"], "19002 more columns are refused");
    assert!(reply.bytes.len() < 200_000, "a bounded answer: {} bytes", reply.bytes.len());
}

#[actix_web::test]
async fn a_body_declared_over_the_limit_is_refused_before_it_is_read() {
    let s = setup().await;
    let req = TestRequest::post()
        .uri("/api/v1/imports/employees")
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", s.admin.token)))
        .insert_header((header::CONTENT_TYPE, CSV))
        .insert_header((header::CONTENT_LENGTH, "524288000"));
    let reply = s.app.call(req).await;
    reply.assert_problem(413, "payload_too_large");
    assert!(reply.body["detail"].as_str().unwrap().contains("268435456"), "{}", reply.text);
    // A workbook is read whole, so its limit is lower.
    let req = TestRequest::post()
        .uri("/api/v1/imports/employees")
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", s.admin.token)))
        .insert_header((header::CONTENT_TYPE, XLSX))
        .insert_header((header::CONTENT_LENGTH, "40000000"));
    s.app.call(req).await.assert_problem(413, "payload_too_large");
    assert_eq!(s.app.number("SELECT count(*) AS n FROM audit_events WHERE entity = 'import'"), 0, "nothing ran");
}

#[actix_web::test]
async fn only_importers_of_the_agency_may_import() {
    let s = setup().await;
    let app = &s.app;
    let employee = app.create_employee(s.agency, "198503152010012003", "Rina Marlina");
    let rina = app.user("rina", &[Role::Employee], Some(s.agency), Some(employee)).await;
    let auditor = app.user("auditor.pky", &[Role::Auditor], Some(s.agency), None).await;
    for token in [&rina.token, &auditor.token] {
        import(app, token, "/api/v1/imports/units", CSV, UNITS, None).await.assert_problem(403, "forbidden");
    }
    // Another agency's admin cannot reach KOTA-PKY by naming it.
    let file = "agency_code,code,name\nKOTA-PKY,DISDIK,Dinas Pendidikan\n";
    let reply = import(app, &s.other_admin.token, "/api/v1/imports/units", CSV, file, None).await;
    reply.assert_problem(422, "invalid_rows");
    assert_eq!(reply.body["errors"][0]["field"], "agency_code");
    assert_eq!(count(app, "units"), 0);
    // An employee registered in another agency keeps their place.
    let file = "nip,name,employment_type\n198503152010012003,Rina Marlina,pns\n";
    let reply = import(app, &s.other_admin.token, "/api/v1/imports/employees", CSV, file, None).await;
    reply.assert_problem(422, "invalid_rows");
    assert_eq!(reply.body["errors"][0]["code"], "duplicate_nip");
    // A super admin names the agency on each row.
    let root = app.super_admin().await;
    let reply = import(app, &root.token, "/api/v1/imports/units", CSV, "code,name\nDISDIK,Dinas\n", None).await;
    assert_eq!(reply.body["errors"][0]["code"], "required", "{}", reply.text);
    let reply = import(
        app,
        &root.token,
        "/api/v1/imports/units",
        CSV,
        "agency_code,code,name\nKAB-BTH,SETDA,Sekretariat Daerah\n",
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["inserted"], 1);
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[1..].sort();
    lines
}

#[actix_web::test]
async fn what_is_exported_imports_back_unchanged() {
    let s = setup().await;
    load_org(&s).await;
    let app = &s.app;
    for (kind, file) in [("units", UNITS), ("positions", POSITIONS), ("employees", EMPLOYEES)] {
        let csv = app.get(&format!("/api/v1/exports/{kind}?agency_id={}", s.agency), &s.admin.token).await;
        assert_eq!(csv.status, 200, "{}", csv.text);
        assert_eq!(csv.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
        // The same records as the file that loaded them, with the agency named on each row.
        let expected: Vec<String> = file
            .lines()
            .enumerate()
            .map(|(i, line)| if i == 0 { format!("agency_code,{line}") } else { format!("KOTA-PKY,{line}") })
            .collect();
        let mut expected_sorted = expected.clone();
        expected_sorted[1..].sort();
        assert_eq!(sorted_lines(&csv.text), expected_sorted, "{kind}");
        let back = import(app, &s.admin.token, &format!("/api/v1/imports/{kind}"), CSV, &csv.text, None).await;
        assert_eq!(
            (back.body["inserted"].as_i64(), back.body["changed"].as_i64()),
            (Some(0), Some(0)),
            "{}",
            back.text
        );

        let ndjson =
            app.get(&format!("/api/v1/exports/{kind}?agency_id={}&format=ndjson", s.agency), &s.admin.token).await;
        assert_eq!(ndjson.text.lines().count(), expected.len() - 1);
        let back = import(app, &s.admin.token, &format!("/api/v1/imports/{kind}"), NDJSON, &ndjson.text, None).await;
        assert_eq!(
            (back.body["updated"].as_i64(), back.body["changed"].as_i64()),
            (Some(expected.len() as i64 - 1), Some(0)),
            "{}",
            back.text
        );
    }
    // Who may not: another agency's admin sees no such agency; an employee may read the structure
    // but not everyone's records.
    let path = format!("/api/v1/exports/employees?agency_id={}", s.agency);
    app.get(&path, &s.other_admin.token).await.assert_problem(404, "not_found");
    let rina = app.get("/api/v1/employees-by-nip/198503152010012003", &s.admin.token).await;
    let rina_id: Uuid = rina.body["id"].as_str().unwrap().parse().unwrap();
    let rina = app.user("rina", &[Role::Employee], Some(s.agency), Some(rina_id)).await;
    app.get(&path, &rina.token).await.assert_problem(403, "forbidden");
    let units = app.get(&format!("/api/v1/exports/units?agency_id={}", s.agency), &rina.token).await;
    assert_eq!(units.status, 200);
}

#[actix_web::test]
async fn an_upload_that_breaks_off_leaves_nothing_behind() {
    let s = setup().await;
    let app = &s.app;
    let head = &UNITS[..40];
    let pieces: Vec<Result<actix_web::web::Bytes, actix_web::error::PayloadError>> =
        vec![Ok(head.as_bytes().to_vec().into()), Err(actix_web::error::PayloadError::Incomplete(None))];
    let stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = _>>> = Box::pin(futures_util::stream::iter(pieces));
    let body = actix_web::dev::Payload::Stream { payload: stream };
    let req = TestRequest::post()
        .uri("/api/v1/imports/units")
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", s.admin.token)))
        .insert_header((header::CONTENT_TYPE, CSV));
    let reply = app.call_with_body(req, Some(body)).await;
    reply.assert_problem(400, "upload_failed");
    assert_eq!(count(app, "units"), 0, "nothing of the first rows was kept");
    // The import's slot and connection were given back: the next imports run.
    for _ in 0..3 {
        let reply = import(app, &s.admin.token, "/api/v1/imports/units", CSV, UNITS, None).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    assert_eq!(count(app, "units"), 2);
}

#[actix_web::test]
async fn positions_follow_the_single_record_rules() {
    let s = setup().await;
    let app = &s.app;
    let file = "code,name,kind,level
GURU-AM,Guru Ahli Muda,fungsional,
KASI,Kepala Seksi,pengawas,ahli_muda
ANALIS,Analis Kebijakan,fungsional,ahli_agung
X,Jabatan Baru,menteri,
OK-1,Penata Laksana,pelaksana,
";
    let reply = import(app, &s.admin.token, "/api/v1/imports/positions", CSV, file, None).await;
    reply.assert_problem(422, "invalid_rows");
    let found: Vec<(i64, &str, &str)> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, "level", "required"),
            (3, "level", "not_allowed"),
            (4, "level", "invalid_value"),
            (5, "kind", "invalid_value"),
        ],
        "{}",
        reply.text
    );
    assert_eq!(count(app, "positions"), 0);
}

#[actix_web::test]
async fn a_periods_ratings_export_with_the_rater_by_nip() {
    let s = setup().await;
    load_org(&s).await;
    let app = &s.app;
    let (period, plan) = (Uuid::now_v7(), Uuid::now_v7());
    app.sql(&format!(
        "INSERT INTO periods (id, agency_id, name, starts_on, ends_on, cadence, rule_set)
         VALUES ('{period}', '{}', 'SKP 2026', '2026-01-01', '2026-12-31', 'annual', 'permenpanrb-6-2022')",
        s.agency
    ));
    app.sql(&format!(
        "WITH rina AS (SELECT id, supervisor_id, unit_id FROM employees WHERE nip = '198503152010012003'),
         plan AS (INSERT INTO performance_plans (id, agency_id, employee_id, period_id, approach, status, rater_id)
                  SELECT '{plan}', '{agency}', id, '{period}', 'kuantitatif', 'rated', supervisor_id FROM rina RETURNING id)
         INSERT INTO final_ratings (plan_id, agency_id, period_id, employee_id, unit_id, result_rating, behaviour_rating,
                                    rated_predikat, predikat, explanation, rated_by, rated_at)
         SELECT plan.id, '{agency}', '{period}', rina.id, rina.unit_id, 'di_atas_ekspektasi', 'sesuai_ekspektasi',
                'baik', 'sangat_baik', '{{}}', rina.supervisor_id, '2026-12-20T03:00:00Z' FROM plan, rina",
        agency = s.agency
    ));
    let path = format!("/api/v1/exports/ratings?agency_id={}&period_id={period}", s.agency);
    let csv = app.get(&path, &s.admin.token).await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(
        csv.text,
        "nip,name,unit_code,result_rating,behaviour_rating,rated_predikat,predikat,rater_nip,rated_at\n\
         198503152010012003,\"Rina Marlina, S.Pd.\",DISDIK-SD,di_atas_ekspektasi,sesuai_ekspektasi,baik,sangat_baik,\
         197001011995031002,2026-12-20T03:00:00Z\n"
    );
    let ndjson = app.get(&format!("{path}&format=ndjson"), &s.admin.token).await;
    let record: serde_json::Value = serde_json::from_str(ndjson.text.trim()).unwrap();
    assert_eq!(record["predikat"], "sangat_baik");
    // Another agency's admin sees no such period; an employee may not read everyone's ratings.
    app.get(&path, &s.other_admin.token).await.assert_problem(404, "not_found");
    let rina: Uuid = app.get("/api/v1/employees-by-nip/198503152010012003", &s.admin.token).await.body["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let rina = app.user("rina", &[Role::Employee], Some(s.agency), Some(rina)).await;
    app.get(&path, &rina.token).await.assert_problem(403, "forbidden");
}

/// The national dictionary and an agency's own technical competency T-KUR.
async fn load_competencies(s: &Setup) {
    kinerja_api::admin::competency_seed::seed(&s.app.state.db).await.unwrap();
    let levels: Vec<serde_json::Value> = (1..=5)
        .map(|l| serde_json::json!({"level": l, "description": format!("Level {l}"), "indicators": ["Perilaku"]}))
        .collect();
    let own = serde_json::json!({"code": "T-KUR", "name": "Pengembangan Kurikulum", "group": "teknis",
                                 "agency_id": s.agency, "levels": levels});
    let created = s.app.post("/api/v1/competencies", &s.admin.token, own).await;
    assert_eq!(created.status, 201, "{}", created.text);
}

const STANDARDS: &str = "position_code,competency_code,required_level
GURU-AM,M-INT,3
GURU-AM,T-KUR,4
KABID-SD,M-INT,4
KABID-SD,M-KS,3
";

#[actix_web::test]
async fn a_file_sets_each_named_positions_standard_whole() {
    let s = setup().await;
    load_org(&s).await;
    load_competencies(&s).await;
    let (app, t) = (&s.app, &s.admin.token);
    let path = "/api/v1/imports/competency-requirements";
    let positions = app.get(&format!("/api/v1/agencies/{}/positions", s.agency), t).await;
    let id_of = |code: &str| {
        positions.body["items"].as_array().unwrap().iter().find(|p| p["code"] == code).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (guru, kabid, kadis) = (id_of("GURU-AM"), id_of("KABID-SD"), id_of("KADIS"));
    let standard = |id: String| async move {
        let reply = app.get(&format!("/api/v1/positions/{id}/competency-requirements"), t).await;
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["code"].as_str().unwrap().to_owned(),
                    r["required_level"].as_i64().unwrap(),
                    r["from_default"].as_bool().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let kadis_before = standard(kadis.clone()).await;

    let loaded = import(app, t, path, CSV, STANDARDS, None).await;
    assert_eq!(loaded.status, 200, "{}", loaded.text);
    assert_eq!(
        (loaded.body["total"].as_i64(), loaded.body["inserted"].as_i64()),
        (Some(4), Some(2)),
        "{}",
        loaded.text
    );
    // The agency's own code resolves before the national dictionary; positions not named keep theirs.
    assert_eq!(standard(guru.clone()).await, vec![("M-INT".into(), 3, false), ("T-KUR".into(), 4, false)]);
    assert_eq!(standard(kabid.clone()).await, vec![("M-INT".into(), 4, false), ("M-KS".into(), 3, false)]);
    assert_eq!(standard(kadis).await, kadis_before);
    let events = app.get(&format!("/api/v1/audit-events?entity=competency_standard&entity_id={guru}"), t).await;
    let event = &events.body["items"][0];
    assert_eq!(event["action"], "replace", "{}", events.text);
    assert_eq!(event["changes"]["requirements"]["new"][1]["code"], "T-KUR", "{}", events.text);
    assert!(event["changes"]["requirements"]["old"].as_array().unwrap().iter().all(|r| r["from_default"] == true));

    // A re-run changes nothing; a file naming GURU-AM again sets it whole (M-INT dropped).
    let audited = count(app, "audit_events");
    let again = import(app, t, path, CSV, STANDARDS, None).await;
    assert_eq!((again.body["updated"].as_i64(), again.body["changed"].as_i64()), (Some(2), Some(0)), "{}", again.text);
    assert_eq!(count(app, "audit_events"), audited + 1, "only the import's own event");
    let narrower = "position_code,competency_code,required_level\nGURU-AM,T-KUR,5\nGURU-AM,M-KOM,2\n";
    let replaced = import(app, t, path, CSV, narrower, None).await;
    assert_eq!(
        (replaced.body["updated"].as_i64(), replaced.body["changed"].as_i64()),
        (Some(1), Some(1)),
        "{}",
        replaced.text
    );
    assert_eq!(standard(guru.clone()).await, vec![("M-KOM".into(), 2, false), ("T-KUR".into(), 5, false)]);
    assert_eq!(standard(kabid).await, vec![("M-INT".into(), 4, false), ("M-KS".into(), 3, false)]);

    // Every bad line is named and nothing changes.
    let bad = "position_code,competency_code,required_level
GURU-AM,M-INT,6
GURU-AM,X-NONE,2
NO-SUCH,M-INT,2
GURU-AM,M-KS,2
GURU-AM,M-KS,3
";
    let refused = import(app, t, path, CSV, bad, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(
        line_errors(&refused),
        vec![
            (2, "required_level".into(), "out_of_range".into()),
            (3, "competency_code".into(), "not_found".into()),
            (4, "position_code".into(), "not_found".into()),
            (5, "competency_code".into(), "duplicate_in_file".into()),
            (6, "competency_code".into(), "duplicate_in_file".into()),
        ],
        "{}",
        refused.text
    );
    assert_eq!(standard(guru.clone()).await, vec![("M-KOM".into(), 2, false), ("T-KUR".into(), 5, false)]);

    // The export names the agency's own standards only, and imports back unchanged.
    let csv = app.get(&format!("/api/v1/exports/competency-requirements?agency_id={}", s.agency), t).await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let mut lines: Vec<&str> = csv.text.lines().collect();
    lines[1..].sort();
    assert_eq!(
        lines,
        vec![
            "agency_code,position_code,competency_code,required_level",
            "KOTA-PKY,GURU-AM,M-KOM,2",
            "KOTA-PKY,GURU-AM,T-KUR,5",
            "KOTA-PKY,KABID-SD,M-INT,4",
            "KOTA-PKY,KABID-SD,M-KS,3",
        ]
    );
    let back = import(app, t, path, CSV, &csv.text, None).await;
    assert_eq!((back.body["updated"].as_i64(), back.body["changed"].as_i64()), (Some(2), Some(0)), "{}", back.text);

    // Who may not: another agency's admin cannot name this agency, nor see its export.
    let theirs = format!("agency_code,{}", STANDARDS.replace('\n', "\nKOTA-PKY,").trim_end_matches("KOTA-PKY,"));
    let refused = import(app, &s.other_admin.token, path, CSV, &theirs, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(refused.body["errors"][0]["field"], "agency_code", "{}", refused.text);
    let path = format!("/api/v1/exports/competency-requirements?agency_id={}", s.agency);
    app.get(&path, &s.other_admin.token).await.assert_problem(404, "not_found");
}

/// A quarterly period of 2026 in the agency.
async fn quarterly_period(s: &Setup) -> String {
    s.app.open_period(&s.admin.token, s.agency, 2026, "quarterly").await
}

/// Each employee's results, one line per indicator; Rina's and Bambang's parents are results of
/// their rating official's plan further down the file. Siti is JPT: her result has a perspective.
const RESULTS: &str = "nip,approach,result_kind,result,parent_result,perspective,indicator,aspect,target_value,target_unit,target_text
198503152010012003,,utama,Meningkatnya mutu pembelajaran kelas,Meningkatnya mutu SD,,Nilai rata-rata rapor,kualitas,80,nilai,
198503152010012003,,utama,Meningkatnya mutu pembelajaran kelas,Meningkatnya mutu SD,,Modul ajar disusun,kuantitas,12,modul,
197001011995031002,,utama,Meningkatnya mutu SD,Meningkatnya mutu layanan pendidikan,,Sekolah terakreditasi A,kuantitas,90,persen,
196601011990031001,,utama,Meningkatnya mutu layanan pendidikan,,penerima_layanan,Indeks kepuasan masyarakat,kualitas,85.5,indeks,
";

#[actix_web::test]
async fn a_file_of_results_sets_each_plan_whole_with_cascades_and_starts_missing_plans() {
    let s = setup().await;
    load_org(&s).await;
    let (app, t) = (&s.app, &s.admin.token);
    let period = quarterly_period(&s).await;
    let path = format!("/api/v1/imports/performance-results?period_id={period}");
    let plan_of = |nip: &'static str| {
        let period = period.clone();
        async move {
            let employee = app.get(&format!("/api/v1/employees-by-nip/{nip}"), t).await;
            let id = employee.body["id"].as_str().unwrap().to_owned();
            let list = app.get(&format!("/api/v1/performance-plans?employee_id={id}&period_id={period}"), t).await;
            let plan = list.body["items"][0]["id"].as_str().unwrap().to_owned();
            app.get(&format!("/api/v1/performance-plans/{plan}"), t).await
        }
    };

    let loaded = import(app, t, &path, CSV, RESULTS, None).await;
    assert_eq!(loaded.status, 200, "{}", loaded.text);
    assert_eq!(
        (loaded.body["total"].as_i64(), loaded.body["inserted"].as_i64()),
        (Some(4), Some(3)),
        "{}",
        loaded.text
    );
    // Plans were started as drafts rated by the supervisor; results cascade from the rater's.
    let rina = plan_of("198503152010012003").await;
    let bambang = plan_of("197001011995031002").await;
    assert_eq!(rina.body["status"], "draft", "{}", rina.text);
    assert_eq!(rina.body["approach"], "kuantitatif");
    assert_eq!(rina.body["rater"]["nip"], "197001011995031002", "{}", rina.text);
    assert_eq!(rina.body["behaviour_expectations"].as_array().unwrap().len(), 7);
    let result = &rina.body["results"][0];
    assert_eq!(result["indicators"].as_array().unwrap().len(), 2, "{}", rina.text);
    assert_eq!(result["indicators"][1]["target_value"], 12.0);
    assert_eq!(result["parent_result_id"], bambang.body["results"][0]["id"], "{}", bambang.text);
    let events =
        app.get(&format!("/api/v1/audit-events?entity=plan&entity_id={}", rina.body["id"].as_str().unwrap()), t).await;
    let actions: Vec<&str> =
        events.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "create").count(), 1, "{}", events.text);
    assert_eq!(actions.iter().filter(|a| **a == "add_result").count(), 1, "{}", events.text);

    // A re-run changes nothing, not even the plans' ETags.
    let etag = rina.header("etag");
    let audited = count(app, "audit_events");
    let again = import(app, t, &path, CSV, RESULTS, None).await;
    assert_eq!(
        (again.body["updated"].as_i64(), again.body["changed"].as_i64(), again.body["deleted"].as_i64()),
        (Some(3), Some(0), Some(0)),
        "{}",
        again.text
    );
    assert_eq!(count(app, "audit_events"), audited + 1);
    assert_eq!(plan_of("198503152010012003").await.header("etag"), etag);

    // Bambang's result cannot be left out while Rina's (not in the file) cascades from it; with
    // Rina in the file, pointing elsewhere, it can — and her changed target is one update.
    let bambang_only = "nip,result_kind,result,indicator,aspect,target_value
197001011995031002,utama,Terbinanya guru SD,Guru tersertifikasi,kuantitas,75
";
    let refused = import(app, t, &path, CSV, bambang_only, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(refused.body["errors"][0]["code"], "result_has_cascades", "{}", refused.text);
    let both = "nip,result_kind,result,parent_result,indicator,aspect,target_value
197001011995031002,utama,Terbinanya guru SD,,Guru tersertifikasi,kuantitas,75
198503152010012003,utama,Meningkatnya mutu pembelajaran kelas,Terbinanya guru SD,Nilai rata-rata rapor,kualitas,82
198503152010012003,utama,Meningkatnya mutu pembelajaran kelas,Terbinanya guru SD,Modul ajar disusun,kuantitas,12
";
    let moved = import(app, t, &path, CSV, both, None).await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(
        (moved.body["inserted"].as_i64(), moved.body["changed"].as_i64(), moved.body["deleted"].as_i64()),
        (Some(1), Some(1), Some(1)),
        "{}",
        moved.text
    );
    let rina_after = plan_of("198503152010012003").await;
    let bambang_after = plan_of("197001011995031002").await;
    assert_eq!(rina_after.body["results"][0]["id"], result["id"], "matched by description, the id stays");
    assert_eq!(rina_after.body["results"][0]["parent_result_id"], bambang_after.body["results"][0]["id"]);
    assert_eq!(rina_after.body["results"][0]["indicators"][0]["target_value"], 82.0);
    assert_eq!(bambang_after.body["results"].as_array().unwrap().len(), 1, "{}", bambang_after.text);
    let events = app
        .get(&format!("/api/v1/audit-events?entity=plan&entity_id={}", bambang_after.body["id"].as_str().unwrap()), t)
        .await;
    // (Events of one import share its millisecond, so they are found by action, not by order.)
    let items = events.body["items"].as_array().unwrap();
    let deleted = items.iter().find(|e| e["action"] == "delete_result").expect("a delete_result event");
    assert_eq!(deleted["changes"]["description"], "Meningkatnya mutu SD", "{}", events.text);

    // The single endpoint's rules, by line: targets by approach, JPT perspective, parents, codes.
    let bad = "nip,approach,result_kind,result,parent_result,perspective,indicator,aspect,target_value,target_unit,target_text
198503152010012003,,utama,Meningkatnya mutu pembelajaran kelas,Tidak ada,,Nilai,kualitas,80,nilai,
196601011990031001,,utama,Layanan,,,Indeks,kualitas,,indeks,
199001012015031001,kualitatif,pokok,Administrasi,,,Surat,kualitas,,,
199001012015031001,kuantitatif,utama,Administrasi,,,Arsip,waktu,3,hari,
199999999999999999,,utama,X,,,Y,kualitas,1,,
";
    let refused = import(app, t, &path, CSV, bad, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(
        line_errors(&refused),
        vec![
            (2, "parent_result".into(), "invalid_parent_result".into()),
            (3, "perspective".into(), "required".into()),
            (3, "target_value".into(), "required".into()),
            (4, "result_kind".into(), "invalid_value".into()),
            (4, "target_text".into(), "required".into()),
            (5, "approach".into(), "inconsistent_plan".into()),
            (6, "nip".into(), "not_found".into()),
        ],
        "{}",
        refused.text
    );

    // A plan past draft is not edited by a file; the export of the drafts imports back unchanged.
    let exported =
        app.get(&format!("/api/v1/exports/performance-results?agency_id={}&period_id={period}", s.agency), t).await;
    assert_eq!(exported.status, 200, "{}", exported.text);
    assert_eq!(exported.text.lines().count(), 1 + 4, "{}", exported.text);
    let back = import(app, t, &path, CSV, &exported.text, None).await;
    assert_eq!((back.body["updated"].as_i64(), back.body["changed"].as_i64()), (Some(3), Some(0)), "{}", back.text);
    app.sql(&format!(
        "UPDATE performance_plans SET status = 'submitted' WHERE id = '{}'",
        rina_after.body["id"].as_str().unwrap()
    ));
    let refused = import(app, t, &path, CSV, &exported.text, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(refused.body["errors"][0]["code"], "invalid_transition", "{}", refused.text);

    // Who may not: another agency's admin does not see the period or its export; a file of a
    // period needs one, and so does its export.
    let export = format!("/api/v1/exports/performance-results?agency_id={}&period_id={period}", s.agency);
    app.get(&export, &s.other_admin.token).await.assert_problem(404, "not_found");
    let unnamed = format!("/api/v1/exports/performance-results?agency_id={}", s.agency);
    app.get(&unnamed, t).await.assert_problem(422, "validation_failed");
    let refused = import(app, &s.other_admin.token, &path, CSV, RESULTS, None).await;
    refused.assert_problem(422, "validation_failed");
    let refused = import(app, t, "/api/v1/imports/performance-results", CSV, RESULTS, None).await;
    assert_eq!(refused.body["errors"][0]["field"], "period_id", "{}", refused.text);
}

const REALIZATIONS: &str = "nip,period_label,result,indicator,value,text,evidence
198503152010012003,2026-Q1,Meningkatnya mutu pembelajaran kelas,Nilai rata-rata rapor,78,Naik dari 74,\"[{\"\"url\"\":\"\"https://drive.pky.go.id/rapor-q1.pdf\"\",\"\"description\"\":\"\"Rekap rapor\"\"}]\"
198503152010012003,2026-Q1,Meningkatnya mutu pembelajaran kelas,Modul ajar disusun,4,,
";

#[actix_web::test]
async fn realisations_of_approved_plans_load_by_natural_key_until_rated() {
    let s = setup().await;
    load_org(&s).await;
    let (app, t) = (&s.app, &s.admin.token);
    let period = quarterly_period(&s).await;
    let results =
        import(app, t, &format!("/api/v1/imports/performance-results?period_id={period}"), CSV, RESULTS, None).await;
    assert_eq!(results.status, 200, "{}", results.text);
    let path = format!("/api/v1/imports/realizations?period_id={period}");

    // Only an approved plan is evaluated.
    let refused = import(app, t, &path, CSV, REALIZATIONS, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(refused.body["errors"][0]["code"], "invalid_transition", "{}", refused.text);
    app.sql("UPDATE performance_plans SET status = 'approved'");

    let loaded = import(app, t, &path, CSV, REALIZATIONS, None).await;
    assert_eq!(loaded.status, 200, "{}", loaded.text);
    assert_eq!(loaded.body["inserted"], 2, "{}", loaded.text);
    let events = app.get("/api/v1/audit-events?entity=evaluation", t).await;
    assert_eq!(events.body["items"][0]["action"], "create", "{}", events.text);
    assert_eq!(events.body["items"][0]["changes"], serde_json::json!({"period_label": "2026-Q1", "realizations": 2}));
    let evaluation_id = events.body["items"][0]["entity_id"].as_str().unwrap().to_owned();
    let rina = app.get("/api/v1/employees-by-nip/198503152010012003", t).await;
    let plans =
        app.get(&format!("/api/v1/performance-plans?employee_id={}", rina.body["id"].as_str().unwrap()), t).await;
    let plan = plans.body["items"][0]["id"].as_str().unwrap().to_owned();
    let evaluation = app.get(&format!("/api/v1/performance-plans/{plan}/evaluations/{evaluation_id}"), t).await;
    let realizations = evaluation.body["realizations"].as_array().unwrap();
    assert_eq!(realizations.len(), 2, "{}", evaluation.text);
    assert!(
        realizations.iter().any(|r| r["value"] == 78.0
            && r["text"] == "Naik dari 74"
            && r["evidence"][0]["url"] == "https://drive.pky.go.id/rapor-q1.pdf"),
        "{}",
        evaluation.text
    );

    // A re-run changes nothing; a changed value is one update, audited with old and new.
    let again = import(app, t, &path, CSV, REALIZATIONS, None).await;
    assert_eq!((again.body["updated"].as_i64(), again.body["changed"].as_i64()), (Some(2), Some(0)), "{}", again.text);
    let changed = REALIZATIONS.replace("Modul ajar disusun,4,", "Modul ajar disusun,5,");
    let updated = import(app, t, &path, CSV, &changed, None).await;
    assert_eq!(
        (updated.body["updated"].as_i64(), updated.body["changed"].as_i64()),
        (Some(2), Some(1)),
        "{}",
        updated.text
    );
    let events = app.get(&format!("/api/v1/audit-events?entity=evaluation&entity_id={evaluation_id}"), t).await;
    let last = events.body["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "update_realizations", "{}", events.text);
    assert_eq!(last["changes"]["realizations"]["old"][0]["value"], 4.0, "{}", events.text);
    assert_eq!(last["changes"]["realizations"]["new"][0]["value"], 5.0, "{}", events.text);

    // Every bad line is named: label, number, evidence, indicator, employee.
    let bad = "nip,period_label,result,indicator,value,text,evidence
198503152010012003,2026-13,Meningkatnya mutu pembelajaran kelas,Nilai rata-rata rapor,78,,
198503152010012003,2026-Q2,Meningkatnya mutu pembelajaran kelas,Nilai rata-rata rapor,tinggi,,
198503152010012003,2026-Q2,Meningkatnya mutu pembelajaran kelas,Modul ajar disusun,3,,\"[{\"\"url\"\":\"\"ftp://x\"\",\"\"description\"\":\"\"Modul\"\"}]\"
198503152010012003,2026-Q2,Meningkatnya mutu pembelajaran kelas,Tidak ada,3,,
199999999999999999,2026-Q2,X,Y,1,,
";
    let refused = import(app, t, &path, CSV, bad, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(
        line_errors(&refused),
        vec![
            (2, "period_label".into(), "invalid_period_label".into()),
            (3, "value".into(), "invalid_value".into()),
            (4, "evidence[0].url".into(), "invalid_url".into()),
            (5, "indicator".into(), "not_found".into()),
            (6, "nip".into(), "not_found".into()),
        ],
        "{}",
        refused.text
    );

    // The export imports back unchanged; once rated, a file may repeat the realisations, not change them.
    let exported = app.get(&format!("/api/v1/exports/realizations?agency_id={}&period_id={period}", s.agency), t).await;
    assert_eq!(exported.text.lines().count(), 3, "{}", exported.text);
    let back = import(app, t, &path, CSV, &exported.text, None).await;
    assert_eq!((back.body["updated"].as_i64(), back.body["changed"].as_i64()), (Some(2), Some(0)), "{}", back.text);
    let ndjson = app
        .get(&format!("/api/v1/exports/realizations?agency_id={}&period_id={period}&format=ndjson", s.agency), t)
        .await;
    let back = import(app, t, &path, NDJSON, &ndjson.text, None).await;
    assert_eq!((back.body["updated"].as_i64(), back.body["changed"].as_i64()), (Some(2), Some(0)), "{}", back.text);
    app.sql(&format!("UPDATE evaluations SET rated_at = now() WHERE id = '{evaluation_id}'"));
    let refused = import(app, t, &path, CSV, REALIZATIONS, None).await;
    refused.assert_problem(422, "invalid_rows");
    assert_eq!(refused.body["errors"][0]["code"], "already_rated", "{}", refused.text);
    let same = import(app, t, &path, CSV, &changed, None).await;
    assert_eq!(same.status, 200, "{}", same.text);

    // Who may not: an employee, even of the agency.
    let rina_id: Uuid = rina.body["id"].as_str().unwrap().parse().unwrap();
    let rina = app.user("rina", &[Role::Employee], Some(s.agency), Some(rina_id)).await;
    import(app, &rina.token, &path, CSV, &changed, None).await.assert_problem(403, "forbidden");
    let export = format!("/api/v1/exports/realizations?agency_id={}&period_id={period}", s.agency);
    app.get(&export, &rina.token).await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_file_of_results_keeps_the_limits_of_a_plan() {
    let s = setup().await;
    load_org(&s).await;
    let (app, t) = (&s.app, &s.admin.token);
    let period = quarterly_period(&s).await;
    let path = format!("/api/v1/imports/performance-results?period_id={period}");
    let header = RESULTS.lines().next().unwrap();
    let line = |result: usize, indicator: usize| {
        format!("198503152010012003,,utama,Hasil {result},,,Indikator {indicator},kuantitas,10,dokumen,")
    };
    // 51 indicators of one result: the 51st line (line 52, after the header) goes past the limit.
    let many: Vec<String> = (0..51).map(|i| line(0, i)).collect();
    let refused = import(app, t, &path, CSV, &format!("{header}\n{}\n", many.join("\n")), None).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let codes: Vec<(i64, &str)> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_i64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [(52, "too_many")], "{}", refused.text);
    // 101 results of one plan: the first line of the 101st goes past it.
    let results: Vec<String> = (0..101).map(|r| line(r, 0)).collect();
    let refused = import(app, t, &path, CSV, &format!("{header}\n{}\n", results.join("\n")), None).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        (refused.body["errors"][0]["line"].as_i64(), refused.body["errors"][0]["code"].as_str()),
        (Some(102), Some("too_many")),
        "{}",
        refused.text
    );
}

#[actix_web::test]
async fn a_formula_exports_neutralised_and_imports_back_unchanged() {
    let s = setup().await;
    load_org(&s).await;
    let app = &s.app;
    let rina = app.get("/api/v1/employees-by-nip/198503152010012003", &s.admin.token).await;
    let path = format!("/api/v1/employees/{}", rina.body["id"].as_str().unwrap());
    for name in ["=HYPERLINK(\"x\")", "'=x", "@SUM(A1)"] {
        assert_eq!(app.patch(&path, &s.admin.token, serde_json::json!({"name": name})).await.status, 200);
        let csv = app.get(&format!("/api/v1/exports/employees?agency_id={}", s.agency), &s.admin.token).await;
        let line = csv.text.lines().find(|l| l.contains("198503152010012003")).unwrap().to_owned();
        // A spreadsheet opening the file sees text, not a formula.
        let cells: Vec<&str> = line.split(',').collect();
        assert!(cells.iter().all(|c| !c.trim_start_matches('"').starts_with(['=', '+', '-', '@'])), "{line}");
        // Our own import takes the neutralisation off: nothing changes.
        let back = import(app, &s.admin.token, "/api/v1/imports/employees", CSV, &csv.text, None).await;
        assert_eq!(back.body["changed"].as_i64(), Some(0), "{name}: {}", back.text);
        assert_eq!(app.get(&path, &s.admin.token).await.body["name"], name);
    }
}

/// The same export as a workbook: a real reader finds typed cells — the NIP as text, not a
/// number — and the formula-like name as its own text in a quote-prefixed (text-only) cell.
#[actix_web::test]
async fn an_export_as_a_workbook_has_typed_cells_and_a_formula_stays_text() {
    let s = setup().await;
    load_org(&s).await;
    let app = &s.app;
    let rina = app.get("/api/v1/employees-by-nip/198503152010012003", &s.admin.token).await;
    let path = format!("/api/v1/employees/{}", rina.body["id"].as_str().unwrap());
    assert_eq!(app.patch(&path, &s.admin.token, serde_json::json!({"name": "=HYPERLINK(\"x\")"})).await.status, 200);
    let export = format!("/api/v1/exports/employees?agency_id={}&format=xlsx", s.agency);
    let reply = app.get(&export, &s.admin.token).await;
    assert!(reply.header("content-disposition").unwrap().ends_with(".xlsx\""));
    let book = crate::helpers::Workbook::of(&reply);
    assert!(book.header_frozen(), "{}", book.sheet_xml);
    let csv = app.get(&format!("/api/v1/exports/employees?agency_id={}", s.agency), &s.admin.token).await;
    let header: Vec<String> = book.cells.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header.join(","), csv.text.lines().next().unwrap(), "the columns of the CSV export, in order");
    assert_eq!(book.cells.height(), csv.text.lines().count(), "one row per record, as in the CSV");
    let row = book
        .cells
        .rows()
        .find(|r| r[1] == calamine::Data::String("198503152010012003".into()))
        .expect("the NIP as text");
    assert_eq!(row[2], calamine::Data::String("=HYPERLINK(\"x\")".into()), "the value, not a formula");
    assert!(!book.sheet_xml.contains("<f>"), "no formula anywhere");
    assert!(book.styles_xml.contains(r#"quotePrefix="1""#), "{}", book.styles_xml);
    // Another agency's admin may not have it.
    app.get(&export, &s.other_admin.token).await.assert_problem(404, "not_found");

    // The workbook imports back unchanged, formula-like name and all.
    let back = import_bytes(app, &s.admin.token, "/api/v1/imports/employees", XLSX, reply.bytes.clone(), None).await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(back.body["changed"].as_i64(), Some(0), "{}", back.text);
    assert_eq!(back.body["updated"].as_i64(), Some(csv.text.lines().count() as i64 - 1), "{}", back.text);
    assert_eq!(app.get(&path, &s.admin.token).await.body["name"], "=HYPERLINK(\"x\")");
}

/// A workbook made in a spreadsheet: numbers typed as numbers, an empty row, a bad row reported
/// by the row number the spreadsheet shows, and nothing written until every row is good.
#[actix_web::test]
async fn a_workbook_imports_like_a_csv_file() {
    use rust_xlsxwriter::Workbook;
    let s = setup().await;
    load_org(&s).await;
    let app = &s.app;
    let book = |rows: &[(&str, &str, f64)], extra: Option<&str>| {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        for (col, title) in ["position_code", "competency_code", "required_level"].iter().enumerate() {
            sheet.write_string(0, col as u16, *title).unwrap();
        }
        // Row 2 left empty, as people do.
        for (i, (position, competency, level)) in rows.iter().enumerate() {
            let row = i as u32 + 2;
            sheet.write_string(row, 0, *position).unwrap();
            sheet.write_string(row, 1, *competency).unwrap();
            sheet.write_number(row, 2, *level).unwrap();
        }
        if let Some(text) = extra {
            sheet.write_string(2, 5, text).unwrap();
        }
        workbook.save_to_buffer().unwrap()
    };
    load_competencies(&s).await;
    let code = "M-INT".to_owned();
    let path = "/api/v1/imports/competency-requirements";
    let bad = book(&[("GURU-AM", &code, 3.0), ("NO-SUCH", &code, 3.0), ("KABID-SD", &code, 9.5)], None);
    let refused = import_bytes(app, &s.admin.token, path, XLSX, bad, None).await;
    refused.assert_problem(422, "invalid_rows");
    let errors = line_errors(&refused);
    assert!(errors.iter().any(|(line, field, _)| *line == 4 && field == "position_code"), "{errors:?}");
    assert!(errors.iter().any(|(line, field, _)| *line == 5 && field == "required_level"), "{errors:?}");
    assert_eq!(count(app, "competency_requirements"), 0, "nothing written");
    let untitled =
        import_bytes(app, &s.admin.token, path, XLSX, book(&[("GURU-AM", &code, 3.0)], Some("x")), None).await;
    assert_eq!(line_errors(&untitled), [(3, "row".to_owned(), "untitled_column".to_owned())]);
    let good = import_bytes(app, &s.admin.token, path, XLSX, book(&[("GURU-AM", &code, 3.0)], None), None).await;
    assert_eq!(good.status, 200, "{}", good.text);
    assert_eq!(count(app, "competency_requirements"), 1);
    let levels = app.number("SELECT required_level::bigint AS n FROM competency_requirements");
    assert_eq!(levels, 3, "3.0 in the sheet is level 3");
    // Not a workbook at all.
    let garbage = import_bytes(app, &s.admin.token, path, XLSX, b"PK not really".to_vec(), None).await;
    garbage.assert_problem(422, "validation_failed");
    assert_eq!(garbage.body["errors"][0]["code"], "malformed_xlsx");
}

/// A client that sends every file with one content type (a generated client sends
/// `text/csv` or `application/octet-stream`) names the file's format in `format`, which has the
/// last word; bytes of no named format are refused.
#[actix_web::test]
async fn the_format_parameter_names_the_file_of_a_client_that_sends_one_content_type() {
    let s = setup().await;
    let (app, t) = (&s.app, s.admin.token.as_str());
    let ndjson = "{\"code\":\"DISDIK\",\"name\":\"Dinas Pendidikan\"}\n";
    let as_bytes =
        import(app, t, "/api/v1/imports/units?format=ndjson", "application/octet-stream", ndjson, None).await;
    assert_eq!(as_bytes.status, 200, "{}", as_bytes.text);
    assert_eq!(as_bytes.body["inserted"], 1);
    let labelled_csv = import(app, t, "/api/v1/imports/units?format=ndjson&dry_run=true", CSV, ndjson, None).await;
    assert_eq!(labelled_csv.status, 200, "the parameter has the last word: {}", labelled_csv.text);
    let unnamed = import(app, t, "/api/v1/imports/units", "application/octet-stream", UNITS, None).await;
    unnamed.assert_problem(422, "validation_failed");
    assert_eq!(unnamed.body["errors"][0]["field"], "format");
    let unknown = import(app, t, "/api/v1/imports/units?format=json", "application/octet-stream", UNITS, None).await;
    unknown.assert_problem(422, "invalid_value");
    assert_eq!(unknown.body["errors"][0]["field"], "format");
}
