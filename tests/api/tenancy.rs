//! Ready for a distributed PostgreSQL (docs/scaling.md): every table is either national (a
//! reference table, named below with why) or owned by an agency and then carries the
//! distribution column `agency_id uuid NOT NULL`. A new table that is neither fails here.

use diesel::sql_types::{Bool, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

use crate::helpers::{on_citus, TestApp};

/// Tables that hold no one agency's data, with the reason (docs/scaling.md, "reference tables").
const NATIONAL: &[(&str, &str)] = &[
    ("__diesel_schema_migrations", "the schema's own version"),
    ("agencies", "the tenants themselves: their id is the distribution key"),
    ("competencies", "the national competency dictionary; an agency's own technical competencies carry agency_id"),
    ("competency_requirement_defaults", "national default levels per position kind and level"),
    ("competency_default_versions", "the version of each position kind's national defaults"),
    ("users", "accounts, national roles included (super admin, no agency)"),
    ("refresh_tokens", "a user's sessions, read by token hash at refresh"),
    ("login_failures", "throttling by username and address, before anyone is known"),
    ("idempotency_keys", "replays keyed by the caller, national callers included"),
    ("audit_events", "the trail of national acts too (agency_id set whenever the act is an agency's)"),
];

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Bool)]
    agency_not_null: bool,
}

#[actix_web::test]
async fn every_agency_owned_table_carries_agency_id_not_null() {
    let app = TestApp::new().await;
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    let tables: Vec<Column> = diesel::sql_query(
        "SELECT c.relname::text AS table_name,
                bool_or(a.attname = 'agency_id' AND a.attnotnull) AS agency_not_null
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relkind IN ('r', 'p')
         GROUP BY c.relname ORDER BY c.relname",
    )
    .load(&mut conn)
    .unwrap();
    assert!(tables.len() > 20, "the catalog query found too few tables: {tables:?}");
    let mut broken = Vec::new();
    for table in &tables {
        let name = table.table_name.as_str();
        let national = NATIONAL.iter().any(|(n, _)| *n == name);
        if !national && !table.agency_not_null {
            broken.push(name.to_owned());
        }
    }
    assert!(
        broken.is_empty(),
        "agency-owned tables without `agency_id uuid NOT NULL` (add it, or name the table as national \
         with its reason in tests/api/tenancy.rs and docs/scaling.md): {broken:?}"
    );
    for (name, _) in NATIONAL {
        assert!(tables.iter().any(|t| t.table_name == *name), "{name} is listed here but is not a table");
    }
}

/// A row that names another agency than the rows it refers to is refused by the schema itself:
/// every reference between agency-owned tables carries the agency (migration
/// 2026-12-07-000024_distributable_keys), here a position's standard, and a plan whose rating
/// official works elsewhere. A child row must name its agency: none is filled in for it.
#[actix_web::test]
async fn a_row_cannot_name_another_agency_than_what_it_refers_to() {
    let app = TestApp::new().await;
    let a = app.create_agency("KAB-TNG");
    let b = app.create_agency("KAB-SRG");
    let position = uuid::Uuid::now_v7();
    let competency = uuid::Uuid::now_v7();
    app.sql(&format!(
        "INSERT INTO positions (id, agency_id, code, name, kind) VALUES ('{position}', '{a}', 'STAF', 'Staf', 'pelaksana')"
    ));
    app.sql(&format!(
        "INSERT INTO competencies (id, code, name, competency_group, levels)
         VALUES ('{competency}', 'INT', 'Integritas', 'manajerial', '[]')"
    ));
    let requirement = |agency: &str| {
        format!(
            "INSERT INTO competency_requirements (position_id, competency_id, required_level{})
             VALUES ('{position}', '{competency}', 3{})",
            if agency.is_empty() { "" } else { ", agency_id" },
            if agency.is_empty() { String::new() } else { format!(", '{agency}'") }
        )
    };
    let unnamed = app.try_sql(&requirement("")).expect_err("a requirement without its agency was stored");
    // One node names the column; Citus refuses a row without its shard key before that.
    let refused_for_agency = (unnamed.contains("agency_id") && unnamed.contains("null"))
        || unnamed.contains("without a partition column value");
    assert!(refused_for_agency, "{unnamed}");
    let other = app.try_sql(&requirement(&b.to_string())).expect_err("a requirement naming another agency was stored");
    assert!(other.contains("competency_requirements_position_id_fkey"), "{other}");
    assert_eq!(app.try_sql(&requirement(&a.to_string())), Ok(1));

    let period = uuid::Uuid::now_v7();
    app.sql(&format!(
        "INSERT INTO periods (id, agency_id, name, starts_on, ends_on, cadence, rule_set)
         VALUES ('{period}', '{a}', 'Tahun 2026', '2026-01-01', '2026-12-31', 'annual', 'permenpanrb-6-2022')"
    ));
    let employee = app.create_employee(a, "198503152010012001", "Siti Aminah");
    let elsewhere = app.create_employee(b, "197901012005011002", "Budi Santoso");
    let plan = |rater: uuid::Uuid| {
        format!(
            "INSERT INTO performance_plans (id, agency_id, employee_id, period_id, approach, status, rater_id)
             VALUES ('{}', '{a}', '{employee}', '{period}', 'kuantitatif', 'draft', '{rater}')",
            uuid::Uuid::now_v7()
        )
    };
    let refused = app.try_sql(&plan(elsewhere)).expect_err("a plan rated from another agency was stored");
    assert!(refused.contains("performance_plans_rater_id_fkey"), "{refused}");
    let supervisor = app.create_employee(a, "197001012000011003", "Ahmad Fauzi");
    assert_eq!(app.try_sql(&plan(supervisor)), Ok(1));
}

