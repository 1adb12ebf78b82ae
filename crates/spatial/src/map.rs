//! Server-rendered maps: a choropleth of a region layer as a self-contained SVG.

use geo::{BoundingRect, MultiPolygon, Rect, Simplify};
use std::fmt::Write;

/// One shaded region.
pub struct MapRegion<'a> {
    pub area: &'a MultiPolygon<f64>,
    /// 0–1, or `None` for "no data".
    pub value: Option<f64>,
    /// Tooltip text.
    pub label: String,
}

/// Coverage classes, light to dark (ColorBrewer YlGnBu, colour-blind safe), with their lower
/// bounds.
const CLASSES: [(f64, &str, &str); 5] = [
    (0.0, "#ffffcc", "0–20 %"),
    (0.2, "#a1dab4", "20–40 %"),
    (0.4, "#41b6c4", "40–60 %"),
    (0.6, "#2c7fb8", "60–80 %"),
    (0.8, "#253494", "80–100 %"),
];
const NO_COVERAGE: &str = "#e34a33";
const NO_DATA: &str = "#dddddd";
/// Count classes, light to dark (ColorBrewer YlOrRd).
const COUNT_COLOURS: [&str; 5] = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];

/// How values become colours, and the legend that says so.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    /// The legend's heading.
    pub heading: String,
    /// The colour and legend text of `None`, and whether it is listed.
    pub none: (&'static str, String, bool),
    /// The colour and text of values ≤ 0, when they have their own (coverage: a gap).
    pub zero: Option<(&'static str, String)>,
    /// Lower bounds, colours and texts, ascending.
    pub classes: Vec<(f64, &'static str, String)>,
}

impl Scale {
    /// Coverage, 0–1: a gap in red, then five classes of 20 %.
    pub fn coverage() -> Self {
        Self {
            heading: "Coverage".into(),
            none: (NO_DATA, "no data".into(), false),
            zero: Some((NO_COVERAGE, "none (gap)".into())),
            classes: CLASSES
                .iter()
                .map(|(min, fill, text)| (*min, *fill, (*text).to_owned()))
                .collect(),
        }
    }

    /// Counts from `min` up to `max`, in five classes whose bounds grow geometrically (a few
    /// large cities do not wash out the rest); `None` (fewer than `min`, or nothing) in grey.
    pub fn counts(heading: &str, min: i64, max: i64, none_text: &str) -> Self {
        let (min, max) = (min.max(1), max.max(min.max(1)));
        let ratio = max as f64 / min as f64;
        let mut bounds: Vec<i64> = (0..5)
            .map(|i| (min as f64 * ratio.powf(f64::from(i) / 5.0)).round() as i64)
            .collect();
        bounds.dedup();
        let classes = bounds
            .iter()
            .enumerate()
            .map(|(i, lower)| {
                let text = match bounds.get(i + 1) {
                    Some(next) if next - 1 > *lower => format!("{lower}–{}", next - 1),
                    Some(_) => lower.to_string(),
                    None if *lower < max => format!("{lower}–{max}"),
                    None => lower.to_string(),
                };
                (*lower as f64, COUNT_COLOURS[i], text)
            })
            .collect();
        Self {
            heading: heading.into(),
            none: (NO_DATA, none_text.into(), true),
            zero: None,
            classes,
        }
    }

    fn colour(&self, value: Option<f64>) -> &'static str {
        match (value, &self.zero) {
            (None, _) => self.none.0,
            (Some(v), Some((zero, _))) if v <= 0.0 => zero,
            (Some(v), _) => self
                .classes
                .iter()
                .rev()
                .find(|(min, _, _)| v >= *min)
                .or(self.classes.first())
                .map_or(self.none.0, |c| c.1),
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders `regions` as a coverage choropleth map `width` pixels wide with a title and a
/// legend.
pub fn choropleth_svg(
    regions: &[MapRegion<'_>],
    title: &str,
    subtitle: &str,
    width: f64,
) -> String {
    map_svg(regions, title, subtitle, width, &Scale::coverage(), None)
}

/// Renders `regions` as a choropleth map `width` pixels wide with a title, the legend of
/// `shading` and, when given, a numbered list under it (`(heading, lines)`, e.g. the gaps most
/// searched for).
///
/// Longitudes are scaled by cos 52.2° so the country keeps its shape; polygons are simplified
/// to about a pixel, which keeps a national municipality map near 200 kB.
pub fn map_svg(
    regions: &[MapRegion<'_>],
    title: &str,
    subtitle: &str,
    width: f64,
    shading: &Scale,
    list: Option<(&str, &[String])>,
) -> String {
    let bounds = regions
        .iter()
        .filter_map(|r| r.area.bounding_rect())
        .reduce(|a, b| {
            Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .unwrap_or_else(|| Rect::new((3.3, 50.7), (7.3, 53.6)));
    let kx = 52.2f64.to_radians().cos();
    let map_w = width - 40.0;
    let scale = map_w / ((bounds.width() * kx).max(1e-9));
    let map_h = bounds.height() * scale;
    let (top, legend_w) = (70.0, if list.is_some() { 300.0 } else { 170.0 });
    let listed = list.map_or(0, |(_, lines)| lines.len() + 2) as f64;
    let legend_h = 24.0 + 22.0 * (shading.classes.len() + 2) as f64 + 18.0 * listed;
    let height = (top + map_h + 20.0).max(top + legend_h + 20.0);
    let total_w = width + legend_w;
    let tolerance = 0.7 / scale;
    let mut svg = String::with_capacity(256 * 1024);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w:.0} {height:.0}" width="{total_w:.0}" height="{height:.0}" role="img" aria-labelledby="t d" font-family="system-ui, sans-serif">
<title id="t">{}</title><desc id="d">{}</desc>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="32" font-size="22" font-weight="600" fill="#111">{}</text>
<text x="20" y="56" font-size="14" fill="#444">{}</text>
<g stroke="#ffffff" stroke-width="0.4" stroke-linejoin="round">
"##,
        escape(title),
        escape(subtitle),
        escape(title),
        escape(subtitle)
    );
    let project = |x: f64, y: f64| {
        (
            20.0 + (x - bounds.min().x) * kx * scale,
            top + (bounds.max().y - y) * scale,
        )
    };
    for region in regions {
        let simplified = region.area.simplify(tolerance);
        let mut d = String::new();
        for polygon in simplified.0.iter() {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for (i, c) in ring.0.iter().enumerate() {
                    let (px, py) = project(c.x, c.y);
                    let _ = write!(d, "{}{px:.1},{py:.1}", if i == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        if d.is_empty() {
            continue;
        }
        let _ = writeln!(
            svg,
            r#"<path d="{d}" fill="{}" fill-rule="evenodd"><title>{}</title></path>"#,
            shading.colour(region.value),
            escape(&region.label)
        );
    }
    svg.push_str("</g>\n");
    let lx = width + 10.0;
    let _ = writeln!(
        svg,
        r##"<g font-size="13" fill="#222"><text x="{lx}" y="{}" font-weight="600">{}</text>"##,
        top + 10.0,
        escape(&shading.heading)
    );
    let mut y = top + 24.0;
    let mut entry = |fill: &str, text: &str| {
        let _ = writeln!(
            svg,
            r##"<rect x="{lx}" y="{y}" width="18" height="14" fill="{fill}" stroke="#999" stroke-width="0.5"/><text x="{}" y="{}">{text}</text>"##,
            lx + 26.0,
            y + 11.5
        );
        y += 22.0;
    };
    if let Some((fill, text)) = &shading.zero {
        entry(fill, text);
    }
    for (_, fill, text) in &shading.classes {
        entry(fill, &escape(text));
    }
    if shading.none.2 {
        entry(shading.none.0, &escape(&shading.none.1));
    }
    if let Some((heading, lines)) = list {
        y += 14.0;
        let _ = writeln!(
            svg,
            r##"<text x="{lx}" y="{y}" font-weight="600">{}</text>"##,
            escape(heading)
        );
        for (i, line) in lines.iter().enumerate() {
            y += 18.0;
            let _ = writeln!(
                svg,
                r##"<text x="{lx}" y="{y}" font-size="12">{}. {}</text>"##,
                i + 1,
                escape(line)
            );
        }
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_regions_legend_and_title() {
        let a = MultiPolygon::new(vec![Rect::new((5.0, 52.0), (5.1, 52.1)).to_polygon()]);
        let b = MultiPolygon::new(vec![Rect::new((5.1, 52.0), (5.2, 52.1)).to_polygon()]);
        let svg = choropleth_svg(
            &[
                MapRegion {
                    area: &a,
                    value: Some(0.0),
                    label: "A <0 %>".into(),
                },
                MapRegion {
                    area: &b,
                    value: Some(0.9),
                    label: "B".into(),
                },
            ],
            "Coverage & gaps",
            "test",
            400.0,
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains(NO_COVERAGE) && svg.contains("#253494"));
        assert!(svg.contains("Coverage &amp; gaps") && svg.contains("A &lt;0 %&gt;"));
        assert!(svg.contains("80–100 %"));
    }

    #[test]
    fn count_scales_grow_geometrically_and_shade_what_is_known() {
        let s = Scale::counts("Searches without result", 5, 500, "fewer than 5");
        let bounds: Vec<f64> = s.classes.iter().map(|c| c.0).collect();
        assert_eq!(bounds, [5.0, 13.0, 32.0, 79.0, 199.0]);
        assert_eq!(s.classes[0].2, "5–12");
        assert_eq!(s.classes[4].2, "199–500");
        assert_eq!(s.colour(None), NO_DATA);
        assert_eq!(s.colour(Some(5.0)), COUNT_COLOURS[0]);
        assert_eq!(s.colour(Some(80.0)), COUNT_COLOURS[3]);
        assert_eq!(s.colour(Some(10_000.0)), COUNT_COLOURS[4]);
        // A narrow range does not repeat a class.
        let narrow = Scale::counts("n", 5, 6, "-");
        assert_eq!(narrow.classes.len(), 2);
        assert_eq!(narrow.classes[1].2, "6");
        let single = Scale::counts("n", 5, 5, "-");
        assert_eq!(single.classes.len(), 1);
        assert_eq!(single.classes[0].2, "5");
    }

    #[test]
    fn maps_can_carry_a_ranked_list() {
        let a = MultiPolygon::new(vec![Rect::new((5.0, 52.0), (5.1, 52.1)).to_polygon()]);
        let regions = [MapRegion {
            area: &a,
            value: Some(12.0),
            label: "A".into(),
        }];
        let lines = ["Groningen: 12 <searches>".to_owned()];
        let svg = map_svg(
            &regions,
            "t",
            "s",
            400.0,
            &Scale::counts("Unmet demand", 5, 12, "fewer than 5"),
            Some(("Most searched gaps", &lines)),
        );
        assert!(svg.contains("Unmet demand") && svg.contains("Most searched gaps"));
        assert!(svg.contains("1. Groningen: 12 &lt;searches&gt;"));
        assert!(svg.contains("fewer than 5"));
        assert!(!svg.contains(NO_COVERAGE));
    }
}
