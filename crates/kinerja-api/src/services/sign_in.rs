//! Login, refresh, logout, the client-credentials grant and `/me`.

use chrono::{DateTime, Duration, Utc};
use kinerja_domain::audit::{ActorKind, AuditEntity};
use kinerja_domain::credentials::{
    FailureRecord, FAILURE_MEMORY_MINUTES, FREE_FAILURES_PER_ACCOUNT, FREE_FAILURES_PER_ADDRESS,
};
use kinerja_domain::{Role, Scope};
use kinerja_store::identity_rows::{self, NewRefreshToken, RefreshTokenRow, UserRow};
use kinerja_store::{audit_rows, in_transaction};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::oauth::ClientCredentials;
use crate::auth::{
    random_token, sha256, verify_password, AccessClaims, ACCESS_TOKEN_SECONDS, DUMMY_HASH, REFRESH_TOKEN_DAYS,
};
use crate::context::audit_actor::AuditActor;
use crate::context::caller::{Caller, Principal};
use crate::http::error::ApiError;
use crate::services::accounts::roles_of;
use crate::services::accounts::UserView;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "198503152010012003", "password": "Rahasia-Kinerja-2026"}))]
pub struct LoginRequest {
    /// A login name, or an employee's NIP.
    #[schema(example = "admin")]
    username: String,
    #[schema(example = "change-me-now-please")]
    password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    expires_in: i64,
    /// Single use: exchange it at `/auth/refresh` for a new pair.
    refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "rt_3q2Vb8yM1xZk7PcW4nFhT0aLsE9dGjRu"}))]
pub struct RefreshRequest {
    refresh_token: String,
}

/// Waits (429) while `key` backs off after its free failures.
async fn ensure_not_blocked(
    conn: &mut kinerja_store::DbConn,
    key: &str,
    free: i32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let record: Option<FailureRecord> = identity_rows::login_failures(conn, key).await?;
    match record.and_then(|r| r.blocked_until(free, now)) {
        Some(until) => {
            let millis = u64::try_from((until - now).num_milliseconds().max(1)).unwrap_or(1);
            let retry_after_secs = millis.div_ceil(1000);
            Err(ApiError::RateLimited { retry_after_secs })
        }
        None => Ok(()),
    }
}

/// Signs a user in by username or NIP, throttling failures per address and per account (the
/// burst that starts a wait is audited).
pub async fn log_in(
    state: &AppState,
    address: String,
    request_id: Option<String>,
    body: LoginRequest,
) -> Result<TokenPair, ApiError> {
    let LoginRequest { username, password } = body;
    let now = Utc::now();
    let address_key = format!("ip:{address}");
    let mut conn = state.db.conn().await?;
    ensure_not_blocked(&mut conn, &address_key, FREE_FAILURES_PER_ADDRESS, now).await?;
    let user = identity_rows::find_user_by_login(&mut conn, &username).await?;
    // The account, whichever name or NIP reaches it; an unknown name counts under itself.
    let account_key = match &user {
        Some(u) => format!("account:{}:{address}", u.id),
        None => format!("name:{}:{address}", username.to_lowercase()),
    };
    ensure_not_blocked(&mut conn, &account_key, FREE_FAILURES_PER_ACCOUNT, now).await?;
    drop(conn);
    let phc = user.as_ref().map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let password_ok =
        tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.map_err(ApiError::internal)?;
    let mut conn = state.db.conn().await?;
    match user {
        Some(user) if password_ok && user.is_active => {
            identity_rows::clear_login_failures(&mut conn, &account_key).await?;
            Ok(issue_tokens(state, &mut conn, &user, Uuid::now_v7(), random_token()?).await?)
        }
        known => {
            let forget_before = now - Duration::minutes(FAILURE_MEMORY_MINUTES);
            let mut bursts = Vec::new();
            let mut failures_left = FREE_FAILURES_PER_ACCOUNT;
            for (key, free) in [(&account_key, FREE_FAILURES_PER_ACCOUNT), (&address_key, FREE_FAILURES_PER_ADDRESS)] {
                let failures = identity_rows::record_login_failure(&mut conn, key, now, forget_before).await?;
                if failures == free {
                    bursts.push(key.clone());
                }
                failures_left = failures_left.min(free - failures).max(0);
            }
            tracing::info!(username = %username, address = %address, "login failed");
            if !bursts.is_empty() {
                // The moment a key starts to wait is worth a line in the audit trail.
                let actor = AuditActor::anonymous(request_id);
                let changes = serde_json::json!({"backing_off": bursts, "username": username});
                let event = actor.raw(
                    AuditEntity::Login,
                    known.as_ref().map(|u| u.id),
                    "login_failure_burst",
                    known.as_ref().and_then(|u| u.agency_id),
                    changes,
                );
                audit_rows::record(&mut conn, event).await?;
            }
            Err(ApiError::InvalidCredentials { failures_left })
        }
    }
}

