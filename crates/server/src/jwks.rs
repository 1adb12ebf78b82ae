//! Identity-provider keys from a JWKS document, each pinned to one algorithm.

use anyhow::{Context, Result, bail};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use onconet_api::VerificationKey;
use std::str::FromStr;

/// Reads a JWKS file. Only asymmetric keys (RS256, ES256, EdDSA) are accepted; a key without
/// `alg` is pinned to the one algorithm its type allows.
pub fn load(source: &str) -> Result<Vec<VerificationKey>> {
    if source.starts_with("http://") || source.starts_with("https://") {
        bail!(
            "ONCONET_JWKS as a URL is not supported yet; download the JWKS document and give its path"
        );
    }
    let text = std::fs::read_to_string(source)
        .with_context(|| format!("cannot read ONCONET_JWKS file {source}"))?;
    let set: JwkSet =
        serde_json::from_str(&text).with_context(|| format!("{source} is not a JWKS document"))?;
    let mut keys = Vec::new();
    for (i, jwk) in set.keys.iter().enumerate() {
        let inferred = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
            _ => bail!("key {i} of {source}: only RSA, P-256 and Ed25519 keys are supported"),
        };
        let algorithm = match jwk.common.key_algorithm {
            Some(a) => Algorithm::from_str(&format!("{a:?}"))
                .with_context(|| format!("key {i}: unsupported alg {a:?}"))?,
            None => inferred,
        };
        if !matches!(
            algorithm,
            Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA
        ) || algorithm != inferred
        {
            bail!("key {i} of {source}: algorithm {algorithm:?} is not allowed for this key type");
        }
        keys.push(VerificationKey {
            kid: jwk.common.key_id.clone(),
            algorithm,
            key: DecodingKey::from_jwk(jwk)
                .with_context(|| format!("key {i} of {source} is unusable"))?,
        });
    }
    if keys.is_empty() {
        bail!("{source} holds no keys");
    }
    Ok(keys)
}
