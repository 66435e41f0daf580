//! Competencies: the dictionary, standards, 360° assessments and who may give and read them,
//! profiles with gaps and JPM, development plans with mentors, training needs and the 9-box.

use actix_web::http::Method;
use chrono::{Datelike, Utc};
use kinerja_domain::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{id_of, Reply, TestApp, TestUser};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.send(Method::PUT, path, Some(token), Some(body)).await
}

fn levels(n: u8) -> Value {
    json!((1..=n)
        .map(|l| json!({"level": l, "description": format!("Level {l}"), "indicators": ["Perilaku"]}))
        .collect::<Vec<_>>())
}

/// Dinas ⊃ Bidang SD (kabid; staff and rekan under the kabid; a teacher) and Bidang SMP (lain);
/// three national managerial competencies; the staff position's standard INT 3, KS 3, KOM 2;
/// a period of this year (open) and one of last year (closed).
struct Office {
    app: TestApp,
    agency: Uuid,
    admin: TestUser,
    auditor: TestUser,
    outsider: TestUser,
    root: TestUser,
    kabid: TestUser,
    staff: TestUser,
    rekan: TestUser,
    lain: TestUser,
    guru: TestUser,
    ids: std::collections::HashMap<&'static str, String>,
    period: String,
    last_year: String,
}

async fn office() -> Office {
    let app = TestApp::new().await;
    let agency = app.create_agency("KAB-BTH");
    let other = app.create_agency("KAB-MRJ");
    let root = app.super_admin().await;
    let admin = app.user("admin", &[Role::AgencyAdmin], Some(agency), None).await;
    let auditor = app.user("auditor", &[Role::Auditor], Some(agency), None).await;
    let outsider = app.user("admin.mrj", &[Role::AgencyAdmin], Some(other), None).await;
    let t = admin.token.clone();
    let units = format!("/api/v1/agencies/{agency}/units");
    let dinas = id_of(&app.post(&units, &t, json!({"code": "DISDIK", "name": "Dinas Pendidikan"})).await);
    let sd = id_of(&app.post(&units, &t, json!({"code": "BID-SD", "name": "Bidang SD", "parent_id": dinas})).await);
    let smp = id_of(&app.post(&units, &t, json!({"code": "BID-SMP", "name": "Bidang SMP", "parent_id": dinas})).await);
    let mut ids = std::collections::HashMap::new();
    for (key, kind, level, unit) in [
        ("KABID", "administrator", None, &sd),
        ("STAF", "pelaksana", None, &sd),
        ("STAF-SMP", "pelaksana", None, &smp),
        ("GURU", "fungsional", Some("ahli_muda"), &sd),
    ] {
        let body = json!({"code": key, "name": key, "kind": kind, "level": level, "unit_id": unit});
        ids.insert(key, id_of(&app.post(&format!("/api/v1/agencies/{agency}/positions"), &t, body).await));
    }
    ids.insert("dinas", dinas);
    ids.insert("sd", sd.clone());
    ids.insert("smp", smp.clone());
    for (key, nip, name, position, unit, supervisor) in [
        ("kabid", "197204101998032004", "Sri Wahyuni", "KABID", &sd, None),
        ("staff", "199001012015031001", "Budi Santoso", "STAF", &sd, Some("kabid")),
        ("rekan", "199203052016032002", "Dewi Lestari", "STAF", &sd, Some("kabid")),
        ("lain", "198807072012031003", "Agus Pratama", "STAF-SMP", &smp, None),
        ("guru", "198501012010012001", "Rina Marlina", "GURU", &sd, Some("kabid")),
    ] {
        let supervisor = supervisor.map(|s| ids[s].clone());
        let body = json!({"nip": nip, "name": name, "agency_id": agency, "employment_type": "pns",
                          "position_id": ids[position], "unit_id": unit, "supervisor_id": supervisor});
        let id = id_of(&app.post("/api/v1/employees", &t, body).await);
        ids.insert(key, id);
    }
    let login = |key: &'static str| {
        let app = &app;
        let id: Uuid = ids[key].parse().unwrap();
        async move { app.user(key, &[Role::Employee], Some(agency), Some(id)).await }
    };
    let (kabid, staff, rekan, lain, guru) =
        (login("kabid").await, login("staff").await, login("rekan").await, login("lain").await, login("guru").await);
    for (code, name) in [("M-INT", "Integritas"), ("M-KS", "Kerjasama"), ("M-KOM", "Komunikasi")] {
        let body = json!({"code": code, "name": name, "group": "manajerial", "levels": levels(5)});
        ids.insert(code, id_of(&app.post("/api/v1/competencies", &root.token, body).await));
    }
    let year = Utc::now().year();
    let open = app.open_period(&t, &agency, year, "annual").await;
    let closed = app.open_period(&t, &agency, year - 1, "annual").await;
    let o = Office {
        app,
        agency,
        admin,
        auditor,
        outsider,
        root,
        kabid,
        staff,
        rekan,
        lain,
        guru,
        ids,
        period: open,
        last_year: closed,
    };
    let standard = json!([
        {"competency_id": o.ids["M-INT"], "required_level": 3},
        {"competency_id": o.ids["M-KS"], "required_level": 3},
        {"competency_id": o.ids["M-KOM"], "required_level": 2},
    ]);
    let set = put(&o.app, &format!("/api/v1/positions/{}/competency-requirements", o.ids["STAF"]), &t, standard).await;
    assert_eq!(set.status, 200, "{}", set.text);
    o
}

