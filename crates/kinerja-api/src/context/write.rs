//! The audited write every handler shares: in one transaction, lock the row, compare the
//! caller's `If-Match` with it, change it, record the audit event; then answer with the new
//! `ETag`. Locking before reading the version is what makes the check hold when writes race:
//! a second writer waits for the first to commit, then sees its version (PostgreSQL re-reads a
//! row locked `FOR UPDATE` once the lock is free), so one `If-Match` wins once. A change merged
//! onto the locked row writes only what it names and never undoes a concurrent change.

use kinerja_store::shard::RowKey;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use kinerja_domain::deadlines::PeriodStatus;
use kinerja_domain::RegistryAction;
use kinerja_store::audit_rows;
use kinerja_store::plan_rows::{self, PeriodRow};
use kinerja_store::{in_transaction, AsyncPgConnection, StoreError};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::context::access::authorize;
use crate::context::audit_actor::AuditActor;
use crate::context::caller::Caller;
use crate::http::error::{ApiError, ProblemCode};
use crate::state::AppState;

/// The `If-Match` header of a write: the versions (ETags) the caller says it read.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<String>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<IfMatch, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(value) => {
                value.to_str().map(|v| IfMatch(Some(v.to_owned()))).map_err(|_| ApiError::PreconditionFailed)
            }
        })
    }
}

impl IfMatch {
    /// Refuses (412) when `If-Match` names another version than `current`. Without `If-Match`
    /// the write goes ahead, merged onto the row as it now is.
    pub fn check(&self, current: DateTime<Utc>) -> Result<(), ApiError> {
        let Some(value) = &self.0 else { return Ok(()) };
        let current = etag(current);
        let matches = value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == current || tag.strip_prefix("W/") == Some(current.as_str()));
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed)
        }
    }
}

/// The ETag of a resource version, from its last change (microseconds, as PostgreSQL keeps them).
pub fn etag(version: DateTime<Utc>) -> String {
    format!("\"{}\"", version.timestamp_micros())
}

/// The version a write gives a row: now, but always after the version it replaces, so that the
/// ETag changes on every write even within one microsecond or when clocks step back.
pub fn next_version(previous: DateTime<Utc>) -> DateTime<Utc> {
    let now = Utc::now();
    let after = previous + TimeDelta::microseconds(1);
    if now > previous {
        now
    } else {
        after
    }
}

/// A JSON answer with the resource's `ETag`.
pub fn with_etag(status: StatusCode, version: DateTime<Utc>, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::ETAG, etag(version))).json(body)
}

