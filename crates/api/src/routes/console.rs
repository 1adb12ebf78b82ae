//! `/console/`: the people's side of the registry, for ROS advisers and IKNL staff. The pages
//! and their script are compiled into the binary; the script is a client of the public API,
//! signed in by a session cookie that carries the user's token (HttpOnly, SameSite=Lax, Secure
//! behind https) and a CSRF cookie whose value every write echoes in `X-CSRF-Token`
//! (`crate::auth`). This module serves the pages and the sign-in: OpenID Connect when an
//! identity provider is configured (`crate::oidc`), the development page while `ONCONET_JWKS`
//! is unset.

use crate::auth::{CSRF_COOKIE, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult, InvalidParam, Problem};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use onconet_domain::{OrgCode, Role};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

const INDEX: &str = include_str!("../../assets/console/index.html");
/// The sign-in page; its `{{BODY}}` is one of the two forms below.
const SIGN_IN: &str = include_str!("../../assets/console/sign-in.html");
const SIGN_IN_DEV: &str = include_str!("../../assets/console/sign-in-dev.html");
const SIGN_IN_OIDC: &str = include_str!("../../assets/console/sign-in-oidc.html");

/// The cookie that holds a started OpenID Connect sign-in ([`crate::oidc::Pending`]) until the
/// provider sends the browser back: HttpOnly, for the callback's path only, ten minutes.
pub const PENDING_COOKIE: &str = "onconet_oidc";

/// The console's own scripts and style sheets, compiled into the binary (`debug-embed`: the
/// debug build too, so tests run what ships). Pages are served by their routes, not here.
#[derive(rust_embed::RustEmbed)]
#[folder = "assets/console/"]
#[exclude = "*.html"]
struct Assets;

/// The map and chart libraries, from npm at the versions in `vendor/package-lock.json`
/// (installed by `build.rs`): their dist files, images and licences only.
#[derive(rust_embed::RustEmbed)]
#[folder = "vendor/node_modules/"]
#[include = "leaflet/dist/leaflet.js"]
#[include = "leaflet/dist/leaflet.css"]
#[include = "leaflet/dist/images/*.png"]
#[include = "leaflet/LICENSE"]
#[include = "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js"]
#[include = "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css"]
#[include = "@geoman-io/leaflet-geoman-free/LICENSE"]
#[include = "uplot/dist/uPlot.iife.min.js"]
#[include = "uplot/dist/uPlot.min.css"]
#[include = "uplot/LICENSE"]
struct Vendor;

/// How long a console session lasts at most (a development session always lasts this long;
/// an OpenID Connect session as long as its access token, within this).
pub const MAX_SESSION_SECONDS: u64 = 8 * 3600;

/// What a development sign-in asks the token minter for.
pub struct DevToken<'a> {
    pub role: Role,
    pub org: Option<&'a str>,
    pub sub: &'a str,
    pub name: &'a str,
    pub ttl_seconds: u64,
}

/// Mints a development token (the binary's dev key); present only while `ONCONET_JWKS` is
/// unset, so the development sign-in exists only then.
pub type DevMinter = Arc<dyn Fn(&DevToken<'_>) -> Result<String, String> + Send + Sync>;

/// The console's settings.
#[derive(Clone, Default)]
pub struct Console {
    pub dev_minter: Option<DevMinter>,
    /// OpenID Connect sign-in (`ONCONET_OIDC_ISSUER`, `ONCONET_OIDC_CLIENT_ID`).
    pub oidc: Option<Arc<crate::oidc::RelyingParty>>,
    /// A tile server for the maps' background (none by default: the console then asks no
    /// other origin for anything, and the maps show the API's own region outlines).
    pub tiles: Option<Tiles>,
}

/// A raster tile server: `https://tiles.example.nl/{z}/{x}/{y}.png` and its attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tiles {
    pub url: String,
    pub attribution: String,
    /// `scheme://host[:port]` of `url`, allowed as an image source by the pages' CSP.
    origin: String,
}