impl Office {
    async fn assess(&self, who: &TestUser, employee: &str, source: &str, ratings: &[(&str, u8)]) -> Reply {
        let ratings: Vec<Value> =
            ratings.iter().map(|(c, l)| json!({"competency_id": self.ids[c], "level": l})).collect();
        let body =
            json!({"employee_id": self.ids[employee], "period_id": self.period, "source": source, "ratings": ratings});
        self.app.post("/api/v1/competency-assessments", &who.token, body).await
    }

    async fn profile(&self, who: &TestUser, employee: &str) -> Reply {
        let path = format!("/api/v1/employees/{}/competency-profile?period_id={}", self.ids[employee], self.period);
        self.app.get(&path, &who.token).await
    }

    /// Gives the employee an annual predikat for the period, as the kabid.
    fn rated(&self, employee: &str, predikat: &str) {
        let (plan, agency, period, kabid, employee) =
            (Uuid::now_v7(), self.agency, &self.period, &self.ids["kabid"], &self.ids[employee]);
        self.app.sql(&format!(
            "INSERT INTO performance_plans (id, agency_id, employee_id, period_id, approach, status, rater_id) \
             VALUES ('{plan}', '{agency}', '{employee}', '{period}', 'kuantitatif', 'rated', '{kabid}')"
        ));
        self.app.sql(&format!(
            "INSERT INTO final_ratings (plan_id, agency_id, period_id, employee_id, rated_predikat, predikat, explanation, rated_by, rated_at) \
             VALUES ('{plan}', '{agency}', '{period}', '{employee}', '{predikat}', '{predikat}', '{{}}', '{kabid}', now())"
        ));
    }
}

fn item<'a>(profile: &'a Value, code: &str) -> &'a Value {
    profile["items"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap()
}

