//! The financing toolbox: the NL/EN search over the demo set (30 fixed questions), stale items,
//! filters, hostile search text, Markdown sanitised against the OWASP XSS filter-evasion
//! examples, and the write workflow with its roles, preconditions and history.

use onconet_test_support::{TestApp, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const QUESTIONS: &str = include_str!("../toolbox/questions.json");
const XSS_VECTORS: &str = include_str!("../toolbox/xss-vectors.txt");

async fn demo_app() -> TestApp {
    spawn_app_with(|s| s.demo = true).await
}

async fn list(app: &TestApp, query: &str, lang: &str) -> reqwest::Response {
    app.client
        .get(app.url("/v1/toolbox"))
        .header("Accept-Language", lang)
        .query(&url_pairs(query))
        .send()
        .await
        .expect("toolbox list")
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn search(app: &TestApp, pairs: &[(&str, &str)], lang: &str) -> Value {
    let r = app
        .client
        .get(app.url("/v1/toolbox"))
        .header("Accept-Language", lang)
        .query(pairs)
        .send()
        .await
        .expect("toolbox search");
    assert_eq!(r.status(), 200, "{pairs:?}");
    r.json().await.expect("json")
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"]["en"].as_str().expect("title").to_owned())
        .collect()
}

fn item() -> Value {
    json!({
        "kind": "guide",
        "title": {"nl": "Testgids financiering", "en": "Test guide to financing"},
        "summary": {"nl": "Een samenvatting.", "en": "A summary."},
        "body": "## Kop\n\nTekst met een [link](https://example.org/x).",
        "financing_forms": ["membership_fee"],
        "network_types": ["oncology_care_network"],
        "stage": "starting",
        "reviewed_at": "2026-01-01",
        "review_due": "2027-12-31"
    })
}

async fn create(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.send(Method::POST, "/v1/toolbox", Some(token), Some(body))
        .await
}

/// `method path` with a token, an `If-Match` version and a JSON body.
async fn change(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    version: Option<i64>,
    body: &Value,
) -> reqwest::Response {
    let mut r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body);
    if let Some(v) = version {
        r = r.header("If-Match", format!("\"v{v}\""));
    }
    r.send().await.expect("change")
}

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn demo_questions_find_their_item_in_the_top_three() {
    let app = demo_app().await;
    let questions: Vec<Value> = serde_json::from_str(QUESTIONS).expect("questions");
    assert_eq!(questions.len(), 30);
    let mut found = 0;
    for question in &questions {
        let q = question["q"].as_str().expect("q");
        let lang = question["lang"].as_str().expect("lang");
        let expect = question["expect"].as_str().expect("expect");
        let list = search(&app, &[("q", q), ("include_stale", "true")], lang).await;
        let top: Vec<String> = titles(&list).into_iter().take(3).collect();
        let place = top.iter().position(|t| t == expect);
        match place {
            Some(i) => {
                found += 1;
                let hit = &list["items"][i]["match"];
                assert!(hit["rank"].as_f64().expect("rank") > 0.0);
                let marked = format!(
                    "{}{}",
                    hit["title_html"].as_str().expect("title_html"),
                    hit["snippet_html"].as_str().expect("snippet_html")
                );
                assert!(marked.contains("<mark>"), "{q}: nothing marked in {marked}");
            }
            None => println!("MISS [{lang}] {q:?}: expected {expect:?}, top 3 {top:?}"),
        }
    }
    println!("toolbox search quality: {found}/30 questions have their item in the top 3");
    assert!(found >= 27, "only {found}/30 questions found their item");
}

#[tokio::test]
async fn stale_items_and_filters() {
    let app = demo_app().await;
    let all = search(&app, &[("per_page", "100")], "nl").await;
    let with_stale = search(
        &app,
        &[("per_page", "100"), ("include_stale", "true")],
        "nl",
    )
    .await;
    assert_eq!(all["page"]["total_items"], 16);
    assert_eq!(with_stale["page"]["total_items"], 18);
    let stale: Vec<&Value> = with_stale["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["stale"] == true)
        .collect();
    assert_eq!(stale.len(), 2);
    assert!(
        all["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["stale"] == false)
    );
    for item in with_stale["items"].as_array().expect("items") {
        assert_eq!(item["demo"], true);
        assert!(
            item["title"]["nl"]
                .as_str()
                .expect("nl")
                .starts_with("[DEMO]")
        );
        assert!(item.get("body").is_none(), "the public sees no Markdown");
        assert!(item.get("match").is_none(), "no search, no match");
    }
    // A stale item is still there by its id, marked.
    let id = stale[0]["id"].as_str().expect("id");
    let one: Value = app
        .get(&format!("/v1/toolbox/{id}"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(one["stale"], true);

    let good = search(&app, &[("kind", "good_practice")], "nl").await;
    assert_eq!(good["page"]["total_items"], 2);
    for item in good["items"].as_array().expect("items") {
        assert!(
            !item["network_ids"].as_array().expect("ids").is_empty(),
            "a good practice names its networks"
        );
    }
    let insurer = search(&app, &[("financing_form", "insurer_contract")], "nl").await;
    assert!(insurer["items"].as_array().expect("items").iter().all(|i| {
        i["financing_forms"]
            .as_array()
            .expect("forms")
            .contains(&json!("insurer_contract"))
    }));
    assert!(insurer["page"]["total_items"].as_i64().expect("n") >= 1);
    let stage = search(
        &app,
        &[
            ("stage", "professionalising"),
            ("network_type", "oncology_care_network"),
        ],
        "en",
    )
    .await;
    for item in stage["items"].as_array().expect("items") {
        assert_eq!(item["stage"], "professionalising");
        assert!(
            item["network_types"]
                .as_array()
                .expect("types")
                .contains(&json!("oncology_care_network"))
        );
    }
    // Paging: the envelope and the Link header.
    let r = list(&app, "per_page=5&page=2", "nl").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["link"]
            .to_str()
            .expect("link")
            .contains("rel=\"next\"")
    );
    let page: Value = r.json().await.expect("json");
    assert_eq!(page["items"].as_array().expect("items").len(), 5);
    assert_eq!(page["page"]["total_pages"], 4);

    for (query, parameter) in [
        ("kind=recipe", "kind"),
        ("financing_form=barter", "financing_form"),
        ("network_type=club", "network_type"),
        ("stage=done", "stage"),
        ("include_stale=yes", "include_stale"),
        ("per_page=101", "per_page"),
        ("state=gone", "state"),
        ("colour=red", "colour"),
    ] {
        let r = list(&app, query, "nl").await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.expect("problem");
        assert!(
            problem["detail"]
                .as_str()
                .expect("detail")
                .contains(parameter),
            "{query}: {problem}"
        );
    }
    // Drafts need a token; an anonymous or role-less caller gets 401/403.
    assert_eq!(list(&app, "state=draft", "nl").await.status(), 401);
}

#[tokio::test]
async fn hostile_search_text_is_answered() {
    let app = demo_app().await;
    let long = "financiering van het MDO door de zorgverzekeraar ".repeat(210);
    assert!(long.len() > 10_000);
    let mut texts = vec![
        long.chars().take(10_000).collect::<String>(),
        "\"financiering".into(),
        "'contract".into(),
        "financiering & | ! ( ) <-> :* zorgverzekeraar".into(),
        "!!!".into(),
        "a:* & b:A | !c <2> d".into(),
        "\\' \\\\ '' \" \\".into(),
        "(((( financiering".into(),
        "de het een".into(),
        "ﬁnanciering ✓ 🚑 café".into(),
        "%00 %27 OR 1=1 --".into(),
        "   ".into(),
    ];
    texts.push("x".repeat(10_000));
    for q in &texts {
        let r = app
            .client
            .get(app.url("/v1/toolbox"))
            .query(&[("q", q.as_str()), ("include_stale", "true")])
            .send()
            .await
            .expect("search");
        let status = r.status();
        let body: Value = r.json().await.expect("json");
        assert_eq!(
            status,
            200,
            "{}: {body}",
            q.chars().take(40).collect::<String>()
        );
    }
    // Stop words alone match nothing; a pasted text is answered from its first words.
    let stop = search(&app, &[("q", "de het een")], "nl").await;
    assert_eq!(stop["page"]["total_items"], 0);
    let pasted = search(
        &app,
        &[("q", long.chars().take(10_000).collect::<String>().as_str())],
        "nl",
    )
    .await;
    assert!(pasted["page"]["total_items"].as_i64().expect("n") > 0);
    // Refused with a problem document: a NUL, and more than 10,000 characters.
    for q in ["financiering\u{0}", &"x".repeat(10_001)] {
        let r = app
            .client
            .get(app.url("/v1/toolbox"))
            .query(&[("q", q)])
            .send()
            .await
            .expect("search");
        assert_eq!(r.status(), 400);
        let problem: Value = r.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["parameter"], "q", "{problem}");
    }
}

/// Every element and attribute of `html` is on the sanitiser's allow list, and every link
/// leads to http, https or mailto.
fn assert_safe(html: &str, vector: &str) {
    let allowed_tags = [
        "html",
        "head",
        "body",
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
        "sub",
        "sup",
        "span",
        "div",
        "dl",
        "dt",
        "dd",
        "u",
        "small",
        "q",
        "cite",
        "kbd",
        "mark",
        "samp",
        "var",
        "ins",
        "strike",
        "tt",
        "big",
        "center",
        "caption",
        "col",
        "colgroup",
        "tfoot",
        "figure",
        "figcaption",
        "details",
        "summary",
        "rp",
        "rt",
        "ruby",
        "time",
        "wbr",
        "bdi",
        "bdo",
        "data",
        "dfn",
        "font",
        "hgroup",
        "map",
        "nav",
        "area",
        "article",
        "aside",
        "footer",
        "header",
        "acronym",
    ];
    let document = scraper::Html::parse_fragment(html);
    for node in document.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        let name = element.name();
        assert!(
            allowed_tags.contains(&name),
            "<{name}> survived {vector:?}: {html}"
        );
        for (attribute, value) in element.attrs() {
            assert!(
                !attribute.starts_with("on")
                    && !["style", "src", "srcdoc", "formaction", "action"].contains(&attribute),
                "attribute {attribute} survived {vector:?}: {html}"
            );
            if attribute == "href" || attribute == "cite" {
                let v = value.trim().to_ascii_lowercase();
                let scheme = v.split_once(':').map(|(s, _)| s.to_owned());
                assert!(
                    match scheme {
                        Some(s) if !s.contains('/') && !s.contains('?') && !s.contains('#') =>
                            ["http", "https", "mailto"].contains(&s.as_str()),
                        _ => true,
                    },
                    "link {value:?} survived {vector:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn markdown_is_sanitised_against_the_owasp_vectors() {
    let app = spawn_app().await;
    let vectors: Vec<String> = XSS_VECTORS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.replace("\\n", "\n"))
        .collect();
    assert!(vectors.len() >= 100, "{} vectors", vectors.len());
    let r = create(&app, &app.staff_token, &item()).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    let mut version = created["version"].as_i64().expect("version");
    for vector in &vectors {
        let body = format!("Tekst ervoor.\n\n{vector}\n\nTekst erna.");
        let r = change(
            &app,
            Method::PATCH,
            &format!("/v1/toolbox/{id}"),
            &app.staff_token,
            Some(version),
            &json!({ "body": body }),
        )
        .await;
        assert_eq!(r.status(), 200, "{vector:?}");
        let item: Value = r.json().await.expect("json");
        version = item["version"].as_i64().expect("version");
        assert_eq!(
            item["body"].as_str(),
            Some(body.trim()),
            "the Markdown is kept as written"
        );
        let html = item["body_html"].as_str().expect("body_html");
        assert_safe(html, vector);
        assert!(
            html.contains("Tekst erna."),
            "text after {vector:?} was lost: {html}"
        );
    }
    // The search's snippets quote the text, escaped: a vector cannot enter through `match`.
    let r = change(
        &app,
        Method::PATCH,
        &format!("/v1/toolbox/{id}"),
        &app.staff_token,
        Some(version),
        &json!({"summary": {"nl": "Financiering <script>alert(1)</script> <img src=x onerror=alert(1)>"}}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let item: Value = r.json().await.expect("json");
    let version = item["version"].as_i64().expect("version");
    for to in ["submitted", "published"] {
        let r = change(
            &app,
            Method::POST,
            &format!("/v1/toolbox/{id}/transitions"),
            &app.staff_token,
            Some(version + i64::from(to == "published")),
            &json!({ "to": to }),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let found = search(&app, &[("q", "financiering script")], "nl").await;
    let hit = &found["items"][0]["match"];
    for html in [
        hit["title_html"].as_str().expect("t"),
        hit["snippet_html"].as_str().expect("s"),
    ] {
        assert_safe(html, "summary");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
    }
    println!("snippet of a hostile summary: {}", hit["snippet_html"]);
    assert!(hit["snippet_html"].as_str().expect("s").contains("alert"));
}

#[tokio::test]
async fn workflow_roles_and_history() {
    let app = spawn_app().await;
    // Bad bodies first: every problem by pointer, nothing stored.
    let r = create(&app, &app.adviser_token, &json!({"kind": "recipe", "title": {"nl": ""}, "url": "javascript:alert(1)", "review_due": "2020-01-01", "reviewed_at": "2099-01-01"})).await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("problem");
    assert_eq!(
        pointers(&problem),
        [
            "/kind",
            "/title/nl",
            "/title/en",
            "/summary",
            "/stage",
            "/url",
            "/reviewed_at",
            "/review_due"
        ],
        "{problem}"
    );
    let mut unknown = item();
    unknown["colour"] = json!("red");
    let r = create(&app, &app.adviser_token, &unknown).await;
    assert_eq!(r.status(), 422);
    assert_eq!(pointers(&r.json().await.expect("problem")), ["/colour"]);
    let mut bad_network = item();
    bad_network["network_ids"] = json!([uuid::Uuid::nil()]);
    let r = create(&app, &app.adviser_token, &bad_network).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        pointers(&r.json().await.expect("problem")),
        ["/network_ids/0"]
    );
    let mut other_ros = item();
    other_ros["ros_org"] = json!("ros-zuid");
    assert_eq!(
        create(&app, &app.adviser_token, &other_ros).await.status(),
        403
    );
    let r = app
        .client
        .post(app.url("/v1/toolbox"))
        .bearer_auth(&app.adviser_token)
        .header("Content-Type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(app.url("/v1/toolbox"))
        .bearer_auth(&app.adviser_token)
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 415);
    assert_eq!(
        app.client
            .post(app.url("/v1/toolbox"))
            .json(&item())
            .send()
            .await
            .expect("post")
            .status(),
        401
    );

    // An adviser writes a draft: it is their ROS's, invisible to the public and to others.
    let r = create(&app, &app.adviser_token, &item()).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(r.headers()["etag"], "\"v1\"");
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["state"], "draft");
    assert_eq!(created["ros_org"], "ros-noord");
    assert!(created["body"].is_string(), "editors see the Markdown");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(location, format!("/v1/toolbox/{id}"));
    let path = format!("/v1/toolbox/{id}");
    assert_eq!(app.get(&path).send().await.expect("get").status(), 404);
    assert_eq!(
        app.send(Method::GET, &path, Some(&app.other_adviser_token), None)
            .await
            .status(),
        404
    );
    let mine = app
        .send(
            Method::GET,
            "/v1/toolbox?state=draft",
            Some(&app.adviser_token),
            None,
        )
        .await;
    assert_eq!(mine.status(), 200);
    assert_eq!(
        titles(&mine.json().await.expect("json")),
        ["Test guide to financing"]
    );
    let theirs: Value = app
        .send(
            Method::GET,
            "/v1/toolbox?state=draft",
            Some(&app.other_adviser_token),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(theirs["page"]["total_items"], 0);

    // Preconditions and merge-patch rules.
    let patch = json!({"summary": {"en": "A better summary."}});
    assert_eq!(
        change(&app, Method::PATCH, &path, &app.adviser_token, None, &patch)
            .await
            .status(),
        428
    );
    assert_eq!(
        change(
            &app,
            Method::PATCH,
            &path,
            &app.adviser_token,
            Some(7),
            &patch
        )
        .await
        .status(),
        412
    );
    assert_eq!(
        change(
            &app,
            Method::PATCH,
            &path,
            &app.other_adviser_token,
            Some(1),
            &patch
        )
        .await
        .status(),
        404
    );
    let r = change(
        &app,
        Method::PATCH,
        &path,
        &app.adviser_token,
        Some(1),
        &json!({"state": "published", "stage": "later"}),
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = change(
        &app,
        Method::PATCH,
        &path,
        &app.adviser_token,
        Some(1),
        &json!({"title": null}),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(pointers(&r.json().await.expect("problem")), ["/title"]);
    let r = change(
        &app,
        Method::PATCH,
        &path,
        &app.adviser_token,
        Some(1),
        &patch,
    )
    .await;
    assert_eq!(r.status(), 200);
    let patched: Value = r.json().await.expect("json");
    assert_eq!(patched["version"], 2);
    assert_eq!(
        patched["summary"],
        json!({"nl": "Een samenvatting.", "en": "A better summary."})
    );

    // The workflow: the adviser submits, may not publish; staff publish.
    let transition = |to: &str| json!({ "to": to });
    let transitions = format!("{path}/transitions");
    assert_eq!(
        change(
            &app,
            Method::POST,
            &transitions,
            &app.adviser_token,
            Some(2),
            &transition("published")
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        change(
            &app,
            Method::POST,
            &transitions,
            &app.adviser_token,
            Some(2),
            &transition("archived")
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        change(
            &app,
            Method::POST,
            &transitions,
            &app.adviser_token,
            Some(2),
            &transition("limbo")
        )
        .await
        .status(),
        422
    );
    assert_eq!(
        change(
            &app,
            Method::POST,
            &transitions,
            &app.adviser_token,
            Some(2),
            &transition("submitted")
        )
        .await
        .status(),
        200
    );
    let r = change(
        &app,
        Method::POST,
        &transitions,
        &app.staff_token,
        Some(3),
        &transition("submitted"),
    )
    .await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("toolbox item"),
        "{problem}"
    );
    assert_eq!(
        change(
            &app,
            Method::POST,
            &transitions,
            &app.staff_token,
            Some(3),
            &json!({"to": "published", "reason": "Gecontroleerd"})
        )
        .await
        .status(),
        200
    );

    // Published: public, without the Markdown; cached; findable.
    let r = app.get(&path).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"v4\"");
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    let public: Value = r.json().await.expect("json");
    assert!(public.get("body").is_none());
    assert_eq!(
        public["body_html"],
        "<h2>Kop</h2>\n<p>Tekst met een <a href=\"https://example.org/x\" rel=\"noopener noreferrer nofollow\">link</a>.</p>\n"
    );
    let r = app
        .get(&path)
        .header("If-None-Match", "\"v4\"")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 304);
    let found = search(&app, &[("q", "financieren")], "nl").await;
    assert_eq!(titles(&found), ["Test guide to financing"]);
    assert_eq!(
        found["items"][0]["match"]["title_html"],
        "Testgids <mark>financiering</mark>"
    );
    let found = search(&app, &[("q", "summaries")], "en").await;
    assert_eq!(
        found["items"][0]["match"]["snippet_html"]
            .as_str()
            .map(|s| s.contains("<mark>summary</mark>")),
        Some(true)
    );

    // The history: for editors and staff only.
    let history = format!("{path}/history");
    assert_eq!(app.get(&history).send().await.expect("get").status(), 401);
    assert_eq!(
        app.send(Method::GET, &history, Some(&app.other_adviser_token), None)
            .await
            .status(),
        403
    );
    let r = app
        .send(Method::GET, &history, Some(&app.adviser_token), None)
        .await;
    assert_eq!(r.status(), 200);
    let history: Value = r.json().await.expect("json");
    let actions: Vec<(&str, &str, &str)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["action"].as_str().expect("action"),
                r["state"].as_str().expect("state"),
                r["actor"]["sub"].as_str().expect("sub"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("created", "draft", "adviser-noord"),
            ("updated", "draft", "adviser-noord"),
            ("transition", "submitted", "adviser-noord"),
            ("transition", "published", "staff-1"),
        ]
    );
    let update = &history["items"][1]["changes"];
    assert_eq!(update[0]["field"], "summary");
    assert_eq!(update[0]["old"]["en"], "A summary.");
    let publish = &history["items"][3]["changes"];
    assert!(
        publish
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["field"] == "reason" && c["new"] == "Gecontroleerd")
    );

    // An unknown id, and an id that is not one.
    for missing in [
        format!("/v1/toolbox/{}", uuid::Uuid::nil()),
        "/v1/toolbox/not-a-uuid".into(),
    ] {
        let r = app.get(&missing).send().await.expect("get");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

/// The toolbox links of a network's financing entries, as `(form, link)`.
fn financing_links(network: &Value) -> Vec<(String, String)> {
    network["financing"]
        .as_array()
        .expect("financing")
        .iter()
        .map(|f| {
            (
                f["form"].as_str().unwrap_or_default().to_owned(),
                f["toolbox"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn financing_entries_link_to_the_toolbox_for_their_form() {
    let app = demo_app().await;
    let expected = vec![
        (
            "membership_fee".to_owned(),
            "/v1/toolbox?financing_form=membership_fee".to_owned(),
        ),
        (
            "municipality_grant".to_owned(),
            "/v1/toolbox?financing_form=municipality_grant".to_owned(),
        ),
    ];
    let get_json = |path: String| {
        let app = &app;
        async move {
            let r = app.get(&path).send().await.expect("get");
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.expect("json")
        }
    };
    // The list, one network, a search hit and the change feed all carry the links.
    let list = get_json("/v1/networks?q=Groningen-Stad".into()).await;
    let listed = &list["items"][0];
    assert_eq!(listed["name"], "[DEMO] Oncologiezorgnetwerk Groningen-Stad");
    assert_eq!(financing_links(listed), expected);
    let id = listed["id"].as_str().expect("id").to_owned();
    let one = get_json(format!("/v1/networks/{id}")).await;
    assert_eq!(financing_links(&one), expected);
    let found = get_json("/v1/search?municipality=GM0014&radius_km=0".into()).await;
    let hit = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|h| h["network"]["id"] == json!(id))
        .expect("found")["network"]
        .clone();
    assert_eq!(financing_links(&hit), expected);
    let feed = get_json("/v1/changes?limit=500".into()).await;
    let fed = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .rev()
        .find(|c| c["network_id"] == json!(id) && !c["network"].is_null())
        .expect("in the feed")["network"]
        .clone();
    assert_eq!(financing_links(&fed), expected);

    // A link lists the current published items about that form.
    for (form, link) in &expected {
        let items = get_json(link.clone()).await;
        let items = items["items"].as_array().expect("items");
        assert!(!items.is_empty(), "{form}");
        for item in items {
            assert!(
                item["financing_forms"]
                    .as_array()
                    .expect("forms")
                    .contains(&json!(form)),
                "{form}: {item}"
            );
            assert_eq!(item["stale"], false);
        }
    }
    let amsterdam = get_json("/v1/networks?q=Amsterdam-Zuid".into()).await;
    let links = financing_links(&amsterdam["items"][0]);
    assert_eq!(
        links,
        [(
            "insurer_contract".to_owned(),
            "/v1/toolbox?financing_form=insurer_contract".to_owned()
        )]
    );
    let insurer = get_json(links[0].1.clone()).await;
    let titles = titles(&insurer);
    assert!(
        titles.iter().any(|t| t.contains("health insurer")),
        "{titles:?}"
    );
    assert!(
        !titles.iter().any(|t| t.contains("Integrated care funding")),
        "a stale item is left out: {titles:?}"
    );

    // The link is the registry's: a write that sends it back names it.
    let mut financing = one["financing"].clone();
    financing[0]["note"] = json!("Contributie per praktijk");
    let r = change(
        &app,
        Method::PATCH,
        &format!("/v1/networks/{id}"),
        &app.staff_token,
        one["version"].as_i64(),
        &json!({"financing": financing}),
    )
    .await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("json");
    assert_eq!(pointers(&problem), ["/financing/0/toolbox"], "{problem}");
}
