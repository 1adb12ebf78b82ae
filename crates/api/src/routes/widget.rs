//! The embeddable "find a network" widget: the `<onconet-finder>` web component and its demo
//! page. Both are compiled into the binary, so the server needs no files at run time.

use crate::extract::if_none_match;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get};

/// The web component, dependency-free.
pub const SCRIPT: &str = include_str!("../../assets/widget/onconet-finder.js");
/// The demo page; [`SCRIPT_URL_PLACEHOLDER`] is replaced by the script's absolute URL.
const DEMO: &str = include_str!("../../assets/widget/demo.html");
const SCRIPT_URL_PLACEHOLDER: &str = "{{SCRIPT_URL}}";

/// 64-bit FNV-1a: stable across builds and processes, so every instance behind a load
/// balancer sends the same ETag for the same script.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The hash of the script, computed once, at compile time.
const SCRIPT_HASH: u64 = fnv1a(SCRIPT.as_bytes());

/// The strong ETag of the script.
pub fn script_etag() -> String {
    format!("\"{SCRIPT_HASH:016x}\"")
}

/// The embeddable web component `<onconet-finder>`: one `<script>` tag and one element put
/// "find a network" on any site. Attributes: `api`, `discipline`, `type`, `tumour-type`,
/// `lang` (`nl` or `en`), `limit`. See `/widget/demo`.
#[utoipa::path(
    tag = "widget",
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of a cached copy")),
    responses(
        (status = 200, description = "The script", content_type = "text/javascript", body = String,
            headers(("ETag" = String, description = "Hash of the script"),
                    ("Cache-Control" = String, description = "`public, max-age=3600`"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/widget/onconet-finder.js")]
pub async fn widget_script(req: HttpRequest) -> HttpResponse {
    let etag = script_etag();
    let fresh = if_none_match(&req, &etag);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return response.finish();
    }
    response
        .content_type("text/javascript; charset=utf-8")
        .body(SCRIPT)
}

/// The origin this server was reached at, when it looks like one (it comes from the `Host`
/// or `Forwarded` headers, so it is checked before it goes into HTML).
fn public_origin(req: &HttpRequest) -> Option<String> {
    let info = req.connection_info();
    let scheme = info.scheme();
    let host = info.host();
    let host_ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    (matches!(scheme, "http" | "https") && host_ok).then(|| format!("{scheme}://{host}"))
}

/// A page that shows the widget working, with the snippet to copy onto another site.
#[utoipa::path(
    tag = "widget",
    responses((status = 200, description = "The demo page", content_type = "text/html", body = String))
)]
#[get("/widget/demo")]
pub async fn widget_demo(req: HttpRequest) -> HttpResponse {
    let script_url = public_origin(&req).map_or_else(
        || "https://onconet.example/widget/onconet-finder.js".to_owned(),
        |origin| format!("{origin}/widget/onconet-finder.js"),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; base-uri 'none'; form-action 'self'",
        ))
        .body(DEMO.replace(SCRIPT_URL_PLACEHOLDER, &script_url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::dev::ServiceResponse;
    use actix_web::{App, test as web_test};

    fn header_of(res: &ServiceResponse, name: header::HeaderName) -> String {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn etag_is_a_stable_hash() {
        // FNV-1a test vectors.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(script_etag().len(), 18);
        assert_eq!(script_etag(), script_etag());
    }

    #[actix_web::test]
    async fn script_is_served_with_etag_and_304() {
        let app = web_test::init_service(App::new().service(widget_script)).await;
        let res = web_test::call_service(
            &app,
            web_test::TestRequest::get()
                .uri("/widget/onconet-finder.js")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            header_of(&res, header::CONTENT_TYPE),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            header_of(&res, header::CACHE_CONTROL),
            "public, max-age=3600"
        );
        let etag = header_of(&res, header::ETAG);
        assert_eq!(etag, script_etag());
        let body = web_test::read_body(res).await;
        assert_eq!(body, SCRIPT.as_bytes());

        let res = web_test::call_service(
            &app,
            web_test::TestRequest::get()
                .uri("/widget/onconet-finder.js")
                .insert_header((header::IF_NONE_MATCH, format!("\"other\", {etag}")))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 304);
        assert_eq!(header_of(&res, header::ETAG), etag);
        assert!(web_test::read_body(res).await.is_empty());

        let res = web_test::call_service(
            &app,
            web_test::TestRequest::get()
                .uri("/widget/onconet-finder.js")
                .insert_header((header::IF_NONE_MATCH, "\"stale\""))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
    }

    #[actix_web::test]
    async fn demo_shows_the_script_url_of_this_server() {
        let app = web_test::init_service(App::new().service(widget_demo)).await;
        let res = web_test::call_service(
            &app,
            web_test::TestRequest::get()
                .uri("/widget/demo")
                .insert_header((header::HOST, "registry.example.nl:8443"))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            header_of(&res, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );
        let body = String::from_utf8(web_test::read_body(res).await.to_vec()).unwrap_or_default();
        assert!(body.contains("http://registry.example.nl:8443/widget/onconet-finder.js"));
        assert!(!body.contains(SCRIPT_URL_PLACEHOLDER));

        // A Host header that could break out of the HTML is not echoed.
        let res = web_test::call_service(
            &app,
            web_test::TestRequest::get()
                .uri("/widget/demo")
                .insert_header((header::HOST, "x\"><script>alert(1)</script>"))
                .to_request(),
        )
        .await;
        let body = String::from_utf8(web_test::read_body(res).await.to_vec()).unwrap_or_default();
        assert!(!body.contains("alert(1)"));
        assert!(body.contains("https://onconet.example/widget/onconet-finder.js"));
    }
}