#[actix_web::test]
async fn the_dictionary_is_national_plus_the_agencys_technical_competencies() {
    let o = office().await;
    let (app, t) = (&o.app, &o.admin.token);
    // An agency admin does not write the national dictionary, nor managerial competencies of its own.
    let national = json!({"code": "M-PK", "name": "Pengambilan Keputusan", "group": "manajerial", "levels": levels(5)});
    app.post("/api/v1/competencies", t, national).await.assert_problem(403, "forbidden");
    let own = json!({"code": "M-X", "name": "X", "group": "manajerial", "agency_id": o.agency, "levels": levels(5)});
    let refused = app.post("/api/v1/competencies", t, own).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["code"], "national_only");
    // Every level 1 to 5 is described.
    let short =
        json!({"code": "T-PBJ", "name": "Pengadaan", "group": "teknis", "agency_id": o.agency, "levels": levels(4)});
    let refused = app.post("/api/v1/competencies", t, short).await;
    assert_eq!(refused.body["errors"][0]["code"], "invalid_levels", "{}", refused.text);
    let technical = json!({"code": "T-PBJ", "name": "Pengadaan Barang/Jasa", "group": "teknis", "agency_id": o.agency, "levels": levels(5)});
    let created = app.post("/api/v1/competencies", t, technical.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["levels"].as_array().unwrap().len(), 5);
    app.post("/api/v1/competencies", t, technical).await.assert_problem(409, "duplicate_code");
    // The agency sees the national dictionary and its own; another agency not this one's.
    let listed = app.get("/api/v1/competencies?limit=500", t).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 4, "{}", listed.text);
    let theirs = app.get("/api/v1/competencies?group=teknis", &o.outsider.token).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0, "{}", theirs.text);
    app.get(&format!("/api/v1/competencies/{}", id_of(&created)), &o.outsider.token)
        .await
        .assert_problem(404, "not_found");
    // The national dictionary is not the agency admin's to change; the agency's own is not an employee's.
    let rename = json!({"name": "Integritas ASN"});
    app.patch(&format!("/api/v1/competencies/{}", o.ids["M-INT"]), t, rename.clone())
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/competencies/{}", id_of(&created)), &o.staff.token, rename)
        .await
        .assert_problem(403, "forbidden");
    // Defaults per position kind are data the super admin edits; a position without its own
    // standard follows them.
    let defaults = json!([{"competency_id": o.ids["M-INT"], "required_level": 1}]);
    put(app, "/api/v1/competency-requirement-defaults/pelaksana", t, defaults.clone())
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        put(app, "/api/v1/competency-requirement-defaults/pelaksana", &o.root.token, defaults).await.status,
        200
    );
    let smp = app.get(&format!("/api/v1/positions/{}/competency-requirements", o.ids["STAF-SMP"]), t).await;
    assert_eq!(
        smp.body["items"],
        json!([{"competency_id": o.ids["M-INT"], "code": "M-INT", "name": "Integritas", "group": "manajerial", "required_level": 1, "from_default": true}])
    );
    // Only the registry's writers set a standard; another agency does not see it.
    let requirements = format!("/api/v1/positions/{}/competency-requirements", o.ids["STAF"]);
    put(app, &requirements, &o.kabid.token, json!([])).await.assert_problem(403, "forbidden");
    app.get(&requirements, &o.outsider.token).await.assert_problem(404, "not_found");
    let staf = app.get(&format!("/api/v1/positions/{}/competency-requirements", o.ids["STAF"]), t).await;
    assert_eq!(staf.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(staf.body["next_cursor"], Value::Null, "a standard is one page, whole");
    assert_eq!(staf.body["items"][0]["from_default"], false);
    // The audit records the standard before and after.
    let events =
        app.get(&format!("/api/v1/audit-events?entity=competency_standard&entity_id={}", o.ids["STAF"]), t).await;
    let changes = &events.body["items"][0]["changes"]["requirements"];
    assert_eq!(changes["new"], staf.body["items"], "{}", events.text);
    assert!(changes["old"].is_array(), "{}", events.text);
    // A standard names each competency once, at a level from 1 to 5.
    let path = format!("/api/v1/positions/{}/competency-requirements", o.ids["STAF"]);
    let bad = json!([{"competency_id": o.ids["M-INT"], "required_level": 6}, {"competency_id": o.ids["M-INT"], "required_level": 2}]);
    let refused = put(app, &path, t, bad).await;
    refused.assert_problem(422, "validation_failed");
    let codes: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["out_of_range", "duplicate"]);
    // A stale If-Match is refused.
    let stale = o
        .app
        .call(
            actix_web::test::TestRequest::put()
                .uri(&path)
                .insert_header(("Authorization", format!("Bearer {t}")))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!([])),
        )
        .await;
    stale.assert_problem(412, "precondition_failed");
    assert_eq!(app.get(&path, t).await.body["items"].as_array().unwrap().len(), 3, "nothing changed");
}