impl Tiles {
    /// Checks a tile URL template: http(s), with `{z}`, `{x}` and `{y}`.
    pub fn parse(url: &str, attribution: &str) -> Result<Self, String> {
        if !["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
            return Err(format!("the tile URL `{url}` needs {{z}}, {{x}} and {{y}}"));
        }
        let sample = url
            .replace("{z}", "1")
            .replace("{x}", "1")
            .replace("{y}", "1")
            .replace("{s}", "a")
            .replace("{r}", "");
        let parsed = url::Url::parse(&sample)
            .map_err(|e| format!("the tile URL `{url}` is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(format!("the tile URL `{url}` must be http(s) with a host"));
        }
        if url.contains(['"', '<', '>', '\'', ' ']) || attribution.contains(['<', '>']) {
            return Err(
                "the tile URL or attribution holds characters that do not belong there".into(),
            );
        }
        Ok(Self {
            url: url.to_owned(),
            attribution: attribution.to_owned(),
            origin: parsed.origin().ascii_serialization(),
        })
    }
}

/// `text` safe inside a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The console's language: Dutch unless `lang=en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Nl,
    En,
}

impl Lang {
    fn of(value: Option<&str>) -> Self {
        match value {
            Some("en") => Lang::En,
            _ => Lang::Nl,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// Dutch or English.
    fn pick(self, nl: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Nl => nl,
            Lang::En => en,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `en` for English; anything else (or nothing) gives Dutch, the console's default, so a
    /// mistyped link still opens a page. Other parameters are the page script's (a list's
    /// filters) and do not change what the server sends.
    #[param(example = "en")]
    pub lang: Option<String>,
}

impl crate::extract::ListParams for PageQuery {}

/// The `lang` of a console page's address. The page's script keeps its own state in the rest
/// of the query (a list's filters), so other parameters are the script's and ignored here.
fn page_lang(req: &HttpRequest) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned())
}

/// The sign-in page's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignInQuery {
    /// `en` for English; anything else (or nothing) gives Dutch.
    #[param(example = "en")]
    pub lang: Option<String>,
    /// The console page to return to after signing in (a path below `/console/`; anything
    /// else is ignored, so the page cannot send anyone elsewhere).
    #[param(example = "/console/networks/new")]
    pub next: Option<String>,
}

impl crate::extract::ListParams for SignInQuery {}

/// `next` if it is a console page (letters, digits, `/`, `-`, `_` below `/console/`): where
/// sign-in may send the browser afterwards. Anything else could send it to another site.
fn console_path(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with("/console/")
            && !n.contains("//")
            && n.len() <= 200
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'))
    })
}

/// The headers of every console page: no framing, no sniffing, scripts and styles from this
/// origin only (no inline script), nothing cached that holds personal data.
fn page(html: String, tiles: Option<&Tiles>) -> HttpResponse {
    let images = tiles.map_or(String::new(), |t| format!(" {}", t.origin));
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!("default-src 'self'; img-src 'self' data:{images}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// `/console` without its slash.
#[utoipa::path(tag = "console", responses((status = 308, description = "To `/console/`")))]
#[get("/console")]
pub async fn console_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

/// The console: "My networks" for ROS advisers, every network for IKNL staff. Signed-out
/// visitors are sent to the sign-in page by the script.
#[utoipa::path(
    tag = "console",
    params(PageQuery),
    responses(
        (status = 200, description = "The console page", content_type = "text/html", body = String),
    )
)]
#[get("/console/")]
pub async fn console_index(req: HttpRequest, console: web::Data<Console>) -> HttpResponse {
    spa(
        actix_web::http::StatusCode::OK,
        page_lang(&req).as_deref(),
        &console,
    )
}

