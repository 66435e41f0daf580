//! Authentication: access tokens (JWT), refresh tokens and passwords, and which sessions still
//! stand. Who the caller of a request is lives in `context::caller`.

mod jwt;
pub mod oauth;
mod secrets;
mod sessions;

pub use jwt::{AccessClaims, JwtKeys, ACCESS_TOKEN_SECONDS, AUDIENCE, ISSUER};
pub use secrets::{hash_password, random_token, sha256, verify_password, DUMMY_HASH, REFRESH_TOKEN_DAYS};
pub use sessions::{Sessions, SESSION_TTL};
