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

/// Colour classes, light to dark (ColorBrewer YlGnBu, colour-blind safe), with their lower bounds.
const CLASSES: [(f64, &str, &str); 5] = [
    (0.0, "#ffffcc", "0–20 %"),
    (0.2, "#a1dab4", "20–40 %"),
    (0.4, "#41b6c4", "40–60 %"),
    (0.6, "#2c7fb8", "60–80 %"),
    (0.8, "#253494", "80–100 %"),
];
const NO_COVERAGE: &str = "#e34a33";

fn colour(value: Option<f64>) -> &'static str {
    match value {
        None => "#dddddd",
        Some(v) if v <= 0.0 => NO_COVERAGE,
        Some(v) => CLASSES
            .iter()
            .rev()
            .find(|(min, _, _)| v >= *min)
            .map_or(CLASSES[0].1, |c| c.1),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders `regions` as a choropleth map `width` pixels wide with a title and a legend.
///
/// Longitudes are scaled by cos 52.2° so the country keeps its shape; polygons are simplified
/// to about a pixel, which keeps a national municipality map near 200 kB.
pub fn choropleth_svg(
    regions: &[MapRegion<'_>],
    title: &str,
    subtitle: &str,
    width: f64,
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
    let (top, legend_w) = (70.0, 170.0);
    let height = top + map_h + 20.0;
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
            colour(region.value),
            escape(&region.label)
        );
    }
    svg.push_str("</g>\n");
    let lx = width + 10.0;
    let _ = writeln!(
        svg,
        r##"<g font-size="13" fill="#222"><text x="{lx}" y="{}" font-weight="600">Coverage</text>"##,
        top + 10.0
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
    entry(NO_COVERAGE, "none (gap)");
    for (_, fill, text) in CLASSES {
        entry(fill, text);
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
}
