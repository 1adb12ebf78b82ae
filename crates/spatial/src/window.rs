//! An area seen from one small region: whether the region lies wholly inside the area, wholly
//! outside, or on its border, and in that last case the polygons of the area that come near it.
//! The coverage engine runs a boolean operation only for regions on the border, and with only
//! the polygons that matter; a network of twenty municipalities overlaps hundreds of PC4
//! regions, and most lie inside it whole.
//!
//! The answer is exact: when no edge of the area meets a rectangle, the rectangle lies wholly
//! inside or wholly outside the area, and one point strictly inside it tells which. (Clipping
//! the area's rings to the rectangle would make the border case cheaper too, but the clipped
//! rings run along the rectangle's edge in both directions, which the boolean operation does
//! not accept as input.)

use geo::{BooleanOps, BoundingRect, Coord, CoordsIter, MultiPolygon, Point, Polygon, Rect};
use std::borrow::Cow;

/// What an area looks like from a rectangle.
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    /// The rectangle lies wholly inside the area.
    Inside,
    /// The rectangle lies wholly outside the area.
    Outside,
    /// The area's border crosses the rectangle: the area's polygons that come near it, whole.
    Crossing(MultiPolygon<f64>),
}

/// `area` seen from `rect`. `probe` must lie strictly inside `rect`: it decides inside or
/// outside when no edge of the area meets the rectangle.
pub fn window(area: &MultiPolygon<f64>, rect: Rect<f64>, probe: Point<f64>) -> Window {
    let meets = |r: Option<Rect<f64>>| r.is_some_and(|r| overlap(r, rect));
    let polygons: Vec<&Polygon<f64>> = area
        .iter()
        .filter(|p| meets(p.exterior().bounding_rect()))
        .collect();
    let crossing = polygons.iter().any(|p| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .filter(|ring| meets(ring.bounding_rect()))
            .any(|ring| {
                ring.lines()
                    .any(|l| overlap(Rect::new(l.start, l.end), rect))
            })
    });
    if crossing {
        Window::Crossing(MultiPolygon::new(polygons.into_iter().cloned().collect()))
    } else if polygons
        .iter()
        .any(|p| geo::Intersects::intersects(*p, &probe))
    {
        // No border near the rectangle: it is all in one polygon (not in a hole of it) ...
        Window::Inside
    } else {
        // ... or in none.
        Window::Outside
    }
}

/// Areas of more than this many vertices are cut into pieces by [`in_pieces`].
const WHOLE_VERTICES: usize = 1024;
/// Largest piece [`in_pieces`] cuts.
const PIECE_VERTICES: usize = 256;
/// How often a piece is halved at most.
const MAX_SPLIT_DEPTH: usize = 16;

/// `area` as pieces of at most a few hundred vertices that together make it (they share the
/// edges where it was cut), when it is large: what [`window`] picks from for a region on the
/// border is then a few pieces, not the whole area. Cut once per area, not once per region.
pub fn in_pieces(area: &MultiPolygon<f64>) -> Cow<'_, MultiPolygon<f64>> {
    if area.coords_count() <= WHOLE_VERTICES {
        return Cow::Borrowed(area);
    }
    Cow::Owned(MultiPolygon::new(
        area.iter()
            .flat_map(|p| split_polygon(p.clone(), PIECE_VERTICES))
            .collect(),
    ))
}

