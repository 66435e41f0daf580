//! The import job on its blocking thread: stage every row, check the file whole, merge it in one
//! transaction unless a row is refused or it is a dry run, and report.

use crate::bulk::file_kinds::ImportKind;
use crate::http::error::FieldError;
use actix_web::http::StatusCode;

use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::nodes_on_cycles;
use kinerja_store::bulk::{self, BulkActor, LineProblem, SyncConnection};
use kinerja_store::plan_rows::PeriodRow;
use kinerja_store::{idempotency_rows, StoreError};

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use uuid::Uuid;

use super::{
    finished, shortened, stage_row, BodyReader, FileFormat, ImportError, ImportReport, ImportScope, PlanContext, Rows,
    LISTED_ERRORS, REFRESH_STATISTICS_AFTER,
};

// ---- the import job, on a blocking thread ----

/// Why an import stopped short of a report.
#[derive(Debug, thiserror::Error)]
pub(super) enum Failure {
    /// The header row cannot be read (unknown or missing columns, broken CSV).
    #[error("the header row is not usable")]
    Header(Vec<FieldError>),
    #[error("{0}")]
    Upload(String),
    /// A file read whole (a workbook) is larger than this many bytes.
    #[error("the file is too large")]
    TooLarge(u64),
    /// A statement ran past the import's time limit; the transaction was rolled back.
    #[error("the import ran past its time limit")]
    TimedOut,
    #[error(transparent)]
    Store(StoreError),
    /// The file's period is closed: nothing is written into it.
    #[error("the period is closed")]
    PeriodClosed,
    /// Nothing wrong: the transaction is rolled back (a dry run or a refused file) with this report.
    #[error("rolled back")]
    RolledBack(Box<ImportReport>),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::TimedOut(_) => Failure::TimedOut,
            other => Failure::Store(other),
        }
    }
}

impl From<kinerja_store::DieselError> for Failure {
    fn from(e: kinerja_store::DieselError) -> Self {
        StoreError::from(e).into()
    }
}

/// Every error found, the first [`LISTED_ERRORS`] kept, and the lines refused.
#[derive(Default)]
pub(super) struct Errors {
    listed: Vec<ImportError>,
    count: i64,
    lines: HashSet<i64>,
}

impl Errors {
    pub(super) fn add(&mut self, line: i64, field: String, code: String, message: String) {
        self.count += 1;
        self.lines.insert(line);
        if self.listed.len() < LISTED_ERRORS {
            self.listed.push(ImportError { line, field: shortened(&field), code, message: shortened(&message) });
        }
    }

    pub(super) fn add_fields(&mut self, line: i64, errors: Vec<FieldError>) {
        for e in errors {
            self.add(line, e.field, e.code, e.message);
        }
    }

    pub(super) fn report(mut self, kind: ImportKind, dry_run: bool, total: i64, merged: bulk::Merged) -> ImportReport {
        self.listed.sort_by(|a, b| (a.line, &a.field).cmp(&(b.line, &b.field)));
        ImportReport {
            kind,
            dry_run,
            total,
            inserted: merged.inserted,
            updated: merged.updated,
            changed: merged.changed,
            deleted: merged.deleted,
            rejected: self.lines.len() as i64,
            error_count: self.count,
            errors: self.listed,
        }
    }
}

pub(super) struct Job {
    pub(super) url: String,
    /// How long each of the import's statements may run.
    pub(super) time_limit: std::time::Duration,
    pub(super) kind: ImportKind,
    pub(super) format: FileFormat,
    pub(super) dry_run: bool,
    pub(super) scope: ImportScope,
    pub(super) actor: crate::context::audit_actor::AuditActor,
    /// The `Idempotency-Key` and its owner, to remember the answer under.
    pub(super) key: Option<(String, Uuid)>,
    /// The period of a file that belongs to one.
    pub(super) period: Option<PeriodRow>,
}

