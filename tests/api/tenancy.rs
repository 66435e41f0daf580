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
    ("users", "accounts, national roles included (super admin, no agency)"),
    ("refresh_tokens", "a user's sessions, read by token hash at refresh"),
    ("login_failures", "throttling by username and address, before anyone is known"),
    ("idempotency_keys", "replays keyed by the caller, national callers included"),
    ("audit_events", "the trail of national acts too (agency_id set whenever the act is an agency's)"),
];

/// Agency-owned tables that reach their agency through their parent's row today, with that
/// parent. Each gets `agency_id` before the tables are distributed (docs/scaling.md, step 1);
/// the list only shrinks.
const THROUGH_PARENT: &[(&str, &str)] = &[
    ("plan_results", "performance_plans"),
    ("plan_indicators", "plan_results"),
    ("behaviour_expectations", "performance_plans"),
    ("realizations", "evaluations"),
    ("competency_ratings", "competency_assessments"),
    ("competency_requirements", "positions"),
];

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Bool)]
    has_agency: bool,
    #[diesel(sql_type = Bool)]
    agency_not_null: bool,
}

#[actix_web::test]
async fn every_agency_owned_table_carries_agency_id_not_null() {
    let app = TestApp::new().await;
    let mut conn = PgConnection::establish(&app.database_url).unwrap();
    let tables: Vec<Column> = diesel::sql_query(
        "SELECT c.relname::text AS table_name,
                bool_or(a.attname = 'agency_id') AS has_agency,
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
        let parent = THROUGH_PARENT.iter().find(|(n, _)| *n == name).map(|(_, p)| *p);
        match (national, parent) {
            (true, _) => {}
            (false, Some(parent)) => {
                assert!(!table.has_agency, "{name} has agency_id now: take it off THROUGH_PARENT");
                assert!(tables.iter().any(|t| t.table_name == parent), "{name}'s parent {parent} is gone");
            }
            (false, None) if table.agency_not_null => {}
            (false, None) => broken.push(name.to_owned()),
        }
    }
    assert!(
        broken.is_empty(),
        "agency-owned tables without `agency_id uuid NOT NULL` (add it, or name the table as national \
         with its reason in tests/api/tenancy.rs and docs/scaling.md): {broken:?}"
    );
    for (name, _) in NATIONAL.iter().chain(THROUGH_PARENT) {
        assert!(tables.iter().any(|t| t.table_name == *name), "{name} is listed here but is not a table");
    }
}
