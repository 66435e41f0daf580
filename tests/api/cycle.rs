//! Running the cycle day to day: deadlines, closing a period, the work inbox, acting officials,
//! unit heads and national oversight.

use futures_util::future::join_all;
use kinerja_domain::Role;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::performance::{approved_plan, skp, submitted_plan};

#[actix_web::test]
async fn a_period_carries_its_deadlines_defaults_and_set() {
    let s = skp().await;
    let app = &s.app;
    let period = app.get(&format!("/api/v1/periods/{}", s.period), &s.admin.token).await;
    assert_eq!(period.body["status"], "open", "{}", period.text);
    assert_eq!(period.body["deadlines"]["planning_due"], "2026-01-31");
    assert_eq!(period.body["deadlines"]["evaluation_due"][0], json!({"label": "2026-Q1", "due_on": "2026-04-10"}));
    assert_eq!(period.body["deadlines"]["rating_due"], "2027-01-31");

    let path = format!("/api/v1/periods/{}", s.period);
    let set = app
        .patch(
            &path,
            &s.admin.token,
            json!({"planning_due": "2026-02-15", "evaluation_due": {"2026-Q2": "2026-07-05"}}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["deadlines"]["planning_due"], "2026-02-15");
    assert_eq!(set.body["deadlines"]["evaluation_due"][1]["due_on"], "2026-07-05");
    assert_eq!(set.body["deadlines"]["evaluation_due"][2]["due_on"], "2026-10-10", "the others keep their default");
    // `null` goes back to the default; what is not named stays.
    let back = app.patch(&path, &s.admin.token, json!({"planning_due": null})).await;
    assert_eq!(back.body["deadlines"]["planning_due"], "2026-01-31");
    assert_eq!(back.body["deadlines"]["evaluation_due"][1]["due_on"], "2026-07-05");

    let bad = app
        .patch(&path, &s.admin.token, json!({"rating_due": "2028-06-01", "evaluation_due": {"2026-05": "2026-06-10"}}))
        .await;
    bad.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["rating_due", "evaluation_due.2026-05"], "{}", bad.text);
    // Employees read deadlines but do not set them.
    app.patch(&path, &s.staff.token, json!({"planning_due": "2026-02-01"})).await.assert_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_closed_period_refuses_new_work_until_it_is_reopened_and_both_acts_are_audited() {
    let s = skp().await;
    let app = &s.app;
    let (plan, indicator) = approved_plan(&s).await;
    let evaluations = format!("/api/v1/performance-plans/{plan}/evaluations");
    let q1 = json!({"period_label": "2026-Q1", "realizations": [{"indicator_id": indicator, "value": 3}]});
    let q1_made = app.post(&evaluations, &s.sekretaris.token, q1).await;
    assert_eq!(q1_made.status, 201, "{}", q1_made.text);

    // Participation shows what is overdue: planning (due 2026-01-31), Q1 and Q2 are past.
    let unit = uuid::Uuid::now_v7();
    app.sql(&format!(
        "INSERT INTO units (id, agency_id, code, name) SELECT '{unit}', agency_id, 'DISDIK', 'Dinas Pendidikan' \
         FROM periods WHERE id = '{}'",
        s.period
    ));
    app.sql(&format!("UPDATE employees SET unit_id = '{unit}'"));
    let report = app.get(&format!("/api/v1/reports/participation?period_id={}", s.period), &s.admin.token).await;
    assert_eq!(report.status, 200, "{}", report.text);
    let unit = &report.body["units"][0];
    // Three employees, one plan submitted (and approved): two plans overdue.
    assert_eq!((unit["employees"].as_i64(), unit["plans_overdue"].as_i64()), (Some(3), Some(2)), "{}", report.text);
    let q = |i: usize, field: &str| unit["sub_periods"][i][field].as_i64().unwrap();
    assert_eq!((q(0, "realisations_overdue"), q(0, "ratings_overdue")), (0, 1), "Q1 recorded, not rated");
    assert_eq!((q(1, "realisations_overdue"), q(1, "ratings_overdue")), (1, 0), "Q2 not recorded");
    // Q4 (due 2027-01-10) and the annual rating (due 2027-01-31) count once their day has passed.
    let today = kinerja_domain::objection::calendar_day(chrono::Utc::now()).to_string();
    let once_past = |due: &str, count: i64| if today.as_str() > due { count } else { 0 };
    assert_eq!(q(3, "realisations_overdue"), once_past("2027-01-10", 1));
    assert_eq!(unit["annual_ratings_overdue"].as_i64().unwrap(), once_past("2027-01-31", 1));

    let close = format!("/api/v1/periods/{}/close", s.period);
    let reopen = format!("/api/v1/periods/{}/reopen", s.period);
    app.post(&close, &s.staff.token, json!({"reason": "selesai"})).await.assert_problem(403, "forbidden");
    app.post(&close, &s.admin.token, json!({"reason": "  "})).await.assert_problem(422, "validation_failed");
    let closed = app.post(&close, &s.admin.token, json!({"reason": "Penilaian 2026 ditetapkan"})).await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(closed.body["status_reason"], "Penilaian 2026 ditetapkan");
    app.post(&close, &s.admin.token, json!({"reason": "lagi"})).await.assert_problem(409, "invalid_transition");

    // A late realisation, a rating, a new plan, an annual rating: all 409 period_closed.
    let q2 = json!({"period_label": "2026-Q2", "realizations": [{"indicator_id": indicator, "value": 3}]});
    app.post(&evaluations, &s.sekretaris.token, q2.clone()).await.assert_problem(409, "period_closed");
    let q1_id = q1_made.body["id"].as_str().unwrap();
    let rate = json!({"result_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"});
    app.post(&format!("/api/v1/evaluations/{q1_id}/rating"), &s.kepala.token, rate.clone())
        .await
        .assert_problem(409, "period_closed");
    let staff_plan = json!({"employee_id": s.ids["staff"], "period_id": s.period, "approach": "kuantitatif"});
    app.post("/api/v1/performance-plans", &s.staff.token, staff_plan.clone())
        .await
        .assert_problem(409, "period_closed");
    app.post(&format!("/api/v1/performance-plans/{plan}/final-rating"), &s.kepala.token, rate.clone())
        .await
        .assert_problem(409, "period_closed");
    assert_eq!(app.number("SELECT count(*) AS n FROM evaluations"), 1, "nothing was written");

    let reopened = app.post(&reopen, &s.admin.token, json!({"reason": "Koreksi realisasi triwulan II"})).await;
    assert_eq!(reopened.status, 200, "{}", reopened.text);
    assert_eq!(reopened.body["status"], "open");
    assert_eq!(app.post(&evaluations, &s.sekretaris.token, q2).await.status, 201);
    assert_eq!(app.post("/api/v1/performance-plans", &s.staff.token, staff_plan).await.status, 201);

    let trail = app.get(&format!("/api/v1/audit-events?entity=period&entity_id={}", s.period), &s.admin.token).await;
    let acts: Vec<(&str, &Value)> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] != "create")
        .map(|e| (e["action"].as_str().unwrap(), &e["changes"]["status_reason"]["new"]))
        .collect();
    assert_eq!(
        acts,
        vec![("close", &json!("Penilaian 2026 ditetapkan")), ("reopen", &json!("Koreksi realisasi triwulan II"))],
        "{}",
        trail.text
    );
}

