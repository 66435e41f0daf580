//! Cheap reads (RFC 9110 §13, §9.3.2): every successful JSON `GET` answers with an `ETag` — the
//! resource's version where it has one, else a hash of the answer (a list page) — and an
//! `If-None-Match` naming it gets 304 with no body. `HEAD` is answered as `GET` without the
//! body. Answers stay `private` (they carry people's records) and are revalidated each time.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;
use sha2::{Digest, Sha256};

/// Routes a `HEAD` as the `GET` it mirrors; the HTTP layer leaves out the body it answers.
pub fn head_as_get(req: &mut ServiceRequest) {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
}

/// The answer to a read, given its `ETag` (made from the body when the handler set none), or
/// 304 when the caller already holds that version.
pub fn answer(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    if res.request().method() != Method::GET || res.status() != StatusCode::OK || !is_json(&res) {
        return res;
    }
    let if_none_match = res.request().headers().get(header::IF_NONE_MATCH).cloned();
    let (req, mut res) = res.into_parts();
    if !res.headers().contains_key(header::ETAG) {
        let (head, body) = res.into_parts();
        let bytes = match body.try_into_bytes() {
            Ok(bytes) => bytes,
            // A streamed answer is not read ahead to hash it.
            Err(body) => return ServiceResponse::new(req, head.set_body(body)),
        };
        res = head.set_body(BoxBody::new(bytes.clone()));
        if let Ok(tag) = HeaderValue::from_str(&page_etag(&bytes)) {
            res.headers_mut().insert(header::ETAG, tag);
        }
    }
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }
    let held = if_none_match.as_ref().and_then(|v| v.to_str().ok());
    let current = res.headers().get(header::ETAG).and_then(|v| v.to_str().ok());
    if let (Some(held), Some(current)) = (held, current) {
        if weakly_matches(held, current) {
            let mut not_modified = HttpResponse::NotModified();
            for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
                if let Some(value) = res.headers().get(&name) {
                    not_modified.insert_header((name, value.clone()));
                }
            }
            return ServiceResponse::new(req, not_modified.finish());
        }
    }
    ServiceResponse::new(req, res)
}

fn is_json(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

/// A weak validator from the bytes of an answer: equal pages, equal tags.
fn page_etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// `If-None-Match`'s weak comparison: `*`, or any listed tag equal to the current one once the
/// `W/` prefixes are set aside.
fn weakly_matches(held: &str, current: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    held.split(',').any(|tag| tag.trim() == "*" || bare(tag) == bare(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_compare_weakly() {
        assert!(weakly_matches("W/\"abc\"", "\"abc\""));
        assert!(weakly_matches("\"x\", W/\"abc\"", "W/\"abc\""));
        assert!(weakly_matches("*", "\"1\""));
        assert!(!weakly_matches("\"abd\"", "\"abc\""));
        assert_eq!(page_etag(b"[]"), page_etag(b"[]"));
        assert_ne!(page_etag(b"[]"), page_etag(b"[1]"));
    }
}
