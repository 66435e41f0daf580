//! Ready for a distributed PostgreSQL (docs/scaling.md): every table is either national (a
//! reference table, named below with why) or owned by an agency and then carries the
//! distribution column `agency_id uuid NOT NULL`. A new table that is neither fails here.

use diesel::sql_types::{Bool, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

use crate::helpers::TestApp;

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

/// A child row written without its agency takes its parent's; one naming another agency is
/// refused (the rule of migration 2026-12-01-000010_tenancy, here on a position's standard).
#[actix_web::test]
async fn a_child_row_carries_its_parents_agency_and_no_other() {
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
    app.sql(&format!(
        "INSERT INTO competency_requirements (position_id, competency_id, required_level) VALUES ('{position}', '{competency}', 3)"
    ));
    #[derive(QueryableByName)]
    struct Agency {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        agency_id: uuid::Uuid,
    }
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    let stored: Agency =
        diesel::sql_query("SELECT agency_id FROM competency_requirements").get_result(&mut conn).unwrap();
    assert_eq!(stored.agency_id, a);
    let refused = app.try_sql(&format!(
        "INSERT INTO competency_requirements (position_id, competency_id, required_level, agency_id)
         VALUES ('{position}', '{competency}', 2, '{b}') ON CONFLICT DO NOTHING"
    ));
    let err = refused.expect_err("a requirement naming another agency was stored");
    assert!(err.contains("is not the agency of its positions"), "{err}");
}