#[actix_web::test]
async fn a_close_racing_with_new_plans_lets_none_in_after_it() {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let admin = app.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let period = period_2026(&app, &admin.token, agency, "quarterly").await;
    let employees: Vec<uuid::Uuid> = (0..12)
        .map(|i| app.create_employee(agency, &format!("1990010120150310{i:02}"), &format!("Pegawai {i}")))
        .collect();
    let close = format!("/api/v1/periods/{period}/close");
    let mut calls: Vec<_> = employees
        .iter()
        .map(|e| {
            app.post(
                "/api/v1/performance-plans",
                &admin.token,
                json!({"employee_id": e, "period_id": period, "approach": "kuantitatif"}),
            )
        })
        .collect();
    calls.insert(6, app.post(&close, &admin.token, json!({"reason": "Tutup buku"})));
    let replies = join_all(calls).await;
    let mut created = 0;
    for reply in &replies {
        match reply.status.as_u16() {
            200 => assert_eq!(reply.body["status"], "closed"),
            201 => created += 1,
            _ => reply.assert_problem(409, "period_closed"),
        }
    }
    assert_eq!(app.number("SELECT count(*) AS n FROM performance_plans"), created);
    // Every plan that got in committed before the close did.
    let after_close = app.number(&format!(
        "SELECT count(*) AS n FROM performance_plans p, periods d WHERE d.id = '{period}' AND p.agency_id = d.agency_id \
         AND pg_xact_commit_timestamp(p.xmin) > pg_xact_commit_timestamp(d.xmin)"
    ));
    assert_eq!(after_close, 0);
}

