//! Citus, distributed by agency (docs/scaling.md): where each table lives on a cluster, and the
//! step that puts it there. It runs after the migrations whenever the database has the `citus`
//! extension, and does nothing otherwise, so one schema serves one node and a cluster.
//!
//! - **By agency**: every agency-owned table, sharded by `agency_id` and co-located, so that one
//!   agency's rows of every table sit on one node and its requests are single-shard router
//!   queries.
//! - **Reference**: national tables, copied to every node (joins with them stay local).
//! - **Coordinator**: the transactional outbox, webhooks and the audit trail stay on the
//!   coordinator. The event feed reads in the order of the writing transactions' ids below the
//!   oldest one still running (`outbox_rows`); those ids and that horizon are one node's, and every
//!   event is written on the coordinator, inside the distributed transaction of its act, so the
//!   feed stays gap-free in commit order however many workers hold the shards.
//! - **By NIP**: the national NIP register, sharded by `nip`, keeps a NIP unique nationally.
//!
//! The step is idempotent: tables already placed are left alone, so a migration that adds a
//! table only needs the table named here (a table named nowhere stops the step, and CI's run on a
//! cluster fails).

use diesel::sql_types::{Bool, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    ByAgency,
    Reference,
    Coordinator,
    ByNip,
}

/// Every table of the schema and where it lives on a cluster.
pub const PLACEMENTS: &[(&str, Placement)] = {
    use Placement::*;
    &[
        // National: read everywhere, written rarely.
        ("agencies", Reference),
        ("users", Reference),
        ("refresh_tokens", Reference),
        ("login_failures", Reference),
        ("competencies", Reference),
        ("competency_requirement_defaults", Reference),
        ("competency_default_versions", Reference),
        ("idempotency_keys", Reference),
        // Ordered by one node's transactions, or national acts with them.
        ("audit_events", Coordinator),
        ("events", Coordinator),
        ("webhook_endpoints", Coordinator),
        ("webhook_deliveries", Coordinator),
        ("__diesel_schema_migrations", Coordinator),
        ("employee_nips", ByNip),
        // One agency's, co-located with its units (the first table distributed).
        ("units", ByAgency),
        ("positions", ByAgency),
        ("employees", ByAgency),
        ("periods", ByAgency),
        ("clients", ByAgency),
        ("performance_plans", ByAgency),
        ("plan_results", ByAgency),
        ("plan_indicators", ByAgency),
        ("behaviour_expectations", ByAgency),
        ("evaluations", ByAgency),
        ("realizations", ByAgency),
        ("feedback", ByAgency),
        ("organisation_ratings", ByAgency),
        ("final_ratings", ByAgency),
        ("objections", ByAgency),
        ("competency_requirements", ByAgency),
        ("competency_assessors", ByAgency),
        ("competency_assessor_versions", ByAgency),
        ("competency_assessments", ByAgency),
        ("competency_ratings", ByAgency),
        ("development_activities", ByAgency),
        ("acting_officials", ByAgency),
        ("career_snapshots", ByAgency),
    ]
};

