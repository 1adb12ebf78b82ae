//! Find a network for a place, from the in-memory index (no database): `search` (covering
//! networks first, then the nearest within a radius) and `here` (everything for one place).

use crate::Registry;
use crate::error::{Error, Result};
use crate::filter::NetworkFilter;
use crate::geography::SearchEntry;
use onconet_domain::{NetworkType, parse_code, parse_municipality_code};
use onconet_spatial::NearbyQuery;
use std::sync::Arc;

/// Default and largest search radius in km.
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 100.0;

/// The place as given: exactly one of `lat`+`lon`, `postcode` or `municipality`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlaceParams<'a> {
    pub lat: Option<&'a str>,
    pub lon: Option<&'a str>,
    pub postcode: Option<&'a str>,
    pub municipality: Option<&'a str>,
}

/// A region a place lies in.
#[derive(Debug, Clone)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
    pub population: Option<i64>,
}

/// The place a search is about, resolved.
#[derive(Debug, Clone)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
    /// The PC4 area, when searched by postcode.
    pub postcode: Option<String>,
    pub municipality: Option<RegionRef>,
    pub province: Option<RegionRef>,
}

/// A page of networks found: how many in all, and this page with each one's distance in km
/// (0 when it covers the place).
pub struct Found {
    pub total: usize,
    pub items: Vec<(Arc<SearchEntry>, f64)>,
}

/// Everything there is for one place.
pub struct Here {
    /// Oncology care networks covering the place.
    pub care_networks: Vec<Arc<SearchEntry>>,
    /// Regional oncology networks covering it, smallest first (they nest).
    pub regional_networks: Vec<Arc<SearchEntry>>,
    /// Network tumour groups covering it (for the tumour type, if given).
    pub tumour_groups: Vec<Arc<SearchEntry>>,
    /// Expert panels covering it (for the tumour type, if given).
    pub expert_panels: Vec<Arc<SearchEntry>>,
}

fn parse_number(name: &str, value: &str) -> Result<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| Error::bad_parameter(name, "invalid_type", "must be a number"))
}

/// `radius_km` as given: default 25, from 0 to 100.
pub fn parse_radius(value: Option<&str>) -> Result<f64> {
    match value {
        None => Ok(DEFAULT_RADIUS_KM),
        Some(r) => {
            let r = parse_number("radius_km", r)?;
            if !(0.0..=MAX_RADIUS_KM).contains(&r) {
                return Err(Error::out_of_range(
                    "radius_km",
                    "must be between 0 and 100",
                ));
            }
            Ok(r)
        }
    }
}

/// Normalises a Dutch postcode (`1234`, `1234AB`, `1234 ab`) to its four digits.
pub fn pc4_of(postcode: &str) -> Option<String> {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    // ASCII only: other digits and letters (`９７１１`, `٩٧١١`) are no Dutch postcode, and
    // splitting them at byte 4 would cut a character.
    if !compact.is_ascii() {
        return None;
    }
    let (digits, letters) = compact.split_at(compact.len().min(4));
    let ok = digits.len() == 4
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
        && (letters.is_empty()
            || (letters.len() == 2
                && letters.chars().all(|c| c.is_ascii_uppercase())
                && !matches!(letters, "SA" | "SD" | "SS")));
    ok.then(|| digits.to_owned())
}

fn region_ref(r: &onconet_spatial::Region) -> RegionRef {
    RegionRef {
        code: r.code.clone(),
        name: r.name.clone(),
        population: r.population,
    }
}

impl Registry {
    /// Changes whenever the in-memory geography does (part of the weak ETags of answers
    /// computed from it).
    pub fn generation(&self) -> u64 {
        self.geo.generation()
    }