#[actix_web::test]
async fn an_acting_official_approves_and_rates_in_the_officials_stead_until_the_delegation_ends() {
    let s = skp().await;
    let app = &s.app;
    let period = app.get(&format!("/api/v1/periods/{}", s.period), &s.admin.token).await;
    let agency: uuid::Uuid = period.body["agency_id"].as_str().unwrap().parse().unwrap();
    let kabid_id = app.create_employee(agency, "197805052005011002", "Ir. Agus Salim");
    let kabid = app.user("kabid", &[Role::Employee], Some(agency), Some(kabid_id)).await;
    let today = kinerja_domain::objection::calendar_day(chrono::Utc::now());
    let yesterday = today.pred_opt().unwrap();

    // The secretary's plan waits for the head (kepala), who is away.
    let (plan, indicator) = submitted_plan(&s).await;
    let path = format!("/api/v1/performance-plans/{plan}");
    // Before any delegation the head of division is a stranger to the plan.
    app.post(&format!("{path}/approve"), &kabid.token, json!({})).await.assert_problem(404, "not_found");

    let acting = json!({"acting_employee_id": kabid_id, "for_employee_id": s.ids["kepala"], "kind": "plh",
                        "starts_on": "2026-01-01", "ends_on": today, "reason": "Plh. Kepala Dinas (SPT 094/112/2026)"});
    app.post("/api/v1/acting-officials", &kabid.token, acting.clone()).await.assert_problem(403, "forbidden");
    let mut own = acting.clone();
    own["for_employee_id"] = json!(kabid_id);
    let refused = app.post("/api/v1/acting-officials", &s.admin.token, own).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["code"], "self_delegation", "{}", refused.text);
    let made = app.post("/api/v1/acting-officials", &s.admin.token, acting.clone()).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["runs_today"], true);
    let mut second = acting.clone();
    second["acting_employee_id"] = json!(s.ids["staff"]);
    second["starts_on"] = json!(today);
    let overlapping = app.post("/api/v1/acting-officials", &s.admin.token, second).await;
    overlapping.assert_problem(422, "validation_failed");
    assert_eq!(overlapping.body["errors"][0]["code"], "overlapping_delegation", "{}", overlapping.text);

    // While it runs, the head's work shows in the stand-in's inbox, marked as the head's...
    let waiting = app.get("/api/v1/me/tasks?kind=approve_plan", &kabid.token).await;
    assert_eq!(waiting.body["items"][0]["subject_id"], plan.as_str(), "{}", waiting.text);
    assert_eq!(waiting.body["items"][0]["acting_for"], s.ids["kepala"].as_str());
    // ...and the head of division approves and rates as the head would.
    let approved = app.post(&format!("{path}/approve"), &kabid.token, json!({})).await;
    assert_eq!(approved.body["status"], "approved", "{}", approved.text);
    let evaluations = format!("{path}/evaluations");
    let q1 = app
        .post(
            &evaluations,
            &s.sekretaris.token,
            json!({"period_label": "2026-Q1", "realizations": [{"indicator_id": indicator, "value": 3}]}),
        )
        .await;
    let q2 = app
        .post(
            &evaluations,
            &s.sekretaris.token,
            json!({"period_label": "2026-Q2", "realizations": [{"indicator_id": indicator, "value": 3}]}),
        )
        .await;
    let rate = json!({"result_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"});
    let rated = app
        .post(&format!("/api/v1/evaluations/{}/rating", q1.body["id"].as_str().unwrap()), &kabid.token, rate.clone())
        .await;
    assert_eq!(rated.status, 200, "{}", rated.text);
    // The trail says: by the head of division, acting for the head.
    let trail = app.get(&format!("/api/v1/audit-events?entity=plan&entity_id={plan}"), &s.admin.token).await;
    let approve = trail.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "approve").unwrap();
    assert_eq!(
        (approve["actor_id"].as_str(), approve["acting_for"].as_str()),
        (Some(kabid.id.to_string().as_str()), Some(s.ids["kepala"].as_str()))
    );
    let submit = trail.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "submit").unwrap();
    assert_eq!(submit["acting_for"], Value::Null, "the employee's own act names nobody else");
    let evaluation_trail = app
        .get(
            &format!("/api/v1/audit-events?entity=evaluation&entity_id={}", q1.body["id"].as_str().unwrap()),
            &s.admin.token,
        )
        .await;
    let rate_event = evaluation_trail.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "rate").unwrap();
    assert_eq!(rate_event["acting_for"], s.ids["kepala"].as_str());

    // Once the delegation has ended, the stand-in can do nothing more.
    let delegation = made.body["id"].as_str().unwrap();
    let ended = app
        .patch(&format!("/api/v1/acting-officials/{delegation}"), &s.admin.token, json!({"ends_on": yesterday}))
        .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(ended.body["runs_today"], false);
    app.post(&format!("/api/v1/evaluations/{}/rating", q2.body["id"].as_str().unwrap()), &kabid.token, rate.clone())
        .await
        .assert_problem(404, "not_found");
    let after = app.get("/api/v1/me/tasks?kind=rate_evaluation", &kabid.token).await;
    assert_eq!(after.body["items"], json!([]), "{}", after.text);
    // The head, back, rates it.
    let by_head = app
        .post(&format!("/api/v1/evaluations/{}/rating", q2.body["id"].as_str().unwrap()), &s.kepala.token, rate)
        .await;
    assert_eq!(by_head.status, 200, "{}", by_head.text);
}