#[actix_web::test]
async fn jpm_gaps_and_the_dialogue_topics_on_a_worked_example() {
    let o = office().await;
    // Self only: sources shown, but nothing assessed yet, so no JPM.
    assert_eq!(o.assess(&o.staff, "staff", "self", &[("M-INT", 5), ("M-KS", 3), ("M-KOM", 2)]).await.status, 201);
    let p = o.profile(&o.staff, "staff").await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["jpm"], Value::Null);
    assert_eq!(p.body["unassessed"].as_array().unwrap().len(), 3);
    assert_eq!(item(&p.body, "M-INT")["sources"]["self"], 5);
    // The supervisor: INT 2 (one below), KS 4 (one above), KOM 2 (met).
    let sup = o.assess(&o.kabid, "staff", "supervisor", &[("M-INT", 2), ("M-KS", 4), ("M-KOM", 2)]).await;
    assert_eq!(sup.status, 201, "{}", sup.text);
    let p = o.profile(&o.staff, "staff").await.body;
    // Σ min(assessed, required) / Σ required = (2 + 3 + 2) / (3 + 3 + 2) = 87.5: KS above its
    // requirement does not make up for INT.
    assert_eq!(p["jpm"], 87.5);
    assert_eq!(p["jpm_category"], "cukup_optimal");
    assert_eq!(p["jpm_filling_category"], "memenuhi_syarat");
    assert_eq!(item(&p, "M-INT")["gap"], -1);
    assert_eq!(item(&p, "M-KS")["gap"], 1);
    assert_eq!(item(&p, "M-KS")["assessed_level"], 4);
    assert_eq!(item(&p, "M-KOM")["gap"], 0);
    // Self 5 against supervisor 2 on integrity: a topic for the next dialogue; KS (3 vs 4) is not.
    assert_eq!(
        p["self_supervisor_gaps"],
        json!([{"competency_id": o.ids["M-INT"], "code": "M-INT", "self": 5, "supervisor": 2, "difference": 3}])
    );
    // An appointed assessor's level shows beside; the supervisor's decides (the rule set's order).
    let appoint = json!({"user_ids": [o.lain.id]});
    let path = format!("/api/v1/agencies/{}/competency-assessors", o.agency);
    put(&o.app, &path, &o.staff.token, appoint.clone()).await.assert_problem(403, "forbidden");
    assert_eq!(put(&o.app, &path, &o.admin.token, appoint).await.status, 200);
    o.app.get(&path, &o.staff.token).await.assert_problem(403, "forbidden");
    assert_eq!(o.app.get(&path, &o.auditor.token).await.body["user_ids"], json!([o.lain.id]));
    assert_eq!(o.assess(&o.lain, "staff", "assessor", &[("M-INT", 4)]).await.status, 201);
    let p = o.profile(&o.kabid, "staff").await.body;
    assert_eq!(item(&p, "M-INT")["sources"]["assessor"], 4);
    assert_eq!(item(&p, "M-INT")["assessed_level"], 2);
    assert_eq!(p["jpm"], 87.5);
    // A position with no standard (a functional post, no defaults): a clear 422.
    let none = o.profile(&o.guru, "guru").await;
    none.assert_problem(422, "no_competency_standard");
    assert!(none.body["detail"].as_str().unwrap().contains("competency-requirements"), "{}", none.text);
    // The supervisor edits their assessment while the period is open: the same record, replaced.
    let again = o.assess(&o.kabid, "staff", "supervisor", &[("M-INT", 3), ("M-KS", 3), ("M-KOM", 2)]).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["id"], sup.body["id"]);
    let p = o.profile(&o.staff, "staff").await.body;
    assert_eq!(p["jpm"], 100.0);
    assert_eq!(p["jpm_category"], "optimal");
    // Last year's period is closed.
    let body = json!({"employee_id": o.ids["staff"], "period_id": o.last_year, "source": "supervisor",
                      "ratings": [{"competency_id": o.ids["M-INT"], "level": 3}]});
    o.app.post("/api/v1/competency-assessments", &o.kabid.token, body).await.assert_problem(409, "period_closed");
}

