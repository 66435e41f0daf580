//! Compressed answers when asked (`Accept-Encoding: gzip` or `br`), by actix-web's `Compress`
//! around the app. Workbooks and ZIP archives are compressed already: they are marked so that
//! `Compress` leaves them, and the mark is taken off on the way out.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};

/// Content types that are compressed containers already.
const PACKED: [&str; 3] = ["application/zip", "application/vnd.openxmlformats", "application/gzip"];

/// Before `Compress`: an already-compressed answer says so, which `Compress` respects.
pub fn mark_packed(mut res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let packed = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| PACKED.iter().any(|kind| v.starts_with(kind)));
    if packed && !res.headers().contains_key(header::CONTENT_ENCODING) {
        res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("identity"));
    }
    res
}

/// After `Compress`: the mark is not sent (RFC 9110 keeps `identity` out of `Content-Encoding`).
pub fn unmark_packed<B>(mut res: ServiceResponse<B>) -> ServiceResponse<B> {
    if res.headers().get(header::CONTENT_ENCODING).is_some_and(|v| v == "identity") {
        res.headers_mut().remove(header::CONTENT_ENCODING);
    }
    res
}