/// Where `table` lives on a cluster, if it is named.
pub fn placement_of(table: &str) -> Option<Placement> {
    PLACEMENTS.iter().find(|(name, _)| *name == table).map(|(_, p)| *p)
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Answer {
    #[diesel(sql_type = Bool)]
    yes: bool,
}

#[derive(QueryableByName)]
struct Constraint {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// Run once on every new connection (the pool's and the imports'). On a cluster it makes a
/// statement that reads or writes several shards use one connection per node, in turn: Citus
/// refuses to write the coordinator's tables (events, audit trail) in a transaction that already
/// read shards over parallel connections, and a request that looks a row up by id alone does
/// that. Router queries (one agency named) are not affected. On one node it sets nothing.
pub const SESSION_SETUP_SQL: &str = "SELECT set_config('citus.multi_shard_modify_mode', 'sequential', false) \
     FROM pg_extension WHERE extname = 'citus'";

/// Whether the database is a Citus coordinator (the extension is installed).
pub fn is_citus(conn: &mut PgConnection) -> StoreResult<bool> {
    let answer: Answer = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS yes")
        .get_result(conn)?;
    Ok(answer.yes)
}

fn names(conn: &mut PgConnection, sql: &str) -> StoreResult<Vec<String>> {
    Ok(diesel::sql_query(sql).load::<Name>(conn)?.into_iter().map(|n| n.name).collect())
}

fn run(conn: &mut PgConnection, sql: &str) -> StoreResult<()> {
    diesel::sql_query(sql).execute(conn)?;
    Ok(())
}

/// Places every table not yet placed; returns the tables it placed (none on one node, or when
/// all are placed already).
pub fn distribute(conn: &mut PgConnection) -> StoreResult<Vec<String>> {
    if !is_citus(conn)? {
        return Ok(Vec::new());
    }
    // One node keeps the inbox's plan (generic, planned once per connection); Citus routes a
    // statement by the agency's value, which a generic plan leaves a parameter.
    run(conn, "ALTER FUNCTION work_inbox(uuid[], uuid, date, uuid) SET plan_cache_mode = force_custom_plan")?;
    let tables = names(
        conn,
        "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1",
    )?;
    let unnamed: Vec<&str> = tables.iter().map(String::as_str).filter(|t| placement_of(t).is_none()).collect();
    if !unnamed.is_empty() {
        return Err(StoreError::Other(format!(
            "tables with no place on Citus (name them in kinerja_store::db::citus::PLACEMENTS): {}",
            unnamed.join(", ")
        )));
    }
    let placed = names(conn, "SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition")?;
    let pending: Vec<(&str, Placement)> = PLACEMENTS
        .iter()
        .copied()
        .filter(|(t, _)| tables.iter().any(|x| x == t) && !placed.iter().any(|p| p == t))
        .collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let list = pending.iter().map(|(t, _)| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    // References are set aside while tables move, and put back once all are placed: those a
    // cluster cannot check (from a national table or the NIP register to an agency's rows) stay
    // the application's to keep.
    let references: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT conrelid::regclass::text AS table_name, conname::text AS name,
                pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace
           AND (conrelid::regclass::text IN ({list}) OR confrelid::regclass::text IN ({list}))
         ORDER BY 1, 2"
    ))
    .load(conn)?;
    for r in &references {
        run(conn, &format!("ALTER TABLE {} DROP CONSTRAINT {}", r.table_name, r.name))?;
    }
    // A shard sees only its agency's rows: uniqueness without the agency (`UNIQUE (id)`, the NIP)
    // cannot be kept there and becomes a plain index; the agency-led keys keep the rules.
    let single_column: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT c.conrelid::regclass::text AS table_name, c.conname::text AS name,
                string_agg(a.attname, ', ' ORDER BY k.n) AS definition
         FROM pg_constraint c
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         WHERE c.contype IN ('u', 'p') AND c.connamespace = 'public'::regnamespace
           AND c.conrelid::regclass::text IN ({list})
         GROUP BY 1, 2, c.conkey HAVING NOT bool_or(a.attname = 'agency_id') ORDER BY 1, 2"
    ))
    .load(conn)?;
    for u in single_column.iter().filter(|u| placement_of(&u.table_name) == Some(Placement::ByAgency)) {
        run(conn, &format!("ALTER TABLE {} DROP CONSTRAINT {}", u.table_name, u.name))?;
        run(conn, &format!("CREATE INDEX {} ON {} ({})", u.name.replace("_key", "_idx"), u.table_name, u.definition))?;
    }
    for (table, placement) in &pending {
        let call = match placement {
            Placement::Reference => format!("SELECT create_reference_table('{table}')"),
            Placement::Coordinator => format!("SELECT citus_add_local_table_to_metadata('{table}')"),
            Placement::ByNip => format!("SELECT create_distributed_table('{table}', 'nip', colocate_with => 'none')"),
            Placement::ByAgency if *table == "units" => {
                format!("SELECT create_distributed_table('{table}', 'agency_id', colocate_with => 'none')")
            }
            Placement::ByAgency => {
                format!("SELECT create_distributed_table('{table}', 'agency_id', colocate_with => 'units')")
            }
        };
        run(conn, &call)?;
    }
    for r in &references {
        let from = placement_of(&r.table_name);
        let to_agency_rows = r.definition.contains("(agency_id, ");
        let kept = match from {
            Some(Placement::ByAgency) => true,
            Some(Placement::ByNip) => false,
            _ => !to_agency_rows && !r.definition.contains("REFERENCES employees"),
        };
        if kept {
            run(conn, &format!("ALTER TABLE {} ADD CONSTRAINT {} {}", r.table_name, r.name, r.definition))?;
        }
    }
    Ok(pending.iter().map(|(t, _)| (*t).to_owned()).collect())
}