/// A period for 2026 in `agency`, opened by `token`'s admin.
async fn period_2026(app: &TestApp, token: &str, agency: impl std::fmt::Display, cadence: &str) -> String {
    app.open_period(token, agency, 2026, cadence).await
}

/// An access token of a demo login.
async fn demo_token(app: &TestApp, name: &str) -> String {
    let reply = app.login(name, kinerja_api::admin::demo::DEMO_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

/// The kinds of the caller's tasks, in the inbox's order, each with its sub-period.
async fn inbox(app: &TestApp, token: &str) -> Vec<(String, Option<String>, bool)> {
    let reply = app.get("/api/v1/me/tasks", token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_owned(),
                t["period_label"].as_str().map(str::to_owned),
                t["overdue"] == true,
            )
        })
        .collect()
}

fn task(kind: &str, label: Option<&str>, overdue: bool) -> (String, Option<String>, bool) {
    (kind.to_owned(), label.map(str::to_owned), overdue)
}

#[actix_web::test]
async fn a_period_on_the_demo_agency_walks_through_its_deadlines_in_everyones_inbox() {
    let app = TestApp::new().await;
    kinerja_api::admin::demo::seed(&app.state.db).await.unwrap();
    let login = |name: &'static str| demo_token(&app, name);
    let (admin, guru) = (login("admin.bth").await, login("guru").await);
    let me = app.get("/api/v1/me", &guru).await;
    let guru_id = me.body["employee_id"].as_str().unwrap().to_owned();
    let record = app.get(&format!("/api/v1/employees/{guru_id}"), &guru).await;
    let agency: uuid::Uuid = record.body["agency_id"].as_str().unwrap().parse().unwrap();
    let head_id: uuid::Uuid = record.body["supervisor_id"].as_str().unwrap().parse().unwrap();
    let head = app.user("kepsek", &[Role::Employee], Some(agency), Some(head_id)).await.token;
    let today = kinerja_domain::objection::calendar_day(chrono::Utc::now()).to_string();
    let past = |due: &str| today.as_str() > due;

    // No period, no work.
    assert_eq!(inbox(&app, &guru).await, vec![]);
    let period = period_2026(&app, &admin, &agency, "quarterly").await;
    // The plan was due by the end of January: overdue.
    assert_eq!(inbox(&app, &guru).await, vec![task("submit_plan", None, true)]);
    let summary = app.get("/api/v1/me/tasks/summary", &guru).await;
    assert_eq!((summary.body["counts"]["submit_plan"].as_i64(), summary.body["overdue"].as_i64()), (Some(1), Some(1)));
    assert_eq!(summary.body["next_due_on"], "2026-01-31");

    let plan = app.draft_plan(&guru, guru_id, &period, "kuantitatif").await;
    let path = format!("/api/v1/performance-plans/{plan}");
    let with = app
        .post(&format!("{path}/results"), &guru,
              json!({"kind": "utama", "description": "Pembelajaran kelas VIII terlaksana",
                     "indicators": [{"description": "Persentase RPP terlaksana", "aspect": "kuantitas", "target_value": 100, "target_unit": "persen"}]}))
        .await;
    assert_eq!(with.status, 201, "{}", with.text);
    let indicator = with.body["results"][0]["indicators"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(inbox(&app, &guru).await, vec![task("submit_plan", None, true)], "a draft still waits to be submitted");
    // The head has their own plan to start, like everyone.
    let own = task("submit_plan", None, true);
    assert_eq!(inbox(&app, &head).await, vec![own.clone()]);
    let submitted = app.post(&format!("{path}/submit"), &guru, json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.text);
    assert_eq!(inbox(&app, &guru).await, vec![], "submitted: the employee waits");
    assert_eq!(inbox(&app, &head).await, vec![own.clone(), task("approve_plan", None, true)]);
    app.post(&format!("{path}/return"), &head, json!({"reason": "Tambahkan indikator kualitas"})).await;
    assert_eq!(inbox(&app, &guru).await, vec![task("revise_returned_plan", None, true)]);
    app.post(&format!("{path}/submit"), &guru, json!({})).await;
    let approved = app.post(&format!("{path}/approve"), &head, json!({})).await;
    assert_eq!(approved.body["status"], "approved", "{}", approved.text);

    // Approved: every begun quarter's realisations are owed; the head owes the annual rating
    // once the last quarter has begun.
    let guru_tasks = inbox(&app, &guru).await;
    assert_eq!(
        guru_tasks,
        vec![
            task("record_realisations", Some("2026-Q1"), true),
            task("record_realisations", Some("2026-Q2"), true),
            task("record_realisations", Some("2026-Q3"), true),
            task("record_realisations", Some("2026-Q4"), past("2027-01-10")),
        ]
    );
    assert_eq!(inbox(&app, &head).await, vec![own.clone(), task("give_final_rating", None, past("2027-01-31"))]);
    let q1 = app
        .post(
            &format!("{path}/evaluations"),
            &guru,
            json!({"period_label": "2026-Q1", "realizations": [{"indicator_id": indicator, "value": 100}]}),
        )
        .await;
    assert_eq!(q1.status, 201, "{}", q1.text);
    assert_eq!(inbox(&app, &guru).await.len(), 3, "Q1 is done");
    assert_eq!(
        inbox(&app, &head).await,
        vec![
            own.clone(),
            task("rate_evaluation", Some("2026-Q1"), true),
            task("give_final_rating", None, past("2027-01-31"))
        ]
    );
    // Paging follows the same order.
    let first = app.get("/api/v1/me/tasks?limit=2", &guru).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/api/v1/me/tasks?limit=2&cursor={cursor}"), &guru).await;
    assert_eq!(rest.body["items"][0]["period_label"], "2026-Q4", "{}", rest.text);
    assert_eq!(rest.body["next_cursor"], Value::Null);
    let only = app.get("/api/v1/me/tasks?kind=give_final_rating", &head).await;
    assert_eq!(only.body["items"].as_array().unwrap().len(), 1);
    app.get("/api/v1/me/tasks?cursor=AAAA", &guru).await.assert_problem(422, "validation_failed");

    // The admin closes the year: the inbox empties, a late realisation is refused.
    let closed = app
        .post(&format!("/api/v1/periods/{period}/close"), &admin, json!({"reason": "Tahun penilaian 2026 ditutup"}))
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(inbox(&app, &guru).await, vec![]);
    assert_eq!(inbox(&app, &head).await, vec![]);
    app.post(
        &format!("{path}/evaluations"),
        &guru,
        json!({"period_label": "2026-Q2", "realizations": [{"indicator_id": indicator, "value": 100}]}),
    )
    .await
    .assert_problem(409, "period_closed");
    let reopened = app
        .post(&format!("/api/v1/periods/{period}/reopen"), &admin, json!({"reason": "Perpanjangan input realisasi Q2"}))
        .await;
    assert_eq!(reopened.status, 200, "{}", reopened.text);
    assert_eq!(inbox(&app, &guru).await.len(), 3, "the work is back");
    let trail = app.get(&format!("/api/v1/audit-events?entity=period&entity_id={period}"), &admin).await;
    let actions: Vec<&str> =
        trail.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["create", "close", "reopen"]);
    // An account that is no employee has nothing waiting.
    let auditor = login("auditor.bth").await;
    assert_eq!(inbox(&app, &auditor).await, vec![], "an account that is no employee has no work of its own");
}

