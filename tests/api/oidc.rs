//! The console's OpenID Connect sign-in against a real provider (`oidc-provider`, started by
//! `onconet_test_support::oidc`): the code flow with PKCE end to end, for a confidential and a
//! public client, and every way the callback can be wrong.

use onconet_test_support::oidc::{CLIENT_SECRET, OidcProvider};
use onconet_test_support::{TestApp, spawn_app_with};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;

/// The app configured for `provider`: its keys (`ONCONET_JWKS`), issuer and audience for the
/// API, and the console's client.
async fn app_for(provider: &OidcProvider, client_id: &str, secret: Option<&str>) -> TestApp {
    let (issuer, jwks, client_id) = (
        provider.issuer.clone(),
        provider.jwks_uri.clone(),
        client_id.to_owned(),
    );
    let secret = secret.map(|s| secrecy::SecretString::from(s.to_owned()));
    spawn_app_with(move |s| {
        s.auth.jwks = Some(jwks);
        s.auth.jwt_issuer = issuer.clone();
        s.auth.jwt_audience = "onconet".into();
        s.oidc.oidc_issuer = Some(issuer);
        s.oidc.oidc_client_id = Some(client_id);
        s.oidc.oidc_client_secret = secret;
    })
    .await
}

/// The browser's cookies (both servers are on 127.0.0.1; their cookie names differ).
#[derive(Default, Clone)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let Some((pair, attributes)) = v
                .to_str()
                .ok()
                .map(|v| v.split_once(';').unwrap_or((v, "")))
            else {
                continue;
            };
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let removed = value.is_empty() || attributes.to_ascii_lowercase().contains("max-age=0");
            if removed {
                self.0.remove(name.trim());
            } else {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A browser that does not follow redirects by itself.
struct Browser {
    client: reqwest::Client,
    jar: Jar,
}

impl Browser {
    fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar: Jar::default(),
        }
    }

    async fn get(&mut self, url: &str) -> reqwest::Response {
        let r = self
            .client
            .get(url)
            .header("cookie", self.jar.header())
            .send()
            .await
            .expect("GET");
        self.jar.take(&r);
        r
    }

    async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let r = self
            .client
            .post(url)
            .header("cookie", self.jar.header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.jar.take(&r);
        r
    }
}

fn location(r: &reqwest::Response) -> String {
    assert!(
        r.status().is_redirection(),
        "expected a redirect, got {}",
        r.status()
    );
    r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .expect("url")
        .to_string()
}

/// From the console's "Sign in" to the provider's answer: the provider's login page (as
/// `login`) and its consent page, then the redirect back to `/console/callback`, which is
/// returned (not followed).
async fn through_provider(app: &TestApp, browser: &mut Browser, login: &str, next: &str) -> String {
    let r = browser
        .get(&app.url(&format!("/console/sign-in/oidc?lang=en&next={next}")))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pending = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("onconet_oidc="))
        .expect("the started sign-in is kept in a cookie")
        .to_ascii_lowercase();
    assert!(
        pending.contains("httponly") && pending.contains("path=/console/callback"),
        "{pending}"
    );
    let mut url = location(&r);
    let authorize = url::Url::parse(&url).expect("authorization URL");
    let params: BTreeMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["code_challenge_method"], "S256");
    assert!(
        params.contains_key("state") && params.contains_key("nonce"),
        "{params:?}"
    );
    // The provider's interactions: login, then consent, each a form on its own page.
    for _ in 0..10 {
        if url.starts_with(&app.address) {
            return url;
        }
        let r = browser.get(&url).await;
        if r.status().is_redirection() {
            url = absolute(&url, &location(&r));
            continue;
        }
        let page = r.text().await.expect("page");
        let prompt = if page.contains(r#"name="login""#) {
            "login"
        } else {
            "consent"
        };
        let r = browser
            .post_form(
                &url,
                &[("prompt", prompt), ("login", login), ("password", "any")],
            )
            .await;
        url = absolute(&url, &location(&r));
    }
    panic!("the provider never sent the browser back");
}

