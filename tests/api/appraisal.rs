//! The annual rating, the organisation rating and distribution curve, calibration, objections,
//! reports and the national export.

use actix_web::http::Method;
use kinerja_domain::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{id_of, Reply, TestApp, TestUser};

/// Dinas (kepala, jpt_pratama) ⊃ Bidang (kabid, administrator, reporting to the kepala) with a
/// staff member rated by the kabid; a period; and logins for each.
struct Dinas {
    app: TestApp,
    agency: Uuid,
    admin: TestUser,
    auditor: TestUser,
    outsider: TestUser,
    kepala: TestUser,
    kabid: TestUser,
    staff: TestUser,
    dinas: String,
    bidang: String,
    period: String,
    ids: std::collections::HashMap<&'static str, String>,
}

async fn dinas() -> Dinas {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let other = app.create_agency("KAB-MRJ");
    let admin = app.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let auditor = app.user("auditor", &[Role::Auditor], Some(agency), None).await;
    let outsider = app.user("admin.mrj", &[Role::AgencyAdmin], Some(other), None).await;
    let t = admin.token.clone();
    let dinas = id_of(
        &app.post(
            &format!("/api/v1/agencies/{agency}/units"),
            &t,
            json!({"code": "DISDIK", "name": "Dinas Pendidikan"}),
        )
        .await,
    );
    let bidang = id_of(
        &app.post(
            &format!("/api/v1/agencies/{agency}/units"),
            &t,
            json!({"code": "BID-SD", "name": "Bidang Pembinaan SD", "parent_id": dinas}),
        )
        .await,
    );
    let mut positions = std::collections::HashMap::new();
    for (code, kind, unit) in
        [("KADIS", "jpt_pratama", &dinas), ("KABID", "administrator", &bidang), ("STAF", "pelaksana", &bidang)]
    {
        let body = json!({"code": code, "name": code, "kind": kind, "unit_id": unit});
        positions.insert(code, id_of(&app.post(&format!("/api/v1/agencies/{agency}/positions"), &t, body).await));
    }
    let mut ids = std::collections::HashMap::new();
    let mut supervisor: Option<String> = None;
    for (key, nip, name, position, unit) in [
        ("kepala", "196608011988031001", "Drs. Hendra Wijaya", "KADIS", &dinas),
        ("kabid", "197204101998032004", "Sri Wahyuni, S.Pd.", "KABID", &bidang),
        ("staff", "199001012015031001", "Budi Santoso", "STAF", &bidang),
    ] {
        let body = json!({"nip": nip, "name": name, "agency_id": agency, "employment_type": "pns", "grade": "III/a",
                          "supervisor_id": supervisor, "position_id": positions[position], "unit_id": unit});
        let id = id_of(&app.post("/api/v1/employees", &t, body).await);
        supervisor = Some(id.clone());
        ids.insert(key, id);
    }
    let login = |key: &'static str| {
        let app = &app;
        let id: Uuid = ids[key].parse().unwrap();
        async move { app.user(key, &[Role::Employee], Some(agency), Some(id)).await }
    };
    let (kepala, kabid, staff) = (login("kepala").await, login("kabid").await, login("staff").await);
    let period = app.open_period(&t, &agency, 2026, "quarterly").await;
    Dinas { app, agency, admin, auditor, outsider, kepala, kabid, staff, dinas, bidang, period, ids }
}

impl Dinas {
    /// The employee's plan, with one result, submitted and approved by the rating official.
    async fn approved_plan(&self, employee: &str, own: &TestUser, rater: &TestUser) -> String {
        let app = &self.app;
        let plan = app.draft_plan(&own.token, &self.ids[employee], &self.period, "kuantitatif").await;
        let path = format!("/api/v1/performance-plans/{plan}");
        let result = json!({"kind": "utama", "description": "Terlaksananya pembinaan sekolah dasar",
                            "indicators": [{"description": "Sekolah yang dibina", "aspect": "kuantitas", "target_value": 40, "target_unit": "sekolah"}]});
        assert_eq!(app.post(&format!("{path}/results"), &own.token, result).await.status, 201);
        assert_eq!(app.post(&format!("{path}/submit"), &own.token, json!(null)).await.status, 200);
        let approved = app.post(&format!("{path}/approve"), &rater.token, json!(null)).await;
        assert_eq!(approved.status, 200, "{}", approved.text);
        plan
    }

