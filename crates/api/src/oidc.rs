//! OpenID Connect sign-in for the console (the relying party), with the `openidconnect` crate:
//! the authorization code flow with PKCE (S256), `state` and `nonce`.
//!
//! 1. [`RelyingParty::start`] makes the provider's authorization URL and a [`Pending`] sign-in,
//!    which the browser keeps in a short-lived HttpOnly cookie (so any instance of the API can
//!    finish it);
//! 2. the provider sends the browser back with a code; [`RelyingParty::finish`] exchanges it
//!    (with the PKCE verifier and, for a confidential client, the client secret), verifies the
//!    ID token (signature from the provider's JWKS, issuer, audience, expiry, nonce, the access
//!    token's hash) and returns the access token.
//!
//! The access token becomes the console's session only if the API's own [`Authenticator`]
//! accepts it (`crate::routes::console`): the same keys, issuer, audience and claims (`roles`,
//! `org`) as any bearer token. The provider must therefore issue JWT access tokens for the
//! API's audience (`ONCONET_JWT_AUDIENCE`).
//!
//! [`Authenticator`]: crate::auth::Authenticator

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::time::Instant;

/// How long the provider's discovery document (and its keys) are kept before fetching again.
const METADATA_TTL: Duration = Duration::from_secs(600);
/// Longest a request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a started sign-in may take before the browser has to start again.
pub const PENDING_SECONDS: i64 = 600;

/// `ONCONET_OIDC_*`: the identity provider and this console's registration with it.
#[derive(Clone)]
pub struct OidcSettings {
    /// The provider's issuer URL (its discovery document is at
    /// `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// For a confidential client; without it the console is a public client (PKCE only).
    pub client_secret: Option<SecretString>,
    /// The registered redirect URL; by default `{scheme}://{host}/console/callback` of the
    /// request that starts the sign-in.
    pub redirect_url: Option<String>,
}

/// A started sign-in, kept by the browser until the provider sends it back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where the provider sends the browser back (the code is bound to it).
    pub redirect: String,
    /// The console page to go to afterwards (already checked to be a console path).
    pub next: String,
    pub lang: String,
}

impl Pending {
    /// The cookie value: base64url JSON.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// `None` for a value this server did not write.
    pub fn decode(value: &str) -> Option<Self> {
        if value.len() > 4096 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(value.trim()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The outcome of a finished sign-in.
pub struct SignedIn {
    /// The access token for the API (to be checked by the API's authenticator).
    pub access_token: String,
    /// Its lifetime, if the provider said.
    pub expires_in: Option<Duration>,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The console as an OpenID Connect client of one provider.
pub struct RelyingParty {
    settings: OidcSettings,
    issuer: IssuerUrl,
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

fn provider_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %e, "OpenID Connect: {what}");
    ApiError::BadGateway(format!(
        "the identity provider could not complete the sign-in ({what}); try again later"
    ))
}

impl RelyingParty {
    pub fn new(settings: OidcSettings) -> Result<Self, String> {
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| format!("ONCONET_OIDC_ISSUER is not a URL: {e}"))?;
        if let Some(redirect) = &settings.redirect_url {
            RedirectUrl::new(redirect.clone())
                .map_err(|e| format!("ONCONET_OIDC_REDIRECT_URL is not a URL: {e}"))?;
        }
        let http = reqwest::Client::builder()
            // Following redirects would let the provider's answers send us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client for the identity provider: {e}"))?;
        Ok(Self {
            settings,
            issuer,
            http,
            metadata: tokio::sync::Mutex::new(None),
        })
    }

    /// The provider's issuer URL, for the sign-in page.
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The configured redirect URL, or `default` (made from the request).
    pub fn redirect_url(&self, default: String) -> String {
        self.settings.redirect_url.clone().unwrap_or(default)
    }

    /// The provider's metadata and keys, fetched by discovery and kept for [`METADATA_TTL`].
    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata, ApiError> {
        let mut cached = self.metadata.lock().await;
        if !fresh
            && let Some((metadata, at)) = cached.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| provider_error("discovery failed", e))?;
        *cached = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    async fn client(&self, redirect: &str, fresh: bool) -> Result<Client, ApiError> {
        let redirect = RedirectUrl::new(redirect.to_owned())
            .map_err(|e| ApiError::internal(format!("bad redirect URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata(fresh).await?,
            ClientId::new(self.settings.client_id.clone()),
            self.settings
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose_secret().to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new sign-in, and what the browser must keep.
    pub async fn start(
        &self,
        redirect: String,
        next: String,
        lang: String,
    ) -> Result<(url::Url, Pending), ApiError> {
        let client = self.client(&redirect, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .add_extra_param("ui_locales", lang.clone())
            .url();
        Ok((
            url,
            Pending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                redirect,
                next,
                lang,
            },
        ))
    }

    /// Exchanges the code the provider sent back and verifies the ID token.
    pub async fn finish(&self, pending: &Pending, code: String) -> Result<SignedIn, ApiError> {
        let client = self.client(&pending.redirect, false).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| provider_error("no token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r)
                    if matches!(
                        r.error(),
                        openidconnect::core::CoreErrorResponseType::InvalidGrant
                    ) =>
                {
                    ApiError::BadRequest {
                        detail:
                            "the sign-in code is invalid, expired or used already: sign in again"
                                .into(),
                        errors: vec![],
                    }
                }
                other => provider_error("the code exchange failed", other),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| provider_error("no ID token", "the token response has none"))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            // The provider may have rotated its keys since discovery: fetch them once more.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let client = self.client(&pending.redirect, true).await?;
                id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|e| provider_error("the ID token is invalid", e))?
                    .clone()
            }
            Err(e) => return Err(provider_error("the ID token is invalid", e)),
        };
        if let Some(expected) = claims.access_token_hash() {
            let verifier = client.id_token_verifier();
            let actual = AccessTokenHash::from_token(
                response.access_token(),
                id_token
                    .signing_alg()
                    .map_err(|e| provider_error("the ID token is invalid", e))?,
                id_token
                    .signing_key(&verifier)
                    .map_err(|e| provider_error("the ID token is invalid", e))?,
            )
            .map_err(|e| provider_error("the access token's hash cannot be checked", e))?;
            if actual != *expected {
                return Err(provider_error(
                    "the access token does not match the ID token",
                    "at_hash differs",
                ));
            }
        }
        Ok(SignedIn {
            access_token: response.access_token().secret().clone(),
            expires_in: response.expires_in(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_sign_in_survives_its_cookie_and_nothing_else_passes() {
        let pending = Pending {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "v".repeat(43),
            redirect: "http://127.0.0.1:8080/console/callback".into(),
            next: "/console/networks/new".into(),
            lang: "en".into(),
        };
        assert_eq!(Pending::decode(&pending.encode()), Some(pending));
        for bad in ["", "not base64!", "e30", &"A".repeat(5000)] {
            assert_eq!(Pending::decode(bad), None, "{bad}");
        }
    }
}
