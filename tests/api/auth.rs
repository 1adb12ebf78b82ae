//! Tokens from an identity provider (JWKS): the good one passes, every kind of bad one gets
//! 401 with a problem document, and development tokens are refused once keys are configured.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use onconet_test_support::{spawn_app_with, workspace_dir};
use serde_json::{Value, json};

const ISSUER: &str = "https://idp.example.nl";
const AUDIENCE: &str = "onconet";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_dir().join("tests/fixtures/jwt").join(name)).expect("fixture")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims() -> Value {
    json!({"sub": "staff-9", "name": "IKNL", "roles": ["iknl_staff"], "iss": ISSUER, "aud": AUDIENCE,
           "iat": now(), "nbf": now() - 5, "exp": now() + 600})
}

fn rs256(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_pem(&fixture("rsa-test-private.pem")).expect("key");
    encode(&header, claims, &key).expect("sign")
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_are_refused() {
    let jwks = workspace_dir().join("tests/fixtures/jwt/jwks.json");
    let app = spawn_app_with(|s| {
        s.auth.jwks = Some(jwks.to_string_lossy().into_owned());
        s.auth.jwt_issuer = ISSUER.into();
        s.auth.jwt_audience = AUDIENCE.into();
    })
    .await;
    let call = |token: String| {
        app.get("/v1/coverage?layer=province")
            .bearer_auth(token)
            .send()
    };

    let good = call(rs256(&claims(), "test-rsa-1")).await.expect("call");
    assert_eq!(good.status(), 200, "a valid identity-provider token works");

    let with = |k: &str, v: Value| {
        let mut c = claims();
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = claims();
        c.as_object_mut().expect("object").remove(k);
        c
    };
    let good_token = rs256(&claims(), "test-rsa-1");
    let parts: Vec<&str> = good_token.split('.').collect();
    let hs256_with_public_key = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("test-rsa-1".into());
        encode(
            &header,
            &claims(),
            &EncodingKey::from_secret(&fixture("rsa-test-public.pem")),
        )
        .expect("sign")
    };
    let rs384 = {
        let mut header = Header::new(Algorithm::RS384);
        header.kid = Some("test-rsa-1".into());
        encode(
            &header,
            &claims(),
            &EncodingKey::from_rsa_pem(&fixture("rsa-test-private.pem")).expect("key"),
        )
        .expect("sign")
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT", "kid": "test-rsa-1"})),
                b64(&claims())
            ),
        ),
        (
            "HS256 signed with the RSA public key",
            hs256_with_public_key,
        ),
        (
            "expired",
            rs256(&with("exp", json!(now() - 3600)), "test-rsa-1"),
        ),
        (
            "nbf in the future",
            rs256(&with("nbf", json!(now() + 3600)), "test-rsa-1"),
        ),
        (
            "wrong audience",
            rs256(&with("aud", json!("someone-else")), "test-rsa-1"),
        ),
        (
            "wrong issuer",
            rs256(&with("iss", json!("https://evil.example")), "test-rsa-1"),
        ),
        ("unknown kid", rs256(&claims(), "no-such-key")),
        (
            "tampered payload",
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&with("roles", json!(["admin"]))),
                parts[2]
            ),
        ),
        ("no exp", rs256(&without("exp"), "test-rsa-1")),
        ("another algorithm than the pinned one", rs384),
        ("garbage", "not-a-token-at-all".into()),
        ("a development token", app.staff_token.clone()),
    ];
    for (what, token) in cases {
        let r = call(token).await.expect("call");
        assert_eq!(r.status(), 401, "{what}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap_or("")
                .starts_with("Bearer"),
            "{what}"
        );
    }
}
