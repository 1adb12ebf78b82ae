//! Identity-provider keys from a JWKS document (a file or an HTTPS URL), each pinned to one
//! algorithm.

use anyhow::{Context, Result, bail};
use futures_util::future::BoxFuture;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use onconet_api::VerificationKey;
use onconet_api::auth::KeySource;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use url::{Host, Url};

/// Longest a JWKS fetch may take, connecting included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest JWKS document accepted from a URL.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Where `ONCONET_JWKS` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    File(PathBuf),
    Url(Url),
}

impl JwksSource {
    /// An `http(s)://` value is a URL (plain `http` only for a loopback host, so tests can
    /// serve one locally); anything else is a path.
    pub fn parse(value: &str) -> Result<Self> {
        let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Ok(Self::File(PathBuf::from(value)));
        }
        let url = Url::parse(value).context("ONCONET_JWKS is not a valid URL")?;
        if !allowed_url(&url) {
            bail!(
                "ONCONET_JWKS {} must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 and localhost)",
                shown(&url)
            );
        }
        Ok(Self::Url(url))
    }
}

/// `https`, or `http` to a loopback host.
fn allowed_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// The URL for messages and logs: without user info or query, which may carry credentials.
pub fn shown(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Turns a JWKS document into verification keys. Only asymmetric signing keys (RS256, ES256,
/// EdDSA) are used; a key without `alg` is pinned to the one algorithm its type allows. A key
/// that cannot be used (another type or curve, an `alg` its type does not allow, `use` other
/// than `sig`, a malformed entry) is skipped with a warning, so one such key in a provider's
/// set does not refuse the others; a document with no usable key is refused. `source` names the
/// document in messages.
pub fn keys_from_document(document: &[u8], source: &str) -> Result<Vec<VerificationKey>> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let doc: Document = serde_json::from_slice(document)
        .with_context(|| format!("{source} is not a JWKS document (an object with `keys`)"))?;
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for (i, entry) in doc.keys.into_iter().enumerate() {
        let key = serde_json::from_value::<Jwk>(entry)
            .map_err(|e| format!("not a JSON Web Key ({e})"))
            .and_then(|jwk| verification_key(&jwk));
        match key {
            Ok(key) => keys.push(key),
            Err(why) => {
                tracing::warn!(key = i, source, reason = %why, "JWKS key skipped");
                skipped.push(format!("key {i}: {why}"));
            }
        }
    }
    if keys.is_empty() {
        if skipped.is_empty() {
            bail!("{source} holds no keys");
        }
        bail!("{source} holds no usable key ({})", skipped.join("; "));
    }
    Ok(keys)
}

/// One key of a JWKS document as a verification key pinned to its algorithm, or why not.
fn verification_key(jwk: &Jwk) -> std::result::Result<VerificationKey, String> {
    let inferred = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return Err("only RSA, P-256 and Ed25519 keys are supported".into()),
    };
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return Err("not a signing key (`use` is not `sig`)".into());
    }
    let algorithm = match jwk.common.key_algorithm {
        Some(a) => {
            Algorithm::from_str(&format!("{a:?}")).map_err(|_| format!("unsupported alg {a:?}"))?
        }
        None => inferred,
    };
    if algorithm != inferred {
        return Err(format!(
            "algorithm {algorithm:?} is not allowed for this key type"
        ));
    }
    Ok(VerificationKey {
        kid: jwk.common.key_id.clone(),
        algorithm,
        key: DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable ({e})"))?,
    })
}

/// Reads a JWKS file.
pub fn load_file(path: &std::path::Path) -> Result<Vec<VerificationKey>> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read ONCONET_JWKS file {source}"))?;
    keys_from_document(text.as_bytes(), &source)
}

/// A JWKS document served over HTTPS (or HTTP on a loopback host).
pub struct JwksUrl {
    url: Url,
    client: reqwest::Client,
}

