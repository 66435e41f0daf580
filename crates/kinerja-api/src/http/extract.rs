//! The body and query extractors of every handler. They read as actix-web's do, but a value
//! that does not fit is answered 422 with `errors[]` naming the field by its path
//! (`indicators[0].target`, `limit`), whether it came in the body or the query string.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::http::error::{in_json_terms, ApiError, FieldError};

/// A JSON request body (`application/json`, within the app's limit).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // actix-web's extractor checks the content type and the size and parses the syntax
        // (its errors are mapped in `app.rs`); the shape is checked here, path by path.
        let parsed = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = parsed.await?.into_inner();
            serde_path_to_error::deserialize(value).map(Json).map_err(|e| shape_error(e, "body").into())
        })
    }
}

/// A query string.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(req.query_string().as_bytes()));
        ready(serde_path_to_error::deserialize(pairs).map(Query).map_err(|e| shape_error(e, "query")))
    }
}

/// A value that does not fit the operation's shape, as the problem naming where (`root` when
/// the whole of it is of the wrong kind).
fn shape_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>, root: &str) -> ApiError {
    let path = e.path().to_string();
    let message = in_json_terms(&e.inner().to_string());
    match crate::http::error::field_error(message) {
        // Serde names an unknown or missing field itself; its path is the object that holds it.
        Ok(ApiError::UnknownField(field)) => ApiError::UnknownField(joined(&path, &field)),
        Ok(ApiError::MissingField(field)) => ApiError::MissingField(joined(&path, &field)),
        Ok(other) => other,
        Err(message) => {
            let field = if path == "." { root.to_owned() } else { path };
            ApiError::InvalidField(FieldError::new(field, "invalid_value", message))
        }
    }
}

/// The field's full path: `parent.child`, or `child` at the top (an unknown field's path ends
/// with it already, a missing one's is the object that lacks it).
fn joined(path: &str, field: &str) -> String {
    if path == "." || path.is_empty() {
        field.to_owned()
    } else if path == field || path.ends_with(&format!(".{field}")) {
        path.to_owned()
    } else {
        format!("{path}.{field}")
    }
}
