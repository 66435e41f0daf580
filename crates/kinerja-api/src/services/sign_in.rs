//! Login, refresh, logout, the client-credentials grant and `/me`.

use chrono::{DateTime, Duration, Utc};
use kinerja_domain::audit::{ActorKind, AuditEntity};
use kinerja_domain::credentials::{
    FailureRecord, FAILURE_MEMORY_MINUTES, FREE_FAILURES_PER_ACCOUNT, FREE_FAILURES_PER_ADDRESS,
};
use kinerja_domain::{Role, Scope};
use kinerja_store::audit_rows;
use kinerja_store::identity_rows::{self, NewRefreshToken, RefreshTokenRow, UserRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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
            Ok(issue_tokens(state, &mut conn, &user, Uuid::now_v7()).await?)
        }
        known => {
            let forget_before = now - Duration::minutes(FAILURE_MEMORY_MINUTES);
            let mut bursts = Vec::new();
            for (key, free) in [(&account_key, FREE_FAILURES_PER_ACCOUNT), (&address_key, FREE_FAILURES_PER_ADDRESS)] {
                if identity_rows::record_login_failure(&mut conn, key, now, forget_before).await? == free {
                    bursts.push(key.clone());
                }
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
            Err(ApiError::InvalidCredentials)
        }
    }
}

pub(super) async fn issue_tokens(
    state: &AppState,
    conn: &mut kinerja_store::DbConn,
    user: &UserRow,
    family_id: Uuid,
) -> Result<TokenPair, ApiError> {
    let mut claims = AccessClaims::new(user.id, "user");
    claims.roles = user.roles.iter().map(|r| r.0.as_str().to_owned()).collect();
    claims.agency_id = user.agency_id;
    claims.employee_id = user.employee_id;
    claims.sv = user.session_version;
    let access_token = state.keys.sign(&claims)?;
    let refresh_token = random_token()?;
    identity_rows::insert_refresh_token(
        conn,
        NewRefreshToken {
            id: Uuid::now_v7(),
            user_id: user.id,
            family_id,
            token_hash: &sha256(&refresh_token),
            expires_at: Utc::now() + Duration::days(REFRESH_TOKEN_DAYS),
        },
    )
    .await?;
    Ok(TokenPair { access_token, token_type: "Bearer", expires_in: ACCESS_TOKEN_SECONDS, refresh_token })
}

/// Spends a refresh token for a new pair; a spent one shown again revokes its whole family.
pub async fn refresh(state: &AppState, body: RefreshRequest) -> Result<TokenPair, ApiError> {
    let now = Utc::now();
    let mut conn = state.db.conn().await?;
    let token = identity_rows::find_refresh_token(&mut conn, &sha256(&body.refresh_token))
        .await?
        .ok_or(ApiError::InvalidRefreshToken)?;
    if token.spent_at.is_some() || token.revoked_at.is_some() {
        if token.revoked_at.is_none() {
            tracing::warn!(family = %token.family_id, user = %token.user_id, "spent refresh token shown again; revoking its family");
        }
        end_family(state, &mut conn, &token, now).await?;
        return Err(ApiError::InvalidRefreshToken);
    }
    if token.expires_at <= now {
        return Err(ApiError::InvalidRefreshToken);
    }
    if !identity_rows::spend_refresh_token(&mut conn, token.id, now).await? {
        // Spent by a concurrent request: treat as reuse.
        end_family(state, &mut conn, &token, now).await?;
        return Err(ApiError::InvalidRefreshToken);
    }
    let user = identity_rows::get_user(&mut conn, token.user_id).await?;
    if !user.is_active {
        return Err(ApiError::InvalidRefreshToken);
    }
    issue_tokens(state, &mut conn, &user, token.family_id).await
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

/// Ends the session a refresh token belongs to, and the caller's access tokens.
pub async fn log_out(caller: &Caller, state: &AppState, body: RefreshRequest) -> Result<(), ApiError> {
    let mut conn = state.db.conn().await?;
    if let Some(token) = identity_rows::find_refresh_token(&mut conn, &sha256(&body.refresh_token)).await? {
        if Some(token.user_id) == caller.user_id() {
            identity_rows::revoke_token_family(&mut conn, token.family_id, Utc::now()).await?;
            // The access token presented ends too (with every other access token of the
            // user's; their other sessions refresh as usual). A refresh token that is not the
            // caller's ends nothing.
            identity_rows::bump_session(&mut conn, token.user_id).await?;
            state.sessions.forget(token.user_id);
        }
    }
    Ok(())
}

/// The OAuth2 client-credentials grant (RFC 6749 §4.4), as a form or JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "0193a0c2-0000-7000-8000-000000003001", "client_secret": "cs_8fK2mQ7vX1rT5wZ9bN3hJ6pL0dS4gY", "scope": "read import"}))]
pub struct TokenRequest {
    #[schema(example = "client_credentials")]
    grant_type: String,
    client_id: String,
    client_secret: String,
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
pub async fn client_token(state: &AppState, request: TokenRequest) -> Result<ClientToken, ApiError> {
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
    let client_id: Uuid = request.client_id.parse().map_err(|_| ApiError::InvalidClient)?;
    let mut conn = state.db.conn().await?;
    let client = identity_rows::get_live_client(&mut conn, client_id).await?.ok_or(ApiError::InvalidClient)?;
    if !constant_time_eq(&client.secret_hash, &sha256(&request.client_secret)) {
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
