//! Handlers of login, refresh, logout, the client-credentials grant and `/me`
//! (`services::sign_in`); reading the token request's form or JSON is theirs.

use crate::auth::oauth::{self, OAuthError};
use crate::context::caller::Caller;
use crate::http::error::responses::{BadCredentials, Invalid, Unauthenticated};
use crate::http::error::ProblemCode;
use crate::http::error::{rate_limit, ApiError, Problem};
use crate::http::extract::Json;
use crate::http::observe::RequestId;
use crate::services::sign_in::{self, ClientToken, LoginRequest, Me, RefreshRequest, TokenPair, TokenRequest};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};

/// Log in with a username (or NIP) and password.
///
/// Failures answer the same for an unknown user and a wrong password. Failures are counted per
/// account and address, and per address; past 5 for an account from one address, or 20 from
/// one address, each further attempt from there waits twice as long (1 s, 2 s, 4 s … at most
/// 15 minutes): 429 with `Retry-After`. The right password from another address still works.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        BadCredentials,
        Invalid,
        (status = 429, description = "Too many failures from here", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
pub(super) async fn log_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = state.client_address(&req).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let pair = sign_in::log_in(&state, address, request_id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(rate_limit::policy()).json(pair))
}

/// Exchange a refresh token for a new token pair.
///
/// Exchange a refresh token for a new pair. The token is spent; showing a spent token again
/// revokes every token descended from the same login and ends its access tokens — except within
/// 30 s, from the same address, while the new refresh token is unused: two tabs refreshing at
/// once both get the same new pair.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        BadCredentials,
        Invalid,
    )
)]
#[post("/auth/refresh")]
pub(super) async fn refresh_tokens(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenPair>, ApiError> {
    let address = state.client_address(&req).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    Ok(web::Json(sign_in::refresh(&state, address, body.into_inner()).await?))
}

/// Log out: revoke the session and its tokens.
///
/// End the session the refresh token belongs to (its whole family is revoked) and the user's
/// access tokens issued so far: they are refused from the next request on. The refresh token is
/// the proof, so a client whose access token has expired logs out with it alone; an access token
/// sent along must be the same user's, else nothing ends.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        Invalid,
    )
)]
#[post("/auth/logout")]
pub(super) async fn log_out(
    caller: Option<Caller>,
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    sign_in::log_out(caller.as_ref(), &state, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Get an access token for an integration client.
///
/// The OAuth2 client-credentials grant (RFC 6749 §4.4): a form body, as OAuth2 prescribes (a
/// JSON object with the same fields is accepted too). The client authenticates with HTTP Basic
/// or with `client_id` and `client_secret` in the body. Errors are OAuth2's (§5.2), not problem
/// documents: `invalid_request`, `invalid_client` (401), `unsupported_grant_type`,
/// `invalid_scope`.
#[utoipa::path(
    tag = "auth",
    security((), ("client_basic" = [])),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token", body = ClientToken,
            headers(("Cache-Control" = String, description = "`no-store`: the answer holds a secret"))),
        (status = 400, description = "OAuth2 error: invalid_request, unsupported_grant_type or invalid_scope", body = OAuthError),
        (status = 401, description = "OAuth2 error invalid_client: the client's credentials are wrong", body = OAuthError,
            headers(("WWW-Authenticate" = String, description = "`Basic realm=\"kinerja\"` when the client used Basic"))),
    )
)]
#[post("/auth/token")]
pub(super) async fn issue_client_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    let request = token_request(&req, &body).map_err(|e| refused(e, false))?;
    let credentials =
        oauth::client_credentials(req.headers(), request.client_id.clone(), request.client_secret.clone())?;
    let by_basic = credentials.by_basic;
    let token = sign_in::client_token(&state, request, &credentials).await.map_err(|e| refused(e, by_basic))?;
    let mut response = HttpResponse::Ok();
    oauth::no_store(&mut response);
    Ok(response.json(token))
}

/// An error of the token endpoint: OAuth2's body where OAuth2 has words for it.
fn refused(e: ApiError, by_basic: bool) -> actix_web::Error {
    match OAuthError::from_api(e, by_basic) {
        Ok(refused) => refused.into(),
        Err(e) => e.into(),
    }
}

/// The token request, from a form or a JSON object.
fn token_request(req: &HttpRequest, body: &[u8]) -> Result<TokenRequest, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/x-www-form-urlencoded" => serde_urlencoded::from_bytes(body).map_err(|e| {
            crate::http::error::field_error(e.to_string())
                .unwrap_or_else(|detail| ApiError::BadRequest { code: ProblemCode::MalformedForm, detail })
        }),
        "application/json" => serde_json::from_slice(body).map_err(|e| crate::http::error::serde_json_error(&e)),
        _ => Err(ApiError::UnsupportedMediaType { expected: "application/x-www-form-urlencoded or application/json" }),
    }
}

/// Who am I?
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        Unauthenticated,
    )
)]
#[get("/me")]
pub(super) async fn get_caller(caller: Caller, state: web::Data<AppState>) -> Result<web::Json<Me>, ApiError> {
    Ok(web::Json(sign_in::who_is(&caller, &state).await?))
}
