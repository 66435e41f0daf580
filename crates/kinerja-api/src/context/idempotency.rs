//! `Idempotency-Key` on every creating `POST` (the IETF httpapi draft "The Idempotency-Key HTTP
//! Header Field"): the first answer (status, `Location`, `ETag`, body) is kept per caller and key
//! for a day; a retry with the same key and request replays it (`Idempotent-Replayed: true`), the
//! same key with another request is 422 `idempotency_key_reused`, and a retry while the first is
//! still running is 409 `idempotency_key_in_use`. An answer of ours that failed (5xx) is not
//! kept, so the retry runs again. Imports keep their own (they stream their body).

use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{header, StatusCode};
use actix_web::{web, Error, HttpResponse};
use futures_util::future::LocalBoxFuture;
use kinerja_store::idempotency_rows::{self, Claim};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";

/// The middleware; wraps the whole application.
pub struct Idempotency;

impl<S, B> Transform<S, ServiceRequest> for Idempotency
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = IdempotencyService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(IdempotencyService { service: Rc::new(service) }))
    }
}

pub struct IdempotencyService<S> {
    service: Rc<S>,
}

/// Whether a `POST` to `path` takes an `Idempotency-Key`: every one under `/api/v1` but sign-in
/// (no caller yet).
pub fn takes_key(path: &str) -> bool {
    path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/")
}

/// Whether this middleware keeps the answer; imports keep their own (their body is a stream).
fn kept_here(path: &str) -> bool {
    takes_key(path) && !path.starts_with("/api/v1/imports/")
}

/// The `Idempotency-Key` a request carries: 1 to 200 visible ASCII characters (the pattern the
/// document gives), or a 400.
pub fn key_in(headers: &actix_web::http::header::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else { return Ok(None) };
    let key = value.as_bytes();
    if (1..=200).contains(&key.len()) && key.iter().all(|b| (b'!'..=b'~').contains(b)) {
        Ok(Some(String::from_utf8_lossy(key).into_owned()))
    } else {
        Err(ApiError::BadRequest {
            code: ProblemCode::InvalidIdempotencyKey,
            detail: "Idempotency-Key must be 1 to 200 visible ASCII characters, without spaces".into(),
        })
    }
}

/// The key of a request this middleware keeps, when the request carries one.
fn key_of(req: &ServiceRequest) -> Result<Option<String>, ApiError> {
    if req.method() != actix_web::http::Method::POST || !kept_here(req.path()) {
        return Ok(None);
    }
    key_in(req.headers())
}

/// Whom the key belongs to: the token's subject (an invalid token is left to the handler, 401).
fn owner(req: &ServiceRequest, state: &AppState) -> Option<Uuid> {
    let token = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?;
    state.keys.verify(token.trim()).ok().map(|claims| claims.sub)
}

