//! Access tokens: HS256 JWTs with `exp`, `iss` and `aud` required and the algorithm pinned.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::error::ApiError;

pub const ISSUER: &str = "kinerja";
pub const AUDIENCE: &str = "kinerja-api";
/// Access tokens are short-lived; refresh tokens renew them.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// The user's or client's id.
    pub sub: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// `user` or `client`.
    pub kind: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub agency_id: Option<Uuid>,
    #[serde(default)]
    pub employee_id: Option<Uuid>,
    /// Client scopes, space-separated (OAuth2 style).
    #[serde(default)]
    pub scope: Option<String>,
    /// The user's session version when issued; a later one ends the token.
    #[serde(default)]
    pub sv: i32,
}

impl AccessClaims {
    pub fn new(sub: Uuid, kind: &str) -> Self {
        let now = Utc::now().timestamp();
        AccessClaims {
            sub,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            kind: kind.into(),
            roles: Vec::new(),
            agency_id: None,
            employee_id: None,
            scope: None,
            sv: 0,
        }
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>, ApiError> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).map_err(ApiError::internal)?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().to_vec())
}

/// The signing secret, as keys.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Keys the refresh token that succeeds a spent one ([`JwtKeys::successor_of`]).
    secret: Vec<u8>,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            secret: secret.to_vec(),
        }
    }

    /// The refresh token issued when `spent` is exchanged: derived from it under a key only the
    /// servers hold, so a second tab showing `spent` in the grace window can be given the same
    /// one again although only hashes of refresh tokens are stored.
    pub fn successor_of(&self, spent: &str) -> Result<String, ApiError> {
        use base64::Engine;
        let derived = hmac_sha256(&self.secret, &[b"kinerja refresh-token successor\0", spent.as_bytes()])?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(derived))
    }

    pub fn sign(&self, claims: &AccessClaims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(ApiError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let invalid = || ApiError::Unauthenticated("the access token is invalid or expired");
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| invalid())?;
        // A token issued in the future (beyond the clocks' leeway) was not issued by us as it says.
        if claims.iat > Utc::now().timestamp() + self.validation.leeway as i64 {
            return Err(invalid());
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_and_tampering_fails() -> Result<(), ApiError> {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let claims = AccessClaims::new(Uuid::now_v7(), "user");
        let token = keys.sign(&claims)?;
        assert_eq!(keys.verify(&token)?, claims);
        let other = JwtKeys::new(b"another secret of enough length!!");
        assert!(other.verify(&token).is_err());
        Ok(())
    }

    #[test]
    fn a_token_issued_in_the_future_is_refused() -> Result<(), ApiError> {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let mut early = AccessClaims::new(Uuid::now_v7(), "user");
        early.iat = Utc::now().timestamp() + 3600;
        early.exp = early.iat + 900;
        assert!(keys.verify(&keys.sign(&early)?).is_err());
        // Within the leeway a clock a little ahead is fine.
        let mut skewed = AccessClaims::new(Uuid::now_v7(), "user");
        skewed.iat = Utc::now().timestamp() + 10;
        assert!(keys.verify(&keys.sign(&skewed)?).is_ok());
        Ok(())
    }

    #[test]
    fn expired_wrong_audience_and_other_algorithms_are_refused() -> Result<(), ApiError> {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let mut expired = AccessClaims::new(Uuid::now_v7(), "user");
        expired.exp = Utc::now().timestamp() - 120;
        assert!(keys.verify(&keys.sign(&expired)?).is_err());

        let mut foreign = AccessClaims::new(Uuid::now_v7(), "user");
        foreign.aud = "someone-else".into();
        assert!(keys.verify(&keys.sign(&foreign)?).is_err());

        let claims = AccessClaims::new(Uuid::now_v7(), "user");
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .map_err(ApiError::internal)?;
        assert!(keys.verify(&hs512).is_err(), "only HS256 is accepted");
        Ok(())
    }
}
