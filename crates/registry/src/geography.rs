//! Geography held in memory: region layers and the search index over published networks'
//! areas, kept in step with the database (directly after our own writes, and through
//! LISTEN/NOTIFY for writes by other instances and by `onconet regions import`).

use crate::error::{Error, Invalid};
use geo::MultiPolygon;
use onconet_db::DbPool;
use onconet_db::notify::{self, Change};
use onconet_domain::{Lifecycle, Network, NetworkType, RegistryState, ServiceArea};
use onconet_spatial::geojson_io::{
    canonical, multipolygon_from_geojson, multipolygon_from_geojson_text, multipolygon_to_geojson,
};
use onconet_spatial::packed::CompactArea;
use onconet_spatial::{
    NearIndex, NearbyQuery, PreparedArea, Region, RegionLayer, area_km2, circle, union_all,
};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// The region layers the registry knows: CBS municipalities and provinces, four-digit
/// postcode areas, and the working areas of the ROSes (codes are ROS organisation codes, the
/// `org` of an adviser's token and a network's `ros_org`).
pub const LAYERS: [&str; 4] = ["municipality", "province", "pc4", ROS_AREA];

/// The layer of the ROS working areas: not a layer of coverage reports nor of service areas,
/// but what a report can be restricted to (`ros_area=<code>`).
pub const ROS_AREA: &str = "ros_area";

/// Segments of the polygon that approximates a circle.
const CIRCLE_SEGMENTS: usize = 64;

/// A published network as the search index holds it.
#[derive(Debug)]
pub struct SearchEntry {
    pub id: Uuid,
    pub name: String,
    pub network_type: NetworkType,
    pub lifecycle: Lifecycle,
    pub disciplines: Vec<String>,
    pub tumour_types: Vec<String>,
    /// The name and descriptions in lower case, what `q` searches ([`crate::TextQuery`]).
    pub text: String,
    /// Size of the area, to prefer the most specific of nested networks.
    pub area_km2: f64,
    /// The public profile, serialised once.
    pub public_json: Box<RawValue>,
    /// Its compact form for widgets (`view=summary`), serialised once.
    pub summary_json: Box<RawValue>,
    /// The area itself, packed (about a quarter of its polygons' memory): coverage overlays
    /// cut it into cells, and GeoJSON answers write it out again
    /// ([`GeoJsonArea`](onconet_spatial::geojson_io::GeoJsonArea) gives the stored document).
    pub area: Arc<CompactArea>,
    /// The network's version (part of coverage cache keys).
    pub version: i64,
}

impl SearchEntry {
    /// The same entry in fresh memory of the calling thread. Entries are made on every core
    /// amid the far larger scratch memory of cutting their areas for the index; kept where
    /// they were made, they would hold on to the pages of all that scratch once it is freed.
    fn relocated(self) -> Self {
        Self {
            name: self.name.as_str().into(),
            disciplines: self.disciplines.clone(),
            tumour_types: self.tumour_types.clone(),
            text: self.text.as_str().into(),
            public_json: self.public_json.clone(),
            summary_json: self.summary_json.clone(),
            area: Arc::new(self.area.as_ref().clone()),
            ..self
        }
    }
}

/// The published networks' areas, indexed.
#[derive(Debug, Default)]
pub struct SearchIndex {
    areas: NearIndex<u32>,
    entries: Vec<Option<Arc<SearchEntry>>>,
    /// Each slot's place in the order by name, then id (how equal distances are ordered),
    /// kept apart so that sorting a page reads no entries.
    rank: Vec<u32>,
    slots: HashMap<Uuid, u32>,
    free: Vec<u32>,
    /// The latest version applied of every network seen, published or not: a NOTIFY handled
    /// late re-reads a row that an own write has already moved on from, and must not put the
    /// older version back (or take a published network out).
    seen: HashMap<Uuid, i64>,
}

impl SearchIndex {
    /// The index of many networks at once (one grid build, one ranking; a network given twice
    /// keeps its last entry).
    fn build(items: impl IntoIterator<Item = (SearchEntry, PreparedArea)>) -> Self {
        let mut index = SearchIndex::default();
        let mut areas = Vec::new();
        for (entry, area) in items {
            index.seen.insert(entry.id, entry.version);
            let slot = index.slot_for(entry.id);
            index.entries[slot as usize] = Some(Arc::new(entry.relocated()));
            areas.push((slot, area));
        }
        index.areas = NearIndex::build_prepared(areas);
        index.rerank();
        index
    }