#[actix_web::test]
async fn who_may_not_assess_and_peers_stay_anonymous() {
    let o = office().await;
    // Rating oneself as a peer; a "peer" from another unit; the supervisor source by a colleague;
    // the assessor source without an appointment.
    o.assess(&o.staff, "staff", "peer", &[("M-INT", 5)]).await.assert_problem(403, "forbidden");
    o.assess(&o.lain, "staff", "peer", &[("M-INT", 2)]).await.assert_problem(403, "forbidden");
    o.assess(&o.rekan, "staff", "supervisor", &[("M-INT", 2)]).await.assert_problem(403, "forbidden");
    o.assess(&o.kabid, "staff", "assessor", &[("M-INT", 2)]).await.assert_problem(403, "forbidden");
    o.assess(&o.outsider, "staff", "assessor", &[("M-INT", 2)]).await.assert_problem(404, "not_found");
    // Only an assessor rates potential; levels are 1 to 5.
    let body = json!({"employee_id": o.ids["staff"], "period_id": o.period, "source": "self", "potential": "tinggi",
                      "ratings": [{"competency_id": o.ids["M-INT"], "level": 0}]});
    let refused = o.app.post("/api/v1/competency-assessments", &o.staff.token, body).await;
    refused.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["ratings[0].level", "potential"]);
    // The supervisor works in the same unit but assesses as the supervisor, never as a peer.
    o.assess(&o.kabid, "staff", "peer", &[("M-INT", 3)]).await.assert_problem(403, "forbidden");
    // Two peers of the same unit.
    let peer = o.assess(&o.rekan, "staff", "peer", &[("M-INT", 4), ("M-KS", 3)]).await;
    assert_eq!(peer.status, 201, "{}", peer.text);
    assert_eq!(o.assess(&o.guru, "staff", "peer", &[("M-INT", 3)]).await.status, 201);
    assert_eq!(o.assess(&o.staff, "staff", "self", &[("M-INT", 4)]).await.status, 201);
    let peer_path = format!("/api/v1/competency-assessments/{}", id_of(&peer));
    // The employee sees the peers' mean, never a single peer's rating.
    o.app.get(&peer_path, &o.staff.token).await.assert_problem(404, "not_found");
    let mine =
        o.app.get(&format!("/api/v1/competency-assessments?employee_id={}", o.ids["staff"]), &o.staff.token).await;
    let sources: Vec<&str> =
        mine.body["items"].as_array().unwrap().iter().map(|a| a["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["self"], "{}", mine.text);
    let p = o.profile(&o.staff, "staff").await.body;
    // Fewer than three peers: the count, but no mean anyone could read one peer's level off.
    assert_eq!(
        item(&p, "M-INT")["sources"]["peer"],
        json!({"mean": null, "count": 2, "note": "not enough peers to show"})
    );
    // Peers do not see each other's: the guru, a peer here, reads only their own peer rating.
    let theirs = o
        .app
        .get(&format!("/api/v1/competency-assessments?employee_id={}&source=peer", o.ids["staff"]), &o.guru.token)
        .await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 1, "{}", theirs.text);
    assert_eq!(theirs.body["items"][0]["assessor_user_id"], o.guru.id.to_string());
    o.app.get(&peer_path, &o.lain.token).await.assert_problem(404, "not_found");
    // The author and the agency's auditor read it; another agency does not.
    assert_eq!(o.app.get(&peer_path, &o.rekan.token).await.status, 200);
    let read = o.app.get(&peer_path, &o.auditor.token).await;
    assert_eq!(read.body["ratings"].as_array().unwrap().len(), 2, "{}", read.text);
    o.app.get(&peer_path, &o.outsider.token).await.assert_problem(404, "not_found");
    // A colleague of another unit does not read the staff's profile.
    o.profile(&o.lain, "staff").await.assert_problem(404, "not_found");
    // Nothing of the refused attempts was stored.
    let all = o.app.get("/api/v1/competency-assessments?limit=500", &o.auditor.token).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3, "{}", all.text);
    // A third peer: now the mean shows, (4 + 3 + 5) / 3 = 4.
    let body = json!({"nip": "199606062020122001", "name": "Maya Sari", "agency_id": o.agency, "employment_type": "pns",
                      "position_id": o.ids["STAF"], "unit_id": o.ids["sd"], "supervisor_id": o.ids["kabid"]});
    let maya: Uuid = id_of(&o.app.post("/api/v1/employees", &o.admin.token, body).await).parse().unwrap();
    let third = o.app.user("maya", &[Role::Employee], Some(o.agency), Some(maya)).await;
    assert_eq!(o.assess(&third, "staff", "peer", &[("M-INT", 5)]).await.status, 201);
    let p = o.profile(&o.staff, "staff").await.body;
    assert_eq!(item(&p, "M-INT")["sources"]["peer"], json!({"mean": 4.0, "count": 3}));
}

