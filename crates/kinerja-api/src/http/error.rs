//! The one error type of the API and its single mapping to RFC 9457 problem documents.
//!
//! Every 4xx and 5xx the API sends is built here, so each failure has one status and one stable
//! `code`. Internal causes are logged (with the request id, from the request's span), never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use kinerja_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::http::problem_code::ProblemCode;

/// The limit on failed logins, told as the IETF draft's `RateLimit-Policy` and `RateLimit`
/// fields (draft-ietf-httpapi-ratelimit-headers): five free failures per account and address
/// in a 15-minute window, then waits that double.
pub mod rate_limit {
    use actix_web::http::header::{HeaderName, HeaderValue};
    use kinerja_domain::credentials::{FAILURE_MEMORY_MINUTES, FREE_FAILURES_PER_ACCOUNT};

    pub const POLICY_HEADER: HeaderName = HeaderName::from_static("ratelimit-policy");
    pub const STATE_HEADER: HeaderName = HeaderName::from_static("ratelimit");
    /// The window in which failures count.
    pub const WINDOW_SECONDS: u64 = FAILURE_MEMORY_MINUTES as u64 * 60;

    /// `"failed-logins";q=5;w=900`
    pub fn policy() -> (HeaderName, HeaderValue) {
        let value = format!("\"failed-logins\";q={FREE_FAILURES_PER_ACCOUNT};w={WINDOW_SECONDS}");
        (POLICY_HEADER, HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("")))
    }

    /// `"failed-logins";r=<failures left>;t=<seconds until the count starts again>`
    pub fn state(left: i32, reset_secs: u64) -> (HeaderName, HeaderValue) {
        let value = format!("\"failed-logins\";r={};t={reset_secs}", left.max(0));
        (STATE_HEADER, HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("")))
    }
}

