//! Webhook endpoints and their deliveries. A delivery is queued by the outbox in the act's own
//! transaction (`outbox::emit`); a deliverer claims due ones with a lease ([`claim`]), sends
//! them outside any transaction, and settles each ([`settle`]) only if its lease still holds.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::events::EventType;
use kinerja_domain::webhooks::DeliveryState;
use uuid::Uuid;

use crate::coded::Coded;
use crate::db::page::limited;
use crate::error::StoreResult;
use crate::outbox_rows::EventRow;
use crate::schema::webhook_endpoints;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The secret a rotation replaced, still signed with until it expires.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &EndpointRow) -> StoreResult<EndpointRow> {
    Ok(diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<EndpointRow>> {
    Ok(webhook_endpoints::table.find(id).select(EndpointRow::as_select()).first(conn).await.optional()?)
}

pub async fn lock(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<EndpointRow>> {
    Ok(webhook_endpoints::table
        .find(key.into().id)
        .select(EndpointRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// What an admin changes, the secret (rotated) included; the row is the locked one with the
/// change merged in.
pub async fn update(conn: &mut AsyncPgConnection, row: &EndpointRow) -> StoreResult<EndpointRow> {
    use webhook_endpoints as w;
    Ok(diesel::update(w::table.find(row.id))
        .set((
            w::url.eq(&row.url),
            w::secret.eq(&row.secret),
            w::previous_secret.eq(&row.previous_secret),
            w::previous_secret_expires_at.eq(row.previous_secret_expires_at),
            w::description.eq(&row.description),
            w::event_types.eq(&row.event_types),
            w::enabled.eq(row.enabled),
            w::disabled_reason.eq(&row.disabled_reason),
            w::failing_since.eq(row.failing_since),
            w::updated_at.eq(row.updated_at),
        ))
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Removes the endpoint and its delivery log.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<()> {
    diesel::delete(webhook_endpoints::table.find(id)).execute(conn).await?;
    Ok(())
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    agency: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table.select(EndpointRow::as_select()).order(webhook_endpoints::id).into_boxed();
    if let Some(agency) = agency {
        query = query.filter(webhook_endpoints::agency_id.eq(agency));
    }
    if let Some(after) = after {
        query = query.filter(webhook_endpoints::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

/// One delivery as its endpoint's log shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct DeliveryRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: Coded<EventType>,
    #[diesel(sql_type = Text)]
    pub state: Coded<DeliveryState>,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub last_status: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub delivered_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const DELIVERY_COLUMNS: &str = "d.id, d.event_id, e.event_type, d.state, d.attempts, d.next_attempt_at, \
     d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, d.created_at";

/// An endpoint's deliveries, newest first, before delivery `before`; `state`: `None` for all.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    endpoint: Uuid,
    state: Option<DeliveryState>,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<DeliveryRow>> {
    Ok(diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.event_id = d.event_id \
         WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.state = $2) AND ($3::bigint IS NULL OR d.id < $3) \
         ORDER BY d.id DESC LIMIT $4"
    ))
    .bind::<SqlUuid, _>(endpoint)
    .bind::<Nullable<Text>, _>(state.map(DeliveryState::as_str))
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// Sends a delivered or given-up delivery again, from a fresh schedule, now. `None` when the
/// endpoint has no such delivery, or it is still pending (it is either being sent or waiting
/// for its next try: sending it now as well could send it twice at once).
pub async fn replay(conn: &mut AsyncPgConnection, endpoint: Uuid, delivery: i64) -> StoreResult<Option<DeliveryRow>> {
    Ok(diesel::sql_query(format!(
        "WITH d AS (UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), \
                delivered_at = NULL \
              WHERE id = $2 AND endpoint_id = $1 AND state <> 'pending' RETURNING *) \
         SELECT {DELIVERY_COLUMNS} FROM d JOIN events e ON e.event_id = d.event_id"
    ))
    .bind::<SqlUuid, _>(endpoint)
    .bind::<BigInt, _>(delivery)
    .get_result(conn)
    .await
    .optional()?)
}

/// Whether the endpoint has delivery `delivery` at all.
pub async fn has_delivery(conn: &mut AsyncPgConnection, endpoint: Uuid, delivery: i64) -> StoreResult<bool> {
    use crate::schema::webhook_deliveries as d;
    let found: Option<i64> = d::table
        .filter(d::id.eq(delivery))
        .filter(d::endpoint_id.eq(endpoint))
        .select(d::id)
        .first(conn)
        .await
        .optional()?;
    Ok(found.is_some())
}

/// Removes up to `limit` settled deliveries created more than `older_than_secs` ago, oldest
/// first. Answers how many went.
pub async fn prune_settled(conn: &mut AsyncPgConnection, older_than_secs: f64, limit: i64) -> StoreResult<usize> {
    Ok(diesel::sql_query(
        "DELETE FROM webhook_deliveries WHERE id IN ( \
             SELECT id FROM webhook_deliveries \
             WHERE state <> 'pending' AND created_at < now() - make_interval(secs => $1) \
             ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<Double, _>(older_than_secs)
    .bind::<BigInt, _>(limit)
    .execute(conn)
    .await?)
}

/// A delivery a deliverer has claimed: where to send what, and the lease it holds.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedDelivery {
    #[diesel(sql_type = BigInt)]
    pub delivery_id: i64,
    /// This try's number (1 for the first).
    #[diesel(sql_type = Int4)]
    pub attempt: i32,
    /// Until when the claim holds; settling checks it, so a claim that lapsed settles nothing.
    #[diesel(sql_type = Timestamptz)]
    pub lease: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: Uuid,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    /// The secret a rotation replaced, while it is still signed with.
    #[diesel(sql_type = Nullable<Text>)]
    pub previous_secret: Option<String>,
    #[diesel(embed)]
    pub event: EventRow,
}

/// Claims up to `limit` due deliveries of enabled endpoints, oldest due first, for `lease_secs`:
/// their `next_attempt_at` moves to the lease's end and their attempt count goes up, in one
/// short statement. Rows another deliverer is claiming are skipped (`SKIP LOCKED`), and a
/// claimed row is not due again until its lease ends — so no two deliverers send one delivery
/// at once, and one a dead deliverer held is sent again after its lease.
pub async fn claim(conn: &mut AsyncPgConnection, limit: i64, lease_secs: f64) -> StoreResult<Vec<ClaimedDelivery>> {
    Ok(diesel::sql_query(
        "WITH due AS ( \
             SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND w.enabled \
             ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED), \
         claimed AS ( \
             UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = now(), \
                 next_attempt_at = now() + make_interval(secs => $2) \
             FROM due WHERE d.id = due.id \
             RETURNING d.id, d.attempts, d.next_attempt_at, d.endpoint_id, d.event_id) \
         SELECT c.id AS delivery_id, c.attempts AS attempt, c.next_attempt_at AS lease, c.endpoint_id, \
                w.url, w.secret, \
                CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END AS previous_secret, \
                e.id, e.tx, e.event_id, e.event_type, e.agency_id, e.subject_id, \
                e.occurred_at, e.data \
         FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id JOIN events e ON e.event_id = c.event_id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease_secs)
    .load(conn)
    .await?)
}

/// How one try went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered { status: i32 },
    /// Anything else: to be tried again after `retry_in_secs`, or (`None`) given up.
    Failed { status: Option<i32>, error: String, retry_in_secs: Option<f64> },
}

/// Records how a claimed try went, if the claim still holds (`false` when it had lapsed and
/// another deliverer may have taken the delivery: then this one records nothing).
pub async fn settle(conn: &mut AsyncPgConnection, claimed: &ClaimedDelivery, outcome: &Outcome) -> StoreResult<bool> {
    let query = match outcome {
        Outcome::Delivered { status } => diesel::sql_query(
            "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), last_status = $3, \
                 last_error = NULL \
             WHERE id = $1 AND next_attempt_at = $2 AND state = 'pending'",
        )
        .into_boxed()
        .bind::<BigInt, _>(claimed.delivery_id)
        .bind::<Timestamptz, _>(claimed.lease)
        .bind::<Nullable<Int4>, _>(Some(*status)),
        Outcome::Failed { status, error, retry_in_secs } => diesel::sql_query(
            "UPDATE webhook_deliveries SET last_status = $3, last_error = $4, \
                 state = CASE WHEN $5::float8 IS NULL THEN 'failed' ELSE 'pending' END, \
                 next_attempt_at = now() + make_interval(secs => coalesce($5, 0)) \
             WHERE id = $1 AND next_attempt_at = $2 AND state = 'pending'",
        )
        .into_boxed()
        .bind::<BigInt, _>(claimed.delivery_id)
        .bind::<Timestamptz, _>(claimed.lease)
        .bind::<Nullable<Int4>, _>(*status)
        .bind::<Text, _>(error)
        .bind::<Nullable<Double>, _>(*retry_in_secs),
    };
    Ok(query.execute(conn).await? == 1)
}

/// An endpoint's failing state, read under lock.
#[derive(Debug, Clone, QueryableByName)]
pub struct FailingState {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub enabled: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub failing_since: Option<DateTime<Utc>>,
    /// The database's clock, which every other time here is on.
    #[diesel(sql_type = Timestamptz)]
    pub now: DateTime<Utc>,
}

/// Since when the endpoint has failed every delivery, held until the transaction ends (so two
/// deliverers settling tries of one endpoint decide its state one after the other).
pub async fn lock_failing_state(conn: &mut AsyncPgConnection, endpoint: Uuid) -> StoreResult<Option<FailingState>> {
    Ok(diesel::sql_query(
        "SELECT enabled, failing_since, now() AS now FROM webhook_endpoints WHERE id = $1 FOR NO KEY UPDATE",
    )
    .bind::<SqlUuid, _>(endpoint)
    .get_result(conn)
    .await
    .optional()?)
}

/// Marks the endpoint as failing since `since` (none: it works), and, with a reason, disabled.
pub async fn set_failing(
    conn: &mut AsyncPgConnection,
    endpoint: Uuid,
    since: Option<DateTime<Utc>>,
    disabled_reason: Option<&str>,
) -> StoreResult<()> {
    use webhook_endpoints as w;
    let target = w::table.find(endpoint);
    match disabled_reason {
        None => diesel::update(target).set(w::failing_since.eq(since)).execute(conn).await?,
        Some(reason) => {
            diesel::update(target)
                .set((
                    w::failing_since.eq(since),
                    w::enabled.eq(false),
                    w::disabled_reason.eq(reason),
                    w::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}