#[actix_web::test]
async fn the_national_auditor_reads_every_agency_and_writes_nothing() {
    let s = skp().await;
    let app = &s.app;
    let root = app.super_admin().await;
    let national = app.user("pengawas.nasional", &[Role::NationalAuditor], None, None).await;
    // A second agency with its own period.
    let other = app.create_agency("KOTA-GTO");
    let other_admin = app.user("admin.gto", &[Role::AgencyAdmin], Some(other), None).await;
    let other_period = period_2026(app, &other_admin.token, other, "annual").await;
    // Only a super admin names a national auditor; an agency admin may not.
    let grant = json!({"username": "pengawas.lain", "password": "a-long-test-password", "roles": ["national_auditor"]});
    app.post("/api/v1/users", &s.admin.token, grant.clone()).await.assert_problem(403, "forbidden");
    let mut in_agency = grant.clone();
    in_agency["agency_id"] = json!(other);
    app.post("/api/v1/users", &other_admin.token, in_agency).await.assert_problem(403, "forbidden");
    assert_eq!(app.post("/api/v1/users", &root.token, grant).await.status, 201);

    // Reads both agencies: their reports and the cross-agency one.
    for period in [s.period.as_str(), other_period.as_str()] {
        let report = app.get(&format!("/api/v1/reports/participation?period_id={period}"), &national.token).await;
        assert_eq!(report.status, 200, "{}", report.text);
    }
    let national_report = app.get("/api/v1/reports/agencies?year=2026", &national.token).await;
    assert_eq!(national_report.status, 200, "{}", national_report.text);
    let codes: Vec<&str> =
        national_report.body["agencies"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["KOTA-GTO", "KOTA-PKY"]);
    let pky = &national_report.body["agencies"][1];
    assert_eq!((pky["employees"].as_i64(), pky["plans"].as_i64()), (Some(3), Some(1)), "{}", national_report.text);
    assert_eq!(app.get(&format!("/api/v1/employees?agency_id={other}"), &national.token).await.status, 200);
    assert_eq!(app.get(&format!("/api/v1/periods/{}", s.period), &national.token).await.status, 200);
    app.get("/api/v1/reports/agencies?year=1899", &national.token).await.assert_problem(422, "validation_failed");
    // Agency people do not read the cross-agency report.
    app.get("/api/v1/reports/agencies?year=2026", &s.admin.token).await.assert_problem(403, "forbidden");

    // Every write operation of the API refuses both auditor roles, whatever it names.
    let auditor = app.user("auditor.pky", &[Role::Auditor], Some(other), None).await;
    let spec: Value = serde_json::from_str(&kinerja_api::openapi_json().unwrap()).unwrap();
    let mut writes = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/auth/") {
            continue; // signing in and out
        }
        for method in
            item.as_object().unwrap().keys().filter(|m| ["post", "put", "patch", "delete"].contains(&m.as_str()))
        {
            let concrete = path
                .split('/')
                .map(|segment| match segment {
                    "{kind}" => "employees".to_owned(),
                    "{period_id}" => other_period.clone(), // a real period, so a refusal cannot be a 404
                    s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                    s => s.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("/");
            for token in [&national.token, &auditor.token] {
                let method = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let reply = app.send(method.clone(), &concrete, Some(token), Some(json!({}))).await;
                assert_eq!(reply.status, 403, "{method} {concrete}: {}", reply.text);
            }
            writes += 1;
        }
    }
    assert!(writes >= 50, "{writes} write operations checked");
    assert_eq!(app.number("SELECT count(*) AS n FROM periods"), 2, "nothing was written");
}

