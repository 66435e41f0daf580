//! Answers remembered per `Idempotency-Key`: a retried request replays the first answer.

use diesel::{ExpressionMethods, OptionalExtension, PgConnection, QueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::schema::idempotency_keys;

/// How long a key is remembered; an older key counts as new.
const KEPT_HOURS: i64 = 24;

#[derive(Debug, Clone, diesel::Queryable)]
pub struct Remembered {
    /// SHA-256 of what was asked (method, path, query and body).
    pub fingerprint: Vec<u8>,
    pub status: i16,
    pub answer: Value,
}

/// The answer given to `actor` under `key` in the last day, if any.
pub async fn find(
    conn: &mut diesel_async::AsyncPgConnection,
    actor: Uuid,
    key: &str,
) -> StoreResult<Option<Remembered>> {
    use diesel_async::RunQueryDsl;
    Ok(idempotency_keys::table
        .filter(idempotency_keys::actor_id.eq(actor))
        .filter(idempotency_keys::key.eq(key))
        .filter(idempotency_keys::created_at.gt(chrono::Utc::now() - chrono::Duration::hours(KEPT_HOURS)))
        .select((idempotency_keys::fingerprint, idempotency_keys::status, idempotency_keys::answer))
        .first(conn)
        .await
        .optional()?)
}

/// Settles a key claimed with [`claim`] by a request whose body is only known at its end (an
/// import): what was asked, and the answer to replay.
pub fn settle(
    conn: &mut PgConnection,
    actor: Uuid,
    key: &str,
    fingerprint: &[u8],
    status: i16,
    answer: &Value,
) -> StoreResult<()> {
    use diesel::RunQueryDsl;
    diesel::update(idempotency_keys::table.find((actor, key)))
        .set((
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::status.eq(status),
            idempotency_keys::answer.eq(answer),
        ))
        .execute(conn)?;
    Ok(())
}

/// What became of a claim on a key.
#[derive(Debug)]
pub enum Claim {
    /// The key is this request's now; answer it, then [`finish`] or [`release`].
    Claimed,
    /// The key was used before: its first request, as remembered (status 0: still running).
    Taken(Remembered),
}

/// Claims `key` for `actor` before the request runs (a key older than a day counts as new).
pub async fn claim(
    conn: &mut diesel_async::AsyncPgConnection,
    actor: Uuid,
    key: &str,
    fingerprint: &[u8],
) -> StoreResult<Claim> {
    use diesel_async::RunQueryDsl;
    // The cutoff is bound, not computed in the statement: Citus takes only immutable functions
    // in an upsert's condition.
    let expired_before = chrono::Utc::now() - chrono::Duration::hours(KEPT_HOURS);
    let claimed = diesel::sql_query(
        "INSERT INTO idempotency_keys (actor_id, key, fingerprint, status, answer, created_at)
         VALUES ($1, $2, $3, 0, '{}', now())
         ON CONFLICT (actor_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = 0,
             answer = '{}', created_at = EXCLUDED.created_at
         WHERE idempotency_keys.created_at < $4",
    )
    .bind::<diesel::sql_types::Uuid, _>(actor)
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Bytea, _>(fingerprint)
    .bind::<diesel::sql_types::Timestamptz, _>(expired_before)
    .execute(conn)
    .await?;
    if claimed == 1 {
        return Ok(Claim::Claimed);
    }
    match find(conn, actor, key).await? {
        Some(remembered) => Ok(Claim::Taken(remembered)),
        // Expired between the two statements: as good as new.
        None => Ok(Claim::Claimed),
    }
}

/// Remembers the answer to a claimed key.
pub async fn finish(
    conn: &mut diesel_async::AsyncPgConnection,
    actor: Uuid,
    key: &str,
    status: i16,
    answer: &Value,
) -> StoreResult<()> {
    use diesel_async::RunQueryDsl;
    diesel::update(idempotency_keys::table.find((actor, key)))
        .set((idempotency_keys::status.eq(status), idempotency_keys::answer.eq(answer)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives a claimed key back (the request failed on our side and may be tried again).
pub async fn release(conn: &mut diesel_async::AsyncPgConnection, actor: Uuid, key: &str) -> StoreResult<()> {
    use diesel_async::RunQueryDsl;
    diesel::delete(idempotency_keys::table.find((actor, key)).filter(idempotency_keys::status.eq(0_i16)))
        .execute(conn)
        .await?;
    Ok(())
}