/// Stages the file, checks it whole, and merges it unless it is refused or a dry run; answers
/// with the report, remembered under the job's `Idempotency-Key`.
pub(super) fn run(job: Job, body: BodyReader) -> Result<(StatusCode, serde_json::Value), Failure> {
    let mut conn = bulk::connect(&job.url, job.time_limit)?;
    let rows = RefCell::new(Rows::open(job.kind, job.format, body)?);
    let errors = RefCell::new(Errors::default());
    let total = std::cell::Cell::new(0i64);
    let started = std::time::Instant::now();
    let mut phases: Vec<(&str, std::time::Duration)> = Vec::new();
    let mut phase = |name: &'static str| phases.push((name, started.elapsed()));
    let outcome = conn.transaction::<ImportReport, Failure, _>(|conn| {
        let store_kind = job.kind.store();
        let period = job.period.as_ref().map(|p| p.id);
        let plan_context = match &job.period {
            Some(period) if job.kind.of_a_period() => {
                if !bulk::period_is_open(conn, period.agency_id, period.id)? {
                    return Err(Failure::PeriodClosed);
                }
                Some(RefCell::new(PlanContext::load(conn, period)?))
            }
            _ => None,
        };
        bulk::create_staging(conn, store_kind)?;
        // Why reading stopped, kept aside: the aborted COPY's own error would hide it.
        let stopped: RefCell<Option<String>> = RefCell::new(None);
        let copied = bulk::copy_staged(conn, store_kind, &|out: &mut dyn Write| -> Result<(), Failure> {
            let mut rows = rows.borrow_mut();
            let mut errors = errors.borrow_mut();
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut stop = |failure: Failure| {
                *stopped.borrow_mut() = Some(failure.to_string());
                failure
            };
            while let Some(raw) = rows.next(job.kind).map_err(&mut stop)? {
                total.set(total.get() + 1);
                let mut context = plan_context.as_ref().map(RefCell::borrow_mut);
                let staged = raw
                    .values
                    .and_then(|values| stage_row(job.kind, raw.line, &values, &job.scope, context.as_deref_mut()));
                match staged {
                    Ok(row) => row.write_copy_line(&mut buf),
                    Err(field_errors) => errors.add_fields(raw.line, field_errors),
                }
                if buf.len() >= 60 * 1024 {
                    out.write_all(&buf).map_err(|e| stop(Failure::Upload(e.to_string())))?;
                    buf.clear();
                }
            }
            out.write_all(&buf).map_err(|e| stop(Failure::Upload(e.to_string())))
        });
        if let Some(cause) = stopped.take() {
            return Err(Failure::Upload(cause));
        }
        copied?;
        phase("staged");
        let mut errors = std::mem::take(&mut *errors.borrow_mut());
        for LineProblem { line, field, code, message } in bulk::check(conn, store_kind, period)? {
            errors.add(line, field, code, message);
        }
        phase("checked");
        bulk::lock_hierarchies(conn, store_kind)?;
        let links = bulk::parent_links(conn, store_kind)?;
        let parents: HashMap<&str, &str> = links.iter().map(|l| (l.node.as_str(), l.parent.as_str())).collect();
        let looped = nodes_on_cycles(&parents);
        let (field, code, message) = job.kind.loop_field();
        for link in links.iter().filter(|l| looped.contains(l.node.as_str())) {
            if let Some(line) = link.line {
                errors.add(line, field.into(), code.into(), message.into());
            }
        }
        phase("loops");
        if errors.count > 0 {
            return Err(Failure::RolledBack(Box::new(errors.report(
                job.kind,
                job.dry_run,
                total.get(),
                Default::default(),
            ))));
        }
        let bulk_actor =
            BulkActor { kind: job.actor.kind.as_str(), id: job.actor.id, request_id: job.actor.request_id.clone() };
        if let Some(context) = plan_context.as_ref().filter(|_| job.kind == ImportKind::PerformanceResults) {
            let (plans_made, expectations, events) = context.borrow().new_plans(&job.actor);
            bulk::insert_plans(conn, &plans_made, &expectations, events)?;
            phase("plans");
        }
        let merged = bulk::merge(conn, store_kind, &bulk_actor, period)?;
        phase("merged");
        let report = errors.report(job.kind, job.dry_run, total.get(), merged);
        if job.dry_run {
            return Err(Failure::RolledBack(Box::new(report)));
        }
        let summary = serde_json::json!({
            "kind": job.kind, "period_id": period, "total": report.total, "inserted": report.inserted,
            "updated": report.updated, "changed": report.changed, "deleted": report.deleted,
        });
        bulk::record_event(
            conn,
            job.actor.raw(AuditEntity::Import, None, job.kind.as_str(), job.scope.default, summary),
        )?;
        Ok(report)
    });
    phase("committed");
    tracing::info!(kind = job.kind.as_str(), rows = total.get(), phases = ?phases, "import finished");
    let report = match outcome {
        Ok(report) if report.inserted + report.deleted >= REFRESH_STATISTICS_AFTER => {
            bulk::refresh_statistics(&mut conn, job.kind.store())?;
            report
        }
        Ok(report) => report,
        Err(Failure::RolledBack(report)) => *report,
        Err(other) => return Err(other),
    };
    let (status, answer) = finished(report).map_err(|e| Failure::Upload(e.to_string()))?;
    if let Some((key, owner)) = &job.key {
        let fingerprint = rows.into_inner().fingerprint().unwrap_or_default();
        idempotency_rows::settle(&mut conn, *owner, key, &fingerprint, status.as_u16() as i16, &answer)?;
    }
    Ok((status, answer))
}

impl Rows {
    pub(super) fn fingerprint(self) -> Option<Vec<u8>> {
        match self {
            Rows::Csv { reader, .. } => reader.into_inner().fingerprint,
            Rows::Ndjson { reader, .. } => reader.into_inner().fingerprint,
            Rows::Xlsx { fingerprint, .. } => fingerprint,
        }
    }
}