#[actix_web::test]
async fn a_unit_head_reads_their_units_reports_and_nothing_of_other_units() {
    let app = TestApp::new().await;
    kinerja_api::admin::demo::seed(&app.state.db).await.unwrap();
    let login = |name: &'static str| demo_token(&app, name);
    let (admin, head, guru) = (login("admin.bth").await, login("kadisdik").await, login("guru").await);
    let me = app.get("/api/v1/me", &admin).await;
    let agency = me.body["agency_id"].as_str().unwrap().to_owned();
    let units = app.get(&format!("/api/v1/agencies/{agency}/units?limit=500"), &admin).await;
    let unit = |code: &str| -> String {
        units.body["items"].as_array().unwrap().iter().find(|u| u["code"] == code).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (disdik, disdik_smp, dinkes) = (unit("DISDIK"), unit("DISDIK-SMP"), unit("DINKES"));
    let period = period_2026(&app, &admin, &agency, "quarterly").await;

    // The head of the education office reads its curve, training needs and talent map, and those
    // of the divisions below it...
    for path in [
        format!("/api/v1/units/{disdik}/distribution?period_id={period}&include=subunits"),
        format!("/api/v1/units/{disdik_smp}/distribution?period_id={period}"),
        format!("/api/v1/units/{disdik}/training-needs?period_id={period}"),
        format!("/api/v1/agencies/{agency}/talent-map?period_id={period}&unit_id={disdik_smp}"),
    ] {
        let reply = app.get(&path, &head).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    }
    // ...the participation and predikat reports of its subtree only...
    let participation = app.get(&format!("/api/v1/reports/participation?period_id={period}"), &head).await;
    assert_eq!(participation.status, 200, "{}", participation.text);
    let codes: Vec<&str> =
        participation.body["units"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"DISDIK") && codes.contains(&"DISDIK-SMP-2"), "{codes:?}");
    assert!(codes.iter().all(|c| c.starts_with("DISDIK")), "{codes:?}");
    assert_eq!(app.get(&format!("/api/v1/reports/predikat?period_id={period}"), &head).await.status, 200);
    // ...and nothing of the health office.
    for path in [
        format!("/api/v1/units/{dinkes}/distribution?period_id={period}"),
        format!("/api/v1/units/{dinkes}/training-needs?period_id={period}"),
        format!("/api/v1/agencies/{agency}/talent-map?period_id={period}&unit_id={dinkes}"),
        format!("/api/v1/reports/participation?period_id={period}&unit_id={dinkes}"),
    ] {
        app.get(&path, &head).await.assert_problem(404, "not_found");
    }
    // A teacher heads nothing: refused.
    app.get(&format!("/api/v1/units/{disdik}/distribution?period_id={period}"), &guru)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/reports/participation?period_id={period}"), &guru).await.assert_problem(403, "forbidden");
    // The agency admin still reads the whole agency.
    let whole = app.get(&format!("/api/v1/reports/participation?period_id={period}"), &admin).await;
    assert!(whole.body["units"].as_array().unwrap().iter().any(|u| u["code"] == "DINKES"));
}

