//! A seeded generator of a realistic but **synthetic** registry over the real CBS
//! municipalities. None of the networks exist: names start with `[SYNTH] `.
//!
//! About 60 % of the networks serve a cluster of 1–25 neighbouring municipalities (grown from a
//! random seed municipality over the adjacency graph; two municipalities are neighbours when
//! their polygons touch), about 40 % a circle of 8–40 km around a random point inside the
//! country. Types are mostly oncology care networks, with some regional oncology networks
//! (larger areas), network tumour groups and expert panels (with tumour types); each network
//! offers 2–12 random disciplines from the built-in vocabulary.

use anyhow::{Context, Result, bail};
use geo::{BoundingRect, Contains, Intersects, MultiPolygon, Point};
use onconet_domain::Vocabularies;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Seed: the same seed and input give the same registry.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of networks.
    #[arg(long, default_value_t = 500)]
    pub count: usize,
    /// Share of networks that serve a cluster of municipalities (the rest serve a circle).
    #[arg(long, default_value_t = 0.6)]
    pub cluster_share: f64,
    /// The CBS reference data folder (its `gemeenten-2024.geojson` is read).
    #[arg(
        long,
        env = "ONCONET_REFERENCE_DATA",
        default_value = "../shared/data/nl"
    )]
    pub reference_data: PathBuf,
    /// A municipality FeatureCollection to use instead (properties `code` and `name`).
    #[arg(long)]
    pub municipalities: Option<PathBuf>,
    /// Output file (stdout when absent).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// A municipality: CBS code, name and polygon (WGS84).
#[derive(Debug)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub area: MultiPolygon<f64>,
}

type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The municipalities, their bounding boxes in an R-tree, and who touches whom.
pub struct Country {
    pub municipalities: Vec<Municipality>,
    tree: RTree<BoxEntry>,
    pub neighbours: Vec<Vec<usize>>,
    bbox: [f64; 4],
}

/// Reads a CBS/PDOK-shaped municipality FeatureCollection.
pub fn read_municipalities(path: &Path) -> Result<Vec<Municipality>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let collection: geojson::FeatureCollection = text
        .parse()
        .with_context(|| format!("{} is not a GeoJSON FeatureCollection", path.display()))?;
    let mut out = Vec::new();
    for (i, feature) in collection.features.into_iter().enumerate() {
        let prop = |key: &str| -> Result<String> {
            feature
                .property(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .with_context(|| format!("feature {i} has no string property `{key}`"))
        };
        let (code, name) = (prop("code")?, prop("name")?);
        let geometry = feature
            .geometry
            .as_ref()
            .with_context(|| format!("feature {i} ({code}) has no geometry"))?;
        let area = match geo::Geometry::<f64>::try_from(geometry.value.clone())
            .with_context(|| format!("feature {i} ({code}): unreadable geometry"))?
        {
            geo::Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => bail!("feature {i} ({code}) is not a Polygon or MultiPolygon"),
        };
        out.push(Municipality { code, name, area });
    }
    if out.is_empty() {
        bail!("{} holds no municipalities", path.display());
    }
    Ok(out)
}