#[actix_web::test]
async fn feedback_from_peers_and_subordinates_does_not_name_its_author_to_the_person_rated() {
    let o = office().await;
    for (who, author, employee, text) in [
        (&o.rekan, "rekan", "staff", "Presentasi rapat sangat jelas."),
        (&o.kabid, "kabid", "staff", "Laporan selalu tepat waktu."),
        (&o.staff, "staff", "kabid", "Arahan kepala bidang mudah dipahami."),
    ] {
        let body = json!({"employee_id": o.ids[employee], "period_id": o.period, "text": text});
        let given = o.app.post("/api/v1/feedback", &who.token, body).await;
        assert_eq!(given.status, 201, "{}", given.text);
        // Its author sees their own name on it.
        assert_eq!(given.body["author_id"], json!(o.ids[author]), "{}", given.text);
    }
    let read = |who: &TestUser, employee: &str| {
        let path = format!("/api/v1/employees/{}/feedback", o.ids[employee]);
        let token = who.token.clone();
        let app = &o.app;
        async move {
            let page = app.get(&path, &token).await;
            assert_eq!(page.status, 200, "{}", page.text);
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["author_relation"].as_str().unwrap().to_owned(), f["author_id"].clone()))
                .collect::<Vec<_>>()
        }
    };
    let (rekan, kabid, staff) = (json!(o.ids["rekan"]), json!(o.ids["kabid"]), json!(o.ids["staff"]));
    // The person rated: the rating official by name; a peer not.
    assert_eq!(read(&o.staff, "staff").await, [("peer".into(), Value::Null), ("rater".into(), kabid.clone())]);
    // A subordinate's feedback is anonymous to the supervisor it is about.
    assert_eq!(read(&o.kabid, "kabid").await, [("subordinate".into(), Value::Null)]);
    // Admins and auditors still see who wrote it.
    assert_eq!(read(&o.auditor, "staff").await, [("peer".into(), rekan), ("rater".into(), kabid)]);
    assert_eq!(read(&o.admin, "kabid").await, [("subordinate".into(), staff)]);
}

