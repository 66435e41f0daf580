//! Bulk imports: rows are streamed by `COPY` into a temporary staging table, checked as a set
//! (duplicates in the file, references by natural key), then merged with one `INSERT … ON
//! CONFLICT` per file and audited in the same statement. Everything runs in one transaction on a
//! synchronous connection of its own (Diesel's `COPY` is synchronous), off the request pool.

use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::StoreResult;

pub use diesel::result::Error as BulkDieselError;
pub use diesel::Connection as SyncConnection;
pub use diesel::PgConnection as SyncPgConnection;

pub use check::{check, lock_hierarchies, parent_links, LineProblem, ParentLink, INVALID_PARENT_RESULT};
pub use export::{agency_codes, export_batch, ratings_batch, ExportRow};
pub use merge::{
    entity_of, insert_plans, merge, period_is_open, plan_facts, record_event, refresh_statistics, BulkActor, Merged,
    PlanFacts,
};
pub use stage::{
    copy_staged, create_staging, StagedEmployee, StagedPosition, StagedRealization, StagedRequirement, StagedResult,
    StagedRow,
};

mod check;
mod export;
mod merge;
mod stage;

/// A connection of its own for one import, whose statements may each run `statement_timeout`.
/// Its staging table stays in memory up to a size that holds files of a few hundred thousand rows.
pub fn connect(database_url: &str, statement_timeout: std::time::Duration) -> StoreResult<PgConnection> {
    let mut conn = crate::db::migrations::connect(database_url)?;
    diesel::sql_query("SET temp_buffers = '256MB'").execute(&mut conn)?;
    diesel::sql_query(format!("SET statement_timeout = {}", statement_timeout.as_millis().max(1)))
        .execute(&mut conn)?;
    diesel::sql_query(crate::db::citus::SESSION_SETUP_SQL).execute(&mut conn)?;
    Ok(conn)
}

/// What a file holds, by its natural key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Keyed by agency and unit code; `parent_code` may name a unit further down the file.
    Units,
    /// Keyed by agency and position code.
    Positions,
    /// Keyed by NIP; `supervisor_nip` may name an employee further down the file.
    Employees,
    /// Keyed by agency, position code and competency code; the file sets each named position's
    /// standard whole, as `PUT /positions/{id}/competency-requirements` does.
    Requirements,
    /// A period's plans' work results (RHK) and indicators, one indicator per line: the file sets
    /// the results of each employee it names whole, matching results by description.
    Results,
    /// Realisations of approved plans' indicators in a sub-period (`period_label`), keyed by
    /// NIP, label, result and indicator; evaluations are started as needed.
    Realizations,
}

mod staging {
    diesel::table! {
        stage_units (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            code -> Text,
            name -> Text,
            parent_code -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_positions (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            code -> Text,
            name -> Text,
            kind -> Text,
            level -> Nullable<Text>,
            unit_code -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_employees (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            nip -> Text,
            name -> Text,
            employment_type -> Text,
            grade -> Nullable<Text>,
            email -> Nullable<Text>,
            unit_code -> Nullable<Text>,
            position_code -> Nullable<Text>,
            supervisor_nip -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_requirements (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            position_code -> Text,
            competency_code -> Text,
            required_level -> Text,
        }
    }
    diesel::table! {
        stage_results (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            employee_id -> Text,
            plan_id -> Nullable<Text>,
            result_kind -> Text,
            result -> Text,
            parent_result -> Nullable<Text>,
            perspective -> Nullable<Text>,
            indicator_id -> Text,
            indicator -> Text,
            aspect -> Text,
            target_value -> Nullable<Text>,
            target_unit -> Nullable<Text>,
            target_text -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_realizations (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            plan_id -> Text,
            evaluation_id -> Text,
            period_label -> Text,
            result -> Text,
            indicator -> Text,
            value -> Nullable<Text>,
            text -> Nullable<Text>,
            evidence -> Text,
        }
    }
}

pub(crate) fn table_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Units => "stage_units",
        Kind::Positions => "stage_positions",
        Kind::Employees => "stage_employees",
        Kind::Requirements => "stage_requirements",
        Kind::Results => "stage_results",
        Kind::Realizations => "stage_realizations",
    }
}

/// The indicators staged realisations can name, by (agency, plan, result's description, own
/// description): the first, should a plan repeat a description. Joined to a staged row `s` by
/// [`NAMED_INDICATOR_JOIN`] (a join, not a subquery per row: Citus joins staged rows with
/// distributed ones but does not correlate a subquery across them).
pub(crate) const NAMED_INDICATORS_SQL: &str =
    "SELECT DISTINCT ON (r.agency_id, r.plan_id, r.description, i.description)
            r.agency_id, r.plan_id, r.description AS result, i.description AS indicator, i.id
     FROM plan_results r JOIN plan_indicators i ON i.agency_id = r.agency_id AND i.result_id = r.id
     WHERE (r.agency_id, r.plan_id) IN (SELECT agency_id, plan_id FROM stage_realizations)
     ORDER BY r.agency_id, r.plan_id, r.description, i.description, r.id, i.id";

/// The join condition of a staged realisation `s` and the indicator `ind` it names.
pub(crate) const NAMED_INDICATOR_JOIN: &str = "ind.agency_id = s.agency_id AND ind.plan_id = s.plan_id \
     AND ind.result = s.result AND ind.indicator = s.indicator";