/// A rotated refresh token shown again this soon, from the address that rotated it, is a second
/// tab of the same browser refreshing at the same moment: it gets the same new pair instead of
/// ending the session — as long as that pair's refresh token is unspent.
pub const REFRESH_GRACE_SECONDS: i64 = 30;

/// Issues an access token and the refresh token `refresh_token` (random at login, derived from
/// the spent one at a refresh), the access token's `iat` being the refresh token's creation.
pub(super) async fn issue_tokens(
    state: &AppState,
    conn: &mut kinerja_store::AsyncPgConnection,
    user: &UserRow,
    family_id: Uuid,
    refresh_token: String,
) -> Result<TokenPair, ApiError> {
    let created_at = Utc::now();
    identity_rows::insert_refresh_token(
        conn,
        NewRefreshToken {
            id: Uuid::now_v7(),
            user_id: user.id,
            family_id,
            token_hash: &sha256(&refresh_token),
            expires_at: created_at + Duration::days(REFRESH_TOKEN_DAYS),
            created_at,
        },
    )
    .await?;
    pair(state, user, created_at, refresh_token)
}

/// The pair of a refresh token: the access token is signed from the user as they are now, with
/// the refresh token's creation as `iat` — given again in the grace window, it is the same.
fn pair(
    state: &AppState,
    user: &UserRow,
    issued_at: DateTime<Utc>,
    refresh_token: String,
) -> Result<TokenPair, ApiError> {
    let mut claims = AccessClaims::new(user.id, "user");
    claims.iat = issued_at.timestamp();
    claims.exp = claims.iat + ACCESS_TOKEN_SECONDS;
    claims.roles = user.roles.iter().map(|r| r.0.as_str().to_owned()).collect();
    claims.agency_id = user.agency_id;
    claims.employee_id = user.employee_id;
    claims.sv = user.session_version;
    let access_token = state.keys.sign(&claims)?;
    Ok(TokenPair { access_token, token_type: "Bearer", expires_in: ACCESS_TOKEN_SECONDS, refresh_token })
}

/// What showing a refresh token came to.
enum Exchange {
    Pair(TokenPair),
    /// A spent or revoked token shown again (stolen, or a client's bug).
    Reused(RefreshTokenRow),
    Refused,
}