impl JwksUrl {
    pub fn new(url: Url) -> Result<Self> {
        if !allowed_url(&url) {
            bail!("{} must use https://", shown(&url));
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            // Fetches are rare (at most one a minute): no idle connections to keep, and none
            // shared between the runtimes of the HTTP workers.
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= 5 {
                    attempt.error("too many redirects")
                } else if allowed_url(attempt.url()) {
                    attempt.follow()
                } else {
                    attempt.error("redirected to a URL that is not https://")
                }
            }))
            .user_agent(concat!("onconet/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the HTTP client for ONCONET_JWKS")?;
        Ok(Self { url, client })
    }

    /// Fetches and parses the document: a 2xx answer of at most [`MAX_DOCUMENT_BYTES`] within
    /// [`FETCH_TIMEOUT`].
    pub async fn fetch_keys(&self) -> Result<Vec<VerificationKey>> {
        let source = shown(&self.url);
        let mut response = self
            .client
            .get(self.url.clone())
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", without_url(&e)))
            .with_context(|| format!("cannot fetch ONCONET_JWKS {source}"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("cannot fetch ONCONET_JWKS {source}: HTTP {status}");
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
        {
            bail!("ONCONET_JWKS {source} is larger than {MAX_DOCUMENT_BYTES} bytes");
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| anyhow::anyhow!("{}", without_url(&e)))
            .with_context(|| format!("cannot read ONCONET_JWKS {source}"))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                bail!("ONCONET_JWKS {source} is larger than {MAX_DOCUMENT_BYTES} bytes");
            }
            body.extend_from_slice(&chunk);
        }
        keys_from_document(&body, &format!("ONCONET_JWKS {source}"))
    }
}

/// A reqwest error without the URL it carries (the caller names the URL, shown safely).
fn without_url(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else if e.is_redirect() {
        "bad redirect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl KeySource for JwksUrl {
    fn fetch(&self) -> BoxFuture<'static, Result<Vec<VerificationKey>, String>> {
        let this = Self {
            url: self.url.clone(),
            client: self.client.clone(),
        };
        Box::pin(async move { this.fetch_keys().await.map_err(|e| format!("{e:#}")) })
    }

    fn describe(&self) -> String {
        shown(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "https://idp.example.nl/jwks.json",
            "http://127.0.0.1:8081/jwks",
            "http://[::1]:9/jwks",
            "http://localhost/jwks",
            "HTTP://LOCALHOST/jwks",
        ] {
            assert!(
                matches!(JwksSource::parse(ok), Ok(JwksSource::Url(_))),
                "{ok}"
            );
        }
        for bad in [
            "http://idp.example.nl/jwks.json",
            "http://10.0.0.1/jwks",
            "http://localhost.evil.example/jwks",
        ] {
            let message = JwksSource::parse(bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(message.contains("https://"), "{bad}: {message}");
        }
        assert_eq!(
            JwksSource::parse("/etc/onconet/jwks.json").ok(),
            Some(JwksSource::File("/etc/onconet/jwks.json".into()))
        );
    }

    /// A JWKS document of `keys` (JSON values).
    fn document(keys: &[serde_json::Value]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap_or_default()
    }

    fn ed25519(kid: &str) -> serde_json::Value {
        // The public half of RFC 8037's example key.
        serde_json::json!({"kty": "OKP", "crv": "Ed25519", "kid": kid,
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
    }

    #[test]
    fn unusable_keys_are_skipped_not_the_set() {
        let keys = keys_from_document(
            &document(&[
                serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}),
                serde_json::json!({"kty": "EC", "crv": "P-384", "kid": "p384",
                    "x": "AAAA", "y": "AAAA"}),
                serde_json::json!({"kty": "OKP", "crv": "X25519", "kid": "x25519",
                    "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}),
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "kid": "wrong-alg",
                    "alg": "RS256", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "kid": "enc", "use": "enc",
                    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
                serde_json::json!({"kty": "ML-DSA", "kid": "future", "pub": "AAAA"}),
                serde_json::json!("not even an object"),
                ed25519("good"),
            ]),
            "test",
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("good"));
        assert_eq!(keys[0].algorithm, Algorithm::EdDSA);
    }

    #[test]
    fn a_set_without_a_usable_key_is_refused_with_the_reasons() {
        let message = keys_from_document(
            &document(&[serde_json::json!({"kty": "oct", "k": "c2VjcmV0"})]),
            "test",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            message.contains("no usable key") && message.contains("key 0"),
            "{message}"
        );
        for bad in [&b"{}"[..], b"[]", b"not json", &document(&[])] {
            assert!(keys_from_document(bad, "test").is_err());
        }
        assert!(keys_from_document(&document(&[ed25519("a"), ed25519("b")]), "t").is_ok());
    }

    #[test]
    fn shown_urls_carry_no_credentials() {
        let url = Url::parse("https://user:secret@idp.example.nl/jwks?key=abc")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shown(&url), "https://idp.example.nl/jwks");
    }
}