    /// Resolves the place of a search: coordinates, the interior point of a PC4 area (inside
    /// its land) or of a municipality, with the municipality and province it lies in.
    pub fn place(&self, p: PlaceParams<'_>) -> Result<Place> {
        let given = [
            p.lat.is_some() || p.lon.is_some(),
            p.postcode.is_some(),
            p.municipality.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(Error::BadRequest {
                detail: "give exactly one place: `lat` and `lon`, `postcode`, or `municipality`"
                    .into(),
                errors: vec![crate::Invalid::parameter(
                    "lat",
                    "required",
                    "one place is required",
                )],
            });
        }
        let (lon, lat, postcode) = if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
            let (lat, lon) = (parse_number("lat", lat)?, parse_number("lon", lon)?);
            if !(-90.0..=90.0).contains(&lat) {
                return Err(Error::out_of_range(
                    "lat",
                    "latitude must be between -90 and 90",
                ));
            }
            if !(-180.0..=180.0).contains(&lon) {
                return Err(Error::out_of_range(
                    "lon",
                    "longitude must be between -180 and 180",
                ));
            }
            (lon, lat, None)
        } else if p.lat.is_some() || p.lon.is_some() {
            let missing = if p.lat.is_none() { "lat" } else { "lon" };
            return Err(Error::bad_parameter(
                missing,
                "required",
                "`lat` and `lon` go together",
            ));
        } else if let Some(postcode) = p.postcode {
            let pc4 = pc4_of(postcode).ok_or_else(|| {
                Error::bad_parameter(
                    "postcode",
                    "invalid_format",
                    "not a Dutch postcode (1234, 1234AB or 1234 AB)",
                )
            })?;
            let layer = self.geo.layer("pc4").unwrap_or_default();
            let area = layer
                .get(&pc4)
                .ok_or_else(|| Error::NotFound(format!("postcode area {pc4} is not known")))?;
            let land = self.geo.layer("municipality").unwrap_or_default();
            let at = onconet_spatial::anchor_within(area, &land);
            (at.x(), at.y(), Some(pc4))
        } else {
            let code = parse_municipality_code(p.municipality.unwrap_or_default())
                .map_err(|e| Error::bad_parameter("municipality", e.code, e.message))?;
            let layer = self.geo.layer("municipality").unwrap_or_default();
            let m = layer
                .get(&code)
                .ok_or_else(|| Error::NotFound(format!("municipality {code} is not known")))?;
            (m.interior.x(), m.interior.y(), None)
        };
        let in_layer = |name: &str| {
            self.geo
                .layer(name)
                .and_then(|l| l.at(lon, lat).map(region_ref))
        };
        Ok(Place {
            lat,
            lon,
            postcode,
            municipality: in_layer("municipality"),
            province: in_layer("province"),
        })
    }

    /// The published networks matching `filter` (and `text`, when given) that cover `place`
    /// or lie within `radius_km`: covering ones first (0 km), then by distance, equal
    /// distances by name; `take` of them after the first `skip`. A first page (`skip` 0)
    /// counts as one find-a-network search in the anonymous usage counts (by its filter: the
    /// words are not kept).
    pub fn search(
        &self,
        place: &Place,
        filter: &NetworkFilter,
        text: Option<&crate::TextQuery>,
        radius_km: f64,
        skip: usize,
        take: usize,
    ) -> Result<Found> {
        let query = NearbyQuery {
            lon: place.lon,
            lat: place.lat,
            radius_km,
            skip,
            take,
        };
        let (total, items) = self.geo.with_search(|index| {
            index.nearby(
                query,
                (!filter.is_empty() || text.is_some()).then_some(|e: &SearchEntry| {
                    filter.matches(e.network_type, e.lifecycle, &e.disciplines, &e.tumour_types)
                        && text.is_none_or(|t| t.matches(&e.text))
                }),
            )
        })?;
        // A search is counted once, on its first page (paging on is no new search).
        if skip == 0 {
            let covered = items.first().is_some_and(|(_, d)| *d == 0.0);
            self.count_finder_search(place, filter, covered);
        }
        Ok(Found { total, items })
    }

    /// A tumour type as given to [`Registry::here`] (a 400 when it is not in the vocabulary).
    pub fn tumour_type(&self, value: Option<&str>) -> Result<Option<String>> {
        value
            .map(|t| {
                parse_code(&self.vocabularies.tumour_types, t.trim())
                    .map_err(|e| Error::bad_parameter("tumour_type", e.code, e.message))
            })
            .transpose()
    }

    /// The published networks covering `place`, by kind; tumour groups and expert panels
    /// for `tumour_type` only, when given. Smallest area first, so the most specific of
    /// nested networks leads.
    pub fn here(&self, place: &Place, tumour_type: Option<&str>) -> Result<Here> {
        let mut covering = self
            .geo
            .with_search(|index| index.covering(place.lon, place.lat))?;
        covering.sort_by(|a, b| {
            a.area_km2
                .total_cmp(&b.area_km2)
                .then_with(|| a.name.cmp(&b.name))
        });
        let of = |t: NetworkType, by_tumour: bool| -> Vec<Arc<SearchEntry>> {
            covering
                .iter()
                .filter(|e| e.network_type == t)
                .filter(|e| {
                    !by_tumour
                        || tumour_type.is_none_or(|tt| e.tumour_types.iter().any(|x| x == tt))
                })
                .cloned()
                .collect()
        };
        Ok(Here {
            care_networks: of(NetworkType::OncologyCareNetwork, false),
            regional_networks: of(NetworkType::RegionalOncologyNetwork, false),
            tumour_groups: of(NetworkType::NetworkTumourGroup, true),
            expert_panels: of(NetworkType::ExpertPanel, true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::pc4_of;

    #[test]
    fn postcodes() {
        assert_eq!(pc4_of("9713").as_deref(), Some("9713"));
        assert_eq!(pc4_of("9713AB").as_deref(), Some("9713"));
        assert_eq!(pc4_of(" 9713 ab ").as_deref(), Some("9713"));
        for bad in [
            "0713",
            "971",
            "97133",
            "9713A",
            "9713 SS",
            "abcd",
            "",
            "９７１１",
            "9٧١١",
            "9713ÄB",
            "é713",
        ] {
            assert_eq!(pc4_of(bad), None, "{bad}");
        }
    }
}
