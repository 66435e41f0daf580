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
    // Another agency's admin is told the agency does not exist, as for a made-up id (#14).
    app.post("/api/v1/periods", &other.token, body.clone()).await.assert_problem(404, "not_found");
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

use actix_web::http::header;
use actix_web::test::TestRequest;
use serde_json::Value;

use crate::helpers::{id_of, TestUser};

/// A kepala (JPT) → sekretaris → staff chain with logins, a period, and the kepala's plan with
/// one result to cascade from.
pub(crate) struct Skp {
    pub(crate) app: TestApp,
    pub(crate) admin: TestUser,
    pub(crate) kepala: TestUser,
    pub(crate) sekretaris: TestUser,
    pub(crate) staff: TestUser,
    pub(crate) period: String,
    pub(crate) ids: std::collections::HashMap<&'static str, String>,
    pub(crate) kepala_result: String,
}

pub(crate) async fn skp() -> Skp {
    let app = TestApp::new().await;
    let agency = app.create_agency("KOTA-PKY");
    let admin = app.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let t = admin.token.clone();
    let jpt = id_of(
        &app.post(
            &format!("/api/v1/agencies/{agency}/positions"),
            &t,
            json!({"code": "KADIS", "name": "Kepala Dinas", "kind": "jpt_pratama"}),
        )
        .await,
    );
    let mut ids = std::collections::HashMap::new();
    let mut supervisor: Option<String> = None;
    for (key, nip, name) in [
        ("kepala", "196608011988031001", "Drs. Hendra Wijaya"),
        ("sekretaris", "197204101998032004", "Sri Wahyuni"),
        ("staff", "199001012015031001", "Budi Santoso"),
    ] {
        let position = (key == "kepala").then(|| jpt.clone());
        let body = json!({"nip": nip, "name": name, "agency_id": agency, "employment_type": "pns", "supervisor_id": supervisor, "position_id": position});
        let id = id_of(&app.post("/api/v1/employees", &t, body).await);
        supervisor = Some(id.clone());
        ids.insert(key, id);
    }
    let login = |key: &'static str| {
        let app = &app;
        let id: uuid::Uuid = ids[key].parse().unwrap();
        async move { app.user(key, &[Role::Employee], Some(agency), Some(id)).await }
    };
    let (kepala, sekretaris, staff) = (login("kepala").await, login("sekretaris").await, login("staff").await);
    let period = id_of(&app
        .post("/api/v1/periods", &t, json!({"agency_id": agency, "name": "SKP 2026", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "cadence": "quarterly"}))
        .await);
    let kepala_plan = app.draft_plan(&kepala.token, &ids["kepala"], &period, "kuantitatif").await;
    let with_result = app
        .post(
            &format!("/api/v1/performance-plans/{kepala_plan}/results"),
            &kepala.token,
            json!({"kind": "utama", "description": "Meningkatnya mutu layanan pendidikan", "perspective": "penerima_layanan",
                   "indicators": [{"description": "Indeks kepuasan masyarakat", "aspect": "kualitas", "target_value": 85, "target_unit": "indeks"}]}),
        )
        .await;
    assert_eq!(with_result.status, 201, "{}", with_result.text);
    let kepala_result = with_result.body["results"][0]["id"].as_str().unwrap().to_owned();
    Skp { app, admin, kepala, sekretaris, staff, period, ids, kepala_result }
}

fn with_if_match(method: &str, path: &str, token: &str, etag: &str, body: Option<Value>) -> TestRequest {
    let req = match method {
        "POST" => TestRequest::post(),
        _ => TestRequest::patch(),
    }
    .uri(path)
    .insert_header(("Authorization", format!("Bearer {token}")))
    .insert_header(("If-Match", etag.to_owned()));
    match body {
        Some(b) => req.set_json(b),
        None => req,
    }
}