/// Whether two rectangles share a point.
fn overlap(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// Cuts `polygon` into pieces of at most `max` vertices.
fn split_polygon(polygon: Polygon<f64>, max: usize) -> Vec<Polygon<f64>> {
    let mut out = Vec::new();
    split_into(polygon, max, 0, &mut out);
    out
}

fn split_into(polygon: Polygon<f64>, max: usize, depth: usize, out: &mut Vec<Polygon<f64>>) {
    let n = polygon.coords_count();
    let Some(rect) = polygon.bounding_rect() else {
        return;
    };
    if n <= max || depth >= MAX_SPLIT_DEPTH {
        out.push(polygon);
        return;
    }
    let (min, max_c) = (rect.min(), rect.max());
    // Halve along the longer side (longitude shrunk by cos 52°, the country's middle).
    let halves = if rect.width() * 0.62 >= rect.height() {
        let mid = (min.x + max_c.x) / 2.0;
        [
            Rect::new(min, Coord { x: mid, y: max_c.y }),
            Rect::new(Coord { x: mid, y: min.y }, max_c),
        ]
    } else {
        let mid = (min.y + max_c.y) / 2.0;
        [
            Rect::new(min, Coord { x: max_c.x, y: mid }),
            Rect::new(Coord { x: min.x, y: mid }, max_c),
        ]
    };
    for half in halves {
        for piece in polygon.intersection(&half.to_polygon()) {
            split_into(piece, max, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::area_km2;
    use geo::{BooleanOps, Coord, polygon};

    #[test]
    fn split_pieces_are_small_and_cover_the_same_points() {
        use geo::{Contains, Intersects};
        let star = |n: usize| -> Polygon<f64> {
            let mut ring: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    let r = if i % 2 == 0 { 0.2 } else { 0.12 };
                    (5.5 + r * a.cos(), 52.3 + r * a.sin())
                })
                .collect();
            ring.push(ring[0]);
            Polygon::new(ring.into(), vec![])
        };
        let holed = Polygon::new(
            star(1200).exterior().clone(),
            vec![{
                let mut hole = star(300);
                hole.exterior_mut(|r| {
                    for c in r.0.iter_mut() {
                        c.x = 5.5 + (c.x - 5.5) * 0.4;
                        c.y = 52.3 + (c.y - 52.3) * 0.4;
                    }
                });
                hole.exterior().clone()
            }],
        );
        for polygon in [star(1200), holed] {
            let pieces = split_polygon(polygon.clone(), 32);
            assert!(pieces.len() > 4);
            assert!(pieces.iter().all(|p| p.coords_count() <= 32));
            let mut seed = 12345u64;
            for _ in 0..2000 {
                let mut next = || {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 11) as f64 / (1u64 << 53) as f64
                };
                let p = Coord {
                    x: 5.25 + next() * 0.5,
                    y: 52.05 + next() * 0.5,
                };
                let inside = polygon.contains(&p);
                let in_pieces = pieces.iter().any(|piece| piece.intersects(&p));
                assert_eq!(inside, in_pieces, "{p:?}");
            }
        }
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Rect<f64> {
        Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 })
    }

    /// A "C" around (5.5, 52.5) with a hole in its back: concave, and with a hole.
    fn c_shape() -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon!(
            exterior: [
                (x: 5.0, y: 52.0), (x: 6.0, y: 52.0), (x: 6.0, y: 52.2), (x: 5.2, y: 52.2),
                (x: 5.2, y: 52.8), (x: 6.0, y: 52.8), (x: 6.0, y: 53.0), (x: 5.0, y: 53.0),
                (x: 5.0, y: 52.0),
            ],
            interiors: [[
                (x: 5.05, y: 52.4), (x: 5.15, y: 52.4), (x: 5.15, y: 52.6), (x: 5.05, y: 52.6),
                (x: 5.05, y: 52.4),
            ]],
        )])
    }

    #[test]
    fn inside_outside_and_crossing() {
        let c = c_shape();
        // In the C's back, away from the hole and every edge.
        assert_eq!(
            window(&c, rect(5.01, 52.05, 5.04, 52.1), Point::new(5.02, 52.07)),
            Window::Inside
        );
        // In the hole.
        assert_eq!(
            window(&c, rect(5.07, 52.45, 5.13, 52.55), Point::new(5.1, 52.5)),
            Window::Outside
        );
        // In the C's mouth.
        assert_eq!(
            window(&c, rect(5.5, 52.4, 5.9, 52.6), Point::new(5.7, 52.5)),
            Window::Outside
        );
        assert!(matches!(
            window(&c, rect(4.9, 52.1, 5.6, 52.9), Point::new(5.3, 52.5)),
            Window::Crossing(_)
        ));
    }

    #[test]
    fn regions_meet_the_window_as_they_meet_the_area() {
        let c = c_shape();
        // Regions across every kind of place: through both arms and the mouth, over the hole,
        // over a corner.
        let regions = [
            polygon![(x: 5.1, y: 52.1), (x: 5.9, y: 52.1), (x: 5.9, y: 52.9), (x: 5.1, y: 52.9), (x: 5.1, y: 52.1)],
            polygon![(x: 5.0, y: 52.35), (x: 5.18, y: 52.45), (x: 5.12, y: 52.65), (x: 5.0, y: 52.35)],
            polygon![(x: 5.9, y: 52.9), (x: 6.2, y: 52.95), (x: 6.1, y: 53.2), (x: 5.9, y: 52.9)],
            polygon![(x: 5.25, y: 52.15), (x: 5.4, y: 52.5), (x: 5.25, y: 52.85), (x: 5.1, y: 52.5), (x: 5.25, y: 52.15)],
        ];
        for (i, region) in regions.iter().enumerate() {
            let region = MultiPolygon::new(vec![region.clone()]);
            let Some(b) = region.bounding_rect() else {
                panic!("region {i} has no box");
            };
            let r = rect(
                b.min().x - 1e-6,
                b.min().y - 1e-6,
                b.max().x + 1e-6,
                b.max().y + 1e-6,
            );
            let Window::Crossing(local) = window(&c, r, Point::new(5.25, 52.5)) else {
                panic!("region {i}: the C's border crosses it");
            };
            let direct = area_km2(&region.intersection(&c));
            let through = area_km2(&region.intersection(&local));
            assert!(
                // Up to the boolean operation's rounding (it snaps to a grid sized by its inputs).
                (direct - through).abs() <= 1e-7 * direct.max(1.0),
                "region {i}: {direct} km² directly, {through} km² through the window"
            );
        }
    }
}
