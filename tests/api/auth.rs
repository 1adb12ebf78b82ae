//! Tokens from an identity provider (JWKS): the good one passes, every kind of bad one gets
//! 401 with a problem document, and development tokens are refused once keys are configured.
//! Keys from a JWKS URL: fetched at start-up, refetched once for a new kid (rate limited),
//! kept while the identity provider is down.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use onconet_test_support::{spawn_app_with, workspace_dir};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// A JWKS document on a local HTTP server that the test can swap, stop, and count fetches of.
struct JwksServer {
    url: String,
    document: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    async fn start(keys: &[Value]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().expect("addr")
        );
        let document = Arc::new(Mutex::new(json!({ "keys": keys }).to_string()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (doc, count) = (document.clone(), fetches.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (doc, count) = (doc.clone(), count.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let body = doc.lock().expect("lock").clone();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/jwk-set+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            url,
            document,
            fetches,
            task,
        }
    }

    fn serve(&self, keys: &[Value]) {
        *self.document.lock().expect("lock") = json!({ "keys": keys }).to_string();
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Stops listening: fetches now fail with "connection refused".
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Key A: the RSA test key of `tests/fixtures/jwt/jwks.json` (kid `test-rsa-1`).
fn key_a() -> Value {
    let set: Value =
        serde_json::from_slice(&fixture("jwks.json")).expect("the JWKS fixture is JSON");
    set["keys"][0].clone()
}

/// Key B: a fresh Ed25519 key (kid `key-b`), as its public JWK and a token signer.
fn key_b(dir: &std::path::Path) -> (Value, impl Fn(&Value) -> String) {
    use base64::Engine;
    let key = onconet::dev_keys::load_or_create(dir).expect("ed25519 key");
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "kid": "key-b", "alg": "EdDSA", "use": "sig",
        "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes())});
    let pem = std::fs::read(onconet::dev_keys::key_path(dir)).expect("pem");
    let encoding = EncodingKey::from_ed_pem(&pem).expect("key");
    let sign = move |claims: &Value| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("key-b".into());
        encode(&header, claims, &encoding).expect("sign")
    };
    (jwk, sign)
}

async fn spawn_with_jwks_url(url: &str) -> onconet_test_support::TestApp {
    spawn_app_with(|s| {
        s.auth.jwks = Some(url.to_owned());
        s.auth.jwt_issuer = ISSUER.into();
        s.auth.jwt_audience = AUDIENCE.into();
    })
    .await
}

async fn expect_401(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), 401, "{what}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["status"], 401, "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_from_a_jwks_url_rotate_with_one_fetch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (jwk_b, sign_b) = key_b(dir.path());
    let idp = JwksServer::start(&[key_a()]).await;
    let app = spawn_with_jwks_url(&idp.url).await;
    assert_eq!(idp.fetches(), 1, "the keys are fetched once at start-up");
    let call = |token: String| {
        app.get("/v1/networks?state=draft")
            .bearer_auth(token)
            .send()
    };

    let r = call(rs256(&claims(), "test-rsa-1")).await.expect("call");
    assert_eq!(r.status(), 200, "key A works");
    assert_eq!(idp.fetches(), 1, "a known kid fetches nothing");

    // The identity provider rotates to key B: the first token naming it causes one fetch.
    idp.serve(std::slice::from_ref(&jwk_b));
    let r = call(sign_b(&claims())).await.expect("call");
    assert_eq!(r.status(), 200, "key B works after the rotation");
    assert_eq!(idp.fetches(), 2, "exactly one refetch for the new kid");
    for _ in 0..3 {
        let r = call(sign_b(&claims())).await.expect("call");
        assert_eq!(r.status(), 200);
    }
    assert_eq!(idp.fetches(), 2, "key B is cached");

    // Twenty tokens naming a key nobody has, at once: all 401, at most one more fetch.
    let unknown: Vec<_> = (0..20).map(|_| call(rs256(&claims(), "key-c"))).collect();
    for r in futures_util::future::join_all(unknown).await {
        expect_401(r.expect("call"), "unknown kid C").await;
    }
    let after_unknown = idp.fetches();
    eprintln!("JWKS fetches after 20 unknown-kid tokens: {after_unknown}");
    assert!(
        after_unknown <= 3,
        "unknown kids refetch at most once a minute: {after_unknown} fetches"
    );
    let r = call(rs256(&claims(), "test-rsa-1")).await.expect("call");
    expect_401(r, "key A was retired by the rotation").await;

    // The identity provider goes down: cached keys still work, unknown ones are still 401.
    idp.stop().await;
    let r = call(sign_b(&claims())).await.expect("call");
    assert_eq!(
        r.status(),
        200,
        "a known key works while the JWKS server is down"
    );
    let r = call(rs256(&claims(), "key-d")).await.expect("call");
    expect_401(r, "unknown kid while the JWKS server is down").await;

    // Development tokens stay refused.
    let r = call(app.staff_token.clone()).await.expect("call");
    expect_401(r, "a development token").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_unknown_kids_share_one_fetch() {
    let idp = JwksServer::start(&[key_a()]).await;
    let app = spawn_with_jwks_url(&idp.url).await;
    assert_eq!(idp.fetches(), 1);
    let unknown: Vec<_> = (0..20)
        .map(|_| {
            app.get("/v1/networks?state=draft")
                .bearer_auth(rs256(&claims(), "key-c"))
                .send()
        })
        .collect();
    for r in futures_util::future::join_all(unknown).await {
        expect_401(r.expect("call"), "unknown kid C").await;
    }
    assert_eq!(
        idp.fetches(),
        2,
        "twenty concurrent unknown-kid tokens cause one fetch"
    );
    let r = app
        .get("/v1/networks?state=draft")
        .bearer_auth(rs256(&claims(), "test-rsa-1"))
        .send()
        .await
        .expect("call");
    assert_eq!(r.status(), 200, "key A still works");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jwks_url_must_be_https_and_reachable_at_start_up() {
    use onconet::settings::{AuthSettings, DataSettings};
    let dir = tempfile::tempdir().expect("tempdir");
    let data = DataSettings {
        data_dir: dir.path().to_owned(),
        database_url: None,
    };
    let auth = |jwks: &str| AuthSettings {
        jwks: Some(jwks.to_owned()),
        jwt_issuer: ISSUER.into(),
        jwt_audience: AUDIENCE.into(),
    };
    let refused = onconet::startup::authenticator(&auth("http://idp.example.nl/jwks.json"), &data)
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .expect("plain http to another host is refused");
    assert!(
        refused.contains("http://idp.example.nl/jwks.json") && refused.contains("https://"),
        "{refused}"
    );

    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let unreachable = format!("http://127.0.0.1:{port}/jwks.json");
    let failed = onconet::startup::authenticator(&auth(&unreachable), &data)
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .expect("an unreachable JWKS URL fails start-up");
    assert!(failed.contains(&unreachable), "{failed}");

    // The real binary exits non-zero and says which URL failed.
    let out = std::process::Command::new(crate::embedded::onconet_binary())
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("DATABASE_URL")
        .env("ONCONET_JWKS", &unreachable)
        .envs(onconet_test_support::logs::child_env())
        .output()
        .expect("run onconet serve");
    let _ = std::io::Write::write_all(
        &mut onconet_test_support::logs::file("onconet-serve-bad-jwks"),
        &out.stderr,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "start-up fails: {stderr}");
    assert!(stderr.contains(&unreachable), "{stderr}");
    assert!(
        !dir.path().join("pg").exists(),
        "no database was started for a server that cannot verify tokens"
    );
}
