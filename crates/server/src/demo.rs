//! The demo data set: a handful of clearly labelled (`demo: true`, name prefix `[DEMO]`)
//! networks of every type over real municipalities, and a demo toolbox, published through the
//! real use cases.

use anyhow::{Context, Result};
use onconet_api::dto::network::NetworkBody;
use onconet_api::dto::toolbox::ToolboxBody;
use onconet_domain::{Actor, RegistryState, Role};
use onconet_registry::networks::{ListParams, PageRequest};
use onconet_registry::toolbox::ToolboxDocument;
use onconet_registry::{Author, Precondition, Registry};
use serde_json::json;

fn demo_networks() -> Vec<serde_json::Value> {
    vec![
        json!({
            "name": "[DEMO] Regionaal Oncologienetwerk Noord",
            "type": "regional_oncology_network", "scale": "supra_regional", "lifecycle": "active",
            "description": {"nl": "Demonstratiegegevens: geen echt netwerk.", "en": "Demo data: not a real network."},
            "website": "https://example.org/demo/noord",
            "tumour_types": ["breast", "lung", "colorectal"],
            "financing": [{"form": "hospital_contribution", "funder": "Demo UMC"}],
            "contacts": [{"role": "secretary", "name": "Demo secretariaat", "email": "noord@example.org", "public": true}],
            "members": [{"name": "Demo UMC Noord", "kind": "umc", "location": {"lat": 53.2219, "lon": 6.5756}}],
            "service_area": {"municipalities": ["GM0014", "GM0080", "GM0106", "GM0114"]}
        }),
        json!({
            "name": "[DEMO] Netwerktumorgroep Mammacarcinoom Noord",
            "type": "network_tumour_group", "scale": "regional", "lifecycle": "active",
            "description": {"nl": "Demonstratiegegevens: geen echte tumorgroep.", "en": "Demo data: not a real tumour group."},
            "tumour_types": ["breast"],
            "contacts": [{"role": "chair", "name": "Demo voorzitter", "email": "mamma@example.org", "public": false}],
            "service_area": {"municipalities": ["GM0014", "GM0080"]}
        }),
        json!({
            "name": "[DEMO] Expertpanel Sarcomen",
            "type": "expert_panel", "scale": "supra_regional", "lifecycle": "active",
            "description": {"nl": "Demonstratiegegevens: geen echt expertpanel.", "en": "Demo data: not a real expert panel."},
            "tumour_types": ["sarcoma"],
            "financing": [{"form": "consultation_fee"}],
            "contacts": [{"role": "coordinator", "name": "Demo coördinator", "phone": "+31 20 000 0000", "public": true}],
            "service_area": {"municipalities": ["GM0363", "GM0344", "GM0599"]}
        }),
        json!({
            "name": "[DEMO] Oncologiezorgnetwerk Groningen-Stad",
            "type": "oncology_care_network", "scale": "local", "lifecycle": "active",
            "description": {"nl": "Demonstratiegegevens: eerstelijns zorgverleners rond kanker.", "en": "Demo data: primary-care providers around cancer."},
            "website": "https://example.org/demo/groningen",
            "disciplines": ["physiotherapy", "dietetics", "psychology", "occupational_therapy", "skin_therapy", "general_practice"],
            "financing": [{"form": "membership_fee"}, {"form": "municipality_grant", "funder": "Demo gemeente"}],
            "contacts": [{"role": "coordinator", "name": "Demo coördinator", "email": "groningen@example.org", "public": true}],
            "members": [
                {"name": "Demo Fysiotherapie Centrum", "kind": "practice", "discipline": "physiotherapy", "in_verwijsgids": true},
                {"name": "Demo Diëtistenpraktijk", "kind": "practice", "discipline": "dietetics", "in_verwijsgids": true}
            ],
            "ros_org": "demo-ros",
            "service_area": {"municipalities": ["GM0014"]},
            "quality": {"minimum_participation": true, "written_vision": true, "non_profit": true}
        }),
        json!({
            "name": "[DEMO] Oncologiezorgnetwerk Amsterdam-Zuid",
            "type": "oncology_care_network", "scale": "local", "lifecycle": "active",
            "description": {"nl": "Demonstratiegegevens.", "en": "Demo data."},
            "disciplines": ["physiotherapy", "exercise_therapy", "dietetics", "psychology", "social_work"],
            "financing": [{"form": "insurer_contract", "funder": "Demo verzekeraar"}],
            "contacts": [{"role": "general", "name": "Demo contactpunt", "email": "amsterdam@example.org", "public": true}],
            "ros_org": "demo-ros",
            "service_area": {"circles": [{"lat": 52.3383, "lon": 4.8727, "radius_km": 5.0}]}
        }),
        json!({
            "name": "[DEMO] Oncologiezorgnetwerk Utrecht (in oprichting)",
            "type": "oncology_care_network", "scale": "regional", "lifecycle": "in_formation",
            "description": {"nl": "Demonstratiegegevens: netwerk in oprichting.", "en": "Demo data: a network being set up."},
            "disciplines": ["physiotherapy", "psychology"],
            "ros_org": "demo-ros",
            "service_area": {"municipalities": ["GM0344"]}
        }),
    ]
}

