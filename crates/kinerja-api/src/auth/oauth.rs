//! The token endpoint as OAuth2 has it (RFC 6749): the client authenticates with HTTP Basic
//! (§2.3.1, which a server MUST support) or with `client_id` and `client_secret` in the body,
//! never both; errors are §5.2's `{"error": "invalid_client", "error_description": …}` that
//! every OAuth2 library reads; answers are never cached (§5.1). The rest of the API keeps
//! problem documents.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;

/// The client's id and secret, and how they came.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub by_basic: bool,
}

/// An error of RFC 6749 §5.2.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}))]
pub struct OAuthError {
    #[schema(value_type = String, example = "invalid_client")]
    #[schema(
        pattern = "^(invalid_request|invalid_client|invalid_grant|unauthorized_client|unsupported_grant_type|invalid_scope)$"
    )]
    pub error: &'static str,
    pub error_description: String,
    /// Whether the client authenticated with Basic (a 401 then challenges it to, §5.2).
    #[serde(skip)]
    pub by_basic: bool,
}

impl OAuthError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError { error: "invalid_request", error_description: description.into(), by_basic: false }
    }

    /// The token endpoint's words for an error of the API; an error of the server (the
    /// database unavailable, a fault) or of the transport (too large, not a form) stays a
    /// problem document.
    pub fn from_api(e: ApiError, by_basic: bool) -> Result<Self, ApiError> {
        let description = e.to_string();
        let error = match &e {
            ApiError::InvalidClient => "invalid_client",
            ApiError::Validation(errors) => match errors.first().map(|f| f.code.as_str()) {
                Some("unsupported_grant_type") => "unsupported_grant_type",
                Some("invalid_scope") => "invalid_scope",
                _ => "invalid_request",
            },
            // The transport's and the server's own failures stay problem documents.
            ApiError::Unavailable(_)
            | ApiError::TimedOut { .. }
            | ApiError::Internal(_)
            | ApiError::PayloadTooLarge { .. }
            | ApiError::UnsupportedMediaType { .. } => return Err(e),
            _ => "invalid_request",
        };
        let description = match &e {
            ApiError::Validation(errors) => {
                errors.first().map_or(description, |f| format!("{}: {}", f.field, f.message))
            }
            _ => description,
        };
        Ok(OAuthError { error, error_description: description, by_basic })
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.error_description)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        if self.error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        no_store(&mut response);
        if self.error == "invalid_client" {
            let scheme = if self.by_basic { "Basic realm=\"kinerja\"" } else { "Bearer realm=\"kinerja\"" };
            response.insert_header((header::WWW_AUTHENTICATE, scheme));
        }
        response.json(self)
    }
}

/// §5.1: answers of the token endpoint carry secrets and are never stored.
pub fn no_store(response: &mut actix_web::HttpResponseBuilder) {
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    response.insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
}

/// The client's credentials: from `Authorization: Basic` (each part form-urlencoded before
/// base64, §2.3.1) or from the body, refused when both are sent or neither.
pub fn client_credentials(
    headers: &HeaderMap,
    body_id: Option<String>,
    body_secret: Option<String>,
) -> Result<ClientCredentials, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    match (basic, body_id, body_secret) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(OAuthError::invalid_request(
            "the client authenticates once: with HTTP Basic or with client_id and client_secret in the body, not both",
        )),
        (Some(encoded), None, None) => {
            let malformed = || OAuthError {
                error: "invalid_client",
                error_description: "the Basic credentials are not base64 of client_id:client_secret".into(),
                by_basic: true,
            };
            let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
            let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
            let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
            Ok(ClientCredentials { client_id: form_decoded(id), client_secret: form_decoded(secret), by_basic: true })
        }
        (None, Some(client_id), Some(client_secret)) => {
            Ok(ClientCredentials { client_id, client_secret, by_basic: false })
        }
        (None, _, _) => Err(OAuthError {
            error: "invalid_client",
            error_description: "no client authentication: send HTTP Basic, or client_id and client_secret".into(),
            by_basic: false,
        }),
    }
}

/// One form-urlencoded part (`+` is a space, `%xx` a byte).
fn form_decoded(part: &str) -> String {
    form_urlencoded::parse(part.as_bytes()).map(|(key, _)| key.into_owned()).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded_after_base64() {
        let encoded = STANDARD.encode("my%20client:s%3Acret+x");
        let c = client_credentials(&basic(&format!("Basic {encoded}")), None, None).unwrap();
        assert_eq!((c.client_id.as_str(), c.client_secret.as_str(), c.by_basic), ("my client", "s:cret x", true));
        let both = client_credentials(&basic(&format!("Basic {encoded}")), Some("a".into()), None);
        assert_eq!(both.unwrap_err().error, "invalid_request");
        assert_eq!(client_credentials(&basic("Basic %%%"), None, None).unwrap_err().error, "invalid_client");
        assert_eq!(client_credentials(&HeaderMap::new(), None, None).unwrap_err().error, "invalid_client");
    }
}