#[actix_web::test]
async fn the_rating_official_rates_each_result_and_is_warned_not_refused_when_the_whole_departs() {
    let s = skp().await;
    let app = &s.app;
    let (plan, indicator) = approved_plan(&s).await;
    let whole = app.get(&format!("/api/v1/performance-plans/{plan}"), &s.sekretaris.token).await;
    let result = whole.body["results"][0]["id"].as_str().unwrap().to_owned();
    let q1 = app
        .post(
            &format!("/api/v1/performance-plans/{plan}/evaluations"),
            &s.sekretaris.token,
            json!({"period_label": "2026-Q1", "realizations": [{"indicator_id": indicator, "value": 3}]}),
        )
        .await;
    let rating = format!("/api/v1/evaluations/{}/rating", q1.body["id"].as_str().unwrap());
    let mut body = json!({"result_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi",
                          "result_ratings": [{"result_id": uuid::Uuid::now_v7(), "rating": "di_atas_ekspektasi"}]});
    let unknown = app.post(&rating, &s.kepala.token, body.clone()).await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["code"], "unknown_result", "{}", unknown.text);
    // The one utama result below expectation, the whole above: rated as decided, with warnings.
    body["result_ratings"] = json!([{"result_id": result, "rating": "di_bawah_ekspektasi"}]);
    let rated = app.post(&rating, &s.kepala.token, body.clone()).await;
    assert_eq!(rated.status, 200, "{}", rated.text);
    assert_eq!(rated.body["predikat"], "baik", "the official's decision stands (di atas × sesuai)");
    assert_eq!(
        rated.body["explanation"]["warnings"],
        json!([
            "di_atas_ekspektasi usually needs most work results rated above expectation",
            "di_atas_ekspektasi usually allows no utama work result below expectation"
        ])
    );
    let read = app
        .get(
            &format!("/api/v1/performance-plans/{plan}/evaluations/{}", q1.body["id"].as_str().unwrap()),
            &s.sekretaris.token,
        )
        .await;
    assert_eq!(read.body["explanation"]["result_ratings"][0]["rating"], "di_bawah_ekspektasi", "{}", read.text);
    // In line with the results: no warning.
    body["result_ratings"] = json!([{"result_id": result, "rating": "di_atas_ekspektasi"}]);
    let agreed = app.post(&rating, &s.kepala.token, body).await;
    assert_eq!(agreed.body["explanation"].get("warnings"), None, "{}", agreed.text);
}

