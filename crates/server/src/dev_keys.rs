//! Development tokens: an Ed25519 key kept in the data dir (created on first use, readable by
//! its owner only). The server accepts tokens signed with it only while no identity-provider
//! keys are configured.

use anyhow::{Context, Result};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use onconet_api::VerificationKey;
use onconet_domain::Role;
use serde::Serialize;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const DEV_KID: &str = "onconet-dev";

/// Where the development key lives in `data_dir`.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("dev-jwt-ed25519.pem")
}

/// Loads the development key, creating it (mode 0600) on first use.
pub fn load_or_create(data_dir: &Path) -> Result<SigningKey> {
    let path = key_path(data_dir);
    if let Ok(pem) = fs::read_to_string(&path) {
        return SigningKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("{} is not an Ed25519 key", path.display()));
    }
    fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .context("cannot encode the key")?;
    let tmp = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(pem.as_bytes())?;
    file.sync_all()?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600))?;
    // Two processes creating the key at once: the first rename wins and both read it back.
    if fs::hard_link(&tmp, &path).is_err() && !path.exists() {
        fs::rename(&tmp, &path)?;
    }
    let _ = fs::remove_file(&tmp);
    let pem = fs::read_to_string(&path)?;
    SigningKey::from_pkcs8_pem(&pem).context("cannot read the development key back")
}

/// The verification key for tokens signed with `key`.
pub fn verification_key(key: &SigningKey) -> Result<VerificationKey> {
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .context("cannot encode the public key")?;
    Ok(VerificationKey {
        kid: Some(DEV_KID.into()),
        algorithm: Algorithm::EdDSA,
        key: DecodingKey::from_ed_pem(public.as_bytes())?,
    })
}

#[derive(Debug, Serialize)]
struct Claims<'a> {
    sub: &'a str,
    name: &'a str,
    roles: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<&'a str>,
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// What a development token says.
pub struct TokenRequest<'a> {
    pub roles: &'a [Role],
    pub org: Option<&'a str>,
    pub sub: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub audience: &'a str,
    pub ttl_seconds: u64,
}

/// Signs a development token.
pub fn mint(key: &SigningKey, req: &TokenRequest<'_>) -> Result<String> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: req.sub,
        name: req.name,
        roles: req.roles.iter().map(|r| r.as_str()).collect(),
        org: req.org,
        iss: req.issuer,
        aud: req.audience,
        iat: now,
        nbf: now.saturating_sub(1),
        exp: now + req.ttl_seconds,
    };
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .context("cannot encode the key")?;
    let encoding = EncodingKey::from_ed_pem(pem.as_bytes())?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(DEV_KID.into());
    Ok(jsonwebtoken::encode(&header, &claims, &encoding)?)
}