/// The national NIP register is what keeps a NIP unique across agencies on Citus, where
/// `employees.nip` cannot be unique: with that constraint dropped here as on a cluster, a NIP
/// another agency holds is still refused, and the register follows a NIP changed by PATCH and
/// the employees an import creates.
#[actix_web::test]
async fn a_nip_is_unique_nationally_through_its_register() {
    let app = TestApp::new().await;
    app.sql("ALTER TABLE employees DROP CONSTRAINT IF EXISTS employees_nip_key");
    let (a, b) = (app.create_agency("KAB-TNG"), app.create_agency("KAB-SRG"));
    let root = app.super_admin().await;
    let employee = |agency: uuid::Uuid, nip: &str| serde_json::json!({"nip": nip, "name": "Siti Aminah", "agency_id": agency, "employment_type": "pns"});
    let made = app.post("/api/v1/employees", &root.token, employee(a, "198503152010012001")).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let elsewhere = app.post("/api/v1/employees", &root.token, employee(b, "198503152010012001")).await;
    elsewhere.assert_problem(409, "duplicate_nip");

    let path = format!("/api/v1/employees/{}", made.body["id"].as_str().unwrap());
    let moved = app.patch(&path, &root.token, serde_json::json!({"nip": "198503152010012002"})).await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let freed = app.post("/api/v1/employees", &root.token, employee(b, "198503152010012001")).await;
    assert_eq!(freed.status, 201, "the old NIP is free again: {}", freed.text);
    let taken = app.patch(&path, &root.token, serde_json::json!({"nip": "198503152010012001"})).await;
    taken.assert_problem(409, "duplicate_nip");

    let mut req = actix_web::test::TestRequest::post()
        .uri("/api/v1/imports/employees")
        .insert_header(("Authorization", format!("Bearer {}", root.token)))
        .insert_header(("Content-Type", "text/csv"))
        .set_payload("agency_code,nip,name,employment_type\nKAB-TNG,199001012015031001,Budi Santoso,pns\n");
    let imported = app.call(std::mem::take(&mut req)).await;
    assert_eq!(imported.status, 200, "{}", imported.text);
    let out_of_step = app.number(
        // Both differences as sets (the two tables are distributed by different columns).
        "SELECT count(*) AS n FROM (
             (SELECT nip, agency_id, id FROM employees EXCEPT SELECT nip, agency_id, employee_id FROM employee_nips)
             UNION ALL
             (SELECT nip, agency_id, employee_id FROM employee_nips EXCEPT SELECT nip, agency_id, id FROM employees)
         ) d",
    );
    assert_eq!(out_of_step, 0, "the register and the employees differ");
    assert_eq!(app.number("SELECT count(*) AS n FROM employee_nips"), 3);
}