/// A file of the console: its ES modules (`js/…`) and style sheet, with an ETag (the file's
/// SHA-256) for revalidation.
#[utoipa::path(
    tag = "console",
    params(("file" = String, Path, description = "The file's path, e.g. `js/main.js`, `console.css`")),
    responses(
        (status = 200, description = "The file", content_type = "text/javascript", body = String),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/console/static/{file:.*}")]
pub async fn console_asset(req: HttpRequest, file: web::Path<String>) -> ApiResult<HttpResponse> {
    embedded(&req, &file, Assets::get(&file))
}

/// A file of the console's map and chart libraries (Leaflet 1.9.4, Geoman 2.20.2 and uPlot
/// 1.6.32, MIT-licensed; their licences are served beside them), with an ETag.
#[utoipa::path(
    tag = "console",
    params(("file" = String, Path, description = "e.g. `leaflet/dist/leaflet.js`, `leaflet/LICENSE`")),
    responses(
        (status = 200, description = "The file", content_type = "text/javascript", body = String),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/console/vendor/{file:.*}")]
pub async fn console_vendor(req: HttpRequest, file: web::Path<String>) -> ApiResult<HttpResponse> {
    embedded(&req, &file, Vendor::get(&file))
}

fn embedded(
    req: &HttpRequest,
    file: &str,
    asset: Option<rust_embed::EmbeddedFile>,
) -> ApiResult<HttpResponse> {
    let Some(asset) = asset else {
        return Err(ApiError::NotFound(format!(
            "the console has no file `{}`",
            crate::error::abbreviated(file, 100)
        )));
    };
    let tag = format!("\"{}\"", hex(&asset.metadata.sha256_hash()[..16]));
    if crate::extract::if_none_match(req, &tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    let kind = match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ if file.ends_with("LICENSE") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.data.into_owned()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A page of the console, rendered by its script: the console's pages share one document.
fn spa(status: actix_web::http::StatusCode, lang: Option<&str>, console: &Console) -> HttpResponse {
    let lang = Lang::of(lang);
    let tiles = console.tiles.as_ref();
    let html = INDEX
        .replace("{{LANG}}", lang.code())
        .replace(
            "{{TILES}}",
            &attribute(tiles.map_or("", |t| t.url.as_str())),
        )
        .replace(
            "{{TILES_ATTRIBUTION}}",
            &attribute(tiles.map_or("", |t| t.attribution.as_str())),
        );
    let mut response = page(html, tiles);
    *response.status_mut() = status;
    response
}

/// The sections of the console below `/console/`.
const SECTIONS: [&str; 3] = ["networks", "review", "coverage"];

/// A section of the console: `networks` (the networks you may edit, in every state),
/// `review` (IKNL staff: the review queue) or `coverage` (IKNL staff: the coverage
/// dashboard). Another
/// name gives the page with a 404, and the page says it does not exist.
#[utoipa::path(
    tag = "console",
    params(("section" = String, Path, description = "`networks`, `review` or `coverage`"), PageQuery),
    responses(
        (status = 200, description = "The console page", content_type = "text/html", body = String),
        (status = 404, description = "No such page (the console says so)", content_type = "text/html", body = String),
    )
)]
#[get("/console/{section}")]
pub async fn console_section(
    req: HttpRequest,
    section: web::Path<String>,
    console: web::Data<Console>,
) -> HttpResponse {
    spa(
        found(SECTIONS.contains(&section.as_str())),
        page_lang(&req).as_deref(),
        &console,
    )
}

/// A network in the console: `new` for the form of a new network, a network id for its form
/// (whether you may see or edit it, the page tells after asking the API).
#[utoipa::path(
    tag = "console",
    params(("id" = String, Path, description = "`new` or a network id (UUID)"), PageQuery),
    responses(
        (status = 200, description = "The console page", content_type = "text/html", body = String),
        (status = 404, description = "Neither `new` nor a UUID (the console says so)", content_type = "text/html", body = String),
    )
)]
#[get("/console/networks/{id}")]
pub async fn console_network(
    req: HttpRequest,
    id: web::Path<String>,
    console: web::Data<Console>,
) -> HttpResponse {
    spa(
        network_page_status(&id),
        page_lang(&req).as_deref(),
        &console,
    )
}

/// The history of a network in the console, field by field.
#[utoipa::path(
    tag = "console",
    params(("id" = String, Path, description = "A network id (UUID)"), PageQuery),
    responses(
        (status = 200, description = "The console page", content_type = "text/html", body = String),
        (status = 404, description = "Not a UUID (the console says so)", content_type = "text/html", body = String),
    )
)]
#[get("/console/networks/{id}/history")]
pub async fn console_history(
    req: HttpRequest,
    id: web::Path<String>,
    console: web::Data<Console>,
) -> HttpResponse {
    spa(
        found(uuid::Uuid::parse_str(&id).is_ok()),
        page_lang(&req).as_deref(),
        &console,
    )
}

fn network_page_status(id: &str) -> actix_web::http::StatusCode {
    found(id == "new" || uuid::Uuid::parse_str(id).is_ok())
}

/// 200 for a view of the console, 404 (still the page, which says so) for anything else.
fn found(view: bool) -> actix_web::http::StatusCode {
    if view {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::NOT_FOUND
    }
}