    /// The slot of network `id`, given a free or new one if it has none.
    fn slot_for(&mut self, id: Uuid) -> u32 {
        if let Some(slot) = self.slots.get(&id) {
            return *slot;
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.entries.push(None);
            u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX)
        });
        self.slots.insert(id, slot);
        slot
    }

    fn upsert(&mut self, entry: SearchEntry, area: MultiPolygon<f64>) {
        let slot = self.slot_for(entry.id);
        self.areas.upsert(slot, area);
        self.entries[slot as usize] = Some(Arc::new(entry));
        self.rerank();
    }

    /// Records that `version` of network `id` is being applied; `false` when a version at
    /// least as new was applied already (nothing to do), or with `again` a newer one (the
    /// same version is rendered again).
    fn newer(&mut self, id: Uuid, version: i64, again: bool) -> bool {
        match self.seen.get(&id) {
            Some(known) if *known > version || (*known == version && !again) => false,
            _ => {
                self.seen.insert(id, version);
                true
            }
        }
    }

    fn rerank(&mut self) {
        let mut order: Vec<(&str, Uuid, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(slot, e)| e.as_ref().map(|e| (e.name.as_str(), e.id, slot)))
            .collect();
        order.sort_unstable();
        let mut rank = vec![u32::MAX; self.entries.len()];
        for (i, (_, _, slot)) in order.into_iter().enumerate() {
            rank[slot] = u32::try_from(i).unwrap_or(u32::MAX);
        }
        self.rank = rank;
    }

    fn remove(&mut self, id: Uuid) {
        if let Some(slot) = self.slots.remove(&id) {
            self.areas.remove(slot);
            self.entries[slot as usize] = None;
            self.free.push(slot);
            self.rerank();
        }
    }

    /// The networks accepted by `accept` (all without one) that cover the place or lie within
    /// the radius: how many, and the requested window of them (covering ones first at 0 km,
    /// then nearest first; equal distances by name).
    pub fn nearby(
        &self,
        query: NearbyQuery,
        accept: Option<impl Fn(&SearchEntry) -> bool>,
    ) -> (usize, Vec<(Arc<SearchEntry>, f64)>) {
        let entry = |slot: u32| self.entries.get(slot as usize).and_then(Option::as_ref);
        let page = self.areas.nearby(
            query,
            // Without a filter every indexed slot has an entry: no need to read it.
            |slot| match &accept {
                None => true,
                Some(accept) => entry(slot).is_some_and(|e| accept(e)),
            },
            |a, b| self.rank.get(a as usize).cmp(&self.rank.get(b as usize)),
        );
        let items = page
            .items
            .into_iter()
            .filter_map(|(slot, d)| entry(slot).map(|e| (e.clone(), d)))
            .collect();
        (page.total, items)
    }

    /// Networks whose area covers the point.
    pub fn covering(&self, lon: f64, lat: f64) -> Vec<Arc<SearchEntry>> {
        self.areas
            .covering(lon, lat)
            .into_iter()
            .filter_map(|slot| self.entries.get(slot as usize)?.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Every indexed network.
    pub fn entries(&self) -> impl Iterator<Item = &Arc<SearchEntry>> {
        self.entries.iter().flatten()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// How a front end shows a published network to the public, serialised once when the network
/// enters the search index (the HTTP adapter's `NetworkResponse`): searches then copy it
/// instead of serialising every hit. `None` when it cannot be shown.
pub type PublicJson = fn(&Network) -> Option<PublicViews>;

/// A published network's public documents, serialised once: the whole profile, and the
/// compact one embedded widgets ask for (`view=summary`).
#[derive(Debug)]
pub struct PublicViews {
    pub full: Box<RawValue>,
    pub summary: Box<RawValue>,
}

/// Region layers and the search index, shared by all workers.
#[derive(Debug)]
pub struct GeoState {
    /// Most vertices a service-area polygon may have.
    max_vertices: usize,
    /// The public document of an index entry.
    public_json: PublicJson,
    layers: RwLock<HashMap<String, Arc<RegionLayer>>>,
    search: RwLock<SearchIndex>,
    /// Changes with every index update (part of search ETags).
    generation: AtomicU64,
    /// Woken on every change of the index or of a layer (see [`GeoState::changed`]).
    changes: tokio::sync::Notify,
}

fn lock_poisoned() -> Error {
    Error::internal("geo state lock poisoned")
}

impl Default for GeoState {
    /// For geometry alone (region layers, derived areas): its index entries show nothing.
    fn default() -> Self {
        Self::new(onconet_spatial::validate::DEFAULT_MAX_VERTICES, |_| None)
    }
}

impl GeoState {
    /// Empty: no layers, no networks.
    pub fn new(max_vertices: usize, public_json: PublicJson) -> Self {
        Self {
            max_vertices,
            public_json,
            layers: RwLock::default(),
            search: RwLock::default(),
            generation: AtomicU64::default(),
            changes: tokio::sync::Notify::new(),
        }
    }

    /// Records a change of the index or of a layer.
    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.changes.notify_one();
    }

    /// Resolves after the next change of the index or of a layer (or at once, if one
    /// happened since the last call). For one follower, such as the coverage overlays.
    pub async fn changed(&self) {
        self.changes.notified().await;
    }

    pub fn max_vertices(&self) -> usize {
        self.max_vertices
    }

    /// Loads every region layer and every published network from the database, the layers
    /// while the search index is built (the index takes the stored areas, not the layers).
    pub async fn load(
        pool: &DbPool,
        max_vertices: usize,
        public_json: PublicJson,
    ) -> crate::Result<Self> {
        let state = Self::new(max_vertices, public_json);
        let layers = async {
            for layer in LAYERS {
                state.reload_layer(pool, layer).await?;
            }
            Ok::<_, Error>(())
        };
        tokio::try_join!(layers, state.reload_networks(pool))?;
        Ok(state)
    }

    pub fn layer(&self, name: &str) -> Option<Arc<RegionLayer>> {
        self.layers.read().ok()?.get(name).cloned()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Runs `f` on the search index under a read lock.
    pub fn with_search<T>(&self, f: impl FnOnce(&SearchIndex) -> T) -> crate::Result<T> {
        let guard = self.search.read().map_err(|_| lock_poisoned())?;
        Ok(f(&guard))
    }

    /// Reads one layer from the database (an empty layer when none was imported).
    pub async fn reload_layer(&self, pool: &DbPool, layer: &str) -> crate::Result<()> {
        let mut conn = onconet_db::pool::get(pool).await?;
        let rows = onconet_db::regions::load_layer(&mut conn, layer).await?;
        drop(conn);
        let count = rows.len();
        let built = tokio::task::spawn_blocking(move || {
            RegionLayer::new(
                rows.into_iter()
                    .map(|r| {
                        Region::new(
                            r.code,
                            r.name,
                            r.population,
                            multipolygon_from_geojson(&r.geometry),
                        )
                    })
                    .collect(),
            )
        })
        .await
        .map_err(Error::internal)?;
        self.layers
            .write()
            .map_err(|_| lock_poisoned())?
            .insert(layer.to_owned(), Arc::new(built));
        self.bump();
        if count > 0 {
            tracing::info!(layer, regions = count, "region layer loaded");
        }
        Ok(())
    }

    /// Rebuilds the whole search index from the database. The networks are read a page at a
    /// time and each page is turned into index entries before the next is read: a stored area
    /// as a JSON tree takes several times the memory of its polygons.
    pub async fn reload_networks(&self, pool: &DbPool) -> crate::Result<()> {
        let public_json = self.public_json;
        let started = std::time::Instant::now();
        let mut items: Vec<(SearchEntry, PreparedArea)> = Vec::new();
        // Each page is made ready for the index (its areas parsed and cut, on every core) while
        // the next is read, so the cutting, most of the work, overlaps the reading; at most
        // two pages are in memory as rows.
        let mut pending: Option<tokio::task::JoinHandle<crate::Result<Vec<_>>>> = None;
        let mut after = None;
        loop {
            let mut conn = onconet_db::pool::get(pool).await?;
            let rows = onconet_db::networks::published_page(&mut conn, after, LOAD_PAGE).await?;
            drop(conn);
            if let Some(page) = pending.take() {
                items.extend(page.await.map_err(Error::internal)??);
            }
            let Some(last) = rows.last() else { break };
            after = Some(last.0.id);
            let full = rows.len() as i64 == LOAD_PAGE;
            pending = Some(tokio::task::spawn_blocking(move || {
                use rayon::prelude::*;
                rows.into_par_iter()
                    .filter_map(|(row, area)| match row.into_domain() {
                        Ok(n) => {
                            let area = area.as_deref().map(multipolygon_from_geojson_text);
                            search_entry(&n, area, public_json)
                                .map(|(entry, area)| Ok((entry, PreparedArea::new(area))))
                        }
                        Err(e) => Some(Err(Error::from(e))),
                    })
                    .collect::<crate::Result<Vec<_>>>()
            }));
            if !full {
                break;
            }
        }
        if let Some(page) = pending.take() {
            items.extend(page.await.map_err(Error::internal)??);
        }
        let read = started.elapsed();
        let index = tokio::task::spawn_blocking(move || SearchIndex::build(items))
            .await
            .map_err(Error::internal)?;
        let count = index.len();
        let built = started.elapsed() - read;
        // The rebuilt index knows the versions it was built from, and no others: a change
        // applied meanwhile comes again through its NOTIFY.
        *self.search.write().map_err(|_| lock_poisoned())? = index;
        self.bump();
        tracing::info!(
            networks = count,
            read_s = read.as_secs_f64(),
            build_s = built.as_secs_f64(),
            "search index built"
        );
        Ok(())
    }

    /// Brings one network's index entry in line with `network` as stored, unless a version
    /// at least as new was applied already (a late NOTIFY re-reads what an own write moved on
    /// from).
    pub fn apply(&self, network: &Network) -> crate::Result<()> {
        self.apply_version(network, false)
    }

    /// Like [`GeoState::apply`]; with `again`, the version applied already is rendered again
    /// (time changed what it shows), but an older one still never replaces a newer.
    fn apply_version(&self, network: &Network, again: bool) -> crate::Result<()> {
        let area = network.area.as_ref().map(multipolygon_from_geojson);
        let entry = search_entry(network, area, self.public_json);
        let mut index = self.search.write().map_err(|_| lock_poisoned())?;
        if !index.newer(network.id, network.version, again) {
            return Ok(());
        }
        match entry {
            Some((entry, area)) => index.upsert(entry, area),
            None => index.remove(network.id),
        }
        drop(index);
        self.bump();
        Ok(())
    }

    /// Re-reads one network from the database and applies it (after a NOTIFY); with `again`,
    /// also when its version was applied already ([`Change::Aged`]).
    pub async fn refresh_network(&self, pool: &DbPool, id: Uuid, again: bool) -> crate::Result<()> {
        let mut conn = onconet_db::pool::get(pool).await?;
        let row = onconet_db::networks::find(&mut conn, id).await?;
        drop(conn);
        match row {
            Some(row) => self.apply_version(&row.into_domain()?, again),
            None => {
                self.search.write().map_err(|_| lock_poisoned())?.remove(id);
                self.bump();
                Ok(())
            }
        }
    }

    /// Derives one MultiPolygon from a service area's parts: the named municipalities and PC4
    /// areas, the geometry and the circles, united. `None` for an empty service area.
    /// Unknown codes are reported by JSON pointer (a layer can change after a profile was
    /// checked). `geometry` is the service area's geometry as checked and parsed when the
    /// profile was made (`CheckedProfile`), so a write parses it once; without it the stored
    /// GeoJSON is read (a stored profile, checked when it was written).
    pub fn derive_area(
        &self,
        area: &ServiceArea,
        geometry: Option<&MultiPolygon<f64>>,
    ) -> crate::Result<Option<DerivedArea>> {
        if area.is_empty() {
            return Ok(None);
        }
        let mut parts: Vec<MultiPolygon<f64>> = Vec::new();
        let mut errors = Vec::new();
        for (key, layer_name, codes) in [
            ("municipalities", "municipality", &area.municipalities),
            ("postcodes", "pc4", &area.postcodes),
        ] {
            if codes.is_empty() {
                continue;
            }
            let layer = self.layer(layer_name).filter(|l| !l.is_empty());
            for (i, code) in codes.iter().enumerate() {
                match layer.as_ref().and_then(|l| l.get(code)) {
                    Some(region) => parts.push(region.area.clone()),
                    None => errors.push(Invalid::pointer(
                        format!("/service_area/{key}/{i}"),
                        "unknown_region",
                        match layer {
                            Some(_) => format!("`{code}` is not a known {layer_name} code"),
                            None => format!("no {layer_name} layer has been imported, so `{code}` cannot be resolved"),
                        },
                    )),
                }
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        match (geometry, &area.geometry) {
            (Some(parsed), _) => parts.push(parsed.clone()),
            // Checked when the profile was written, so read without checking it again.
            (None, Some(stored)) => parts.push(multipolygon_from_geojson(stored)),
            (None, None) => {}
        }
        for c in &area.circles {
            parts.push(MultiPolygon::new(vec![circle(
                c.lat,
                c.lon,
                c.radius_km,
                CIRCLE_SEGMENTS,
            )]));
        }
        let union = canonical(&union_all(&parts));
        let km2 = area_km2(&union);
        Ok(Some(DerivedArea {
            geojson: multipolygon_to_geojson(&union),
            area_km2: km2,
            union,
        }))
    }
}

/// A derived service area, as stored.
#[derive(Debug, Clone)]
pub struct DerivedArea {
    pub geojson: serde_json::Value,
    pub area_km2: f64,
    /// The same area as `geo` types (what `geojson` was written from).
    pub union: MultiPolygon<f64>,
}

/// Networks read from the database at a time when the search index is built.
const LOAD_PAGE: i64 = 250;

/// The index entry of a network, if it belongs in the index (published, with an area).
fn search_entry(
    n: &Network,
    area: Option<MultiPolygon<f64>>,
    public_json: PublicJson,
) -> Option<(SearchEntry, MultiPolygon<f64>)> {
    if n.state != RegistryState::Published {
        return None;
    }
    let area = area?;
    let PublicViews {
        full: public_json,
        summary: summary_json,
    } = public_json(n)?;
    Some((
        SearchEntry {
            id: n.id,
            name: n.profile.name.clone(),
            network_type: n.profile.network_type,
            lifecycle: n.profile.lifecycle,
            disciplines: n.profile.disciplines.clone(),
            tumour_types: n.profile.tumour_types.clone(),
            text: crate::TextQuery::haystack(
                [
                    Some(n.profile.name.as_str()),
                    n.profile.description.nl.as_deref(),
                    n.profile.description.en.as_deref(),
                ]
                .into_iter()
                .flatten(),
            ),
            area_km2: n.area_km2.unwrap_or_default(),
            public_json,
            summary_json,
            area: Arc::new(CompactArea::new(&area)),
            version: n.version,
        },
        area,
    ))
}

/// A dedicated connection listening on the change channel. Open it before loading the state
/// that [`follow_changes`] keeps in step: a change made between the load and the `LISTEN`
/// would otherwise be missed until the next one (notifications wait on the connection until
/// they are read).
pub async fn listen_for_changes(
    url: &str,
) -> Result<diesel_async::AsyncPgConnection, Box<dyn std::error::Error + Send + Sync>> {
    use diesel_async::AsyncConnection;
    let mut conn = diesel_async::AsyncPgConnection::establish(url).await?;
    notify::listen(&mut conn).await?;
    Ok(conn)
}

/// Follows the change channel on `listening` (from [`listen_for_changes`], opened before `geo`
/// was loaded) and applies every change; after a lost connection it reconnects and reloads
/// everything (changes may have been missed).
pub async fn follow_changes(
    url: String,
    pool: DbPool,
    geo: Arc<GeoState>,
    listening: diesel_async::AsyncPgConnection,
) {
    use futures_util::StreamExt;
    let mut listening = Some(listening);
    loop {
        let mut conn = match listening.take() {
            Some(conn) => conn,
            None => {
                let conn = match listen_for_changes(&url).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener cannot connect or LISTEN; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                        continue;
                    }
                };
                for layer in LAYERS {
                    let _ = geo.reload_layer(&pool, layer).await;
                }
                let _ = geo.reload_networks(&pool).await;
                conn
            }
        };
        let mut stream = std::pin::pin!(conn.notifications_stream());
        while let Some(item) = stream.next().await {
            let Ok(n) = item else { break };
            let result = match Change::parse(&n.payload) {
                Some(Change::Network(id)) => geo.refresh_network(&pool, id, false).await,
                Some(Change::Aged(id)) => geo.refresh_network(&pool, id, true).await,
                Some(Change::RegionLayer(layer)) => geo.reload_layer(&pool, &layer).await,
                None => Ok(()),
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, payload = %n.payload, "could not apply a change");
            }
        }
        tracing::warn!("change listener lost its connection; reconnecting");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use onconet_domain::{LocalizedText, NetworkProfile, QualityAttestation, Scale, ServiceArea};

    fn network(version: i64, state: RegistryState) -> Network {
        Network {
            id: Uuid::nil(),
            profile: NetworkProfile {
                name: "Proef".into(),
                external_id: None,
                network_type: NetworkType::OncologyCareNetwork,
                scale: Scale::Local,
                parent_id: None,
                lifecycle: Lifecycle::Active,
                description: LocalizedText::default(),
                website: None,
                disciplines: vec![],
                tumour_types: vec![],
                financing: vec![],
                contacts: vec![],
                members: vec![],
                links: vec![],
                ros_org: None,
                service_area: ServiceArea::default(),
                quality: QualityAttestation::default(),
                programme: Default::default(),
            },
            state,
            version,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            last_verified_at: None,
            demo: false,
            area: Some(serde_json::json!({
                "type": "MultiPolygon",
                "coordinates": [[[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]]]
            })),
            area_km2: Some(75.0),
        }
    }

    fn covered(geo: &GeoState) -> usize {
        geo.with_search(|i| i.covering(5.05, 52.05).len()).unwrap()
    }

    #[test]
    fn a_late_older_version_does_not_undo_a_newer_one() {
        let geo = GeoState::new(1000, |_| {
            Some(PublicViews {
                full: RawValue::from_string("{}".into()).ok()?,
                summary: RawValue::from_string("{}".into()).ok()?,
            })
        });
        geo.apply(&network(3, RegistryState::Published)).unwrap();
        assert_eq!(covered(&geo), 1);
        let generation = geo.generation();
        // The NOTIFY of the submit (v2), read before the publish, handled after it.
        geo.apply(&network(2, RegistryState::Submitted)).unwrap();
        assert_eq!(covered(&geo), 1);
        assert_eq!(geo.generation(), generation, "nothing changed");
        // A newer version still applies, also one that takes it out.
        geo.apply(&network(4, RegistryState::Archived)).unwrap();
        assert_eq!(covered(&geo), 0);
        geo.apply(&network(3, RegistryState::Published)).unwrap();
        assert_eq!(covered(&geo), 0);
    }

    #[test]
    fn an_aged_network_is_rendered_again_at_the_same_version() {
        use std::sync::atomic::AtomicUsize;
        static RENDERED: AtomicUsize = AtomicUsize::new(0);
        let geo = GeoState::new(1000, |_| {
            let n = RENDERED.fetch_add(1, Ordering::SeqCst);
            Some(PublicViews {
                full: RawValue::from_string(format!("{{\"rendering\":{n}}}")).ok()?,
                summary: RawValue::from_string("{}".into()).ok()?,
            })
        });
        let shown = |geo: &GeoState| {
            geo.with_search(|i| {
                i.covering(5.05, 52.05)
                    .first()
                    .map(|e| e.public_json.get().to_owned())
            })
            .unwrap()
        };
        geo.apply(&network(3, RegistryState::Published)).unwrap();
        let first = shown(&geo);
        // Its own NOTIFY (`network:`) leaves the entry as it is.
        geo.apply_version(&network(3, RegistryState::Published), false)
            .unwrap();
        assert_eq!(shown(&geo), first);
        // `aged:` renders the same version again.
        let generation = geo.generation();
        geo.apply_version(&network(3, RegistryState::Published), true)
            .unwrap();
        assert_ne!(shown(&geo), first);
        assert!(geo.generation() > generation, "search ETags change");
        // An older version is still not put back.
        geo.apply_version(&network(2, RegistryState::Submitted), true)
            .unwrap();
        assert_eq!(covered(&geo), 1);
    }
}