#[derive(QueryableByName, Debug)]
struct Placed {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    method: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    colocation: i32,
}

/// Every table has its place on Citus (`kinerja_store::db::citus::PLACEMENTS`), so a new table
/// fails here on one node already; on a cluster (`KINERJA_TEST_CITUS=1`) the migrated database
/// holds each table where that list says, the agency-owned ones co-located.
#[actix_web::test]
async fn every_table_has_its_place_on_citus() {
    use kinerja_store::db::citus::{placement_of, Placement};
    let app = TestApp::new().await;
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    let tables: Vec<Column> = diesel::sql_query(
        "SELECT c.relname::text AS table_name, false AS agency_not_null FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' WHERE c.relkind IN ('r', 'p')",
    )
    .load(&mut conn)
    .unwrap();
    let unplaced: Vec<&str> =
        tables.iter().map(|t| t.table_name.as_str()).filter(|t| placement_of(t).is_none()).collect();
    assert!(unplaced.is_empty(), "tables with no place on Citus: {unplaced:?}");
    if !on_citus() {
        return;
    }
    let placed: Vec<Placed> = diesel::sql_query(
        "SELECT logicalrelid::regclass::text AS table_name, partmethod::text AS method, colocationid AS colocation
         FROM pg_dist_partition",
    )
    .load(&mut conn)
    .unwrap();
    let units = placed.iter().find(|p| p.table_name == "units").expect("units distributed");
    for table in &tables {
        let name = table.table_name.as_str();
        let found = placed.iter().find(|p| p.table_name == name);
        let Some(found) = found else { panic!("{name} is not placed on the cluster") };
        match placement_of(name) {
            Some(Placement::ByAgency) => {
                assert_eq!((found.method.as_str(), found.colocation), ("h", units.colocation), "{name}");
            }
            Some(Placement::ByNip) => assert_eq!(found.method, "h", "{name}"),
            _ => assert_eq!(found.method, "n", "{name} is a reference or coordinator table"),
        }
    }
}

/// On a cluster, an agency's main requests run on its one shard (router queries): the test
/// database makes every statement that asks several shards an error
/// (`citus.multi_task_query_log_level = error`), so a query that does not name the agency
/// answers 500 here. Another agency holds rows on other shards meanwhile. On one node the same
/// requests run and must succeed.
#[actix_web::test]
async fn an_agencys_main_requests_run_on_its_one_shard() {
    use serde_json::json;
    let s = crate::performance::skp().await;
    let other = s.app.create_agency("KAB-LAIN");
    s.app.create_employee(other, "198001012005011001", "Rina Marlina");
    let (plan, indicator) = crate::performance::submitted_plan(&s).await;
    if on_citus() {
        s.app.sql(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET citus.multi_task_query_log_level = error',
                                        current_database()); END $$",
        );
    }
    // New connections take the setting: the same database behind a fresh application.
    let app = TestApp::on_database(s.app.database_url.clone()).await;
    let staff = &s.ids["staff"];
    let plan_path = format!("/api/v1/performance-plans/{plan}");
    let reads = [
        (format!("/api/v1/employees/{staff}"), &s.admin.token),
        ("/api/v1/employees?limit=50".to_owned(), &s.admin.token),
        (format!("/api/v1/employees/{staff}"), &s.staff.token),
        (plan_path.clone(), &s.sekretaris.token),
        (plan_path.clone(), &s.kepala.token),
        ("/api/v1/me/tasks".to_owned(), &s.kepala.token),
        ("/api/v1/me/tasks".to_owned(), &s.sekretaris.token),
    ];
    for (path, token) in &reads {
        let reply = app.get(path, token).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text);
    }
    let approved = app.post(&format!("{plan_path}/approve"), &s.kepala.token, json!({})).await;
    assert_eq!(approved.status, 200, "approve: {}", approved.text);
    let evaluation = app
        .post(
            &format!("{plan_path}/evaluations"),
            &s.sekretaris.token,
            json!({"period_label": "2026-Q1",
        "realizations": [{"indicator_id": indicator, "value": 3, "text": "3 laporan triwulan"}]}),
        )
        .await;
    assert_eq!(evaluation.status, 201, "start an evaluation: {}", evaluation.text);
}