/// Seconds a client should wait before retrying when the database is unavailable.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// One field's problem in a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as named in the request (`roles[1]` for an element).
    #[schema(example = "password")]
    pub field: String,
    /// Stable machine code.
    #[schema(example = "too_short")]
    pub code: String,
    #[schema(example = "must be at least 12 characters")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), code: code.into(), message: message.into() }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://github.com/kinerja/kinerja/blob/main/docs/errors.md#validation_failed",
    "title": "Unprocessable Entity", "status": 422,
    "detail": "the request breaks 1 rule", "code": "validation_failed",
    "errors": [{"field": "password", "code": "too_short", "message": "must be at least 12 characters"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    #[schema(example = "Not Found")]
    pub title: String,
    #[schema(example = 404)]
    pub status: u16,
    #[schema(example = "no user with that id is visible to you")]
    pub detail: String,
    /// Stable snake_case machine code.
    #[schema(example = "not_found")]
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Syntactically broken request: malformed JSON, a bad query string, a bad header.
    #[error("{detail}")]
    BadRequest { code: ProblemCode, detail: String },
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Wrong credentials: the same answer for an unknown user and a wrong password, with how
    /// many more failures go before logins from here wait.
    #[error("the username or password is wrong")]
    InvalidCredentials { failures_left: i32 },
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    #[error("unknown client or wrong secret")]
    InvalidClient,
    #[error("{0}")]
    Forbidden(&'static str),
    /// The resource does not exist or is not visible to the caller (never says which).
    #[error("no {0} with that id is visible to you")]
    NotFound(&'static str),
    #[error("no route matches {0}")]
    RouteNotFound(String),
    #[error("{method} is not allowed here; allowed: {}", allow.join(", "))]
    MethodNotAllowed { method: String, allow: Vec<String> },
    #[error("{detail}")]
    Conflict { code: ProblemCode, detail: String },
    /// A well-formed request that a rule refuses as a whole (`deadline_passed`), not field by field.
    #[error("{detail}")]
    Unprocessable { code: ProblemCode, detail: String },
    #[error("the resource changed since you read it (If-Match does not match its ETag)")]
    PreconditionFailed,
    #[error("the body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the body must be {expected}")]
    UnsupportedMediaType { expected: &'static str },
    #[error("the request breaks {} rule(s)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// Query parameters the operation does not declare (a misspelt filter must not be ignored).
    #[error("unknown query parameter(s): {}", .0.join(", "))]
    UnknownParameters(Vec<String>),
    #[error("missing field `{0}`")]
    MissingField(String),
    /// JSON of the right shape but a value of the wrong type or an unknown code.
    #[error("{0}")]
    InvalidValue(String),
    /// A value of the wrong type or an unknown code, at a field the request names.
    #[error("`{}` {}", .0.field, .0.message)]
    InvalidField(FieldError),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the database is unavailable; try again shortly")]
    Unavailable(String),
    /// The request ran past its time limit and was stopped (nothing it began was kept); 503 with
    /// `Retry-After`, since a less busy moment may let it finish.
    #[error("{detail}")]
    TimedOut { code: ProblemCode, detail: String },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// The stable machine code of this error.
    pub fn code(&self) -> ProblemCode {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. }
            | ApiError::TimedOut { code, .. } => *code,
            ApiError::Unauthenticated(_) => ProblemCode::Unauthenticated,
            ApiError::InvalidCredentials { .. } => ProblemCode::InvalidCredentials,
            ApiError::InvalidRefreshToken => ProblemCode::InvalidRefreshToken,
            ApiError::InvalidClient => ProblemCode::InvalidClient,
            ApiError::Forbidden(_) => ProblemCode::Forbidden,
            ApiError::NotFound(_) | ApiError::RouteNotFound(_) => ProblemCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ProblemCode::MethodNotAllowed,
            ApiError::PreconditionFailed => ProblemCode::PreconditionFailed,
            ApiError::PayloadTooLarge { .. } => ProblemCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType { .. } => ProblemCode::UnsupportedMediaType,
            ApiError::Validation(_) => ProblemCode::ValidationFailed,
            ApiError::UnknownField(_) => ProblemCode::UnknownField,
            ApiError::UnknownParameters(_) => ProblemCode::UnknownParameter,
            ApiError::MissingField(_) => ProblemCode::MissingField,
            ApiError::InvalidValue(_) | ApiError::InvalidField(_) => ProblemCode::InvalidValue,
            ApiError::RateLimited { .. } => ProblemCode::RateLimited,
            ApiError::Unavailable(_) => ProblemCode::DatabaseUnavailable,
            ApiError::Internal(_) => ProblemCode::InternalError,
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            ApiError::Validation(errors) => errors.clone(),
            ApiError::UnknownField(f) => {
                vec![FieldError::new(f, "unknown_field", "this field is not part of the request")]
            }
            ApiError::MissingField(f) => vec![FieldError::new(f, "required", "this field is required")],
            ApiError::InvalidField(error) => vec![error.clone()],
            ApiError::UnknownParameters(names) => names
                .iter()
                .map(|name| FieldError::new(name, "unknown_parameter", "this operation takes no such query parameter"))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_)
            | ApiError::InvalidCredentials { .. }
            | ApiError::InvalidRefreshToken
            | ApiError::InvalidClient => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_)
            | ApiError::UnknownField(_)
            | ApiError::UnknownParameters(_)
            | ApiError::MissingField(_)
            | ApiError::InvalidValue(_)
            | ApiError::InvalidField(_)
            | ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::TimedOut { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            ApiError::TimedOut { detail, .. } => tracing::warn!(%detail, "request timed out"),
            _ => {}
        }
        let problem = Problem {
            type_: self.code().type_uri(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code().as_str().into(),
            errors: self.field_errors(),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
                response.insert_header(rate_limit::policy());
                response.insert_header(rate_limit::state(0, *retry_after_secs));
            }
            ApiError::InvalidCredentials { failures_left } => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"kinerja\""));
                response.insert_header(rate_limit::policy());
                response.insert_header(rate_limit::state(*failures_left, rate_limit::WINDOW_SECONDS));
            }
            ApiError::Unavailable(_) | ApiError::TimedOut { .. } => {
                response.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_SECS.to_string()));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::Unauthenticated(_) | ApiError::InvalidRefreshToken => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"kinerja\""));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl ApiError {
    /// The problem answer with more headers on it.
    pub fn into_response_with(self, headers: &[(header::HeaderName, header::HeaderValue)]) -> HttpResponse {
        let mut response = self.error_response();
        for (name, value) in headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

/// An error on its way out of the middleware, with the headers an outer layer adds to every
/// answer (the request id, CORS). Actix renders an error only after the last middleware, so
/// the headers travel with it.
#[derive(Debug)]
pub struct WithHeaders {
    error: actix_web::Error,
    headers: Vec<(header::HeaderName, header::HeaderValue)>,
}

impl WithHeaders {
    pub fn wrap(error: actix_web::Error, headers: Vec<(header::HeaderName, header::HeaderValue)>) -> actix_web::Error {
        if headers.is_empty() {
            return error;
        }
        WithHeaders { error, headers }.into()
    }
}

impl std::fmt::Display for WithHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for WithHeaders {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.error.error_response();
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) | StoreError::TimedOut(cause) => ApiError::Unavailable(cause),
            StoreError::NotFound => ApiError::NotFound("record"),
            StoreError::Duplicate(constraint) => ApiError::Conflict {
                code: ProblemCode::Conflict,
                detail: format!("a record with the same unique value exists ({constraint})"),
            },
            StoreError::MissingReference(constraint) => {
                ApiError::InvalidValue(format!("a referenced record does not exist ({constraint})"))
            }
            StoreError::InvalidText => ApiError::InvalidValue("text must not contain NUL characters".into()),
            StoreError::Other(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<kinerja_store::DieselError> for ApiError {
    fn from(e: kinerja_store::DieselError) -> Self {
        StoreError::from(e).into()
    }
}

/// A plan step out of turn: the wrong party is 403, the wrong status 409 `invalid_transition`.
impl From<kinerja_domain::workflow::TransitionError> for ApiError {
    fn from(e: kinerja_domain::workflow::TransitionError) -> Self {
        use kinerja_domain::workflow::TransitionError;
        match e {
            TransitionError::NotAllowed("employee") => ApiError::Forbidden("only the employee submits their plan"),
            TransitionError::NotAllowed(_) => {
                ApiError::Forbidden("only the rating official approves, returns or rates a plan")
            }
            TransitionError::InvalidTransition { .. } => {
                ApiError::Conflict { code: ProblemCode::InvalidTransition, detail: e.to_string() }
            }
        }
    }
}

/// A plan naming someone who would judge their own case (422 `own_case`).
impl From<kinerja_domain::objection::OwnCase> for ApiError {
    fn from(e: kinerja_domain::objection::OwnCase) -> Self {
        ApiError::validation(e.field(), ProblemCode::OwnCase.as_str(), e.to_string())
    }
}

/// Inputs a rule set cannot take: a 422 on the field, `required`, `not_used` or `out_of_range`.
impl From<kinerja_domain::rule_sets::InputError> for ApiError {
    fn from(e: kinerja_domain::rule_sets::InputError) -> Self {
        use kinerja_domain::rule_sets::InputError;
        let code = match e {
            InputError::Missing(_) => "required",
            InputError::NotUsed(_) => "not_used",
            _ => "out_of_range",
        };
        ApiError::Validation(vec![FieldError::new(e.field(), code, e.to_string())])
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields: Vec<FieldError> = errors
            .field_errors()
            .into_iter()
            .flat_map(|(field, errs)| {
                errs.iter().map(move |e| {
                    let message = e.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| e.code.to_string());
                    FieldError::new(field.as_ref(), e.code.as_ref(), message)
                })
            })
            .collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Validation(fields)
    }
}

/// Turns a JSON body error into the right problem: syntax → 400, shape → 422 with the field.
pub fn json_error(err: actix_web::error::JsonPayloadError, limit: usize) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::PayloadTooLarge { limit },
        E::ContentType => ApiError::UnsupportedMediaType { expected: "application/json" },
        E::Deserialize(e) => serde_json_error(&e),
        other => ApiError::BadRequest { code: ProblemCode::MalformedBody, detail: other.to_string() },
    }
}

