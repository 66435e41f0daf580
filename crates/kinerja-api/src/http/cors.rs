//! Cross-origin requests from browser portals (the Fetch standard's CORS protocol), for the
//! exact origins the operator allows (`KINERJA_CORS_ORIGINS`; none by default). Tokens travel in
//! `Authorization`, never in cookies, so credentials are not allowed and not needed.

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::HttpResponse;

/// Seconds a browser may keep a preflight's answer (Chromium keeps at most 7200).
pub const MAX_AGE_SECS: u32 = 7200;

/// The request headers a portal may send.
const ALLOWED_HEADERS: &str =
    "authorization, content-type, if-match, if-none-match, idempotency-key, kinerja-read-from, x-request-id";

/// The response headers a portal's script may read beyond the CORS-safelisted ones.
const EXPOSED_HEADERS: &str = "etag, location, x-request-id, retry-after, idempotent-replayed, ratelimit, \
                               ratelimit-policy, content-disposition, allow";

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Checks each origin (`scheme://host[:port]`, nothing after it) and keeps it in the form
    /// browsers send: lower-case, without a trailing slash.
    pub fn new(origins: &[String]) -> Result<Self, String> {
        let mut allowed = Vec::new();
        for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            let normalised = origin.trim_end_matches('/').to_ascii_lowercase();
            let Some((scheme, authority)) = normalised.split_once("://") else {
                return Err(format!("CORS origin `{origin}` must look like https://portal.example.go.id"));
            };
            if !matches!(scheme, "http" | "https") || authority.is_empty() || authority.contains(['/', '?', '#', '*']) {
                return Err(format!(
                    "CORS origin `{origin}` must be an exact http(s) origin: scheme, host and port, no path or wildcard"
                ));
            }
            allowed.push(normalised);
        }
        Ok(AllowedOrigins(allowed))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        origin.to_str().is_ok_and(|origin| self.0.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin)))
    }

    /// The headers an answer to a request from `origin` carries (none when no origins are
    /// allowed or the request names none); only an allowed origin is echoed.
    pub fn answer_headers(&self, origin: Option<&HeaderValue>) -> Vec<(HeaderName, HeaderValue)> {
        let Some(origin) = origin.filter(|_| !self.is_empty()) else { return Vec::new() };
        let mut headers = vec![(header::VARY, HeaderValue::from_static("Origin"))];
        if self.allows(origin) {
            headers.push((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
            headers.push((header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS)));
        }
        headers
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), if the request
    /// is one: 204 with what may be sent to this path for an allowed origin, 403 otherwise.
    pub fn preflight(&self, method: &Method, headers: &HeaderMap, allow: Option<Vec<String>>) -> Option<HttpResponse> {
        if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            return None;
        }
        let origin = headers.get(header::ORIGIN)?;
        let vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
        if !self.allows(origin) {
            return Some(
                crate::http::error::ApiError::Forbidden("this origin is not allowed to call the API from a browser")
                    .into_response_with(&[(header::VARY, HeaderValue::from_static(vary))]),
            );
        }
        let methods = allow.unwrap_or_else(|| {
            ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"].into_iter().map(str::to_owned).collect()
        });
        Some(
            HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods.join(", ")))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECS.to_string()))
                .insert_header((header::VARY, vary))
                .finish(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact() {
        let allowed = AllowedOrigins::new(&["https://Portal.example.go.id/".into()]).unwrap_or_default();
        assert!(allowed.allows(&HeaderValue::from_static("https://portal.example.go.id")));
        assert!(!allowed.allows(&HeaderValue::from_static("https://portal.example.go.id.evil.test")));
        assert!(!allowed.allows(&HeaderValue::from_static("http://portal.example.go.id")));
        assert!(AllowedOrigins::new(&["*".into()]).is_err());
        assert!(AllowedOrigins::new(&["https://*.go.id".into()]).is_err());
        assert!(AllowedOrigins::new(&["https://portal.go.id/app".into()]).is_err());
    }
}
