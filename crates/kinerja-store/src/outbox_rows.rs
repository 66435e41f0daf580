//! The transactional outbox: the events of `kinerja_domain::events`, written by the audit trail
//! in the same transaction as the act (so nothing rolled back is ever told; which acts are
//! events: `NewAuditEvent::outward`), read in commit-safe order by the event feed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::events::EventType;
use serde_json::Value;
use uuid::Uuid;

use crate::coded::Coded;
use crate::error::StoreResult;

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: &'static str,
    pub agency_id: Uuid,
    pub subject_id: Option<Uuid>,
    pub data: Value,
}

/// Writes the event, and queues a delivery of it to each enabled webhook endpoint of its agency
/// that subscribes to its type (an empty subscription takes every type), in one statement.
const EMIT: &str = "WITH e AS ( \
         INSERT INTO events (event_id, event_type, agency_id, subject_id, data) VALUES ($1, $2, $3, $4, $5) \
         RETURNING event_id, event_type, agency_id) \
     INSERT INTO webhook_deliveries (endpoint_id, agency_id, event_id) \
     SELECT w.id, e.agency_id, e.event_id FROM e JOIN webhook_endpoints w ON w.agency_id = e.agency_id \
     WHERE w.enabled AND (w.event_types = '{}' OR e.event_type = ANY (w.event_types))";

fn emit_query(
    event: &NewEvent,
) -> impl diesel::query_dsl::RunQueryDsl<PgConnection>
       + diesel_async::RunQueryDsl<AsyncPgConnection>
       + diesel::query_builder::QueryFragment<diesel::pg::Pg>
       + diesel::query_builder::QueryId
       + '_ {
    diesel::sql_query(EMIT)
        .bind::<SqlUuid, _>(event.event_id)
        .bind::<Text, _>(event.event_type)
        .bind::<SqlUuid, _>(event.agency_id)
        .bind::<Nullable<SqlUuid>, _>(event.subject_id)
        .bind::<Jsonb, _>(&event.data)
}

pub async fn emit(conn: &mut AsyncPgConnection, event: &NewEvent) -> StoreResult<()> {
    emit_query(event).execute(conn).await?;
    Ok(())
}

/// [`emit`] on the synchronous connection of a bulk import.
pub fn emit_sync(conn: &mut PgConnection, event: &NewEvent) -> StoreResult<()> {
    diesel::RunQueryDsl::execute(emit_query(event), conn)?;
    Ok(())
}

#[derive(Debug, Clone, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub tx: i64,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: Coded<EventType>,
    #[diesel(sql_type = SqlUuid)]
    pub agency_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub subject_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Jsonb)]
    pub data: Value,
}

/// Events after `(tx, id)` in commit-safe order: only those of transactions older than every
/// transaction still running (the snapshot's xmin), so that a reader who follows the last one
/// read never skips an event committed later with a smaller id. `agency`/`event_type`: `None`
/// for all.
pub async fn read_after(
    conn: &mut AsyncPgConnection,
    after: (i64, i64),
    agency: Option<Uuid>,
    event_type: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<EventRow>> {
    Ok(diesel::sql_query(
        "SELECT id, tx, event_id, event_type, agency_id, subject_id, occurred_at, data FROM events \
         WHERE (tx, id) > ($1, $2) \
           AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
           AND ($3::uuid IS NULL OR agency_id = $3) AND ($4::text IS NULL OR event_type = $4) \
         ORDER BY tx, id LIMIT $5",
    )
    .bind::<BigInt, _>(after.0)
    .bind::<BigInt, _>(after.1)
    .bind::<Nullable<SqlUuid>, _>(agency)
    .bind::<Nullable<Text>, _>(event_type)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}