#[actix_web::test]
async fn a_plan_from_draft_to_approved_with_a_return_and_a_revision() {
    let s = skp().await;
    let app = &s.app;
    let created = app
        .post(
            "/api/v1/performance-plans",
            &s.sekretaris.token,
            json!({"employee_id": s.ids["sekretaris"], "period_id": s.period, "approach": "kuantitatif"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["rater"]["id"], s.ids["kepala"].as_str(), "the supervisor rates");
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["behaviour_expectations"].as_array().unwrap().len(), 7);
    let plan = id_of(&created);
    let path = format!("/api/v1/performance-plans/{plan}");
    app.post(
        "/api/v1/performance-plans",
        &s.sekretaris.token,
        json!({"employee_id": s.ids["sekretaris"], "period_id": s.period, "approach": "kuantitatif"}),
    )
    .await
    .assert_problem(409, "duplicate_plan");

    // A result cascaded from the kepala's; a parent elsewhere is refused; JPT-only perspective.
    let result = json!({"kind": "utama", "description": "Terselenggaranya administrasi yang tertib", "parent_result_id": s.kepala_result,
                        "indicators": [{"description": "Persentase surat selesai tepat waktu", "aspect": "waktu", "target_value": 95, "target_unit": "persen"}]});
    let added = app.post(&format!("{path}/results"), &s.sekretaris.token, result.clone()).await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["results"][0]["parent_result_id"], s.kepala_result.as_str());
    let mut bad_parent = result.clone();
    bad_parent["parent_result_id"] = json!(added.body["results"][0]["id"]);
    let refused = app.post(&format!("{path}/results"), &s.sekretaris.token, bad_parent).await;
    assert_eq!(refused.body["errors"][0]["code"], "invalid_parent_result", "{}", refused.text);
    let mut with_perspective = result.clone();
    with_perspective["perspective"] = json!("anggaran");
    let refused = app.post(&format!("{path}/results"), &s.sekretaris.token, with_perspective).await;
    assert_eq!(refused.body["errors"][0]["code"], "not_allowed", "{}", refused.text);
    let mut no_target = result.clone();
    no_target["indicators"][0]["target_value"] = Value::Null;
    let refused = app.post(&format!("{path}/results"), &s.sekretaris.token, no_target).await;
    assert_eq!(refused.body["errors"][0]["field"], "indicators[0].target_value", "{}", refused.text);

    // Behaviour expectations: the rating official adds a specific one.
    let expectations = app
        .send(
            actix_web::http::Method::PUT,
            &format!("{path}/behaviour-expectations"),
            Some(&s.kepala.token),
            Some(json!([{"value": "akuntabel", "expectation": "Laporan keuangan tepat waktu"}])),
        )
        .await;
    assert_eq!(expectations.status, 200, "{}", expectations.text);
    assert_eq!(expectations.body["behaviour_expectations"][1]["expectation"], "Laporan keuangan tepat waktu");

    // The annex.
    let annex = app
        .send(
            actix_web::http::Method::PUT,
            &format!("{path}/annex"),
            Some(&s.sekretaris.token),
            Some(json!({"resources": "Anggaran DPA 2026", "accountability": "Laporan triwulanan"})),
        )
        .await;
    assert_eq!(annex.body["annex"]["resources"], "Anggaran DPA 2026", "{}", annex.text);
    app.send(actix_web::http::Method::PUT, &format!("{path}/annex"), Some(&s.staff.token), Some(json!({})))
        .await
        .assert_problem(404, "not_found");

    // Only the employee submits; a stale ETag is refused; then submitted, edits stop.
    let etag = annex.header("etag").unwrap();
    app.call(with_if_match("POST", &format!("{path}/submit"), &s.kepala.token, &etag, None))
        .await
        .assert_problem(403, "forbidden");
    app.call(with_if_match("POST", &format!("{path}/submit"), &s.sekretaris.token, "\"1\"", None))
        .await
        .assert_problem(412, "precondition_failed");
    let submitted = app.call(with_if_match("POST", &format!("{path}/submit"), &s.sekretaris.token, &etag, None)).await;
    assert_eq!(submitted.body["status"], "submitted", "{}", submitted.text);
    app.post(&format!("{path}/results"), &s.sekretaris.token, result.clone())
        .await
        .assert_problem(409, "invalid_transition");
    app.post(&format!("{path}/submit"), &s.sekretaris.token, json!({})).await.assert_problem(409, "invalid_transition");

    // The employee cannot approve their own plan; the rating official returns it with a reason.
    app.post(&format!("{path}/approve"), &s.sekretaris.token, json!({})).await.assert_problem(403, "forbidden");
    app.post(&format!("{path}/return"), &s.kepala.token, json!({"reason": ""}))
        .await
        .assert_problem(422, "validation_failed");
    let returned =
        app.post(&format!("{path}/return"), &s.kepala.token, json!({"reason": "Tambahkan indikator kualitas"})).await;
    assert_eq!(
        (returned.body["status"].as_str(), returned.body["return_reason"].as_str()),
        (Some("draft"), Some("Tambahkan indikator kualitas"))
    );
    app.post(&format!("{path}/submit"), &s.sekretaris.token, json!({})).await;
    let approved = app.post(&format!("{path}/approve"), &s.kepala.token, json!({})).await;
    assert_eq!(approved.body["status"], "approved", "{}", approved.text);
    app.post(&format!("{path}/results"), &s.kepala.token, result.clone())
        .await
        .assert_problem(409, "invalid_transition");

    // A change after approval is a new revision; the approved one stays readable.
    let revised = app.post(&format!("{path}/revisions"), &s.sekretaris.token, json!({})).await;
    assert_eq!(revised.status, 201, "{}", revised.text);
    assert_eq!((revised.body["revision"].as_i64(), revised.body["status"].as_str()), (Some(2), Some("draft")));
    assert_eq!(revised.body["results"][0]["parent_result_id"], s.kepala_result.as_str());
    let old = app.get(&path, &s.sekretaris.token).await;
    assert_eq!(
        (old.body["status"].as_str(), old.body["superseded_by"].as_str()),
        (Some("approved"), revised.body["id"].as_str())
    );
    app.post(&format!("{path}/revisions"), &s.sekretaris.token, json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    let current =
        app.get(&format!("/api/v1/performance-plans?employee_id={}", s.ids["sekretaris"]), &s.admin.token).await;
    assert_eq!(current.body["items"].as_array().unwrap().len(), 1, "{}", current.text);
    let all = app
        .get(
            &format!("/api/v1/performance-plans?employee_id={}&all_revisions=true", s.ids["sekretaris"]),
            &s.admin.token,
        )
        .await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn who_may_read_and_start_plans() {
    let s = skp().await;
    let app = &s.app;
    let plan = app.draft_plan(&s.sekretaris.token, &s.ids["sekretaris"], &s.period, "kualitatif").await;
    let path = format!("/api/v1/performance-plans/{plan}");
    // The staff member below reads nothing of it; the kepala above and the admin do.
    app.get(&path, &s.staff.token).await.assert_problem(404, "not_found");
    assert_eq!(app.get(&path, &s.kepala.token).await.status, 200);
    assert_eq!(app.get(&path, &s.admin.token).await.status, 200);
    // A plan with no work result has nothing to agree on: it is not submitted, and stays a draft.
    app.post(&format!("{path}/submit"), &s.sekretaris.token, json!({})).await.assert_problem(409, "empty_plan");
    assert_eq!(app.get(&path, &s.sekretaris.token).await.body["status"], "draft");
    // Nobody starts a plan for someone else but an admin; an override needs a reason and an admin.
    app.post(
        "/api/v1/performance-plans",
        &s.sekretaris.token,
        json!({"employee_id": s.ids["staff"], "period_id": s.period, "approach": "kuantitatif"}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post("/api/v1/performance-plans", &s.staff.token, json!({"employee_id": s.ids["staff"], "period_id": s.period, "approach": "kuantitatif", "rater_id": s.ids["kepala"], "rater_override_reason": "Plt"}))
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/performance-plans", &s.admin.token, json!({"employee_id": s.ids["staff"], "period_id": s.period, "approach": "kuantitatif", "rater_id": s.ids["kepala"]}))
        .await
        .assert_problem(422, "validation_failed");
    let acting = app
        .post("/api/v1/performance-plans", &s.admin.token, json!({"employee_id": s.ids["staff"], "period_id": s.period, "approach": "kuantitatif", "rater_id": s.ids["kepala"], "rater_override_reason": "Plt. Sekretaris sedang cuti"}))
        .await;
    assert_eq!(acting.body["rater"]["id"], s.ids["kepala"].as_str(), "{}", acting.text);
    assert_eq!(acting.body["rater_override_reason"], "Plt. Sekretaris sedang cuti");
    // A mid-period change of rating official: admins only, with a reason.
    let staff_plan = format!("/api/v1/performance-plans/{}/rater", acting.body["id"].as_str().unwrap());
    let change = json!({"rater_id": s.ids["sekretaris"], "reason": "Kembali dari cuti"});
    app.send(actix_web::http::Method::PUT, &staff_plan, Some(&s.kepala.token), Some(change.clone()))
        .await
        .assert_problem(403, "forbidden");
    let back = app.send(actix_web::http::Method::PUT, &staff_plan, Some(&s.admin.token), Some(change)).await;
    assert_eq!(back.body["rater"]["id"], s.ids["sekretaris"].as_str(), "{}", back.text);
    assert_eq!(back.body["rater_supervisor"]["id"], s.ids["kepala"].as_str());
    assert_eq!(back.body["rater_override_reason"], "Kembali dari cuti");
    // Lists: the staff member sees their own plan only; the kepala sees everyone's below.
    assert_eq!(app.get("/api/v1/performance-plans", &s.staff.token).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/performance-plans", &s.kepala.token).await.body["items"].as_array().unwrap().len(), 3);
    // A kualitatif plan describes its targets.
    let no_text = app
        .post(&format!("{path}/results"), &s.sekretaris.token,
              json!({"kind": "utama", "description": "x", "indicators": [{"description": "y", "aspect": "kualitas", "target_value": 1}]}))
        .await;
    assert_eq!(no_text.body["errors"][0]["field"], "indicators[0].target_text", "{}", no_text.text);
    // The staff member cannot edit the sekretaris's plan.
    app.post(
        &format!("{path}/results"),
        &s.staff.token,
        json!({"kind": "utama", "description": "x", "indicators": []}),
    )
    .await
    .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn the_cascade_runs_up_to_the_root_and_down_across_people() {
    let s = skp().await;
    let app = &s.app;
    let plan_of = |key: &'static str, token: String| {
        let body = json!({"employee_id": s.ids[key], "period_id": s.period, "approach": "kuantitatif"});
        async move { app.post("/api/v1/performance-plans", &token, body).await }
    };
    let result = |parent: &str| {
        json!({"kind": "utama", "description": format!("cascaded from {parent}"), "parent_result_id": parent,
               "indicators": [{"description": "x", "aspect": "kuantitas", "target_value": 10}]})
    };
    let sek = plan_of("sekretaris", s.sekretaris.token.clone()).await;
    let sek_id = id_of(&sek);
    let sek = app
        .post(&format!("/api/v1/performance-plans/{sek_id}/results"), &s.sekretaris.token, result(&s.kepala_result))
        .await;
    let sek_result = sek.body["results"][0]["id"].as_str().unwrap().to_owned();
    let staff = plan_of("staff", s.staff.token.clone()).await;
    let staff_id = id_of(&staff);
    let staff =
        app.post(&format!("/api/v1/performance-plans/{staff_id}/results"), &s.staff.token, result(&sek_result)).await;
    assert_eq!(staff.status, 201, "{}", staff.text);

    let from_staff = app.get(&format!("/api/v1/performance-plans/{staff_id}/cascade"), &s.staff.token).await;
    let up: Vec<(&str, i64)> = from_staff.body["up"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["employee_name"].as_str().unwrap(), n["depth"].as_i64().unwrap()))
        .collect();
    assert_eq!(up, vec![("Sri Wahyuni", 1), ("Drs. Hendra Wijaya", 2)], "{}", from_staff.text);
    assert_eq!(from_staff.body["down"], json!([]));

    let from_top = app.get(&format!("/api/v1/performance-plans?employee_id={}", s.ids["kepala"]), &s.admin.token).await;
    let top = from_top.body["items"][0]["id"].as_str().unwrap().to_owned();
    let down = app.get(&format!("/api/v1/performance-plans/{top}/cascade"), &s.kepala.token).await;
    let names: Vec<&str> =
        down.body["down"].as_array().unwrap().iter().map(|n| n["employee_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Sri Wahyuni", "Budi Santoso"], "{}", down.text);
    assert_eq!(down.body["up"], json!([]));
    // The cascade of a plan is for those who may read the plan: not the staff below it.
    app.get(&format!("/api/v1/performance-plans/{top}/cascade"), &s.staff.token).await.assert_problem(404, "not_found");
}

/// An approved plan of the sekretaris with one quantity indicator (target 12 reports).
/// The secretary's plan, with one result cascaded from the head's, submitted to the head.
pub(crate) async fn submitted_plan(s: &Skp) -> (String, String) {
    let app = &s.app;
    let plan = id_of(
        &app.post(
            "/api/v1/performance-plans",
            &s.sekretaris.token,
            json!({"employee_id": s.ids["sekretaris"], "period_id": s.period, "approach": "kuantitatif"}),
        )
        .await,
    );
    let path = format!("/api/v1/performance-plans/{plan}");
    let with = app
        .post(&format!("{path}/results"), &s.sekretaris.token,
              json!({"kind": "utama", "description": "Laporan kinerja tersusun", "parent_result_id": s.kepala_result,
                     "indicators": [{"description": "Jumlah laporan", "aspect": "kuantitas", "target_value": 12, "target_unit": "laporan"}]}))
        .await;
    let indicator = with.body["results"][0]["indicators"][0]["id"].as_str().unwrap().to_owned();
    let submitted = app.post(&format!("{path}/submit"), &s.sekretaris.token, json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.text);
    (plan, indicator)
}

/// The secretary's plan, with one result cascaded from the head's, approved by the head.
pub(crate) async fn approved_plan(s: &Skp) -> (String, String) {
    let (plan, indicator) = submitted_plan(s).await;
    let approved = s.app.post(&format!("/api/v1/performance-plans/{plan}/approve"), &s.kepala.token, json!({})).await;
    assert_eq!(approved.body["status"], "approved", "{}", approved.text);
    (plan, indicator)
}

#[actix_web::test]
async fn realisations_then_rating_give_the_predikat_with_its_reasons() {
    let s = skp().await;
    let app = &s.app;
    let (plan, indicator) = approved_plan(&s).await;
    let evaluations = format!("/api/v1/performance-plans/{plan}/evaluations");
    let body = json!({"period_label": "2026-Q1", "self_note": "Semua laporan selesai",
        "realizations": [{"indicator_id": indicator, "value": 3, "text": "3 laporan triwulan",
                          "evidence": [{"url": "https://drive.example.go.id/q1.pdf", "sha256": "a".repeat(64), "description": "Laporan Q1"}]}]});
    // Only the employee records; the rater may not.
    app.post(&evaluations, &s.kepala.token, body.clone()).await.assert_problem(403, "forbidden");
    let made = app.post(&evaluations, &s.sekretaris.token, body.clone()).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["realizations"][0]["evidence"][0]["description"], "Laporan Q1");
    app.post(&evaluations, &s.sekretaris.token, body.clone()).await.assert_problem(409, "duplicate_evaluation");
    let mut bad = body.clone();
    bad["period_label"] = json!("2026-13");
    bad["realizations"][0]["evidence"][0]["sha256"] = json!("xyz");
    let refused = app.post(&evaluations, &s.sekretaris.token, bad).await;
    let codes: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["invalid_period_label", "invalid_sha256"], "{}", refused.text);

    let evaluation = made.body["id"].as_str().unwrap().to_owned();
    let rating = format!("/api/v1/evaluations/{evaluation}/rating");
    let rate = json!({"result_rating": "di_atas_ekspektasi", "behaviour_rating": "di_bawah_ekspektasi",
                      "feedback": {"results": "Tepat waktu", "behaviour": [{"value": "akuntabel", "text": "Prosedur tidak diikuti"}]}});
    // The employee does not rate themself; a stranger does not either.
    app.post(&rating, &s.sekretaris.token, rate.clone()).await.assert_problem(403, "forbidden");
    app.post(&rating, &s.staff.token, rate.clone()).await.assert_problem(404, "not_found");
    // A rating names the version it was made on: one read before another change is refused.
    let created_tag = made.header("etag").expect("an evaluation's ETag");
    let stale_rate = TestRequest::post()
        .uri(&rating)
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", s.kepala.token)))
        .insert_header((header::IF_MATCH, "\"1\""))
        .set_json(rate.clone());
    app.call(stale_rate).await.assert_problem(412, "precondition_failed");
    let rate_on = |tag: &str| {
        TestRequest::post()
            .uri(&rating)
            .insert_header((header::AUTHORIZATION, format!("Bearer {}", s.kepala.token)))
            .insert_header((header::IF_MATCH, tag.to_owned()))
            .set_json(rate.clone())
    };
    let rated = app.call(rate_on(&created_tag)).await;
    assert_eq!(rated.body["predikat"], "kurang", "{}", rated.text);
    let rated_tag = rated.header("etag").expect("the evaluation's new version");
    assert_ne!(rated_tag, created_tag);
    app.call(rate_on(&created_tag)).await.assert_problem(412, "precondition_failed");
    assert_eq!(rated.body["explanation"]["rule_set"], "permenpanrb-6-2022");
    assert!(rated.body["explanation"]["decided_by"].as_str().unwrap().contains("perilaku kerja di_bawah_ekspektasi"));
    app.get(&format!("{evaluations}/{evaluation}"), &s.staff.token).await.assert_problem(404, "not_found");
    let read = app.get(&format!("{evaluations}/{evaluation}"), &s.sekretaris.token).await;
    assert_eq!(read.body["predikat"], "kurang", "{}", read.text);
    assert_eq!(read.header("etag"), Some(rated_tag));
    assert_eq!(read.body["feedback"]["behaviour"][0]["value"], "akuntabel");
    app.post(&rating, &s.kepala.token, json!({"result_rating": "sesuai_ekspektasi"}))
        .await
        .assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn numeric_rule_sets_score_the_realisations() {
    let s = skp().await;
    let app = &s.app;
    app.patch(&format!("/api/v1/periods/{}", s.period), &s.admin.token, json!({"rule_set": "pp-46-2011"}))
        .await
        .assert_problem(409, "period_in_use");
    // A fresh period on PP 46/2011 for the same people.
    let agency = app.get("/api/v1/me", &s.admin.token).await.body["agency_id"].clone();
    let period = id_of(&app
        .post("/api/v1/periods", &s.admin.token, json!({"agency_id": agency, "name": "SKP 2025", "starts_on": "2025-01-01", "ends_on": "2025-12-31", "cadence": "annual", "rule_set": "pp-46-2011"}))
        .await);
    let kepala_plan = id_of(
        &app.post(
            "/api/v1/performance-plans",
            &s.kepala.token,
            json!({"employee_id": s.ids["kepala"], "period_id": period, "approach": "kuantitatif"}),
        )
        .await,
    );
    let _ = kepala_plan;
    let plan = id_of(
        &app.post(
            "/api/v1/performance-plans",
            &s.sekretaris.token,
            json!({"employee_id": s.ids["sekretaris"], "period_id": period, "approach": "kuantitatif"}),
        )
        .await,
    );
    let path = format!("/api/v1/performance-plans/{plan}");
    let with = app
        .post(&format!("{path}/results"), &s.sekretaris.token,
              json!({"kind": "utama", "description": "Laporan", "indicators": [{"description": "Jumlah", "aspect": "kuantitas", "target_value": 10}]}))
        .await;
    let indicator = with.body["results"][0]["indicators"][0]["id"].as_str().unwrap().to_owned();
    app.post(&format!("{path}/submit"), &s.sekretaris.token, json!({})).await;
    app.post(&format!("{path}/approve"), &s.kepala.token, json!({})).await;
    let made = app
        .post(
            &format!("{path}/evaluations"),
            &s.sekretaris.token,
            json!({"period_label": "2025", "realizations": [{"indicator_id": indicator, "value": 9}]}),
        )
        .await;
    let evaluation = made.body["id"].as_str().unwrap();
    let rated = app
        .post(&format!("/api/v1/evaluations/{evaluation}/rating"), &s.kepala.token, json!({"behaviour_score": 80}))
        .await;
    // SKP 90 (9 of 10) × 60% + behaviour 80 × 40% = 86 → baik.
    assert_eq!(rated.body["predikat"], "baik", "{}", rated.text);
    assert_eq!(rated.body["explanation"]["score"], 86.0);
    assert_eq!(rated.body["explanation"]["skp_score"], 90.0);
}

#[actix_web::test]
async fn continuous_feedback_from_rater_peers_and_subordinates_never_oneself() {
    let s = skp().await;
    let app = &s.app;
    let to = |employee: &str| json!({"employee_id": employee, "period_id": s.period, "text": "Kerja sama tim sangat baik", "value": "kolaboratif"});
    let from_rater = app.post("/api/v1/feedback", &s.kepala.token, to(&s.ids["sekretaris"])).await;
    assert_eq!(from_rater.body["author_relation"], "rater", "{}", from_rater.text);
    let from_subordinate = app.post("/api/v1/feedback", &s.staff.token, to(&s.ids["sekretaris"])).await;
    assert_eq!(from_subordinate.body["author_relation"], "subordinate");
    app.post("/api/v1/feedback", &s.sekretaris.token, to(&s.ids["sekretaris"]))
        .await
        .assert_problem(422, "validation_failed");
    // Two levels apart, no shared unit: neither rater, peer nor subordinate.
    app.post("/api/v1/feedback", &s.kepala.token, to(&s.ids["staff"])).await.assert_problem(403, "forbidden");
    app.post("/api/v1/feedback", &s.admin.token, to(&s.ids["staff"])).await.assert_problem(403, "forbidden");

    let path = format!("/api/v1/employees/{}/feedback", s.ids["sekretaris"]);
    assert_eq!(app.get(&path, &s.sekretaris.token).await.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(app.get(&path, &s.kepala.token).await.body["items"].as_array().unwrap().len(), 2);
    app.get(&path, &s.staff.token).await.assert_problem(404, "not_found");

    // Each is at its Location: for its author, and for those who may read the subject's list.
    let location = from_subordinate.header("location").expect("a Location");
    assert_eq!(location, format!("/api/v1/feedback/{}", from_subordinate.body["id"].as_str().unwrap()));
    let by_author = app.get(&location, &s.staff.token).await;
    assert_eq!(by_author.status, 200, "{}", by_author.text);
    assert_eq!(by_author.body["text"], "Kerja sama tim sangat baik");
    assert_eq!(app.get(&location, &s.sekretaris.token).await.status, 200);
    let rater_feedback = from_rater.header("location").unwrap();
    app.get(&rater_feedback, &s.staff.token).await.assert_problem(404, "not_found");
    app.get("/api/v1/feedback/0192f0a0-0000-7000-8000-000000000000", &s.admin.token)
        .await
        .assert_problem(404, "not_found");
}