/// A `201 Created` with `Location` and `ETag`.
pub fn created(location: String, version: DateTime<Utc>, body: &impl Serialize) -> HttpResponse {
    let mut response = with_etag(StatusCode::CREATED, version, body);
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// [`in_transaction`] on a connection from the pool.
pub async fn transaction<T>(
    state: &AppState,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut conn = state.db.conn().await?;
    in_transaction(&mut conn, work).await
}

/// A row that answers with an ETag and is changed through [`update`].
// The futures need not be `Send`: actix-web runs each request on one worker thread.
#[allow(async_fn_in_trait)]
pub trait Record: Sized {
    /// The audit trail's name for it, and the `not_found` subject.
    const ENTITY: kinerja_domain::audit::AuditEntity;
    /// What the audit trail records of it, before and after.
    type Audited: Serialize;

    fn id(&self) -> Uuid;
    fn agency_id(&self) -> Option<Uuid>;
    fn version(&self) -> DateTime<Utc>;
    fn set_version(&mut self, version: DateTime<Utc>);
    fn audited(&self) -> Self::Audited;
    /// The API's answer to a store error on writing it.
    fn store_error(e: StoreError) -> ApiError {
        e.into()
    }
    /// Reads the row and locks it until the transaction ends (`SELECT … FOR UPDATE`).
    /// With the key's agency known, the lock goes straight to its shard on Citus.
    async fn lock(tx: &mut AsyncPgConnection, key: RowKey) -> Result<Option<Self>, ApiError>;
    /// Writes the row back.
    async fn save(&self, tx: &mut AsyncPgConnection) -> Result<Self, ApiError>;
}

/// A [`Record`] the API creates through [`create`].
#[allow(async_fn_in_trait)]
pub trait Created: Record {
    /// Inserts the row.
    async fn insert(&self, tx: &mut AsyncPgConnection) -> Result<Self, ApiError>;
}

/// The audited create: in one transaction, lets `check` check the new row against what it
/// refers to, inserts it and records its creation with what it is; the caller answers
/// [`created`] with its `Location` and version.
pub async fn create<R: Created>(
    state: &AppState,
    caller: &Caller,
    row: R,
    check: impl AsyncFnOnce(&mut AsyncPgConnection, &R) -> Result<(), ApiError>,
) -> Result<R, ApiError> {
    transaction(state, async |tx| {
        check(tx, &row).await?;
        let saved = row.insert(tx).await?;
        let event = caller.audit_actor().event(
            R::ENTITY,
            saved.id(),
            "create",
            saved.agency_id(),
            None,
            Some(&saved.audited()),
        );
        audit_rows::record(tx, event).await?;
        Ok(saved)
    })
    .await
}

/// What a change made: the row to save and, when the row's own fields do not tell it (a result
/// added to a plan), the audit event's changes.
pub struct Change<R> {
    pub row: R,
    pub changes: Option<Value>,
}

impl<R> Change<R> {
    /// The row's fields, before and after, are what the audit trail records.
    pub fn row(row: R) -> Self {
        Change { row, changes: None }
    }

    pub fn with_changes(row: R, changes: Value) -> Self {
        Change { row, changes: Some(changes) }
    }
}

/// The one audited write: locks the record `id`, checks `If-Match` against it, lets `change`
/// check and change it (and anything it owns) on the transaction, saves it with a new version,
/// and records `action` in the audit trail; all in one transaction. `change` sees the row as
/// locked, so its checks (a plan's status, say) hold until the commit.
pub async fn update<R: Record>(
    state: &AppState,
    caller: &Caller,
    if_match: &IfMatch,
    key: impl Into<RowKey>,
    action: &'static str,
    change: impl AsyncFnOnce(&mut AsyncPgConnection, &R) -> Result<Change<R>, ApiError>,
) -> Result<R, ApiError> {
    let mut conn = state.db.conn().await?;
    update_on(&mut conn, &caller.audit_actor(), if_match, key, action, change).await
}

/// [`update`] of a record of an agency's registry (an agency, a unit, a position, an employee, a
/// period): the row is read once, locked, and the caller's right to write the agency's registry
/// is checked on it before `If-Match`, so a record the caller may not see answers 404, never 412.
pub async fn update_registry<R: Record>(
    state: &AppState,
    caller: &Caller,
    if_match: &IfMatch,
    key: impl Into<RowKey>,
    action: &'static str,
    change: impl AsyncFnOnce(&mut AsyncPgConnection, &R) -> Result<Change<R>, ApiError>,
) -> Result<R, ApiError> {
    let mut conn = state.db.conn().await?;
    let may_write = |current: &R| match current.agency_id() {
        Some(agency) => authorize(caller, RegistryAction::Write, agency, R::ENTITY.as_str()),
        None => Ok(()),
    };
    guarded_update(&mut conn, &caller.audit_actor(), if_match, key, action, may_write, change).await
}

/// [`update`] on a connection the caller holds, for an actor that need not be a caller (the CLI).
pub async fn update_on<R: Record>(
    conn: &mut AsyncPgConnection,
    actor: &AuditActor,
    if_match: &IfMatch,
    key: impl Into<RowKey>,
    action: &'static str,
    change: impl AsyncFnOnce(&mut AsyncPgConnection, &R) -> Result<Change<R>, ApiError>,
) -> Result<R, ApiError> {
    guarded_update(conn, actor, if_match, key, action, |_| Ok(()), change).await
}

/// The audited write itself: lock, `allowed` on the locked row, `If-Match`, change, save, audit.
async fn guarded_update<R: Record>(
    conn: &mut AsyncPgConnection,
    actor: &AuditActor,
    if_match: &IfMatch,
    key: impl Into<RowKey>,
    action: &'static str,
    allowed: impl FnOnce(&R) -> Result<(), ApiError>,
    change: impl AsyncFnOnce(&mut AsyncPgConnection, &R) -> Result<Change<R>, ApiError>,
) -> Result<R, ApiError> {
    let key = key.into();
    let id = key.id;
    in_transaction(conn, async |tx| {
        let current = R::lock(tx, key).await?.ok_or(ApiError::NotFound(R::ENTITY.as_str()))?;
        allowed(&current)?;
        if_match.check(current.version())?;
        let Change { mut row, changes } = change(tx, &current).await?;
        row.set_version(next_version(current.version()));
        let saved = row.save(tx).await?;
        let event = match changes {
            Some(changes) => actor.raw(R::ENTITY, Some(id), action, saved.agency_id(), changes),
            None => {
                actor.event(R::ENTITY, id, action, saved.agency_id(), Some(&current.audited()), Some(&saved.audited()))
            }
        };
        audit_rows::record(tx, event).await?;
        Ok(saved)
    })
    .await
}

/// The audited delete: locks the record `id`, checks `If-Match` against it, lets `remove`
/// check and delete it, and records the deletion with what the record was; one transaction.
pub async fn delete<R: Record>(
    state: &AppState,
    caller: &Caller,
    if_match: &IfMatch,
    key: impl Into<RowKey>,
    remove: impl AsyncFnOnce(&mut AsyncPgConnection, &R) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let key = key.into();
    let id = key.id;
    transaction(state, async |tx| {
        let current = R::lock(tx, key).await?.ok_or(ApiError::NotFound(R::ENTITY.as_str()))?;
        if_match.check(current.version())?;
        remove(tx, &current).await?;
        let event = caller.audit_actor().event(
            R::ENTITY,
            id,
            "delete",
            current.agency_id(),
            Some(&current.audited()),
            None::<&R::Audited>,
        );
        audit_rows::record(tx, event).await?;
        Ok(())
    })
    .await
}

/// Implements [`Record`] (and, with `insert`, [`Created`]) for a store row with `id` and
/// `updated_at` columns: its entity name, what the audit trail records of it, how its agency is
/// found, and the store's lock, save and insert. `map_err` turns a store error on save or insert
/// into the API's (a unique violation into a 409, say).
macro_rules! record {
    ($row:ty, $entity:expr, audited: $audited:ty, agency: |$r:ident| $agency:expr,
     lock: $lock:path, save: $save:path $(, map_err: $map:expr)? $(, insert: $insert:path)?) => {
        impl $crate::context::write::Record for $row {
            const ENTITY: kinerja_domain::audit::AuditEntity = $entity;
            type Audited = $audited;

            fn id(&self) -> uuid::Uuid {
                self.id
            }

            fn agency_id(&self) -> Option<uuid::Uuid> {
                let $r = self;
                $agency
            }

            fn version(&self) -> chrono::DateTime<chrono::Utc> {
                self.updated_at
            }

            fn set_version(&mut self, version: chrono::DateTime<chrono::Utc>) {
                self.updated_at = version;
            }

            fn audited(&self) -> $audited {
                <$audited>::from(self)
            }

            $(fn store_error(e: kinerja_store::StoreError) -> $crate::http::error::ApiError {
                ($map)(e)
            })?

            async fn lock(
                tx: &mut kinerja_store::AsyncPgConnection,
                key: kinerja_store::shard::RowKey,
            ) -> Result<Option<Self>, $crate::http::error::ApiError> {
                Ok($lock(tx, key).await?)
            }

            async fn save(&self, tx: &mut kinerja_store::AsyncPgConnection) -> Result<Self, $crate::http::error::ApiError> {
                $save(tx, self).await.map_err(Self::store_error)
            }
        }

        $(impl $crate::context::write::Created for $row {
            async fn insert(&self, tx: &mut kinerja_store::AsyncPgConnection) -> Result<Self, $crate::http::error::ApiError> {
                $insert(tx, self).await.map_err(<Self as $crate::context::write::Record>::store_error)
            }
        })?
    };
}
pub(crate) use record;

/// The period a write goes into, held (`FOR SHARE`) until the transaction ends; 409
/// `period_closed` when it is closed. A close waits for the writes holding it, and a write
/// after a close sees it closed, so nothing slips into a closed period.
pub async fn open_period(tx: &mut AsyncPgConnection, agency: Uuid, period_id: Uuid) -> Result<PeriodRow, ApiError> {
    let period =
        plan_rows::share_period(tx, RowKey::new(agency, period_id)).await?.ok_or(ApiError::NotFound("period"))?;
    if period.status.0 == PeriodStatus::Closed {
        return Err(ApiError::Conflict {
            code: ProblemCode::PeriodClosed,
            detail: format!(
                "the period {} is closed ({}); an agency admin may reopen it",
                period.name,
                period.status_reason.as_deref().unwrap_or("no reason given")
            ),
        });
    }
    Ok(period)
}