fn corners(area: &MultiPolygon<f64>) -> Option<([f64; 2], [f64; 2])> {
    area.bounding_rect()
        .map(|r| ([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

impl Country {
    pub fn new(municipalities: Vec<Municipality>) -> Self {
        let entries: Vec<BoxEntry> = municipalities
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                corners(&m.area)
                    .map(|(lo, hi)| GeomWithData::new(Rectangle::from_corners(lo, hi), i))
            })
            .collect();
        let tree = RTree::bulk_load(entries);
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for e in tree.iter() {
            let env = e.geom().envelope();
            let (lo, hi) = (env.lower(), env.upper());
            bbox = [
                bbox[0].min(lo[0]),
                bbox[1].min(lo[1]),
                bbox[2].max(hi[0]),
                bbox[3].max(hi[1]),
            ];
        }
        // Neighbours: boxes that meet are candidates, touching polygons confirm it.
        let mut neighbours = vec![Vec::new(); municipalities.len()];
        for e in tree.iter() {
            let i = e.data;
            let env = e.geom().envelope();
            let grown = AABB::from_corners(
                [env.lower()[0] - 1e-9, env.lower()[1] - 1e-9],
                [env.upper()[0] + 1e-9, env.upper()[1] + 1e-9],
            );
            for c in tree.locate_in_envelope_intersecting(&grown) {
                let j = c.data;
                if j > i && municipalities[i].area.intersects(&municipalities[j].area) {
                    neighbours[i].push(j);
                    neighbours[j].push(i);
                }
            }
        }
        for n in &mut neighbours {
            n.sort_unstable();
        }
        Self {
            municipalities,
            tree,
            neighbours,
            bbox,
        }
    }

    /// The municipality holding the point, if any.
    pub fn municipality_at(&self, lon: f64, lat: f64) -> Option<usize> {
        let p = Point::new(lon, lat);
        self.tree
            .locate_all_at_point(&[lon, lat])
            .map(|e| e.data)
            .find(|i| self.municipalities[*i].area.contains(&p))
    }

    /// A uniformly random point on land inside the country (rejection sampling).
    pub fn random_point_inside(&self, rng: &mut StdRng) -> Option<(f64, f64, usize)> {
        let [min_lon, min_lat, max_lon, max_lat] = self.bbox;
        for _ in 0..10_000 {
            let lon = round6(rng.gen_range(min_lon..max_lon));
            let lat = round6(rng.gen_range(min_lat..max_lat));
            if let Some(i) = self.municipality_at(lon, lat) {
                return Some((lon, lat, i));
            }
        }
        None
    }

    /// A connected cluster of up to `size` municipalities grown from `seed` over the adjacency
    /// graph, in a random order (so clusters are compact but irregular).
    pub fn grow_cluster(&self, seed: usize, size: usize, rng: &mut StdRng) -> Vec<usize> {
        let mut cluster = vec![seed];
        let mut taken: HashSet<usize> = HashSet::from([seed]);
        let mut frontier: BTreeSet<usize> = self.neighbours[seed].iter().copied().collect();
        while cluster.len() < size && !frontier.is_empty() {
            let list: Vec<usize> = frontier.iter().copied().collect();
            let Some(&next) = list.choose(rng) else {
                break;
            };
            frontier.remove(&next);
            taken.insert(next);
            cluster.push(next);
            for n in &self.neighbours[next] {
                if !taken.contains(n) {
                    frontier.insert(*n);
                }
            }
        }
        cluster
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn round3(v: f64) -> f64 {
    (v * 1e3).round() / 1e3
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    CareNetwork,
    Regional,
    TumourGroup,
    ExpertPanel,
}

impl Kind {
    fn pick(rng: &mut StdRng) -> Self {
        match rng.gen_range(0..100) {
            0..80 => Self::CareNetwork,
            80..88 => Self::Regional,
            88..95 => Self::TumourGroup,
            _ => Self::ExpertPanel,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::CareNetwork => "oncology_care_network",
            Self::Regional => "regional_oncology_network",
            Self::TumourGroup => "network_tumour_group",
            Self::ExpertPanel => "expert_panel",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::CareNetwork => "Oncologiezorgnetwerk",
            Self::Regional => "Regionaal oncologienetwerk",
            Self::TumourGroup => "Netwerktumorgroep",
            Self::ExpertPanel => "Expertpanel",
        }
    }
}

/// Cluster sizes 1–25, skewed towards small ones (median about 7); regional networks 10–25.
fn cluster_size(kind: Kind, rng: &mut StdRng) -> usize {
    if kind == Kind::Regional {
        return rng.gen_range(10..=25);
    }
    let u: f64 = rng.r#gen();
    1 + (24.0 * u.powi(2)).round() as usize
}

/// Circle radii 8–40 km; regional networks 25–40 km.
fn circle_radius(kind: Kind, rng: &mut StdRng) -> f64 {
    if kind == Kind::Regional {
        return round3(rng.gen_range(25.0..=40.0));
    }
    round3(rng.gen_range(8.0..=40.0))
}

fn pick_codes(codes: &[&'static str], min: usize, max: usize, rng: &mut StdRng) -> Vec<String> {
    let n = rng.gen_range(min..=max.min(codes.len()));
    let mut chosen: Vec<String> = codes
        .choose_multiple(rng, n)
        .map(|c| (*c).to_owned())
        .collect();
    chosen.sort();
    chosen
}

/// Generates `count` request bodies.
pub fn generate(country: &Country, args: &SynthArgs) -> Result<(Vec<Value>, Summary)> {
    let vocab = Vocabularies::builtin();
    let disciplines: Vec<&'static str> = vocab.disciplines.entries.iter().map(|e| e.code).collect();
    let tumour_types: Vec<&'static str> =
        vocab.tumour_types.entries.iter().map(|e| e.code).collect();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut summary = Summary::default();
    let mut bodies = Vec::with_capacity(args.count);
    for i in 1..=args.count {
        let kind = Kind::pick(&mut rng);
        let cluster = rng.gen_bool(args.cluster_share.clamp(0.0, 1.0));
        let (service_area, place, big) = if cluster {
            let seed = rng.gen_range(0..country.municipalities.len());
            let members = country.grow_cluster(seed, cluster_size(kind, &mut rng), &mut rng);
            summary.cluster_sizes.push(members.len());
            let mut codes: Vec<String> = members
                .iter()
                .map(|m| country.municipalities[*m].code.clone())
                .collect();
            codes.sort();
            let big = members.len();
            (
                json!({"municipalities": codes}),
                country.municipalities[seed].name.clone(),
                if big > 12 {
                    2
                } else if big > 4 {
                    1
                } else {
                    0
                },
            )
        } else {
            let (lon, lat, at) = country
                .random_point_inside(&mut rng)
                .context("found no point inside the municipalities")?;
            let radius = circle_radius(kind, &mut rng);
            summary.radii.push(radius);
            (
                json!({"circles": [{"lat": lat, "lon": lon, "radius_km": radius}]}),
                format!("rond {}", country.municipalities[at].name),
                if radius > 30.0 {
                    2
                } else if radius > 15.0 {
                    1
                } else {
                    0
                },
            )
        };
        let scale = ["local", "regional", "supra_regional"][big];
        let mut body = json!({
            "name": format!("[SYNTH] {} {} {i:03}", kind.label(), place),
            "type": kind.code(),
            "scale": scale,
            "lifecycle": "active",
            "disciplines": pick_codes(&disciplines, 2, 12, &mut rng),
            "service_area": service_area,
        });
        if matches!(kind, Kind::TumourGroup | Kind::ExpertPanel) {
            body["tumour_types"] = json!(pick_codes(&tumour_types, 1, 3, &mut rng));
        }
        *summary.kinds.entry(kind).or_default() += 1;
        bodies.push(body);
    }
    Ok((bodies, summary))
}

#[derive(Debug, Default)]
pub struct Summary {
    kinds: std::collections::BTreeMap<Kind, usize>,
    cluster_sizes: Vec<usize>,
    radii: Vec<f64>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(k, n)| format!("{} {n}", k.code()))
            .collect();
        let mut sizes = self.cluster_sizes.clone();
        sizes.sort_unstable();
        let median = sizes.get(sizes.len() / 2).copied().unwrap_or(0);
        let mean_r = self.radii.iter().sum::<f64>() / self.radii.len().max(1) as f64;
        write!(
            f,
            "types: {}; {} municipality clusters (1–25, median {median}, largest {}); {} circles (8–40 km, mean {mean_r:.1} km)",
            kinds.join(", "),
            sizes.len(),
            sizes.last().copied().unwrap_or(0),
            self.radii.len(),
        )
    }
}

pub fn run(args: &SynthArgs) -> Result<()> {
    let path = args
        .municipalities
        .clone()
        .unwrap_or_else(|| args.reference_data.join("gemeenten-2024.geojson"));
    let country = Country::new(read_municipalities(&path)?);
    let isolated = country.neighbours.iter().filter(|n| n.is_empty()).count();
    let (bodies, summary) = generate(&country, args)?;
    let mut text = String::new();
    for b in &bodies {
        text.push_str(&serde_json::to_string(b)?);
        text.push('\n');
    }
    match &args.out {
        Some(out) => {
            std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("cannot write to stdout")?,
    }
    eprintln!(
        "synth: {} SYNTHETIC networks (seed {}) over {} municipalities from {} ({} without a land neighbour); {summary}",
        bodies.len(),
        args.seed,
        country.municipalities.len(),
        path.display(),
        isolated,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn square(code: &str, x: f64, y: f64) -> Municipality {
        let ring = LineString::from(vec![
            (x, y),
            (x + 1.0, y),
            (x + 1.0, y + 1.0),
            (x, y + 1.0),
            (x, y),
        ]);
        Municipality {
            code: code.into(),
            name: code.into(),
            area: MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
        }
    }

    /// A 3×3 grid of unit squares plus one island far away.
    fn grid() -> Country {
        let mut m = Vec::new();
        for y in 0..3 {
            for x in 0..3 {
                m.push(square(&format!("GM{}", y * 3 + x), x as f64, y as f64));
            }
        }
        m.push(square("GM9", 10.0, 10.0));
        Country::new(m)
    }

    #[test]
    fn neighbours_are_the_squares_that_touch() {
        let c = grid();
        // The centre touches all 8 around it (corners count as touching).
        assert_eq!(c.neighbours[4], vec![0, 1, 2, 3, 5, 6, 7, 8]);
        assert_eq!(c.neighbours[0], vec![1, 3, 4]);
        assert!(c.neighbours[9].is_empty());
        assert_eq!(c.municipality_at(1.5, 1.5), Some(4));
        assert_eq!(c.municipality_at(5.0, 5.0), None);
    }

    #[test]
    fn clusters_are_connected_and_seeded() {
        let c = grid();
        let mut rng = StdRng::seed_from_u64(3);
        let cluster = c.grow_cluster(0, 5, &mut rng);
        assert_eq!(cluster.len(), 5);
        assert_eq!(cluster[0], 0);
        for (k, m) in cluster.iter().enumerate().skip(1) {
            assert!(cluster[..k].iter().any(|p| c.neighbours[*m].contains(p)));
        }
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(c.grow_cluster(0, 5, &mut rng), cluster);
        // An island stays alone, whatever size is asked.
        assert_eq!(c.grow_cluster(9, 25, &mut rng), vec![9]);
    }

    #[test]
    fn bodies_are_synthetic_and_well_formed() {
        let c = grid();
        let args = SynthArgs {
            seed: 42,
            count: 200,
            cluster_share: 0.6,
            reference_data: PathBuf::new(),
            municipalities: None,
            out: None,
        };
        let (bodies, summary) = generate(&c, &args).unwrap();
        assert_eq!(bodies.len(), 200);
        assert_eq!(generate(&c, &args).unwrap().0, bodies);
        assert!(summary.cluster_sizes.len() > 90 && summary.radii.len() > 50);
        for b in &bodies {
            assert!(b["name"].as_str().unwrap().starts_with("[SYNTH] "));
            let n = b["disciplines"].as_array().unwrap().len();
            assert!((2..=12).contains(&n));
            let t = b["type"].as_str().unwrap();
            let needs_tumours = t == "network_tumour_group" || t == "expert_panel";
            assert_eq!(b.get("tumour_types").is_some(), needs_tumours);
            if let Some(circles) = b["service_area"].get("circles") {
                let r = circles[0]["radius_km"].as_f64().unwrap();
                assert!((8.0..=40.0).contains(&r));
            }
        }
    }
}