async fn me(app: &TestApp, browser: &mut Browser) -> (StatusCode, Value) {
    let r = browser.get(&app.url("/v1/me")).await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn advisers_and_staff_sign_in_through_the_identity_provider() {
    let provider = OidcProvider::start("onconet").expect("provider");
    let app = app_for(&provider, "onconet-console", Some(CLIENT_SECRET)).await;

    // The sign-in page offers the provider; the development form is gone.
    let r = app
        .get("/console/sign-in?lang=en")
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("html");
    assert!(
        page.contains("/console/sign-in/oidc") && page.contains("Sign in"),
        "{page}"
    );
    assert!(!page.contains("Development only"));
    let r = app
        .client
        .post(app.url("/console/sign-in"))
        .form(&[("role", "admin")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let mut browser = Browser::new();
    let callback = through_provider(
        &app,
        &mut browser,
        "ros_adviser@demo-ros",
        "/console/networks/new",
    )
    .await;
    let r = browser.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(location(&r), "/console/networks/new?lang=en");
    assert!(
        !browser.jar.0.contains_key("onconet_oidc"),
        "the started sign-in is cleared"
    );
    let (status, who) = me(&app, &mut browser).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["roles"], serde_json::json!(["ros_adviser"]));
    assert_eq!(who["org"], "demo-ros");
    assert_eq!(who["sub"], "ros_adviser@demo-ros");

    // The session is the provider's access token, checked like any bearer token: it also works
    // as one, and a write with it through the cookie needs the CSRF token.
    let token = browser.jar.0["onconet_session"].clone();
    let r = app
        .get("/v1/me")
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .post(app.url("/v1/networks"))
        .header("cookie", browser.jar.header())
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");

    // Staff, in a browser of their own.
    let mut staff = Browser::new();
    let callback = through_provider(&app, &mut staff, "iknl_staff", "/console/review").await;
    let r = staff.get(&callback).await;
    assert_eq!(location(&r), "/console/review?lang=en");
    assert_eq!(
        me(&app, &mut staff).await.1["roles"],
        serde_json::json!(["iknl_staff"])
    );
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_alone() {
    let provider = OidcProvider::start("onconet").expect("provider");
    let app = app_for(&provider, "onconet-public", None).await;
    let mut browser = Browser::new();
    let callback = through_provider(&app, &mut browser, "admin", "/console/").await;
    let r = browser.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(
        me(&app, &mut browser).await.1["roles"],
        serde_json::json!(["admin"])
    );
}

/// The problem document of a response, checked to be one with `status`.
async fn problem(r: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.expect("problem");
    body["detail"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_wrong_callback_is_refused_with_a_problem_and_no_session() {
    let provider = OidcProvider::start("onconet").expect("provider");
    let app = app_for(&provider, "onconet-console", Some(CLIENT_SECRET)).await;

    // Nothing started in this browser.
    let r = app
        .get("/console/callback?code=abc&state=xyz")
        .send()
        .await
        .expect("callback");
    assert!(
        problem(r, StatusCode::BAD_REQUEST)
            .await
            .contains("no sign-in was started")
    );

    let mut browser = Browser::new();
    let callback = through_provider(&app, &mut browser, "iknl_staff", "/console/").await;
    let good = url::Url::parse(&callback).expect("callback URL");
    let params: BTreeMap<String, String> = good.query_pairs().into_owned().collect();
    let with = |pairs: &[(&str, &str)]| {
        let mut u = good.clone();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };
    let state = params["state"].as_str();
    let code = params["code"].as_str();

    // Another state (a forged answer), another issuer (a mix-up), no code, an error.
    let r = browser
        .get(&with(&[("code", code), ("state", "forged")]))
        .await;
    assert!(
        problem(r, StatusCode::BAD_REQUEST)
            .await
            .contains("`state`")
    );
    let r = browser
        .get(&with(&[
            ("code", code),
            ("state", state),
            ("iss", "https://evil.example"),
        ]))
        .await;
    assert!(
        problem(r, StatusCode::BAD_REQUEST)
            .await
            .contains("another identity provider")
    );
    let r = browser.get(&with(&[("state", state)])).await;
    assert!(
        problem(r, StatusCode::BAD_REQUEST)
            .await
            .contains("no `code`")
    );
    let r = browser
        .get(&with(&[
            ("state", state),
            ("error", "access_denied"),
            ("error_description", "the user said no"),
        ]))
        .await;
    assert!(
        problem(r, StatusCode::UNAUTHORIZED)
            .await
            .contains("access_denied")
    );
    // A code that is not the provider's.
    let r = browser
        .get(&with(&[("code", "made-up"), ("state", state)]))
        .await;
    assert!(
        problem(r, StatusCode::BAD_REQUEST)
            .await
            .contains("sign-in code is invalid")
    );
    assert!(!browser.jar.0.contains_key("onconet_session"));

    // The real answer signs in once; the same code again is refused.
    let pending = browser.jar.clone();
    let r = browser.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut replay = Browser {
        jar: pending,
        ..Browser::new()
    };
    let r = replay.get(&callback).await;
    assert!(
        problem(r, StatusCode::BAD_REQUEST)
            .await
            .contains("used already")
    );
    assert!(!replay.jar.0.contains_key("onconet_session"));
}

#[tokio::test]
async fn tokens_for_another_audience_make_no_session() {
    // The provider issues access tokens for another API: the ID token is fine, but the API's
    // own rules refuse the access token, so no session is made.
    let provider = OidcProvider::start("another-api").expect("provider");
    let app = app_for(&provider, "onconet-console", Some(CLIENT_SECRET)).await;
    let mut browser = Browser::new();
    let callback = through_provider(&app, &mut browser, "iknl_staff", "/console/").await;
    let r = browser.get(&callback).await;
    assert!(
        problem(r, StatusCode::UNAUTHORIZED)
            .await
            .contains("does not give access")
    );
    assert!(!browser.jar.0.contains_key("onconet_session"));
}

#[tokio::test]
async fn without_an_identity_provider_its_routes_do_not_exist() {
    let app = onconet_test_support::spawn_app().await;
    for path in ["/console/sign-in/oidc", "/console/callback?code=a&state=b"] {
        let r = app.get(path).send().await.expect("get");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
