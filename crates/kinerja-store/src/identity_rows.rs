//! Users, refresh tokens, integration clients and login throttling.

use crate::coded::Coded;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::{Role, Scope};
use uuid::Uuid;

use crate::db::page::limited;
use crate::error::StoreResult;
use crate::schema::{clients, employees, login_failures, refresh_tokens, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub roles: Vec<Coded<Role>>,
    pub agency_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Access tokens name it; a bump ends every access token issued before.
    pub session_version: i32,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub roles: Vec<Coded<Role>>,
    pub agency_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
}

/// Fields a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub password_hash: Option<String>,
    pub roles: Option<Vec<Coded<Role>>>,
    pub agency_id: Option<Option<Uuid>>,
    pub employee_id: Option<Option<Uuid>>,
    pub is_active: Option<bool>,
    pub updated_at: Option<DateTime<Utc>>,
    pub session_version: Option<i32>,
}

pub async fn count_users(conn: &mut AsyncPgConnection) -> StoreResult<i64> {
    Ok(users::table.count().get_result(conn).await?)
}

/// The user a login name refers to: a username, or the NIP of the employee a user is linked to.
pub async fn find_user_by_login(conn: &mut AsyncPgConnection, login: &str) -> StoreResult<Option<UserRow>> {
    let by_nip = employees::table.filter(employees::nip.eq(login)).select(employees::id);
    Ok(users::table
        .filter(users::username.eq(login).or(users::employee_id.eq_any(by_nip.nullable())))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn get_user(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<UserRow> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).await?)
}