/// The sign-in page. In development mode (no `ONCONET_JWKS`): a role, an organisation (the
/// ROS code) and a button, marked as development only. Otherwise a 404 until OpenID Connect
/// sign-in is configured.
#[utoipa::path(
    tag = "console",
    params(SignInQuery),
    responses(
        (status = 200, description = "The sign-in page", content_type = "text/html", body = String),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No sign-in is configured (production without an identity provider)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/console/sign-in")]
pub async fn sign_in_page(
    console: web::Data<Console>,
    query: crate::extract::Query<SignInQuery>,
) -> ApiResult<HttpResponse> {
    let lang = Lang::of(query.lang.as_deref());
    let l = |nl, en| lang.pick(nl, en);
    let next = console_path(query.next.as_deref()).unwrap_or("/console/");
    if let Some(oidc) = &console.oidc {
        let provider = url::Url::parse(oidc.issuer())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let html = sign_in_html(SIGN_IN_OIDC, lang, next).replace(
            "{{EXPLAIN}}",
            &attribute(&match lang {
                Lang::Nl => {
                    format!("U logt in bij uw organisatie ({provider}) en komt daarna hier terug.")
                }
                Lang::En => format!(
                    "You sign in with your organisation ({provider}) and then come back here."
                ),
            }),
        );
        return Ok(page(html, None));
    }
    if console.dev_minter.is_none() {
        return Err(no_sign_in());
    }
    let html = sign_in_html(SIGN_IN_DEV, lang, next)
        .replace(
            "{{DEV_ONLY}}",
            l(
                "Alleen voor ontwikkeling: deze server neemt ontwikkeltokens aan (ONCONET_JWKS is niet ingesteld). Gebruik dit nooit voor een openbare installatie.",
                "Development only: this server accepts development tokens (ONCONET_JWKS is not set). Never use this for a public deployment.",
            ),
        )
        .replace("{{ROLE}}", l("Rol", "Role"))
        .replace("{{ROS_ADVISER}}", l("ROS-adviseur", "ROS adviser"))
        .replace("{{IKNL_STAFF}}", l("IKNL-medewerker", "IKNL staff"))
        .replace("{{ADMIN}}", l("Beheerder", "Admin"))
        .replace("{{ORGANISATION}}", l("Organisatie", "Organisation"))
        .replace(
            "{{ORGANISATION_HINT}}",
            l(
                "De code van uw ROS, bijvoorbeeld proscoop (nodig voor ROS-adviseurs).",
                "Your ROS's code, for example proscoop (needed for ROS advisers).",
            ),
        );
    Ok(page(html, None))
}

/// The sign-in page around one of its forms, with what both share filled in (language, title,
/// the page to go on to, the button).
fn sign_in_html(body: &str, lang: Lang, next: &str) -> String {
    let l = |nl, en| lang.pick(nl, en);
    SIGN_IN
        .replace("{{BODY}}", body)
        .replace("{{LANG}}", lang.code())
        .replace("{{NEXT}}", next)
        .replace("{{TITLE}}", l("Inloggen", "Sign in"))
        .replace("{{SIGN_IN}}", l("Inloggen", "Sign in"))
        .replace("{{OTHER_LANG}}", l("en", "nl"))
        .replace("{{OTHER_LANG_LABEL}}", l("English", "Nederlands"))
}

fn no_sign_in() -> ApiError {
    ApiError::NotFound(
        "no console sign-in is configured: development sign-in is off while ONCONET_JWKS is set, and no identity provider is set (ONCONET_OIDC_ISSUER, ONCONET_OIDC_CLIENT_ID)"
            .into(),
    )
}

fn no_oidc() -> ApiError {
    ApiError::NotFound(
        "no identity provider is configured (ONCONET_OIDC_ISSUER, ONCONET_OIDC_CLIENT_ID)".into(),
    )
}

/// The development sign-in form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevSignInForm {
    /// `ros_adviser`, `iknl_staff` or `admin`.
    #[schema(pattern = "^(ros_adviser|iknl_staff|admin)$", example = "ros_adviser")]
    pub role: String,
    /// The ROS code (2–64 letters, digits, `-` or `_`; read lowercased, spaces around it
    /// ignored); required for ROS advisers, may be left empty otherwise.
    #[schema(pattern = "^\\s*([A-Za-z0-9_-]{2,64})?\\s*$", example = "proscoop")]
    #[serde(default)]
    pub org: Option<String>,
    /// `en` for English afterwards; anything else gives Dutch (the default).
    #[schema(example = "en")]
    #[serde(default)]
    pub lang: Option<String>,
    /// The console page to go to afterwards (a path below `/console/`; anything else is
    /// ignored).
    #[schema(example = "/console/networks/new")]
    #[serde(default)]
    pub next: Option<String>,
}