/// Spends a refresh token for a new pair. A concurrent twin waits for the first exchange's
/// transaction, then is a second tab (the same pair, within [`REFRESH_GRACE_SECONDS`] from the
/// same address) or a reuse, which revokes the whole family.
pub async fn refresh(state: &AppState, address: String, body: RefreshRequest) -> Result<TokenPair, ApiError> {
    let now = Utc::now();
    let hash = sha256(&body.refresh_token);
    let successor = state.keys.successor_of(&body.refresh_token)?;
    let mut conn = state.db.conn().await?;
    let exchange = in_transaction(&mut conn, async |tx| -> Result<Exchange, ApiError> {
        let Some(mut token) = identity_rows::find_refresh_token(tx, &hash).await? else {
            return Ok(Exchange::Refused);
        };
        if token.spent_at.is_none() && token.revoked_at.is_none() {
            if token.expires_at <= now {
                return Ok(Exchange::Refused);
            }
            if identity_rows::spend_refresh_token(tx, token.id, now, &address).await? {
                let user = identity_rows::get_user(tx, token.user_id).await?;
                if !user.is_active {
                    return Ok(Exchange::Refused);
                }
                return Ok(Exchange::Pair(issue_tokens(state, tx, &user, token.family_id, successor).await?));
            }
            // Spent by a twin that has now committed: read it as that twin left it.
            token = identity_rows::find_refresh_token(tx, &hash).await?.ok_or(ApiError::InvalidRefreshToken)?;
        }
        match second_tab(state, tx, &token, &address, successor, now).await? {
            Some(pair) => Ok(Exchange::Pair(pair)),
            None => Ok(Exchange::Reused(token)),
        }
    })
    .await?;
    match exchange {
        Exchange::Pair(pair) => Ok(pair),
        Exchange::Refused => Err(ApiError::InvalidRefreshToken),
        Exchange::Reused(token) => {
            if token.revoked_at.is_none() {
                tracing::warn!(family = %token.family_id, user = %token.user_id, "spent refresh token shown again; revoking its family");
            }
            end_family(state, &mut conn, &token, now).await?;
            Err(ApiError::InvalidRefreshToken)
        }
    }
}

/// The pair a spent token was exchanged for, when it is shown again by a second tab: within the
/// grace window, from the address it was spent from, and its successor neither spent nor revoked.
async fn second_tab(
    state: &AppState,
    conn: &mut kinerja_store::AsyncPgConnection,
    token: &RefreshTokenRow,
    address: &str,
    successor: String,
    now: DateTime<Utc>,
) -> Result<Option<TokenPair>, ApiError> {
    let in_grace = token.revoked_at.is_none()
        && token.spent_at.is_some_and(|at| now - at <= Duration::seconds(REFRESH_GRACE_SECONDS))
        && token.spent_from.as_deref() == Some(address);
    if !in_grace {
        return Ok(None);
    }
    let Some(next) = identity_rows::find_refresh_token(conn, &sha256(&successor)).await? else {
        return Ok(None);
    };
    if next.family_id != token.family_id || next.spent_at.is_some() || next.revoked_at.is_some() {
        return Ok(None);
    }
    let user = identity_rows::get_user(conn, next.user_id).await?;
    if !user.is_active {
        return Ok(None);
    }
    Ok(Some(pair(state, &user, next.created_at, successor)?))
}

/// A refresh token shown again (stolen, or a client's bug): its whole family is revoked, and the
/// access tokens already issued end too (RFC 9700 §4.14.2) — the user's session version moves on,
/// so every server refuses them from the next request; the user's other logins refresh as usual.
async fn end_family(
    state: &AppState,
    conn: &mut kinerja_store::DbConn,
    token: &RefreshTokenRow,
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    identity_rows::revoke_token_family(conn, token.family_id, now).await?;
    identity_rows::bump_session(conn, token.user_id).await?;
    state.sessions.forget(token.user_id);
    Ok(())
}

/// Ends the session a refresh token belongs to: its family of refresh tokens and the user's
/// access tokens. The refresh token is the proof (RFC 7009 §2.1), so a client whose access token
/// has expired can still log out; an access token presented must be the same user's.
pub async fn log_out(caller: Option<&Caller>, state: &AppState, body: RefreshRequest) -> Result<(), ApiError> {
    let mut conn = state.db.conn().await?;
    let Some(token) = identity_rows::find_refresh_token(&mut conn, &sha256(&body.refresh_token)).await? else {
        return Ok(());
    };
    if caller.is_some_and(|c| c.user_id() != Some(token.user_id)) {
        // Another user's refresh token ends nothing.
        return Ok(());
    }
    end_family(state, &mut conn, &token, Utc::now()).await
}