/// Loads the demo networks once (skipped when any demo network exists).
pub async fn load(registry: &Registry) -> Result<()> {
    if registry.has_demo().await? {
        tracing::info!("demo networks already loaded");
        return Ok(());
    }
    let actor = loader();
    let ctx = Author {
        actor: &actor,
        request_id: None,
    };
    let count = demo_networks().len();
    for doc in demo_networks() {
        let body: NetworkBody =
            serde_json::from_value(doc).context("demo network does not parse")?;
        let network = match registry.create(&ctx, body, true).await {
            Ok(n) => n,
            // Without the reference regions (no ONCONET_REFERENCE_DATA), the networks that name
            // municipalities cannot be placed; the others still load.
            Err(onconet_registry::Error::Invalid(errors))
                if errors.iter().all(|e| e.code == "unknown_region") =>
            {
                tracing::warn!("a demo network needs the reference regions; skipped");
                continue;
            }
            Err(e) => return Err(anyhow::anyhow!("demo network refused: {e}")),
        };
        let mut version = network.version;
        for to in [RegistryState::Submitted, RegistryState::Published] {
            let moved = registry
                .transition(&ctx, network.id, &Precondition::version(version), to, None)
                .await
                .map_err(|e| anyhow::anyhow!("demo network not published: {}", e))?;
            version = moved.version;
        }
    }
    tracing::info!(count, "demo networks loaded");
    Ok(())
}

/// The demo toolbox: items labelled `[DEMO]` in both titles, two of them past their review
/// date (stale). `from_networks` names demo networks; they are looked up by name.
const DEMO_TOOLBOX: &str = include_str!("demo_toolbox.json");

/// Loads and publishes the demo toolbox once (skipped when any demo item exists).
pub async fn load_toolbox(registry: &Registry) -> Result<()> {
    if registry.has_demo_toolbox().await? {
        tracing::info!("demo toolbox already loaded");
        return Ok(());
    }
    let actor = loader();
    let ctx = Author {
        actor: &actor,
        request_id: None,
    };
    let items: Vec<serde_json::Value> =
        serde_json::from_str(DEMO_TOOLBOX).context("the demo toolbox does not parse")?;
    let count = items.len();
    for mut doc in items {
        let names = doc
            .as_object_mut()
            .and_then(|o| o.remove("from_networks"))
            .unwrap_or_default();
        let mut ids = Vec::new();
        for name in names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str())
        {
            let params = ListParams {
                q: Some(name),
                ..Default::default()
            };
            let found = registry
                .list_networks(
                    params,
                    PageRequest {
                        page: 1,
                        per_page: 5,
                    },
                    Some(&actor),
                )
                .await
                .map_err(|e| anyhow::anyhow!("cannot look up demo network {name}: {e}"))?;
            match found.items.iter().find(|(n, _)| n.profile.name == name) {
                Some((n, _)) => ids.push(serde_json::json!(n.id)),
                None => tracing::warn!(
                    name,
                    "a demo toolbox item names a demo network that is not loaded"
                ),
            }
        }
        doc["network_ids"] = serde_json::Value::Array(ids);
        let body: ToolboxBody =
            serde_json::from_value(doc).context("demo toolbox item does not parse")?;
        let item = registry
            .create_toolbox_item(&ctx, body.into_input(), true)
            .await
            .map_err(|e| anyhow::anyhow!("demo toolbox item refused: {e}"))?;
        let mut version = item.version;
        for to in [RegistryState::Submitted, RegistryState::Published] {
            let moved = registry
                .transition_toolbox_item(&ctx, item.id, &Precondition::version(version), to, None)
                .await
                .map_err(|e| anyhow::anyhow!("demo toolbox item not published: {e}"))?;
            version = moved.version;
        }
    }
    tracing::info!(count, "demo toolbox loaded");
    Ok(())
}

fn loader() -> Actor {
    Actor {
        sub: "onconet-demo-loader".into(),
        name: Some("onconet demo loader".into()),
        roles: vec![Role::Admin],
        org: None,
    }
}
