//! The console's server side: its pages, the development sign-in, and the session cookie as a
//! way to call the API (HttpOnly, SameSite=Lax, CSRF token on every write), refused in
//! production (ONCONET_JWKS set).

use onconet_test_support::{TestApp, fixtures, spawn_app, spawn_app_with, workspace_dir};
use reqwest::StatusCode;
use serde_json::Value;

/// Signs in on the development form; returns the `Set-Cookie` headers and the cookie pair to
/// send back (`onconet_session=…; onconet_csrf=…`) with the CSRF value.
async fn sign_in(app: &TestApp, form: &[(&str, &str)]) -> (Vec<String>, String, String) {
    let r = app
        .client
        .post(app.url("/console/sign-in"))
        .form(form)
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let set: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let value = |name: &str| {
        set.iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .and_then(|rest| rest.split(';').next())
            .expect("cookie")
            .to_owned()
    };
    let csrf = value("onconet_csrf");
    let cookie = format!(
        "onconet_session={}; onconet_csrf={csrf}",
        value("onconet_session")
    );
    (set, cookie, csrf)
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_are_served_dutch_first() {
    let app = spawn_app().await;
    let page = app.get("/console/").send().await.expect("console");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("<html lang=\"nl\" ")
    );
    // The rest of a page's query is its script's (a list's filters): still the page.
    let filtered = app
        .get("/console/?lang=en&type=oncology_care_network&state=draft&q=&sort=name")
        .send()
        .await
        .expect("console");
    assert_eq!(filtered.status(), 200);
    assert!(
        filtered
            .text()
            .await
            .expect("html")
            .contains("<html lang=\"en\" ")
    );
    let moved = app.get("/console").send().await.expect("console");
    assert_eq!(moved.status(), StatusCode::PERMANENT_REDIRECT);
    for (lang, words) in [
        (
            "nl",
            ["Alleen voor ontwikkeling", "Rol", "Organisatie", "Inloggen"],
        ),
        (
            "en",
            ["Development only", "Role", "Organisation", "Sign in"],
        ),
    ] {
        let html = app
            .get(&format!("/console/sign-in?lang={lang}"))
            .send()
            .await
            .expect("sign-in")
            .text()
            .await
            .expect("html");
        for w in words {
            assert!(html.contains(w), "{lang}: {w}");
        }
    }
    // The files the page loads, with their types and an ETag that revalidates to 304.
    for (asset, kind) in [
        (
            "/console/static/js/main.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/console/static/js/form.js",
            "text/javascript; charset=utf-8",
        ),
        ("/console/static/console.css", "text/css; charset=utf-8"),
    ] {
        let r = app.get(asset).send().await.expect("asset");
        assert_eq!(r.status(), 200, "{asset}");
        assert_eq!(r.headers()["content-type"], kind, "{asset}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let tag = r.headers()["etag"].to_str().expect("etag").to_owned();
        let again = app
            .get(asset)
            .header("if-none-match", &tag)
            .send()
            .await
            .expect("asset");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{asset}");
    }
    // The map library from npm, with its licences; nothing else of node_modules.
    for (asset, kind) in [
        (
            "/console/vendor/leaflet/dist/leaflet.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/console/vendor/leaflet/dist/leaflet.css",
            "text/css; charset=utf-8",
        ),
        (
            "/console/vendor/leaflet/dist/images/layers.png",
            "image/png",
        ),
        (
            "/console/vendor/leaflet/LICENSE",
            "text/plain; charset=utf-8",
        ),
        (
            "/console/vendor/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/console/vendor/@geoman-io/leaflet-geoman-free/LICENSE",
            "text/plain; charset=utf-8",
        ),
    ] {
        let r = app.get(asset).send().await.expect("asset");
        assert_eq!(r.status(), 200, "{asset}");
        assert_eq!(r.headers()["content-type"], kind, "{asset}");
    }
    for missing in [
        "/console/vendor/leaflet/package.json",
        "/console/vendor/leaflet/src/Leaflet.js",
        "/console/vendor/lodash/lodash.js",
    ] {
        let r = app.get(missing).send().await.expect("asset");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    // Pages are served only from their routes, never as files; unknown files and pages are 404.
    for missing in [
        "/console/static/index.html",
        "/console/static/js/nope.js",
        "/console/static/../Cargo.toml",
    ] {
        let r = app.get(missing).send().await.expect("asset");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    // Every view is the one page; a path that is no view is that page with a 404.
    for (path, status) in [
        ("/console/networks", StatusCode::OK),
        ("/console/review", StatusCode::OK),
        ("/console/networks/new", StatusCode::OK),
        (
            "/console/networks/0190a000-0000-7000-8000-000000000000",
            StatusCode::OK,
        ),
        (
            "/console/networks/0190a000-0000-7000-8000-000000000000/history",
            StatusCode::OK,
        ),
        ("/console/networks/edit", StatusCode::NOT_FOUND),
        ("/console/networks/new/history", StatusCode::NOT_FOUND),
        ("/console/nothing-here", StatusCode::NOT_FOUND),
    ] {
        let r = app.get(path).send().await.expect("page");
        assert_eq!(r.status(), status, "{path}");
        assert!(
            r.text()
                .await
                .expect("html")
                .contains("/console/static/js/main.js"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_development_session_calls_the_api_with_a_csrf_token_for_writes() {
    let app = spawn_app().await;
    let (set, cookie, csrf) = sign_in(
        &app,
        &[
            ("role", "ros_adviser"),
            ("org", "ROS-Noord"),
            ("lang", "en"),
        ],
    )
    .await;
    let session = set
        .iter()
        .find(|c| c.starts_with("onconet_session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(
        !session.contains("Secure"),
        "plain http on loopback: {session}"
    );
    let csrf_cookie = set
        .iter()
        .find(|c| c.starts_with("onconet_csrf="))
        .expect("csrf cookie");
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "the script reads it: {csrf_cookie}"
    );

    let me: Value = app
        .get("/v1/me")
        .header("cookie", &cookie)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["roles"], serde_json::json!(["ros_adviser"]), "{me}");
    assert_eq!(me["org"], "ros-noord", "lowercased like a token's claim");

    let body = fixtures::minimal_network("Via de console");
    let create = |csrf: Option<&str>| {
        let mut r = app
            .client
            .post(app.url("/v1/networks"))
            .header("cookie", &cookie)
            .json(&body);
        if let Some(t) = csrf {
            r = r.header("x-csrf-token", t);
        }
        r.send()
    };
    for bad in [None, Some("not-the-token"), Some("")] {
        let r = create(bad).await.expect("create");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{bad:?}");
        let problem: Value = r.json().await.expect("problem");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("X-CSRF-Token")),
            "{problem}"
        );
    }
    let created = create(Some(&csrf)).await.expect("create");
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["ros_org"], "ros-noord", "{created}");
    // Reads need no CSRF token: the adviser lists their own drafts.
    let mine: Value = app
        .get("/v1/networks?state=draft")
        .header("cookie", &cookie)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(mine["page"]["total_items"], 1, "{mine}");

    // Signed out: both cookies are cleared.
    let out = app
        .client
        .post(app.url("/console/sign-out"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared: Vec<&str> = out
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(cleared.len(), 2, "{cleared:?}");
    assert!(
        cleared.iter().all(|c| c.contains("Max-Age=0")),
        "{cleared:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_session_is_no_caller_on_public_routes_and_a_401_elsewhere() {
    let app = spawn_app().await;
    let cookie = "onconet_session=not.a.token; onconet_csrf=x";
    let public = app
        .get("/v1/networks")
        .header("cookie", cookie)
        .send()
        .await
        .expect("list");
    assert_eq!(
        public.status(),
        200,
        "a public page of this origin keeps working"
    );
    let me = app
        .get("/v1/me")
        .header("cookie", cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let problem: Value = me.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("sign in again")),
        "{problem}"
    );
    assert_eq!(
        app.get("/v1/me").send().await.expect("me").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_sign_in_forms_are_refused_by_field() {
    let app = spawn_app().await;
    for (form, pointer) in [
        (vec![("role", "astronaut")], "/role"),
        (vec![("role", "ros_adviser")], "/org"),
        (vec![("role", "ros_adviser"), ("org", "a b")], "/org"),
        (vec![("role", "admin"), ("colour", "red")], "/colour"),
        (vec![("role", "admin"), ("role", "admin")], "/role"),
    ] {
        let r = app
            .client
            .post(app.url("/console/sign-in"))
            .form(&form)
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        let problem: Value = r.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
    }
    let json = app
        .client
        .post(app.url("/console/sign-in"))
        .json(&serde_json::json!({"role": "admin"}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_development_sign_in_in_production() {
    let jwks = workspace_dir().join("tests/fixtures/jwt/jwks.json");
    let app = spawn_app_with(|s| {
        s.auth.jwks = Some(jwks.to_string_lossy().into_owned());
    })
    .await;
    assert_eq!(
        app.get("/console/sign-in")
            .send()
            .await
            .expect("page")
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = app
        .client
        .post(app.url("/console/sign-in"))
        .form(&[("role", "admin")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().get("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_returns_to_the_console_page_it_came_from_and_nowhere_else() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (next, expected) in [
        ("/console/networks/new", "/console/networks/new?lang=en"),
        ("https://evil.example/", "/console/?lang=en"),
        ("//evil.example/console/", "/console/?lang=en"),
        ("/docs", "/console/?lang=en"),
    ] {
        let r = client
            .post(app.url("/console/sign-in"))
            .form(&[("role", "iknl_staff"), ("lang", "en"), ("next", next)])
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(r.headers()["location"], expected, "{next}");
    }
    // The sign-in page carries it in its form, and only a console path.
    let page = app
        .get("/console/sign-in?lang=en&next=/console/networks/new")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(r#"name="next" value="/console/networks/new""#),
        "{page}"
    );
    let page = app
        .get("/console/sign-in?next=https://evil.example/")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!page.contains("evil.example"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tile_server_is_offered_to_the_maps_and_allowed_by_the_csp_only_when_configured() {
    let plain = spawn_app().await;
    let page = plain.get("/console/").send().await.expect("page");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    assert!(
        page.text()
            .await
            .expect("html")
            .contains(r#"data-tiles="""#)
    );

    let tiled = spawn_app_with(|s| {
        s.console_tile_url = Some("https://tiles.example.nl/{z}/{x}/{y}.png".into());
        s.console_tile_attribution = "© Kaart & Co".into();
    })
    .await;
    let page = tiled
        .get("/console/networks/new")
        .send()
        .await
        .expect("page");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: https://tiles.example.nl;"),
        "{csp}"
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains(r#"data-tiles="https://tiles.example.nl/{z}/{x}/{y}.png""#),
        "{html}"
    );
    assert!(html.contains(r#"data-tiles-attribution="© Kaart &amp; Co""#));
}