/// Signs in for development (only while `ONCONET_JWKS` is unset): a development token for the
/// chosen role and ROS becomes the session cookie; then on to the console.
#[utoipa::path(
    tag = "console",
    request_body(content = DevSignInForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed in: on to `/console/`", headers(("Set-Cookie" = String, description = "The session (HttpOnly) and CSRF cookies"))),
        (status = 400, description = "The form cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Development sign-in is off (ONCONET_JWKS is set)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not a form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The role or organisation is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/console/sign-in")]
pub async fn dev_sign_in(
    req: HttpRequest,
    payload: web::Payload,
    console: web::Data<Console>,
) -> ApiResult<HttpResponse> {
    let Some(minter) = console.dev_minter.clone() else {
        return Err(no_sign_in());
    };
    let body =
        crate::extract::read_body(&req, payload, &["application/x-www-form-urlencoded"]).await?;
    let form: DevSignInForm = serde_urlencoded_form(&body)?;
    let mut errors = Vec::new();
    let role = form.role.parse::<Role>().ok();
    if role.is_none() {
        errors.push(InvalidParam::pointer(
            "/role",
            "unknown_code",
            "must be ros_adviser, iknl_staff or admin",
        ));
    }
    let org = match form.org.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(o) => match OrgCode::parse(&o.to_ascii_lowercase()) {
            Ok(code) => Some(code.as_str().to_owned()),
            Err(e) => {
                errors.push(InvalidParam::pointer("/org", e.code, e.message));
                None
            }
        },
    };
    if role == Some(Role::RosAdviser) && org.is_none() && errors.is_empty() {
        errors.push(InvalidParam::pointer(
            "/org",
            "required",
            "a ROS adviser signs in for a ROS: give its code",
        ));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let sub = format!("dev-{}-{}", role.as_str(), org.as_deref().unwrap_or("iknl"));
    let name = format!("Development {}", role.as_str());
    let token = minter(&DevToken {
        role,
        org: org.as_deref(),
        sub: &sub,
        name: &name,
        ttl_seconds: MAX_SESSION_SECONDS,
    })
    .map_err(ApiError::internal)?;
    Ok(signed_in(
        &req,
        token,
        MAX_SESSION_SECONDS,
        console_path(form.next.as_deref()).unwrap_or("/console/"),
        Lang::of(form.lang.as_deref()),
    ))
}

/// Signed in: the token becomes the session cookie (HttpOnly) for `seconds`, with a new CSRF
/// cookie beside it; then on to the console page `next`.
fn signed_in(
    req: &HttpRequest,
    token: String,
    seconds: u64,
    next: &str,
    lang: Lang,
) -> HttpResponse {
    let session = cookie(
        req,
        SESSION_COOKIE,
        token,
        "/",
        true,
        Lifetime::Seconds(seconds),
    );
    let csrf = cookie(
        req,
        CSRF_COOKIE,
        uuid::Uuid::new_v4().simple().to_string(),
        "/",
        false,
        Lifetime::Seconds(seconds),
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{next}?lang={}", lang.code())))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(session)
        .cookie(csrf)
        .cookie(pending_cookie(req, String::new(), true))
        .finish()
}

/// The cookie of a started OpenID Connect sign-in (or its removal).
fn pending_cookie(req: &HttpRequest, value: String, remove: bool) -> Cookie<'static> {
    let lifetime = if remove {
        Lifetime::Removed
    } else {
        Lifetime::Seconds(crate::oidc::PENDING_SECONDS.unsigned_abs())
    };
    cookie(
        req,
        PENDING_COOKIE,
        value,
        "/console/callback",
        true,
        lifetime,
    )
}

/// How long a console cookie lives.
enum Lifetime {
    Seconds(u64),
    /// Expired now: the browser forgets it.
    Removed,
}