#[actix_web::test]
async fn gaps_become_a_development_plan_with_mentors_training_needs_and_a_talent_map() {
    let o = office().await;
    let app = &o.app;
    // Staff falls short on integrity (2 of 3); rekan (same unit) and lain (another unit) are
    // strong there, with good predikat; the guru is strong but rated below expectation.
    for (employee, ratings) in [
        ("staff", &[("M-INT", 2), ("M-KS", 3), ("M-KOM", 1)][..]),
        ("rekan", &[("M-INT", 4), ("M-KS", 2), ("M-KOM", 2)]),
        ("guru", &[("M-INT", 5)]),
    ] {
        assert_eq!(o.assess(&o.kabid, employee, "supervisor", ratings).await.status, 201);
    }
    assert_eq!(
        put(
            app,
            &format!("/api/v1/agencies/{}/competency-assessors", o.agency),
            &o.admin.token,
            json!({"user_ids": [o.admin.id]})
        )
        .await
        .status,
        200
    );
    let by_assessor = json!({"employee_id": o.ids["lain"], "period_id": o.period, "source": "assessor",
                             "ratings": [{"competency_id": o.ids["M-INT"], "level": 5}]});
    assert_eq!(app.post("/api/v1/competency-assessments", &o.admin.token, by_assessor).await.status, 201);
    let staff_potential = json!({"employee_id": o.ids["staff"], "period_id": o.period, "source": "assessor", "potential": "tinggi",
                                 "ratings": [{"competency_id": o.ids["M-KS"], "level": 3}]});
    assert_eq!(app.post("/api/v1/competency-assessments", &o.admin.token, staff_potential).await.status, 201);
    o.rated("rekan", "baik");
    o.rated("lain", "sangat_baik");
    o.rated("guru", "butuh_perbaikan");
    o.rated("staff", "baik");

    let s = app
        .get(
            &format!("/api/v1/employees/{}/development-plan/suggestions?period_id={}", o.ids["staff"], o.period),
            &o.staff.token,
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    let codes: Vec<&str> = s.body["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["M-INT", "M-KOM"], "the shortfalls only");
    let int = &s.body["items"][0];
    let mentors: Vec<(&str, u64)> = int["mentor_candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["distance"].as_u64().unwrap()))
        .collect();
    // Nearest first (same unit, then across the dinas); not the guru (predikat), not staff.
    assert_eq!(mentors, [("Dewi Lestari", 0), ("Agus Pratama", 2)]);
    let kinds: Vec<&str> = int["proposals"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["coaching", "e_learning", "mentoring"]);
    assert!(s.body["items"][1]["mentor_candidates"].as_array().unwrap().is_empty());

    // The development plan: no one mentors themselves; a colleague of another unit may not write it.
    let plan = format!("/api/v1/employees/{}/development-plan", o.ids["staff"]);
    let selfish = json!({"competency_id": o.ids["M-INT"], "kind": "mentoring", "title": "Mentoring integritas", "mentor_id": o.ids["staff"]});
    let refused = app.post(&plan, &o.staff.token, selfish).await;
    assert_eq!(refused.body["errors"][0]["code"], "self_mentoring", "{}", refused.text);
    let activity = json!({"competency_id": o.ids["M-INT"], "kind": "mentoring", "title": "Mentoring integritas", "mentor_id": o.ids["rekan"], "due_on": "2026-12-15"});
    app.post(&plan, &o.lain.token, activity.clone()).await.assert_problem(404, "not_found");
    app.post(&plan, &o.auditor.token, activity.clone()).await.assert_problem(403, "forbidden");
    let created = app.post(&plan, &o.staff.token, activity).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "planned");
    let done = json!({"status": "done", "evidence": [{"url": "https://drive.example.go.id/jurnal-mentoring.pdf", "description": "Jurnal mentoring"}]});
    let updated = app.patch(&format!("{plan}/{}", id_of(&created)), &o.kabid.token, done).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["evidence"][0]["description"], "Jurnal mentoring");
    assert_eq!(app.get(&plan, &o.kabid.token).await.body["items"].as_array().unwrap().len(), 1);
    app.get(&plan, &o.lain.token).await.assert_problem(404, "not_found");
    app.get(
        &format!("/api/v1/employees/{}/development-plan/suggestions?period_id={}", o.ids["staff"], o.period),
        &o.rekan.token,
    )
    .await
    .assert_problem(404, "not_found");

    // Training needs of the dinas: INT (staff 1) and KOM (staff 1), KS (rekan 1) — ranked by
    // total gap, then employees, then code; the guru's post has no standard.
    let needs = app
        .get(
            &format!("/api/v1/units/{}/training-needs?period_id={}&include=subunits", o.ids["dinas"], o.period),
            &o.admin.token,
        )
        .await;
    assert_eq!(needs.status, 200, "{}", needs.text);
    let ranked: Vec<(&str, u64, u64)> = needs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["code"].as_str().unwrap(), n["employees"].as_u64().unwrap(), n["total_gap"].as_u64().unwrap()))
        .collect();
    assert_eq!(ranked, [("M-INT", 1, 1), ("M-KOM", 1, 1), ("M-KS", 1, 1)]);
    assert_eq!(needs.body["employees"], 5);
    assert_eq!(needs.body["without_standard"], 3, "the kabid's, lain's and the guru's posts (no defaults here)");
    app.get(&format!("/api/v1/units/{}/training-needs?period_id={}", o.ids["sd"], o.period), &o.staff.token)
        .await
        .assert_problem(403, "forbidden");

    // The talent map: staff baik (sesuai) with an assessor's potential tinggi → box 8, in the pool.
    let map =
        app.get(&format!("/api/v1/agencies/{}/talent-map?period_id={}", o.agency, o.period), &o.auditor.token).await;
    assert_eq!(map.status, 200, "{}", map.text);
    let staff = map.body["items"].as_array().unwrap().iter().find(|p| p["name"] == "Budi Santoso").unwrap();
    assert_eq!(staff["performance"], "sesuai");
    assert_eq!(staff["potential"], "tinggi");
    assert_eq!(staff["potential_from"], "assessor");
    assert_eq!(staff["box"], 8);
    assert_eq!(staff["talent_pool"], true);
    // Rekan: JPM (3+2+2)/8 = 87.5 → menengah; baik → sesuai: box 5, not in the pool.
    let rekan = map.body["items"].as_array().unwrap().iter().find(|p| p["name"] == "Dewi Lestari").unwrap();
    assert_eq!(
        (rekan["jpm"].as_f64(), rekan["potential"].as_str(), rekan["potential_from"].as_str(), rekan["box"].as_u64()),
        (Some(87.5), Some("menengah"), Some("jpm"), Some(5))
    );
    // Lain: no standard for the post and no potential rating: not placed.
    let lain = map.body["items"].as_array().unwrap().iter().find(|p| p["name"] == "Agus Pratama").unwrap();
    assert_eq!((lain["performance"].as_str(), lain["box"].as_u64()), (Some("atas"), None));
    let pool = app
        .get(
            &format!("/api/v1/agencies/{}/talent-map?period_id={}&talent_pool=true", o.agency, o.period),
            &o.admin.token,
        )
        .await;
    let names: Vec<&str> = pool.body["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Budi Santoso"]);
    app.get(&format!("/api/v1/agencies/{}/talent-map?period_id={}", o.agency, o.period), &o.staff.token)
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!("/api/v1/agencies/{}/talent-map?period_id={}", o.agency, o.period), &o.outsider.token)
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn seed_competencies_loads_the_dictionary_and_defaults_once_and_keeps_edits() {
    let app = TestApp::new().await;
    let root = app.super_admin().await;
    let first = kinerja_api::admin::competency_seed::seed(&app.state.db).await.unwrap();
    assert_eq!(first, (9, 54), "nine competencies; nine levels for each of six position kinds");
    let listed = app.get("/api/v1/competencies?group=manajerial", &root.token).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 8, "{}", listed.text);
    let defaults = app.get("/api/v1/competency-requirement-defaults/jpt_pratama", &root.token).await;
    let levels: Vec<u64> =
        defaults.body["items"].as_array().unwrap().iter().map(|d| d["required_level"].as_u64().unwrap()).collect();
    assert_eq!(levels, [4; 9]);
    // An edited default stays edited when the seed runs again, and nothing is added twice.
    let int = defaults.body["items"].as_array().unwrap().iter().find(|d| d["code"] == "M-INT").unwrap()
        ["competency_id"]
        .clone();
    let edited = json!([{"competency_id": int, "required_level": 5}]);
    assert_eq!(put(&app, "/api/v1/competency-requirement-defaults/jpt_pratama", &root.token, edited).await.status, 200);
    assert_eq!(kinerja_api::admin::competency_seed::seed(&app.state.db).await.unwrap(), (0, 8));
    let again = app.get("/api/v1/competency-requirement-defaults/jpt_pratama", &root.token).await;
    let int_level = again.body["items"].as_array().unwrap().iter().find(|d| d["code"] == "M-INT").unwrap()
        ["required_level"]
        .clone();
    assert_eq!(int_level, 5);
    assert_eq!(kinerja_api::admin::competency_seed::seed(&app.state.db).await.unwrap(), (0, 0));
    assert_eq!(
        app.get("/api/v1/competency-requirement-defaults/fungsional", &root.token).await.body["items"],
        json!([])
    );
}

