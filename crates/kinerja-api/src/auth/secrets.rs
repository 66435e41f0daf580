//! Passwords (argon2id) and random tokens (refresh tokens, client secrets; stored as SHA-256).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::http::error::ApiError;

/// How long a refresh token lives unless it is used first.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// A well-formed argon2id hash of no known password. Login verifies against it when the user is
/// unknown, so that an unknown user and a wrong password take the same time.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

/// argon2id with OWASP's recommended parameters (m = 19 MiB, t = 2, p = 1: the crate's default).
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// Hashes a password into a PHC string. CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(ApiError::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Ok(hasher().hash_password(password.as_bytes(), &salt).map_err(ApiError::internal)?.to_string())
}

/// Checks a password against a PHC string. CPU-heavy: call from a blocking thread.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).map(|hash| hasher().verify_password(password.as_bytes(), &hash).is_ok()).unwrap_or(false)
}

/// 256 random bits, URL-safe base64.
pub fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// High-entropy secrets need no slow hash: SHA-256 is enough to make a stolen table useless.
pub fn sha256(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() -> Result<(), ApiError> {
        let phc = hash_password("correct horse battery")?;
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterY", &phc));
        assert!(!verify_password("anything", "not a hash"));
        Ok(())
    }

    #[test]
    fn the_dummy_hash_is_well_formed_so_it_costs_a_full_verification() {
        let parsed = PasswordHash::new(DUMMY_HASH).map(|h| h.algorithm.to_string());
        assert_eq!(parsed.as_deref(), Ok("argon2id"));
        assert!(!verify_password("", DUMMY_HASH));
    }

    #[test]
    fn tokens_are_random_and_hashes_fixed_length() -> Result<(), ApiError> {
        let (a, b) = (random_token()?, random_token()?);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(sha256(&a).len(), 32);
        Ok(())
    }
}