#[actix_web::test]
async fn a_stand_in_for_a_position_acts_for_whoever_holds_it() {
    let s = skp().await;
    let app = &s.app;
    let kepala = app.get(&format!("/api/v1/employees/{}", s.ids["kepala"]), &s.admin.token).await;
    let position = kepala.body["position_id"].as_str().unwrap().to_owned();
    let agency: uuid::Uuid = kepala.body["agency_id"].as_str().unwrap().parse().unwrap();
    let plt_id = app.create_employee(agency, "197805052005011002", "Ir. Agus Salim");
    let plt = app.user("plt", &[Role::Employee], Some(agency), Some(plt_id)).await;
    let (plan, _) = submitted_plan(&s).await;
    let today = kinerja_domain::objection::calendar_day(chrono::Utc::now());
    // The holder of the post cannot stand in for it.
    let own = json!({"acting_employee_id": s.ids["kepala"], "for_position_id": position, "kind": "plt",
                     "starts_on": today, "ends_on": today, "reason": "SK Bupati 821/45/2026"});
    let refused = app.post("/api/v1/acting-officials", &s.admin.token, own).await;
    assert_eq!(refused.body["errors"][0]["code"], "self_delegation", "{}", refused.text);
    let both = json!({"acting_employee_id": plt_id, "for_employee_id": s.ids["kepala"], "for_position_id": position,
                      "kind": "plt", "starts_on": today, "ends_on": today, "reason": "SK Bupati 821/45/2026"});
    let refused = app.post("/api/v1/acting-officials", &s.admin.token, both).await;
    assert_eq!(refused.body["errors"][0]["code"], "one_of", "{}", refused.text);
    let made = app
        .post(
            "/api/v1/acting-officials",
            &s.admin.token,
            json!({"acting_employee_id": plt_id, "for_position_id": position, "kind": "plt",
                   "starts_on": today, "ends_on": today, "reason": "Plt. Kepala Dinas (SK Bupati 821/45/2026)"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    // The post's holder rates the secretary: the Plt approves in their stead.
    let approved = app.post(&format!("/api/v1/performance-plans/{plan}/approve"), &plt.token, json!({})).await;
    assert_eq!(approved.body["status"], "approved", "{}", approved.text);
    let listed = app.get(&format!("/api/v1/acting-officials?acting_employee_id={plt_id}"), &plt.token).await;
    assert_eq!(listed.body["items"][0]["for_position_id"], position.as_str(), "{}", listed.text);
    // Someone else's delegations are not an employee's to list.
    app.get("/api/v1/acting-officials", &s.staff.token).await.assert_problem(403, "forbidden");
}