/// Reads the user and locks its row until the transaction ends.
pub async fn lock_user(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<UserRow>> {
    Ok(users::table.find(key.into().id).select(UserRow::as_select()).for_update().first(conn).await.optional()?)
}

pub async fn insert_user(conn: &mut AsyncPgConnection, user: NewUser<'_>) -> StoreResult<UserRow> {
    Ok(diesel::insert_into(users::table).values(user).returning(UserRow::as_returning()).get_result(conn).await?)
}

pub async fn update_user(conn: &mut AsyncPgConnection, id: Uuid, changes: UserChanges) -> StoreResult<UserRow> {
    Ok(diesel::update(users::table.find(id)).set(changes).returning(UserRow::as_returning()).get_result(conn).await?)
}

/// One keyset page of users ordered by id, optionally within one agency.
pub async fn list_users(
    conn: &mut AsyncPgConnection,
    agency_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).order(users::id).into_boxed();
    if let Some(agency) = agency_id {
        query = query.filter(users::agency_id.eq(agency));
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

pub async fn agency_exists(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<bool> {
    use crate::schema::agencies;
    Ok(diesel::select(diesel::dsl::exists(agencies::table.find(id))).get_result(conn).await?)
}

/// The agency of an employee, if the employee exists.
pub async fn employee_agency(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<Uuid>> {
    Ok(employees::table.find(id).select(employees::agency_id).first(conn).await.optional()?)
}

// ---- refresh tokens ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub spent_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The address it was spent from.
    pub spent_from: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
    /// Also the `iat` of the access token issued with it.
    pub created_at: DateTime<Utc>,
}

pub async fn insert_refresh_token(conn: &mut AsyncPgConnection, token: NewRefreshToken<'_>) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table).values(token).execute(conn).await?;
    Ok(())
}

pub async fn find_refresh_token(conn: &mut AsyncPgConnection, hash: &[u8]) -> StoreResult<Option<RefreshTokenRow>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Spends a live token from `address`; false when it was spent or revoked meanwhile (a concurrent
/// refresh, which waits here for this one's transaction).
pub async fn spend_refresh_token(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    address: &str,
) -> StoreResult<bool> {
    let updated = diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::spent_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set((refresh_tokens::spent_at.eq(now), refresh_tokens::spent_from.eq(address)))
    .execute(conn)
    .await?;
    Ok(updated == 1)
}

pub async fn revoke_token_family(conn: &mut AsyncPgConnection, family_id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn revoke_user_tokens(conn: &mut AsyncPgConnection, user_id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await?;
    Ok(())
}

// ---- integration clients ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct ClientRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub scopes: Vec<Coded<Scope>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = clients)]
pub struct NewClient<'a> {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub name: &'a str,
    pub secret_hash: &'a [u8],
    pub scopes: Vec<Coded<Scope>>,
    pub created_by: Option<Uuid>,
}

pub async fn insert_client(conn: &mut AsyncPgConnection, client: NewClient<'_>) -> StoreResult<ClientRow> {
    Ok(diesel::insert_into(clients::table).values(client).returning(ClientRow::as_returning()).get_result(conn).await?)
}

/// A client that has not been revoked.
/// A client not revoked, locked until the transaction ends.
pub async fn lock_live_client(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<ClientRow>> {
    let Some(agency) = crate::shard::agency_of(conn, "clients", "id", id).await? else { return Ok(None) };
    Ok(clients::table
        .find(id)
        .filter(clients::agency_id.eq(agency))
        .filter(clients::revoked_at.is_null())
        .select(ClientRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

pub async fn get_live_client(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<ClientRow>> {
    Ok(clients::table
        .find(id)
        .filter(clients::revoked_at.is_null())
        .select(ClientRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn list_live_clients(
    conn: &mut AsyncPgConnection,
    agency_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<ClientRow>> {
    let mut query = clients::table
        .filter(clients::revoked_at.is_null())
        .select(ClientRow::as_select())
        .order(clients::id)
        .into_boxed();
    if let Some(agency) = agency_id {
        query = query.filter(clients::agency_id.eq(agency));
    }
    if let Some(after) = after {
        query = query.filter(clients::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

pub async fn revoke_client(conn: &mut AsyncPgConnection, client: &ClientRow, now: DateTime<Utc>) -> StoreResult<bool> {
    let n = diesel::update(
        clients::table
            .find(client.id)
            .filter(clients::agency_id.eq(client.agency_id))
            .filter(clients::revoked_at.is_null()),
    )
    .set(clients::revoked_at.eq(now))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

// ---- sessions ----

/// A user's session version and whether the account is active; none when it is gone.
pub async fn user_standing(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<(i32, bool)>> {
    Ok(users::table.find(id).select((users::session_version, users::is_active)).first(conn).await.optional()?)
}

/// Ends every access token of a user (logout): their session version moves on.
pub async fn bump_session(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<()> {
    diesel::update(users::table.find(id))
        .set(users::session_version.eq(users::session_version + 1))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether an integration client exists and is not revoked.
pub async fn client_is_live(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(clients::table.find(id).filter(clients::revoked_at.is_null())))
        .get_result(conn)
        .await?)
}

// ---- login throttling ----

/// The failures on record for a throttle key, if any.
pub async fn login_failures(
    conn: &mut AsyncPgConnection,
    key: &str,
) -> StoreResult<Option<kinerja_domain::credentials::FailureRecord>> {
    let row: Option<(i32, DateTime<Utc>)> = login_failures::table
        .find(key)
        .select((login_failures::failures, login_failures::last_failed_at))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(failures, last_failed_at)| kinerja_domain::credentials::FailureRecord { failures, last_failed_at }))
}

#[derive(QueryableByName)]
struct FailureCount {
    #[diesel(sql_type = diesel::sql_types::Int4)]
    failures: i32,
}

/// Counts one failure for `key` and returns how many are on record; failures from before
/// `forget_before` are forgotten first.
pub async fn record_login_failure(
    conn: &mut AsyncPgConnection,
    key: &str,
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> StoreResult<i32> {
    use diesel::sql_types::{Text, Timestamptz};
    Ok(diesel::sql_query(
        "INSERT INTO login_failures (key, failures, last_failed_at) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_failures.last_failed_at < $3 THEN 1 \
                           ELSE login_failures.failures + 1 END, \
           last_failed_at = $2 \
         RETURNING failures",
    )
    .bind::<Text, _>(key)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(forget_before)
    .get_result::<FailureCount>(conn)
    .await?
    .failures)
}

pub async fn clear_login_failures(conn: &mut AsyncPgConnection, key: &str) -> StoreResult<()> {
    diesel::delete(login_failures::table.find(key)).execute(conn).await?;
    Ok(())
}

/// Which of `ids` are users of `agency`.
pub async fn users_of_agency(conn: &mut AsyncPgConnection, ids: &[Uuid], agency: Uuid) -> StoreResult<Vec<Uuid>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .filter(users::agency_id.eq(agency))
        .select(users::id)
        .load(conn)
        .await?)
}
