//! Point in area from boundary edges alone, exactly: the predicates behind
//! [`NearIndex::covering`](super::NearIndex::covering).
//!
//! Whether a point `p` lies inside a set of closed rings is known at a reference point `q` of
//! its grid cell (the cell's low corner, worked out once per area when it is filed: see
//! [`corners_inside`]) and changes each time the way from `q` to `p` crosses an edge. Only the
//! edges near that way need be read: those of the boundary chunks around the cell.
//!
//! All of it is exact. Vertices and corners are whole units of the stored grid (10⁻⁷°), the
//! point's coordinates are `f64`s in those units, and every orientation is decided exactly
//! (integers, or Shewchuk's adaptive `orient2d`). Where the way would run exactly through a
//! vertex, or an edge exactly through the corner, the corner is taken as nudged by
//! `(ε, ε²)` for a vanishing `ε` ("simulation of simplicity"): the nudged corner lies on no
//! edge and no line through two vertices, so every crossing is clean, and the nudge is the
//! same when the corner is filed and when a point is looked up. A point on an edge or vertex
//! is covered (boundary included, like PostGIS `ST_Covers`).

use geo::Coord;

/// What one edge does to the way from a point to the (nudged) reference corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Meets {
    Apart,
    Crosses,
    /// The point lies on the edge.
    Holds,
}

fn robust(c: Coord<f64>) -> robust::Coord<f64> {
    robust::Coord { x: c.x, y: c.y }
}

fn whole(v: [i64; 2]) -> Coord<f64> {
    // Exact: vertices are within ±2³¹ units.
    Coord {
        x: v[0] as f64,
        y: v[1] as f64,
    }
}

/// Whether the edge `a`→`b` crosses the way from `p` to the nudged origin, or holds `p`.
/// Everything is relative to the reference corner (the origin), in grid units.
pub(super) fn meets(a: [i64; 2], b: [i64; 2], p: Coord<f64>) -> Meets {
    if a == b {
        return Meets::Apart;
    }
    let (fa, fb) = (whole(a), whole(b));
    // The side of the edge's line that p is on.
    let side_p = robust::orient2d(robust(fa), robust(fb), robust(p));
    if side_p == 0.0 {
        let within = fa.x.min(fb.x) <= p.x
            && p.x <= fa.x.max(fb.x)
            && fa.y.min(fb.y) <= p.y
            && p.y <= fa.y.max(fb.y);
        // Elsewhere on the line: the way meets the line at p only, off the edge.
        return if within { Meets::Holds } else { Meets::Apart };
    }
    if (side_p > 0.0) == left_of_edge(a, b) {
        return Meets::Apart;
    }
    // The edge's line separates p from the corner: the edge crosses the way when its ends lie
    // on either side of the way's line.
    if left_of_way(p, a) != left_of_way(p, b) {
        Meets::Crosses
    } else {
        Meets::Apart
    }
}

/// Whether the nudged origin lies left of the edge `a`→`b` (`a != b`).
fn left_of_edge(a: [i64; 2], b: [i64; 2]) -> bool {
    let (dx, dy) = (i128::from(b[0] - a[0]), i128::from(b[1] - a[1]));
    // orient(a, b, 0) = (b - a) × (0 - a).
    let o = dy * i128::from(a[0]) - dx * i128::from(a[1]);
    if o != 0 {
        o > 0
    } else if dy != 0 {
        // The nudge (ε, ε²) adds -dy·ε + dx·ε².
        dy < 0
    } else {
        dx > 0
    }
}

/// Whether `v` lies left of the way from `p` to the nudged origin (`v != p`).
fn left_of_way(p: Coord<f64>, v: [i64; 2]) -> bool {
    let fv = whole(v);
    let o = robust::orient2d(robust(p), robust(Coord::zero()), robust(fv));
    if o != 0.0 {
        o > 0.0
    } else if fv.y != p.y {
        // The nudge adds (v.y - p.y)·ε - (v.x - p.x)·ε².
        fv.y > p.y
    } else {
        fv.x < p.x
    }
}

