//! Bearer tokens through `Authenticator::verify` with fixed keys (no key source, so it never
//! waits): header decoding, key lookup by `kid`, the algorithm pin, the signature, and the
//! claims (`exp`, `nbf`, `iss`, `aud`, `sub`, roles, organisation).
//!
//! The first byte chooses: even, the rest is a token as sent; odd, the rest is a header and a
//! claims document separated by the first newline, which the target signs with the HS256 test
//! key, so the claims handling after the signature check is fuzzed too.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::FutureExt;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use libfuzzer_sys::fuzz_target;
use onconet_api::{Authenticator, VerificationKey};
use std::sync::LazyLock;

const SECRET: &[u8] = b"onconet-fuzz-hs256-secret-not-used-anywhere-else";
const ISSUER: &str = "https://idp.example.nl";
const AUDIENCE: &str = "onconet";

static AUTH: LazyLock<Authenticator> = LazyLock::new(|| {
    let rsa = include_bytes!("../../tests/fixtures/jwt/rsa-test-public.pem");
    let mut keys = vec![VerificationKey {
        kid: Some("fuzz-hs".into()),
        algorithm: Algorithm::HS256,
        key: DecodingKey::from_secret(SECRET),
    }];
    if let Ok(key) = DecodingKey::from_rsa_pem(rsa) {
        keys.push(VerificationKey {
            kid: Some("fuzz-rsa".into()),
            algorithm: Algorithm::RS256,
            key,
        });
    }
    Authenticator::new(keys, ISSUER.into(), AUDIENCE.into())
});

fn signed(header: &[u8], claims: &[u8]) -> Option<String> {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let key = EncodingKey::from_secret(SECRET);
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).ok()?;
    Some(format!("{input}.{signature}"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = if mode % 2 == 0 {
        match std::str::from_utf8(rest) {
            Ok(t) => t.to_owned(),
            Err(_) => return,
        }
    } else {
        let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let (header, claims) = rest.split_at(split);
        match signed(header, claims.get(1..).unwrap_or_default()) {
            Some(t) => t,
            None => return,
        }
    };
    let outcome = AUTH
        .verify(&token)
        .now_or_never()
        .expect("fixed keys: verify never waits");
    if let Ok(actor) = outcome {
        assert!(!actor.sub.trim().is_empty());
        assert!(
            actor
                .org
                .as_ref()
                .is_none_or(|o| !o.is_empty() && *o == o.to_ascii_lowercase())
        );
    }
});