/// The OAuth2 client-credentials grant (RFC 6749 §4.4), as a form or JSON. The client's id and
/// secret come here or in `Authorization: Basic`, not both; parameters OAuth2 does not define
/// are ignored, as §3.2 says.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "0193a0c2-0000-7000-8000-000000003001", "client_secret": "cs_8fK2mQ7vX1rT5wZ9bN3hJ6pL0dS4gY", "scope": "read import"}))]
pub struct TokenRequest {
    #[schema(example = "client_credentials")]
    grant_type: String,
    /// With `client_secret`, when the client does not authenticate with HTTP Basic.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Space-separated subset of the client's scopes; all of them when absent.
    #[schema(example = "read import")]
    scope: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientToken {
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    #[schema(example = 900)]
    expires_in: i64,
    #[schema(example = "read import")]
    scope: String,
}

/// The OAuth2 client-credentials grant (RFC 6749 §4.4): checks the client's secret and gives an
/// access token with the scopes asked for, or all of the client's.
pub async fn client_token(
    state: &AppState,
    request: TokenRequest,
    credentials: &ClientCredentials,
) -> Result<ClientToken, ApiError> {
    if request.grant_type != "client_credentials" {
        return Err(ApiError::validation(
            "grant_type",
            "unsupported_grant_type",
            "only client_credentials is supported",
        ));
    }
    let requested = match &request.scope {
        Some(s) => {
            Some(Scope::parse_list(s).map_err(|e| ApiError::validation("scope", "invalid_scope", e.to_string()))?)
        }
        None => None,
    };
    let client_id: Uuid = credentials.client_id.parse().map_err(|_| ApiError::InvalidClient)?;
    let mut conn = state.db.conn().await?;
    let client = identity_rows::get_live_client(&mut conn, client_id).await?.ok_or(ApiError::InvalidClient)?;
    if !constant_time_eq(&client.secret_hash, &sha256(&credentials.client_secret)) {
        return Err(ApiError::InvalidClient);
    }
    let granted: Vec<Scope> = client.scopes.iter().map(|s| s.0).collect();
    let scopes = match requested {
        Some(asked) if asked.iter().any(|s| !granted.contains(s)) => {
            return Err(ApiError::validation("scope", "invalid_scope", "asks for a scope the client was not given"))
        }
        Some(asked) => asked,
        None => granted,
    };
    let scope = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
    let mut claims = AccessClaims::new(client.id, "client");
    claims.agency_id = Some(client.agency_id);
    claims.scope = Some(scope.clone());
    Ok(ClientToken {
        access_token: state.keys.sign(&claims)?,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_SECONDS,
        scope,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The caller: a user (with roles, agency and linked employee) or an integration client.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `user` or `client`.
    kind: ActorKind,
    /// Present when the caller is a user.
    user: Option<UserView>,
    /// Present when the caller is an integration client.
    client_id: Option<Uuid>,
    #[schema(example = json!(["super_admin"]))]
    roles: Vec<Role>,
    /// Client scopes (empty for users).
    scopes: Vec<Scope>,
    agency_id: Option<Uuid>,
    employee_id: Option<Uuid>,
}

/// Who the caller is: a user with roles, agency and linked employee, or an integration client.
pub async fn who_is(caller: &Caller, state: &AppState) -> Result<Me, ApiError> {
    match caller.principal {
        Principal::User { id, .. } => {
            let mut conn = state.db.conn().await?;
            let user = identity_rows::get_user(&mut conn, id).await.map_err(|e| match e {
                kinerja_store::StoreError::NotFound => ApiError::Unauthenticated("the account no longer exists"),
                other => other.into(),
            })?;
            Ok(Me {
                kind: ActorKind::User,
                roles: roles_of(&user.roles),
                scopes: Vec::new(),
                agency_id: user.agency_id,
                employee_id: user.employee_id,
                client_id: None,
                user: Some(UserView::from(user)),
            })
        }
        Principal::Client { id } => {
            let scopes = match &caller.actor {
                kinerja_domain::Actor::Client { scopes, .. } => scopes.clone(),
                kinerja_domain::Actor::User { .. } => Vec::new(),
            };
            Ok(Me {
                kind: ActorKind::Client,
                user: None,
                client_id: Some(id),
                roles: Vec::new(),
                scopes,
                agency_id: caller.agency_id(),
                employee_id: None,
            })
        }
    }
}