    /// Inserts `counts` employees of the unit per predikat, each with a rated plan for the period.
    fn rated_people(&self, unit: &str, prefix: &str, predikat: &[(&str, usize)]) {
        let mut n = 0;
        for (p, count) in predikat {
            for _ in 0..*count {
                n += 1;
                let (employee, plan) = (Uuid::now_v7(), Uuid::now_v7());
                let (agency, period, kabid) = (self.agency, &self.period, &self.ids["kabid"]);
                self.app.sql(&format!(
                    "INSERT INTO employees (id, agency_id, nip, name, employment_type, unit_id, supervisor_id) \
                     VALUES ('{employee}', '{agency}', '{prefix}{n:03}', 'Pegawai {n}', 'pns', '{unit}', '{kabid}')"
                ));
                self.app.sql(&format!(
                    "INSERT INTO performance_plans (id, agency_id, employee_id, period_id, approach, status, rater_id) \
                     VALUES ('{plan}', '{agency}', '{employee}', '{period}', 'kuantitatif', 'rated', '{kabid}')"
                ));
                self.app.sql(&format!(
                    "INSERT INTO final_ratings (plan_id, agency_id, period_id, employee_id, unit_id, rated_predikat, predikat, explanation, rated_by, rated_at) \
                     VALUES ('{plan}', '{agency}', '{period}', '{employee}', '{unit}', '{p}', '{p}', '{{}}', '{kabid}', now())"
                ));
            }
        }
    }
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.send(Method::PUT, path, Some(token), Some(body)).await
}

