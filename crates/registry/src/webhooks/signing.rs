//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): a secret
//! `whsec_<base64>` of 24 to 64 bytes, and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "<webhook-id>.<webhook-timestamp>.<body>">`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";
const MIN_SECRET: usize = 24;
const MAX_SECRET: usize = 64;

/// A signing key, decoded. Never printed.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([secret])")
    }
}

impl SigningKey {
    /// Reads `whsec_<base64>` (padding optional).
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(encoded) = text.strip_prefix(SECRET_PREFIX) else {
            return Err(format!(
                "must start with `{SECRET_PREFIX}` followed by base64 (as the Standard Webhooks libraries expect)"
            ));
        };
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .map_err(|_| format!("the part after `{SECRET_PREFIX}` must be base64"))?;
        if !(MIN_SECRET..=MAX_SECRET).contains(&bytes.len()) {
            return Err(format!(
                "must decode to {MIN_SECRET} to {MAX_SECRET} bytes, not {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    /// A new random key of 32 bytes, with its text form.
    pub fn generate() -> (Self, String) {
        let bytes: [u8; 32] = rand::random();
        let text = format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes));
        (Self(bytes.to_vec()), text)
    }

    /// The `webhook-signature` header value for one attempt.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_specification_example() {
        // The example of the Standard Webhooks specification (and its libraries' tests).
        let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key");
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_checked() {
        assert!(SigningKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(SigningKey::parse("whsec_not base64!").is_err());
        assert!(SigningKey::parse("whsec_c2hvcnQ=").is_err());
        let (key, text) = SigningKey::generate();
        assert_eq!(SigningKey::parse(&text).expect("generated").0, key.0);
        assert!(!format!("{key:?}").contains(&text[6..]));
    }
}