#[actix_web::test]
async fn subordinates_assess_their_supervisor_anonymously_shown_from_three() {
    let o = office().await;
    let standard = json!([{"competency_id": o.ids["M-INT"], "required_level": 3}]);
    let path = format!("/api/v1/positions/{}/competency-requirements", o.ids["KABID"]);
    assert_eq!(put(&o.app, &path, &o.admin.token, standard).await.status, 200);
    // Only those the supervisor leads directly assess from below.
    o.assess(&o.lain, "kabid", "subordinate", &[("M-INT", 2)]).await.assert_problem(403, "forbidden");
    o.assess(&o.kabid, "kabid", "subordinate", &[("M-INT", 5)]).await.assert_problem(403, "forbidden");
    let first = o.assess(&o.staff, "kabid", "subordinate", &[("M-INT", 4)]).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(o.assess(&o.rekan, "kabid", "subordinate", &[("M-INT", 3)]).await.status, 201);
    // Two of them: the count, no mean; and never one subordinate's own rating.
    let p = o.profile(&o.kabid, "kabid").await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(
        item(&p.body, "M-INT")["sources"]["subordinate"],
        json!({"mean": null, "count": 2, "note": "not enough subordinates to show"}),
        "{}",
        p.text
    );
    let single = format!("/api/v1/competency-assessments/{}", id_of(&first));
    o.app.get(&single, &o.kabid.token).await.assert_problem(404, "not_found");
    assert_eq!(o.app.get(&single, &o.staff.token).await.status, 200, "the author reads their own");
    // A third: the mean shows; it is shown beside the assessed level, never counted in it.
    assert_eq!(o.assess(&o.guru, "kabid", "subordinate", &[("M-INT", 5)]).await.status, 201);
    let p = o.profile(&o.kabid, "kabid").await.body;
    assert_eq!(item(&p, "M-INT")["sources"]["subordinate"]["mean"], 4.0);
    assert_eq!(item(&p, "M-INT")["assessed_level"], Value::Null);
}
