use onconet_test_support::spawn_app;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn labels_follow_accept_language() {
    let app = spawn_app().await;
    let get = |lang: Option<&'static str>| {
        let mut req = app.get("/v1/vocabularies");
        if let Some(l) = lang {
            req = req.header("Accept-Language", l);
        }
        req.send()
    };
    let nl = get(None).await.expect("request");
    assert_eq!(nl.headers()["content-language"], "nl");
    let nl: Value = nl.json().await.expect("json");
    let en = get(Some("en-GB,en;q=0.9,nl;q=0.1")).await.expect("request");
    assert_eq!(en.headers()["content-language"], "en");
    let en: Value = en.json().await.expect("json");
    let physio = |v: &Value| {
        v["disciplines"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["code"] == "physiotherapy").cloned())
            .unwrap_or_default()
    };
    assert_eq!(physio(&nl)["label"], "Fysiotherapie");
    assert_eq!(physio(&en)["label"], "Physiotherapy");
    assert_eq!(physio(&en)["vektis_cod016"], "0400");
    for kind in [
        "network_types",
        "disciplines",
        "tumour_types",
        "financing_forms",
    ] {
        assert!(nl[kind].as_array().is_some_and(|a| !a.is_empty()), "{kind}");
    }
    assert_eq!(nl["network_types"].as_array().map(Vec::len), Some(4));
    assert!(nl["disciplines"].as_array().is_some_and(|a| a.len() >= 20));
    assert_eq!(nl["tumour_types"].as_array().map(Vec::len), Some(17));
    assert_eq!(nl["financing_forms"].as_array().map(Vec::len), Some(10));
}
