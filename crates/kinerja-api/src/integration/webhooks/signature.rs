//! Standard Webhooks signing: each request carries `webhook-id` (the event's id, the same on
//! every retry and replay, for the receiver to drop duplicates), `webhook-timestamp` (Unix
//! seconds of this try, for the receiver to refuse old ones) and `webhook-signature`:
//! `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the endpoint's secret.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::http::error::ApiError;

/// What a receiver is given once: the secret as `whsec_` and base64 of its bytes.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: what is kept (base64 of 32 random bytes) and what the admin is shown.
pub fn new_secret() -> Result<(String, String), ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let kept = STANDARD.encode(bytes);
    let shown = format!("{SECRET_PREFIX}{kept}");
    Ok((kept, shown))
}

/// The `webhook-signature` value of one request.
pub fn sign(kept_secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, ApiError> {
    let key = STANDARD.decode(kept_secret).map_err(|e| ApiError::internal(format!("a webhook secret: {e}")))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(ApiError::internal)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's own example (standard-webhooks, spec/standard-webhooks.md).
    #[test]
    fn signs_the_specifications_example() -> Result<(), ApiError> {
        let secret = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)?;
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        Ok(())
    }

    #[test]
    fn a_new_secret_is_shown_with_its_prefix_and_signs() -> Result<(), ApiError> {
        let (kept, shown) = new_secret()?;
        assert_eq!(shown, format!("whsec_{kept}"));
        assert_eq!(STANDARD.decode(&kept).map(|k| k.len()).ok(), Some(32));
        assert_ne!(sign(&kept, "a", 1, b"{}")?, sign(&kept, "b", 1, b"{}")?);
        Ok(())
    }
}