/// Classifies a serde_json error by what the caller got wrong.
pub fn serde_json_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest {
            code: ProblemCode::MalformedJson,
            detail: format!("the body is not valid JSON: {e}"),
        },
        Category::Data => field_error(e.to_string()).unwrap_or_else(|m| ApiError::InvalidValue(in_json_terms(&m))),
    }
}

/// A serde message in the terms of the wire, not of our Rust types: `expected struct
/// UpdateEmployee with 8 elements` becomes `expected a JSON object`, `expected enum Role` becomes
/// `expected one of the documented values`.
pub fn in_json_terms(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("expected ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "expected ".len()..];
        let named = [
            ("struct variant ", "a JSON object"),
            ("tuple struct ", "a JSON array"),
            ("newtype struct ", "a value"),
            ("struct ", "a JSON object"),
            ("enum ", "one of the documented values"),
        ]
        .into_iter()
        .find(|(prefix, _)| after.starts_with(prefix));
        match named {
            Some((prefix, words)) => {
                out.push_str("expected ");
                out.push_str(words);
                // Skip the type's name and any "with N elements" after it.
                let tail = &after[prefix.len()..];
                let end = tail.find([',', ';']).unwrap_or(tail.len());
                let skipped = &tail[..end];
                let keep_from = skipped.find(" at line ").unwrap_or(skipped.len());
                out.push_str(&skipped[keep_from..]);
                rest = &tail[end..];
            }
            None => {
                out.push_str("expected ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A serde message naming an unknown or a missing field, as that error; `Err` with the message
/// otherwise. Serde words these the same for every format (JSON, forms).
pub fn field_error(message: String) -> Result<ApiError, String> {
    let field = message.split('`').nth(1).unwrap_or_default().to_owned();
    if message.starts_with("unknown field") {
        Ok(ApiError::UnknownField(field))
    } else if message.starts_with("missing field") {
        Ok(ApiError::MissingField(field))
    } else {
        Err(message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Problem answers shared by many operations, named once for the OpenAPI document
/// (`responses((status = 200, body = X), Unauthenticated, NotFound)`).
pub mod responses {
    use super::Problem;
    use utoipa::IntoResponses;

    /// Malformed request (bad JSON, bad query string).
    #[derive(IntoResponses)]
    #[response(status = 400, content_type = "application/problem+json")]
    pub struct BadRequest(#[allow(dead_code)] Problem);

    /// No valid access token.
    #[derive(IntoResponses)]
    #[response(status = 401, content_type = "application/problem+json")]
    pub struct Unauthenticated(#[allow(dead_code)] Problem);

    /// The credentials are wrong: the username or password, the refresh token, or the client's
    /// id or secret.
    #[derive(IntoResponses)]
    #[response(status = 401, content_type = "application/problem+json")]
    pub struct BadCredentials(#[allow(dead_code)] Problem);

    /// The caller may not do this.
    #[derive(IntoResponses)]
    #[response(status = 403, content_type = "application/problem+json")]
    pub struct Forbidden(#[allow(dead_code)] Problem);

    /// No such resource visible to the caller.
    #[derive(IntoResponses)]
    #[response(status = 404, content_type = "application/problem+json")]
    pub struct NotFound(#[allow(dead_code)] Problem);

    /// The request conflicts with the current state (a duplicate, an illegal state).
    #[derive(IntoResponses)]
    #[response(status = 409, content_type = "application/problem+json")]
    pub struct Conflict(#[allow(dead_code)] Problem);

    /// `If-Match` names a version that is no longer current.
    #[derive(IntoResponses)]
    #[response(status = 412, content_type = "application/problem+json")]
    pub struct Stale(#[allow(dead_code)] Problem);

    /// Valid JSON that breaks a rule; `errors` lists the fields.
    #[derive(IntoResponses)]
    #[response(status = 422, content_type = "application/problem+json")]
    pub struct Invalid(#[allow(dead_code)] Problem);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u8,
    }

    fn classify(json: &str) -> ApiError {
        match serde_json::from_str::<Body>(json) {
            Err(e) => serde_json_error(&e),
            Ok(_) => ApiError::internal("parsed"),
        }
    }

    #[test]
    fn serde_messages_speak_json_not_rust() {
        assert_eq!(
            in_json_terms("invalid type: sequence, expected struct UpdateEmployee with 8 elements at line 1 column 1"),
            "invalid type: sequence, expected a JSON object at line 1 column 1"
        );
        assert_eq!(
            in_json_terms("invalid type: string \"x\", expected enum Role"),
            "invalid type: string \"x\", expected one of the documented values"
        );
        assert_eq!(in_json_terms("invalid type: map, expected a string"), "invalid type: map, expected a string");
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(matches!(classify(r#"{"name": "#), ApiError::BadRequest { code: ProblemCode::MalformedJson, .. }));
        assert!(matches!(classify(r#"{"name":"a","count":1,"nmae":2}"#), ApiError::UnknownField(f) if f == "nmae"));
        assert!(matches!(classify(r#"{"name":"a"}"#), ApiError::MissingField(f) if f == "count"));
        assert!(matches!(classify(r#"{"name":"a","count":"x"}"#), ApiError::InvalidValue(_)));
    }

    #[test]
    fn every_error_maps_to_a_problem_status() {
        let unavailable = ApiError::Unavailable("gone".into()).error_response();
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(unavailable.headers().contains_key(header::RETRY_AFTER));
        assert_eq!(ApiError::UnknownField("x".into()).status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(ApiError::Internal("secret".into()).to_string(), "internal error");
    }
}