impl<S, B> Service<ServiceRequest> for IdempotencyService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            let key = match key_of(&req) {
                Ok(Some(key)) => key,
                Ok(None) => return service.call(req).await.map(ServiceResponse::map_into_boxed_body),
                Err(e) => return Ok(req.error_response(e)),
            };
            let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
                return service.call(req).await.map(ServiceResponse::map_into_boxed_body);
            };
            let Some(actor) = owner(&req, &state) else {
                return service.call(req).await.map(ServiceResponse::map_into_boxed_body);
            };
            let body = req.extract::<web::Bytes>().await?;
            let mut hasher = Sha256::new();
            hasher.update(format!("{} {} {}\n", req.method(), req.path(), req.query_string()));
            hasher.update(&body);
            let fingerprint = hasher.finalize().to_vec();
            req.set_payload(Payload::from(body));

            let mut conn = match state.db.conn().await {
                Ok(conn) => conn,
                Err(e) => return Ok(req.error_response(ApiError::from(e))),
            };
            match idempotency_rows::claim(&mut conn, actor, &key, &fingerprint).await {
                Err(e) => return Ok(req.error_response(ApiError::from(e))),
                Ok(Claim::Taken(first)) if first.fingerprint != fingerprint => {
                    let e = ApiError::Unprocessable {
                        code: ProblemCode::IdempotencyKeyReused,
                        detail: "this Idempotency-Key was used for another request".into(),
                    };
                    return Ok(req.error_response(e));
                }
                Ok(Claim::Taken(first)) if first.status == 0 => {
                    let e = ApiError::Conflict {
                        code: ProblemCode::IdempotencyKeyInUse,
                        detail: "the first request with this Idempotency-Key is still running; retry shortly".into(),
                    };
                    return Ok(req.error_response(e));
                }
                Ok(Claim::Taken(first)) => return Ok(req.into_response(replay(first.status, &first.answer))),
                Ok(Claim::Claimed) => {}
            }
            drop(conn);
            let claimed = ClaimedKey::new(state.db.clone(), actor, key.clone());

            let res = match service.call(req).await {
                Ok(res) => res.map_into_boxed_body(),
                Err(e) => {
                    claimed.free().await;
                    return Err(e);
                }
            };
            if res.status().is_server_error() {
                claimed.free().await;
                return Ok(res);
            }
            let (req, res) = res.into_parts();
            let status = res.status();
            let kept =
                |name: header::HeaderName| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let (location, etag, content_type) =
                (kept(header::LOCATION), kept(header::ETAG), kept(header::CONTENT_TYPE));
            let (head, body) = res.into_parts();
            let bytes = to_bytes(body).await.map_err(|e| ApiError::internal(e.to_string()))?;
            let answer = json!({"body": String::from_utf8_lossy(&bytes), "content_type": content_type,
                                "location": location, "etag": etag});
            let stored = match state.db.conn().await {
                Ok(mut conn) => {
                    idempotency_rows::finish(&mut conn, actor, &key, status.as_u16() as i16, &answer).await.is_ok()
                }
                Err(_) => false,
            };
            if stored {
                claimed.keep();
            } else {
                tracing::warn!("an Idempotency-Key answer could not be kept; a retry will run again");
                claimed.free().await;
            }
            Ok(ServiceResponse::new(req, head.set_body(BoxBody::new(bytes))))
        })
    }
}

/// A key claimed for a request that runs: freed when the request fails, kept once its answer
/// is, and — when the request is dropped before either (its deadline passed, its client went
/// away) — freed in the background, so a retry is not told "in use" for a day.
pub(crate) struct ClaimedKey {
    db: kinerja_store::Db,
    actor: Uuid,
    /// Empty once freed or kept.
    key: String,
}

impl ClaimedKey {
    pub(crate) fn new(db: kinerja_store::Db, actor: Uuid, key: String) -> Self {
        ClaimedKey { db, actor, key }
    }

    /// Frees the key now (a key whose answer was kept meanwhile stays: the store frees only
    /// running ones).
    pub(crate) async fn free(mut self) {
        release(self.db.clone(), self.actor, std::mem::take(&mut self.key)).await;
    }

    /// The answer is kept under the key: nothing to free.
    pub(crate) fn keep(mut self) {
        self.key.clear();
    }
}

impl Drop for ClaimedKey {
    fn drop(&mut self) {
        if !self.key.is_empty() {
            actix_web::rt::spawn(release(self.db.clone(), self.actor, std::mem::take(&mut self.key)));
        }
    }
}

async fn release(db: kinerja_store::Db, actor: Uuid, key: String) {
    let released = async {
        let mut conn = db.conn().await?;
        idempotency_rows::release(&mut conn, actor, &key).await
    };
    if let Err(e) = released.await {
        tracing::warn!(error = %e, "an Idempotency-Key could not be freed; it frees itself in a day");
    }
}

/// The first answer again, as it was given.
fn replay(status: i16, answer: &serde_json::Value) -> HttpResponse {
    let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header(("Idempotent-Replayed", "true"));
    for (name, field) in
        [(header::LOCATION, "location"), (header::ETAG, "etag"), (header::CONTENT_TYPE, "content_type")]
    {
        if let Some(value) = answer[field].as_str() {
            response.insert_header((name, value.to_owned()));
        }
    }
    response.body(answer["body"].as_str().unwrap_or_default().to_owned())
}