#[actix_web::test]
async fn the_annual_rating_locks_the_plan_and_a_unit_head_follows_the_unit() {
    let d = dinas().await;
    let app = &d.app;
    let plan = d.approved_plan("staff", &d.staff, &d.kabid).await;
    let path = format!("/api/v1/performance-plans/{plan}");
    let rating = json!({"result_rating": "sesuai_ekspektasi", "behaviour_rating": "di_atas_ekspektasi", "note": "Target tercapai."});

    // Only the rating official rates; not the employee, the official's supervisor or an admin.
    for who in [&d.staff, &d.kepala, &d.admin] {
        app.post(&format!("{path}/final-rating"), &who.token, rating.clone()).await.assert_problem(403, "forbidden");
    }
    app.post(&format!("{path}/final-rating"), &d.outsider.token, rating.clone()).await.assert_problem(404, "not_found");
    app.get(&format!("{path}/final-rating"), &d.staff.token).await.assert_problem(404, "not_found");

    let rated = app.post(&format!("{path}/final-rating"), &d.kabid.token, rating.clone()).await;
    assert_eq!(rated.status, 201, "{}", rated.text);
    assert_eq!(rated.header("location").as_deref(), Some(format!("{path}/final-rating").as_str()));
    assert_eq!(rated.body["predikat"], "baik");
    assert_eq!(rated.body["rated_predikat"], "baik");
    assert_eq!(rated.body["explanation"]["rule_set"], "permenpanrb-6-2022");
    assert!(rated.body["explanation"]["decided_by"].as_str().unwrap().contains("baik"));
    assert_eq!(rated.body["unit_id"], d.bidang.as_str());
    assert!(rated.body["objection_deadline"].is_string());
    // Its event is what the document's webhooks section says `final_rating.issued` is.
    let told = app.first_event(&d.admin.token, "final_rating.issued", "FinalRatingIssuedEvent").await;
    assert_eq!(told["data"]["changes"]["predikat"], "baik", "{told}");

    // Locked: no second rating, no new evaluation, no revision, no periodic rating.
    assert_eq!(app.get(&path, &d.staff.token).await.body["status"], "rated");
    app.post(&format!("{path}/final-rating"), &d.kabid.token, rating.clone())
        .await
        .assert_problem(409, "invalid_transition");
    app.post(&format!("{path}/evaluations"), &d.staff.token, json!({"period_label": "2026-Q4", "realizations": []}))
        .await
        .assert_problem(409, "invalid_transition");
    app.post(&format!("{path}/revisions"), &d.staff.token, json!(null)).await.assert_problem(409, "invalid_transition");
    let read = app.get(&format!("{path}/final-rating"), &d.staff.token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["predikat"], "baik");
    app.get(&format!("{path}/final-rating"), &d.outsider.token).await.assert_problem(404, "not_found");

    // The kabid heads Bidang (administrator, reporting to the kepala in Dinas): their rating
    // hasil kerja is the unit's organisation predikat, which must be recorded first.
    let kabid_plan = d.approved_plan("kabid", &d.kabid, &d.kepala).await;
    let kabid_path = format!("/api/v1/performance-plans/{kabid_plan}");
    let behaviour = json!({"behaviour_rating": "sesuai_ekspektasi"});
    app.post(&format!("{kabid_path}/final-rating"), &d.kepala.token, behaviour.clone())
        .await
        .assert_problem(409, "organisation_rating_missing");
    let org_path = format!("/api/v1/units/{}/organisation-rating/{}", d.bidang, d.period);
    let org = json!({"predikat": "istimewa", "note": "Evaluasi kinerja organisasi 2026"});
    put(app, &org_path, &d.auditor.token, org.clone()).await.assert_problem(403, "forbidden");
    put(app, &org_path, &d.kabid.token, org.clone()).await.assert_problem(403, "forbidden");
    put(app, &org_path, &d.outsider.token, org.clone()).await.assert_problem(404, "not_found");
    put(app, &org_path, &d.admin.token, json!({"predikat": "sangat_baik"})).await.assert_problem(422, "invalid_value");
    let recorded = put(app, &org_path, &d.admin.token, org).await;
    assert_eq!(recorded.status, 201, "{}", recorded.text);
    assert_eq!(recorded.header("location"), Some(org_path.clone()));
    let replaced = put(app, &org_path, &d.admin.token, json!({"predikat": "baik"})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert!(replaced.header("location").is_none());
    assert_eq!(app.get(&org_path, &d.kabid.token).await.body["predikat"], "baik");
    app.get(&org_path, &d.outsider.token).await.assert_problem(404, "not_found");
    let events = app
        .get(&format!("/api/v1/audit-events?entity=organisation_rating&entity_id={}", d.bidang), &d.auditor.token)
        .await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 2, "{}", events.text);

    let disagrees = app
        .post(
            &format!("{kabid_path}/final-rating"),
            &d.kepala.token,
            json!({"result_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}),
        )
        .await;
    assert_eq!(disagrees.body["errors"][0]["code"], "follows_organisation_rating", "{}", disagrees.text);
    let head = app.post(&format!("{kabid_path}/final-rating"), &d.kepala.token, behaviour).await;
    assert_eq!(head.status, 201, "{}", head.text);
    assert_eq!(head.body["result_rating"], "sesuai_ekspektasi", "baik unit → sesuai ekspektasi");
    assert_eq!(head.body["predikat"], "baik");
    assert_eq!(head.body["explanation"]["unit_head"]["organisation_predikat"], "baik");

    // Calibration: an agency admin only, with a justification, within the rule set's predikat.
    let calibrate = format!("{path}/calibration");
    let body =
        json!({"predikat": "butuh_perbaikan", "justification": "Kurva distribusi Bidang: paling banyak 70% baik."});
    for who in [&d.auditor, &d.kabid, &d.staff] {
        app.post(&calibrate, &who.token, body.clone()).await.assert_problem(403, "forbidden");
    }
    app.post(&calibrate, &d.outsider.token, body.clone()).await.assert_problem(404, "not_found");
    let same = app.post(&calibrate, &d.admin.token, json!({"predikat": "baik", "justification": "x"})).await;
    assert_eq!(same.body["errors"][0]["code"], "unchanged", "{}", same.text);
    let older = app.post(&calibrate, &d.admin.token, json!({"predikat": "cukup", "justification": "x"})).await;
    assert_eq!(older.body["errors"][0]["code"], "not_in_rule_set", "{}", older.text);
    let blank = app.post(&calibrate, &d.admin.token, json!({"predikat": "kurang", "justification": "  "})).await;
    assert_eq!(blank.body["errors"][0]["field"], "justification", "{}", blank.text);
    let nul = app.post(&calibrate, &d.admin.token, json!({"predikat": "kurang", "justification": "a\u{0}b"})).await;
    assert_eq!(nul.body["errors"][0]["code"], "invalid_character", "{}", nul.text);
    let calibrated = app.post(&calibrate, &d.admin.token, body).await;
    assert_eq!(calibrated.status, 200, "{}", calibrated.text);
    assert_eq!(calibrated.body["predikat"], "butuh_perbaikan");
    assert_eq!(calibrated.body["rated_predikat"], "baik", "the rating official's stays on record");
    assert_eq!(calibrated.body["explanation"]["calibration"]["predikat_before"], "baik");
    assert_eq!(
        calibrated.body["explanation"]["calibration"]["justification"],
        "Kurva distribusi Bidang: paling banyak 70% baik."
    );
    let trail = app.get(&format!("/api/v1/audit-events?entity=final_rating&entity_id={plan}"), &d.auditor.token).await;
    let actions: Vec<&str> =
        trail.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["rate", "calibrate"], "{}", trail.text);
    assert_eq!(trail.body["items"][1]["changes"]["predikat"], json!({"old": "baik", "new": "butuh_perbaikan"}));
}

#[actix_web::test]
async fn an_objection_within_the_window_is_decided_by_the_raters_supervisor() {
    let d = dinas().await;
    let app = &d.app;
    let plan = d.approved_plan("staff", &d.staff, &d.kabid).await;
    let path = format!("/api/v1/performance-plans/{plan}");
    let rated = app
        .post(
            &format!("{path}/final-rating"),
            &d.kabid.token,
            json!({"result_rating": "di_bawah_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}),
        )
        .await;
    assert_eq!(rated.body["predikat"], "butuh_perbaikan", "{}", rated.text);
    let objection = json!({"reason": "Realisasi triwulan IV belum diperhitungkan; bukti dukung terlampir."});

    // Day 15 after the rating is too late; day 14 is in time.
    app.sql(&format!("UPDATE final_ratings SET rated_at = now() - interval '15 days' WHERE plan_id = '{plan}'"));
    let late = app.post(&format!("{path}/objections"), &d.staff.token, objection.clone()).await;
    late.assert_problem(422, "deadline_passed");
    assert!(late.body["detail"].as_str().unwrap().contains("14 days"), "{}", late.text);
    app.sql(&format!("UPDATE final_ratings SET rated_at = now() - interval '14 days' WHERE plan_id = '{plan}'"));
    // Only the employee objects.
    for who in [&d.kabid, &d.kepala, &d.admin] {
        app.post(&format!("{path}/objections"), &who.token, objection.clone()).await.assert_problem(403, "forbidden");
    }
    let filed = app.post(&format!("{path}/objections"), &d.staff.token, objection.clone()).await;
    assert_eq!(filed.status, 201, "{}", filed.text);
    assert_eq!(filed.body["status"], "open");
    assert_eq!(filed.body["decider_id"], d.ids["kepala"].as_str());
    let objection_path = filed.header("location").unwrap();
    app.post(&format!("{path}/objections"), &d.staff.token, objection).await.assert_problem(409, "objection_exists");

    // Who sees it: the employee, the decider, the agency's readers; not another agency.
    for who in [&d.staff, &d.kepala, &d.auditor] {
        let list = app.get("/api/v1/objections?status=open", &who.token).await;
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1, "{}", list.text);
    }
    assert_eq!(app.get("/api/v1/objections", &d.outsider.token).await.body["items"], json!([]));
    app.get(&objection_path, &d.outsider.token).await.assert_problem(404, "not_found");

    // While an objection is open, calibration waits for its decision.
    app.post(&format!("{path}/calibration"), &d.admin.token, json!({"predikat": "baik", "justification": "x"}))
        .await
        .assert_problem(409, "objection_filed");

    // Only the rating official's supervisor acts, after hearing both sides.
    let decision = json!({"outcome": "upheld", "predikat": "baik", "note": "Bukti dukung triwulan IV sah."});
    let decide = format!("{objection_path}/decision");
    for who in [&d.kabid, &d.staff, &d.admin, &d.auditor] {
        app.post(&decide, &who.token, decision.clone()).await.assert_problem(403, "forbidden");
    }
    app.post(&decide, &d.kepala.token, decision.clone()).await.assert_problem(409, "explanations_missing");
    let explain = format!("{objection_path}/explanations");
    app.post(&explain, &d.kabid.token, json!({"party": "rating_official", "text": "x"}))
        .await
        .assert_problem(403, "forbidden");
    for (party, text) in [
        ("employee", "Laporan Q4 terlambat diunggah karena gangguan sistem."),
        ("rating_official", "Penilaian memakai data per 15 Desember."),
    ] {
        let recorded = app.post(&explain, &d.kepala.token, json!({"party": party, "text": text})).await;
        assert_eq!(recorded.status, 200, "{}", recorded.text);
    }
    let missing = app.post(&decide, &d.kepala.token, json!({"outcome": "upheld", "note": "x"})).await;
    assert_eq!(missing.body["errors"][0]["code"], "required", "{}", missing.text);
    let stray =
        app.post(&decide, &d.kepala.token, json!({"outcome": "rejected", "predikat": "baik", "note": "x"})).await;
    assert_eq!(stray.body["errors"][0]["code"], "not_used", "{}", stray.text);
    let decided = app.post(&decide, &d.kepala.token, decision.clone()).await;
    assert_eq!(decided.status, 200, "{}", decided.text);
    assert_eq!(decided.body["outcome"], "upheld");
    assert_eq!(decided.body["status"], "decided");
    app.post(&decide, &d.kepala.token, decision).await.assert_problem(409, "objection_decided");

    let rating = app.get(&format!("{path}/final-rating"), &d.staff.token).await;
    assert_eq!(rating.body["predikat"], "baik");
    assert_eq!(rating.body["rated_predikat"], "butuh_perbaikan", "the original rating stays in the record");
    assert_eq!(rating.body["explanation"]["objection"]["outcome"], "upheld");
    assert_eq!(rating.body["objection"]["status"], "decided");
    // The decision is final: no calibration afterwards either.
    app.post(&format!("{path}/calibration"), &d.admin.token, json!({"predikat": "kurang", "justification": "x"}))
        .await
        .assert_problem(409, "objection_filed");

    // The window is the agency's setting.
    let agency_path = format!("/api/v1/agencies/{}", d.agency);
    let refused = app.patch(&agency_path, &d.admin.token, json!({"objection_window_days": 0})).await;
    assert_eq!(refused.body["errors"][0]["code"], "out_of_range", "{}", refused.text);
    let longer = app.patch(&agency_path, &d.admin.token, json!({"objection_window_days": 30})).await;
    assert_eq!(longer.body["objection_window_days"], 30, "{}", longer.text);
    let rated_on =
        chrono::NaiveDate::parse_from_str(rating.body["objection_deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let later = app.get(&format!("{path}/final-rating"), &d.staff.token).await;
    let deadline =
        chrono::NaiveDate::parse_from_str(later.body["objection_deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!((deadline - rated_on).num_days(), 16);
}

#[actix_web::test]
async fn the_distribution_curve_of_a_unit_with_a_suggestion() {
    let d = dinas().await;
    let app = &d.app;
    // Ten employees rated in Bidang: 2 sangat baik, 8 baik.
    d.rated_people(&d.bidang, "198501012010011", &[("sangat_baik", 2), ("baik", 8)]);
    let path = format!("/api/v1/units/{}/distribution?period_id={}", d.bidang, d.period);

    let open = app.get(&path, &d.auditor.token).await;
    assert_eq!(open.status, 200, "{}", open.text);
    assert_eq!(open.body["total"], 10);
    assert_eq!(open.body["organisation_predikat"], Value::Null);
    assert_eq!(open.body["compliant"], Value::Null);
    assert_eq!(open.body["unrated"], 0);

    let org_path = format!("/api/v1/units/{}/organisation-rating/{}", d.bidang, d.period);
    assert_eq!(put(app, &org_path, &d.admin.token, json!({"predikat": "baik"})).await.status, 201);
    let report = app.get(&path, &d.admin.token).await;
    assert_eq!(report.body["compliant"], false, "{}", report.text);
    assert_eq!(
        report.body["counts"],
        json!({"sangat_baik": 2, "baik": 8, "butuh_perbaikan": 0, "kurang": 0, "sangat_kurang": 0})
    );
    assert_eq!(report.body["shares"]["baik"], 0.8);
    assert_eq!(
        report.body["rules"][0],
        json!({"rule": "baik at most 70%", "ok": false, "detail": "8 of 10; at most 7 allowed"})
    );
    assert_eq!(report.body["rules"][1]["ok"], false, "no butuh perbaikan or kurang");
    assert_eq!(report.body["suggestion"], json!([{"from": "baik", "to": "butuh_perbaikan", "count": 1}]));

    // Applying the suggestion by calibration makes the unit comply.
    let one_baik: String = {
        let list =
            app.get(&format!("/api/v1/performance-plans?period_id={}&status=rated", d.period), &d.admin.token).await;
        let items = list.body["items"].as_array().unwrap().clone();
        let mut found = None;
        for item in items {
            let id = item["id"].as_str().unwrap().to_owned();
            let rating = app.get(&format!("/api/v1/performance-plans/{id}/final-rating"), &d.admin.token).await;
            if rating.body["predikat"] == "baik" {
                found = Some(id);
                break;
            }
        }
        found.expect("a baik plan")
    };
    let calibrated = app
        .post(
            &format!("/api/v1/performance-plans/{one_baik}/calibration"),
            &d.admin.token,
            json!({"predikat": "butuh_perbaikan", "justification": "Kurva distribusi: predikat organisasi Baik."}),
        )
        .await;
    assert_eq!(calibrated.status, 200, "{}", calibrated.text);
    let after = app.get(&path, &d.admin.token).await;
    assert_eq!(after.body["compliant"], true, "{}", after.text);
    assert_eq!(after.body["suggestion"], Value::Null);

    // The subtree: Dinas (no one rated there itself) counts Bidang with include=subunits.
    let dinas_path = format!("/api/v1/units/{}/distribution?period_id={}", d.dinas, d.period);
    assert_eq!(app.get(&dinas_path, &d.admin.token).await.body["total"], 0);
    let subtree = app.get(&format!("{dinas_path}&include=subunits"), &d.admin.token).await;
    assert_eq!(subtree.body["total"], 10, "{}", subtree.text);
    assert_eq!(subtree.body["include_subunits"], true);
    app.get(&format!("{dinas_path}&include=everything"), &d.admin.token).await.assert_problem(422, "validation_failed");

    // An empty unit complies with anything.
    let empty_org = format!("/api/v1/units/{}/organisation-rating/{}", d.dinas, d.period);
    assert_eq!(put(app, &empty_org, &d.admin.token, json!({"predikat": "kurang"})).await.status, 201);
    let empty = app.get(&dinas_path, &d.admin.token).await;
    assert_eq!(empty.body["compliant"], true, "{}", empty.text);

    // People's ratings: not for an employee, not across agencies.
    app.get(&path, &d.staff.token).await.assert_problem(403, "forbidden");
    app.get(&path, &d.outsider.token).await.assert_problem(404, "not_found");
}

#[actix_web::test]
async fn reports_and_the_national_export() {
    let d = dinas().await;
    let app = &d.app;
    let plan = d.approved_plan("staff", &d.staff, &d.kabid).await;
    let path = format!("/api/v1/performance-plans/{plan}");
    let evaluation = app
        .post(&format!("{path}/evaluations"), &d.staff.token, json!({"period_label": "2026-Q2", "realizations": []}))
        .await;
    let evaluation_id = id_of(&evaluation);
    let rated = app
        .post(
            &format!("/api/v1/evaluations/{evaluation_id}/rating"),
            &d.kabid.token,
            json!({"result_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}),
        )
        .await;
    assert_eq!(rated.status, 200, "{}", rated.text);
    let annual = app
        .post(
            &format!("{path}/final-rating"),
            &d.kabid.token,
            json!({"result_rating": "di_atas_ekspektasi", "behaviour_rating": "di_atas_ekspektasi"}),
        )
        .await;
    assert_eq!(annual.body["predikat"], "sangat_baik", "{}", annual.text);
    assert_eq!(annual.body["periodic"][0]["predikat"], "baik", "the periodic predikat behind it");
    let _kabid_plan = d.approved_plan("kabid", &d.kabid, &d.kepala).await;

    let participation =
        app.get(&format!("/api/v1/reports/participation?period_id={}", d.period), &d.auditor.token).await;
    assert_eq!(participation.status, 200, "{}", participation.text);
    let bidang = participation.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == d.bidang.as_str())
        .unwrap()
        .clone();
    assert_eq!((bidang["employees"].as_i64(), bidang["plans"].as_i64()), (Some(2), Some(2)));
    assert_eq!(
        (bidang["submitted"].as_i64(), bidang["approved"].as_i64(), bidang["rated"].as_i64()),
        (Some(2), Some(2), Some(1))
    );
    // Q2 was due on 2026-07-10: the plan with no Q2 realisations is overdue, the rated one is not.
    assert_eq!(
        bidang["sub_periods"][1],
        json!({"period_label": "2026-Q2", "evaluated": 1, "rated": 1, "due_on": "2026-07-10",
               "realisations_overdue": 1, "ratings_overdue": 0})
    );
    assert_eq!(bidang["sub_periods"][0]["evaluated"], 0);
    let predikat = app.get(&format!("/api/v1/reports/predikat?period_id={}", d.period), &d.auditor.token).await;
    assert_eq!(predikat.body["agency"]["counts"], json!({"sangat_baik": 1}), "{}", predikat.text);
    app.get(&format!("/api/v1/reports/participation?period_id={}", d.period), &d.staff.token)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/reports/predikat?period_id={}", d.period), &d.outsider.token)
        .await
        .assert_problem(404, "not_found");

    let export = format!("/api/v1/exports/national-skp?agency_id={}&period_id={}", d.agency, d.period);
    let ndjson = app.get(&export, &d.auditor.token).await;
    assert_eq!(ndjson.status, 200, "{}", ndjson.text);
    assert_eq!(ndjson.header("content-type").as_deref(), Some("application/x-ndjson"));
    let lines: Vec<Value> = ndjson.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{}", ndjson.text);
    assert_eq!(
        lines[0],
        json!({"record": "annual", "period_label": "2026", "year": 2026, "start_month": 1, "end_month": 12,
               "nip": "199001012015031001", "name": "Budi Santoso", "grade": "III/a", "position": "STAF", "unit": "Bidang Pembinaan SD",
               "result_rating": 1, "behaviour_rating": 1, "predikat": 1, "predikat_code": "sangat_baik",
               "rater_nip": "197204101998032004", "rater_name": "Sri Wahyuni, S.Pd.", "rater_grade": "III/a",
               "rater_position": "KABID", "rater_unit": "Bidang Pembinaan SD"})
    );
    assert_eq!(
        (lines[1]["record"].as_str(), lines[1]["start_month"].as_i64(), lines[1]["end_month"].as_i64()),
        (Some("periodic"), Some(4), Some(6))
    );
    assert_eq!(
        (lines[1]["result_rating"].as_i64(), lines[1]["behaviour_rating"].as_i64(), lines[1]["predikat"].as_i64()),
        (Some(1), Some(2), Some(2))
    );

    let csv = app.get(&format!("{export}&format=csv&records=annual"), &d.admin.token).await;
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(rows.len(), 2, "{}", csv.text);
    assert!(rows[0].starts_with("record,period_label,year,start_month,end_month,nip,name"));
    assert_eq!(rows[1], "annual,2026,2026,1,12,199001012015031001,Budi Santoso,III/a,STAF,Bidang Pembinaan SD,1,1,1,sangat_baik,197204101998032004,\"Sri Wahyuni, S.Pd.\",III/a,KABID,Bidang Pembinaan SD");

    // As a workbook: numbers as numbers, the NIP as text, the rating's time as a date-time.
    let book = crate::helpers::Workbook::of(&app.get(&format!("{export}&format=xlsx"), &d.admin.token).await);
    assert!(book.header_frozen());
    assert_eq!(book.cells.height(), 3, "a header and two records");
    let annual: Vec<&calamine::Data> = book.cells.rows().nth(1).unwrap().iter().collect();
    assert_eq!(annual[0], &calamine::Data::String("annual".into()));
    assert_eq!(annual[2], &calamine::Data::Float(2026.0), "year");
    assert_eq!(annual[5], &calamine::Data::String("199001012015031001".into()), "NIP");
    assert_eq!(annual[12], &calamine::Data::Float(1.0), "predikat");
    let ratings = format!("/api/v1/exports/ratings?agency_id={}&period_id={}&format=xlsx", d.agency, d.period);
    let book = crate::helpers::Workbook::of(&app.get(&ratings, &d.admin.token).await);
    let header: Vec<String> = book.cells.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let at = header.iter().position(|h| h == "rated_at").unwrap();
    let rated_at = &book.cells.rows().nth(1).unwrap()[at];
    assert!(matches!(rated_at, calamine::Data::DateTime(_)), "{rated_at:?}");
    let year = calamine::DataType::as_datetime(rated_at).map(|t| chrono::Datelike::year(&t));
    assert_eq!(year, Some(chrono::Datelike::year(&chrono::Utc::now())));

    app.get(&export, &d.staff.token).await.assert_problem(403, "forbidden");
    app.get(&export, &d.outsider.token).await.assert_problem(404, "not_found");
    let xml = app.get(&format!("{export}&format=xml"), &d.admin.token).await;
    xml.assert_problem(422, "invalid_value");
    assert_eq!(xml.body["errors"][0]["field"], "format");
}

#[actix_web::test]
async fn an_admin_names_who_decides_objections_when_the_registry_does_not_say() {
    let d = dinas().await;
    let app = &d.app;
    // The kabid is rated by the kepala, who reports to no one in the agency.
    let plan = d.approved_plan("kabid", &d.kabid, &d.kepala).await;
    let path = format!("/api/v1/performance-plans/{plan}");
    assert_eq!(app.get(&path, &d.kabid.token).await.body["rater_supervisor"], Value::Null);
    let sekda = app.create_employee(d.agency, "196501011990031001", "Sekretaris Daerah");
    let sekda_user = app.user("sekda", &[Role::Employee], Some(d.agency), Some(sekda)).await;
    let rater = format!("{path}/rater");
    let own = put(
        app,
        &rater,
        &d.admin.token,
        json!({"rater_id": d.ids["kepala"], "rater_supervisor_id": d.ids["kabid"], "reason": "x"}),
    )
    .await;
    assert_eq!(own.body["errors"][0]["field"], "rater_supervisor_id", "{}", own.text);
    let body = json!({"rater_id": d.ids["kepala"], "rater_supervisor_id": sekda, "reason": "Atasan pejabat penilai: Sekretaris Daerah"});
    put(app, &rater, &d.kepala.token, body.clone()).await.assert_problem(403, "forbidden");
    let named = put(app, &rater, &d.admin.token, body).await;
    assert_eq!(named.body["rater_supervisor"]["id"], sekda.to_string(), "{}", named.text);

    let org_path = format!("/api/v1/units/{}/organisation-rating/{}", d.bidang, d.period);
    assert_eq!(put(app, &org_path, &d.admin.token, json!({"predikat": "butuh_perbaikan"})).await.status, 201);
    let rated = app
        .post(&format!("{path}/final-rating"), &d.kepala.token, json!({"behaviour_rating": "sesuai_ekspektasi"}))
        .await;
    assert_eq!(rated.body["predikat"], "butuh_perbaikan", "di bawah × sesuai: {}", rated.text);
    let filed = app
        .post(&format!("{path}/objections"), &d.kabid.token, json!({"reason": "Capaian bidang melampaui target."}))
        .await;
    assert_eq!(filed.body["decider_id"], sekda.to_string(), "{}", filed.text);
    let mine = app.get("/api/v1/objections", &sekda_user.token).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "{}", mine.text);
}

/// The history keeps each judgement as it was made: after the employee moves to another post,
/// unit and grade and the post's standard is raised, the history reads the same, while today's
/// profile moves.
#[actix_web::test]
async fn the_history_stays_as_judged_when_the_employee_moves_and_the_standard_changes() {
    let d = dinas().await;
    let app = &d.app;
    let root = app.super_admin().await;
    let mut competencies = Vec::new();
    for (code, name) in [("M-INT", "Integritas"), ("M-KS", "Kerjasama")] {
        let levels: Vec<Value> = (1..=5)
            .map(|l| json!({"level": l, "description": format!("Level {l}"), "indicators": ["Perilaku"]}))
            .collect();
        let body = json!({"code": code, "name": name, "group": "manajerial", "levels": levels});
        competencies.push(id_of(&app.post("/api/v1/competencies", &root.token, body).await));
    }
    let staf_position = app.get(&format!("/api/v1/employees/{}", d.ids["staff"]), &d.admin.token).await.body
        ["position_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let standard_path = format!("/api/v1/positions/{staf_position}/competency-requirements");
    let standard = |int: u8, ks: u8| json!([{"competency_id": competencies[0], "required_level": int}, {"competency_id": competencies[1], "required_level": ks}]);
    assert_eq!(put(app, &standard_path, &d.admin.token, standard(3, 3)).await.status, 200);
    // The kabid assesses: integrity met, cooperation one short.
    let assessment = json!({"employee_id": d.ids["staff"], "period_id": d.period, "source": "supervisor",
                            "ratings": [{"competency_id": competencies[0], "level": 3}, {"competency_id": competencies[1], "level": 2}]});
    assert_eq!(app.post("/api/v1/competency-assessments", &d.kabid.token, assessment).await.status, 201);
    let plan = d.approved_plan("staff", &d.staff, &d.kabid).await;
    let rating = json!({"result_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"});
    let rated = app.post(&format!("/api/v1/performance-plans/{plan}/final-rating"), &d.kabid.token, rating).await;
    assert_eq!(rated.status, 201, "{}", rated.text);

    let history_path = format!("/api/v1/employees/{}/history", d.ids["staff"]);
    let before = app.get(&history_path, &d.staff.token).await;
    assert_eq!(before.status, 200, "{}", before.text);
    let period = &before.body["periods"][0];
    assert_eq!(before.body["periods"].as_array().unwrap().len(), 1);
    assert_eq!(period["period_id"], d.period.as_str());
    let rated_as = &period["performance"]["judged_as"];
    assert_eq!(rated_as["position_code"], "STAF");
    assert_eq!(rated_as["unit_name"], "Bidang Pembinaan SD");
    assert_eq!(rated_as["grade"], "III/a");
    assert_eq!(rated_as["rule_set"], "permenpanrb-6-2022");
    assert_eq!(period["performance"]["rated_predikat"], "baik");
    assert_eq!(period["performance"]["predikat"], "baik");
    assert!(period["performance"]["calibrated_predikat"].is_null());
    let competency = &period["competency"];
    assert_eq!(competency["judged_as"]["position_code"], "STAF");
    assert_eq!(competency["standard"].as_array().unwrap().len(), 2);
    let jpm = competency["jpm"].as_f64().unwrap();
    assert!(jpm > 0.0 && jpm < 100.0, "one short of the standard: {jpm}");
    assert!(competency["jpm_category"].is_string());
    assert_eq!(competency["potential_from"], "jpm");
    assert!(period["box"].is_u64(), "{}", before.text);
    assert_eq!(before.body["trend"][0]["predikat"], "baik");
    assert_eq!(before.body["trend"][0]["jpm"], competency["jpm"]);
    assert_eq!(before.body["trend"][0]["box"], period["box"]);

    // Today: promoted to another post and unit, a higher grade, and the old post's standard raised.
    let t = &d.admin.token;
    let analyst = id_of(
        &app.post(
            &format!("/api/v1/agencies/{}/positions", d.agency),
            t,
            json!({"code": "ANALIS", "name": "Analis Kebijakan", "kind": "fungsional", "level": "ahli_pertama", "unit_id": d.dinas}),
        )
        .await,
    );
    let moved = app
        .patch(
            &format!("/api/v1/employees/{}", d.ids["staff"]),
            t,
            json!({"position_id": analyst, "unit_id": d.dinas, "grade": "III/b"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(put(app, &standard_path, t, standard(5, 5)).await.status, 200);
    let analyst_standard = format!("/api/v1/positions/{analyst}/competency-requirements");
    assert_eq!(put(app, &analyst_standard, t, standard(5, 5)).await.status, 200);
    app.sql("UPDATE units SET name = 'Bidang SD (lama)' WHERE code = 'BID-SD'");
    let profile_now =
        app.get(&format!("/api/v1/employees/{}/competency-profile?period_id={}", d.ids["staff"], d.period), t).await;
    assert_eq!(profile_now.status, 200, "{}", profile_now.text);
    assert!(profile_now.body["jpm"].as_f64().unwrap() < jpm, "today's profile moves: {}", profile_now.text);

    let after = app.get(&history_path, &d.staff.token).await;
    assert_eq!(after.body, before.body, "the history reads as it was judged");

    // Who may read it: the employee and those above; not another agency.
    assert_eq!(app.get(&history_path, &d.kepala.token).await.status, 200);
    assert_eq!(app.get(&history_path, &d.auditor.token).await.status, 200);
    app.get(&history_path, &d.outsider.token).await.assert_problem(404, "not_found");
    let kabid_history = format!("/api/v1/employees/{}/history", d.ids["kabid"]);
    app.get(&kabid_history, &d.staff.token).await.assert_problem(404, "not_found");
    assert_eq!(app.get(&kabid_history, &d.kabid.token).await.body["periods"], json!([]));
}