/// Every cookie the console sets: SameSite=Lax, Secure when the request came over https.
fn cookie(
    req: &HttpRequest,
    name: &'static str,
    value: String,
    path: &'static str,
    http_only: bool,
    lifetime: Lifetime,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path(path)
        .http_only(http_only)
        .same_site(SameSite::Lax)
        .secure(req.connection_info().scheme() == "https")
        .finish();
    match lifetime {
        Lifetime::Seconds(s) => c.set_max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(s).unwrap_or(i64::MAX),
        )),
        Lifetime::Removed => c.make_removal(),
    }
    c
}

/// Starts an OpenID Connect sign-in: on to the identity provider (authorization code flow with
/// PKCE), which sends the browser back to `/console/callback`.
#[utoipa::path(
    tag = "console",
    params(SignInQuery),
    responses(
        (status = 303, description = "On to the identity provider", headers(("Set-Cookie" = String, description = "The started sign-in (HttpOnly, ten minutes)"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No identity provider is configured", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The identity provider cannot be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/console/sign-in/oidc")]
pub async fn oidc_start(
    req: HttpRequest,
    console: web::Data<Console>,
    query: crate::extract::Query<SignInQuery>,
) -> ApiResult<HttpResponse> {
    let Some(oidc) = console.oidc.clone() else {
        return Err(no_oidc());
    };
    let redirect = oidc.redirect_url({
        let info = req.connection_info();
        format!("{}://{}/console/callback", info.scheme(), info.host())
    });
    let next = console_path(query.next.as_deref()).unwrap_or("/console/");
    let lang = Lang::of(query.lang.as_deref());
    let (url, pending) = oidc
        .start(redirect, next.to_owned(), lang.code().to_owned())
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(pending_cookie(&req, pending.encode(), false))
        .finish())
}

/// What the identity provider sends back (RFC 6749 §4.1.2, RFC 9207 `iss`); other parameters
/// a provider adds (e.g. `session_state`) are ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` this server sent; it must match the browser's started sign-in.
    pub state: Option<String>,
    /// The provider's error code, when it did not sign the user in (e.g. `access_denied`).
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The provider's issuer (RFC 9207); when given it must be the configured one.
    pub iss: Option<String>,
}

impl crate::extract::ListParams for CallbackQuery {}

/// The identity provider sends the browser back here: the code is exchanged, the ID token and
/// then the access token are checked (the latter by the API's own rules), and the access token
/// becomes the session; then on to the page the user came from.
#[utoipa::path(
    tag = "console",
    params(CallbackQuery),
    responses(
        (status = 303, description = "Signed in: on to the console", headers(("Set-Cookie" = String, description = "The session (HttpOnly) and CSRF cookies"))),
        (status = 400, description = "No sign-in was started in this browser, the state does not match, or the code is missing, invalid or used", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The identity provider did not sign the user in, or its token does not give access to the API", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No identity provider is configured", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The identity provider failed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/console/callback")]
pub async fn oidc_callback(
    req: HttpRequest,
    console: web::Data<Console>,
    auth: web::Data<Arc<crate::auth::Authenticator>>,
    query: crate::extract::Query<CallbackQuery>,
) -> ApiResult<HttpResponse> {
    let Some(oidc) = console.oidc.clone() else {
        return Err(no_oidc());
    };
    let bad = |detail: &str| ApiError::BadRequest {
        detail: detail.into(),
        errors: vec![],
    };
    let pending = req
        .cookie(PENDING_COOKIE)
        .and_then(|c| crate::oidc::Pending::decode(c.value()))
        .ok_or_else(|| {
            bad("no sign-in was started in this browser, or it took longer than ten minutes: sign in again")
        })?;
    if query.state.as_deref() != Some(pending.state.as_str()) {
        return Err(bad(
            "the `state` does not match the sign-in started in this browser: sign in again",
        ));
    }
    if let Some(iss) = &query.iss
        && iss.trim_end_matches('/') != oidc.issuer().trim_end_matches('/')
    {
        return Err(bad(
            "the answer comes from another identity provider (`iss`): sign in again",
        ));
    }
    if let Some(error) = &query.error {
        let description = query
            .error_description
            .as_deref()
            .map(|d| format!(": {}", crate::error::abbreviated(d, 200)))
            .unwrap_or_default();
        return Err(ApiError::Unauthorized(format!(
            "the identity provider did not sign you in ({}{description})",
            crate::error::abbreviated(error, 60)
        )));
    }
    let code = query
        .code
        .clone()
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| bad("the identity provider sent no `code`"))?;
    let done = oidc.finish(&pending, code).await?;
    // The session is the access token; the API must accept it like any bearer token.
    let actor = auth.verify(&done.access_token).await.map_err(|e| {
        tracing::warn!(detail = ?e.problem().detail, "OpenID Connect: the access token is not accepted by the API");
        ApiError::Unauthorized(
            "the identity provider's access token does not give access to the registry (its issuer, audience, signature or roles are not the ones this server accepts)".into(),
        )
    })?;
    tracing::info!(roles = ?actor.roles, "console sign-in through the identity provider");
    let seconds = done
        .expires_in
        .map_or(3600, |d| d.as_secs())
        .clamp(60, MAX_SESSION_SECONDS);
    Ok(signed_in(
        &req,
        done.access_token,
        seconds,
        console_path(Some(&pending.next)).unwrap_or("/console/"),
        Lang::of(Some(&pending.lang)),
    ))
}

/// Reads a form body; the problem names no submitted value.
fn serde_urlencoded_form(body: &[u8]) -> ApiResult<DevSignInForm> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut object = serde_json::Map::new();
    for (k, v) in pairs {
        if object.contains_key(&k) {
            return Err(ApiError::Validation(vec![InvalidParam::pointer(
                format!("/{k}"),
                "repeated",
                "given more than once",
            )]));
        }
        object.insert(k, serde_json::Value::String(v));
    }
    crate::extract::from_value(serde_json::Value::Object(object))
}