/// Which of the corners `(xs[c], ys[r])` (grid units, each nudged by `(ε, ε²)`) lie inside
/// the closed rings made of `edges`, by the parity of the edges a ray eastwards crosses: as
/// `(r, c)` pairs. The nudged ray runs just above the corners' row, so a vertex on the row
/// counts as below it, and an edge through a corner passes west of the nudged corner.
pub(super) fn corners_inside(
    edges: impl Iterator<Item = ([i64; 2], [i64; 2])>,
    ys: &[i64],
    xs: &[i64],
) -> Vec<(usize, usize)> {
    let mut odd = vec![false; ys.len() * xs.len()];
    for (a, b) in edges {
        let (low, high) = (a[1].min(b[1]), a[1].max(b[1]));
        let (dx, dy) = (i128::from(b[0] - a[0]), i128::from(b[1] - a[1]));
        // The rows the edge crosses: low <= y < high.
        let first = ys.partition_point(|&y| y < low);
        for (r, &y) in ys.iter().enumerate().skip(first) {
            if y >= high {
                break;
            }
            for (c, &x) in xs.iter().enumerate() {
                // Where the edge meets the row lies east of x: (a.x - x) + (y - a.y)·dx/dy > 0.
                let v = i128::from(a[0] - x) * dy + i128::from(y - a[1]) * dx;
                if (dy > 0 && v > 0) || (dy < 0 && v < 0) {
                    odd[r * xs.len() + c] ^= true;
                }
            }
        }
    }
    odd.iter()
        .enumerate()
        .filter(|(_, o)| **o)
        .map(|(i, _)| (i / xs.len(), i % xs.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The square with corners (0, 0) and (10, 10), counter-clockwise.
    fn square() -> Vec<([i64; 2], [i64; 2])> {
        let v = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
        v.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// Shifts edges so that `q` is the origin.
    fn from(q: [i64; 2], edges: &[([i64; 2], [i64; 2])]) -> Vec<([i64; 2], [i64; 2])> {
        let m = |v: [i64; 2]| [v[0] - q[0], v[1] - q[1]];
        edges.iter().map(|&(a, b)| (m(a), m(b))).collect()
    }

    /// Inside-ness of p by the corner q's status and the crossings on the way.
    fn inside(edges: &[([i64; 2], [i64; 2])], q: [i64; 2], p: Coord<f64>) -> bool {
        let q_in = !corners_inside(edges.iter().copied(), &[q[1]], &[q[0]]).is_empty();
        let p = Coord {
            x: p.x - q[0] as f64,
            y: p.y - q[1] as f64,
        };
        let mut odd = q_in;
        for (a, b) in from(q, edges) {
            match meets(a, b, p) {
                Meets::Holds => return true,
                Meets::Crosses => odd ^= true,
                Meets::Apart => {}
            }
        }
        odd
    }

    #[test]
    fn corners_on_the_boundary_are_nudged_up_and_east() {
        let s = square();
        let ys = [-5, 0, 5, 10, 15];
        let xs = [-5, 0, 5, 10, 15];
        let got = corners_inside(s.iter().copied(), &ys, &xs);
        // Nudged by (ε, ε²): the low and west sides' corners go in, the top and east ones out.
        assert_eq!(got, vec![(1, 1), (1, 2), (2, 1), (2, 2)]);
    }

    #[test]
    fn every_reference_corner_gives_the_same_answer() {
        // A ring with a notch whose vertices lie on the reference rows and columns.
        let ring = [
            [0, 0],
            [20, 0],
            [20, 20],
            [10, 20],
            [10, 10],
            [5, 10],
            [5, 20],
            [0, 20],
            [0, 0],
        ];
        let edges: Vec<_> = ring.windows(2).map(|w| (w[0], w[1])).collect();
        let want = |p: Coord<f64>| {
            use geo::{Intersects, LineString, Point, Polygon};
            let poly = Polygon::new(
                LineString::from(
                    ring.iter()
                        .map(|v| (v[0] as f64, v[1] as f64))
                        .collect::<Vec<_>>(),
                ),
                vec![],
            );
            poly.intersects(&Point::from(p))
        };
        let mut points = Vec::new();
        for x in -2..=22 {
            for y in -2..=22 {
                points.push(Coord {
                    x: f64::from(x),
                    y: f64::from(y),
                });
                points.push(Coord {
                    x: f64::from(x) + 0.5,
                    y: f64::from(y) + 0.25,
                });
            }
        }
        for qx in [-5, 0, 5, 10, 20, 25] {
            for qy in [-5, 0, 10, 20, 25] {
                for &p in &points {
                    assert_eq!(
                        inside(&edges, [qx, qy], p),
                        want(p),
                        "p {p:?} from corner ({qx}, {qy})"
                    );
                }
            }
        }
    }

    #[test]
    fn a_point_on_an_edge_or_vertex_is_held() {
        let s = from([3, 3], &square());
        let on = |p: Coord<f64>| s.iter().any(|&(a, b)| meets(a, b, p) == Meets::Holds);
        assert!(on(Coord { x: -3.0, y: -3.0 }));
        assert!(on(Coord { x: 2.0, y: -3.0 }));
        assert!(on(Coord { x: 7.0, y: 1.5 }));
        assert!(!on(Coord { x: 2.0, y: -2.999 }));
        assert!(!on(Coord { x: 8.0, y: 1.5 }));
    }
}