/// Signs out: both cookies are cleared (the browser forgets the token), then the sign-in
/// page. A form post from the console, so it needs no CSRF token: it can only end a session.
#[utoipa::path(
    tag = "console",
    responses((status = 303, description = "Signed out: on to the sign-in page", headers(("Set-Cookie" = String, description = "The cleared cookies"))))
)]
#[post("/console/sign-out")]
pub async fn sign_out(req: HttpRequest) -> HttpResponse {
    let gone = |name: &'static str| {
        cookie(
            &req,
            name,
            String::new(),
            "/",
            name == SESSION_COOKIE,
            Lifetime::Removed,
        )
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(gone(SESSION_COOKIE))
        .cookie(gone(CSRF_COOKIE))
        .finish()
}

/// Who is signed in (by bearer token or console session).
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub sub: String,
    pub name: Option<String>,
    /// `ros_adviser`, `iknl_staff`, `admin`.
    pub roles: Vec<String>,
    /// The ROS of a ROS adviser.
    pub org: Option<String>,
}

/// The caller: who the token or the console session says they are.
#[utoipa::path(
    tag = "console",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, description = "No valid token or session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn get_me(actor: crate::auth::RequireActor) -> HttpResponse {
    let a = actor.0;
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(MeResponse {
            sub: a.sub,
            name: a.name,
            roles: a.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            org: a.org,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_console_pages() {
        assert_eq!(
            console_path(Some("/console/networks/new")),
            Some("/console/networks/new")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/console/",
            "/console//evil",
            "/docs",
            "/console/a?b=c",
            "/console/%2e%2e",
            "/console/../docs",
        ] {
            assert_eq!(console_path(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn a_tile_url_needs_its_placeholders_and_a_host() {
        let t =
            Tiles::parse("https://tiles.example.nl/{z}/{x}/{y}.png", "© Example").expect("valid");
        assert_eq!(t.origin, "https://tiles.example.nl");
        for bad in [
            "https://tiles.example.nl/tile.png",
            "ftp://tiles.example.nl/{z}/{x}/{y}.png",
            "/{z}/{x}/{y}.png",
            "https://tiles.example.nl/{z}/{x}/{y}.png\" onload=\"x",
        ] {
            assert!(Tiles::parse(bad, "").is_err(), "{bad}");
        }
        assert_eq!(attribute("a\"<b>&"), "a&quot;&lt;b&gt;&amp;");
    }

    #[test]
    fn network_pages_are_new_or_a_uuid() {
        assert_eq!(network_page_status("new"), actix_web::http::StatusCode::OK);
        assert_eq!(
            network_page_status("0190a000-0000-7000-8000-000000000000"),
            actix_web::http::StatusCode::OK
        );
        assert_eq!(
            network_page_status("edit"),
            actix_web::http::StatusCode::NOT_FOUND
        );
    }
}
