//! A compact, lossless store for areas on the 7-decimal grid (see
//! [`canonical`](crate::geojson_io::canonical)): each coordinate as the difference from the
//! previous one, in units of 10⁻⁷°, zigzag-encoded as a LEB128 varint; rings without their
//! closing vertex. Neighbouring vertices of a boundary lie metres apart, so a vertex takes 2–4
//! bytes instead of the 16 of two `f64`s.
//!
//! The coverage overlay keeps hundreds of thousands of partial cells (a region cut by a
//! network's area) and reads their geometry only to unite them or draw a gap: packing them is
//! what keeps a PC4 overlay of a national registry in memory.
//!
//! An area with a coordinate off the grid (or beyond ±214°) is kept as it is
//! ([`PackedArea::Plain`]), so packing never changes an area.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Units per degree of the grid.
const SCALE: f64 = 1e7;

/// An area, packed when it lies on the grid.
#[derive(Debug, Clone, PartialEq)]
pub enum PackedArea {
    /// Varint stream: polygon count; per polygon its ring count; per ring its vertex count
    /// (without the closing one) and the vertices as deltas from the previous vertex.
    Packed(Box<[u8]>),
    /// Off the grid: kept unpacked.
    Plain(MultiPolygon<f64>),
}

impl PackedArea {
    pub fn new(area: &MultiPolygon<f64>) -> Self {
        pack(area).map_or_else(|| Self::Plain(area.clone()), Self::Packed)
    }

    /// The area back, bit for bit.
    pub fn unpack(&self) -> MultiPolygon<f64> {
        match self {
            Self::Packed(bytes) => unpack(bytes),
            Self::Plain(area) => area.clone(),
        }
    }

    /// Bytes held for the geometry (not counting the enum itself).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Packed(bytes) => bytes.len(),
            Self::Plain(area) => geo::CoordsIter::coords_count(area) * size_of::<Coord<f64>>(),
        }
    }
}

/// The grid unit of `v`, when `v` lies exactly on the grid.
fn on_grid(v: f64) -> Option<i64> {
    let units = (v * SCALE).round();
    (units.abs() < i32::MAX as f64 && units / SCALE == v).then_some(units as i64)
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn pack(area: &MultiPolygon<f64>) -> Option<Box<[u8]>> {
    let mut out = Vec::new();
    let mut last = (0i64, 0i64);
    put(&mut out, area.0.len() as u64);
    for polygon in &area.0 {
        put(&mut out, 1 + polygon.interiors().len() as u64);
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let coords = &ring.0;
            // A closed ring's last vertex repeats its first: left out, put back on unpacking.
            let open = match coords.as_slice() {
                [] => coords.as_slice(),
                [first, .., last] if first == last => &coords[..coords.len() - 1],
                // An open ring (geo closes rings on construction) would not come back as is.
                _ => return None,
            };
            put(&mut out, open.len() as u64);
            for c in open {
                let (x, y) = (on_grid(c.x)?, on_grid(c.y)?);
                put_signed(&mut out, x - last.0);
                put_signed(&mut out, y - last.1);
                last = (x, y);
            }
        }
    }
    Some(out.into_boxed_slice())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        v
    }

    fn next_signed(&mut self) -> i64 {
        let v = self.next();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }
}

fn unpack(bytes: &[u8]) -> MultiPolygon<f64> {
    let mut r = Reader { bytes, at: 0 };
    let mut last = (0i64, 0i64);
    let polygons = r.next() as usize;
    let mut out = Vec::with_capacity(polygons);
    for _ in 0..polygons {
        let rings = r.next() as usize;
        let mut ring_list: Vec<LineString<f64>> = Vec::with_capacity(rings);
        for _ in 0..rings {
            let n = r.next() as usize;
            let mut coords = Vec::with_capacity(n + 1);
            for _ in 0..n {
                last.0 += r.next_signed();
                last.1 += r.next_signed();
                coords.push(Coord {
                    x: last.0 as f64 / SCALE,
                    y: last.1 as f64 / SCALE,
                });
            }
            if let Some(&first) = coords.first() {
                coords.push(first);
            }
            ring_list.push(LineString::new(coords));
        }
        let mut rings = ring_list.into_iter();
        let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
        out.push(Polygon::new(exterior, rings.collect()));
    }
    MultiPolygon::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geojson_io::canonical;
    use geo::Rect;

    fn ring_with_hole() -> MultiPolygon<f64> {
        let outer = Rect::new((4.9, 52.3), (5.0, 52.4)).to_polygon();
        let hole = Rect::new((4.93, 52.33), (4.95, 52.35)).to_polygon();
        MultiPolygon::new(vec![
            Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()]),
            Rect::new((5.1, 52.0), (5.2, 52.1)).to_polygon(),
        ])
    }

    #[test]
    fn areas_on_the_grid_come_back_bit_for_bit() {
        let circle = canonical(&MultiPolygon::new(vec![crate::geodesy::circle(
            52.37, 4.89, 12.5, 2000,
        )]));
        for area in [ring_with_hole(), circle, MultiPolygon::new(vec![])] {
            let packed = PackedArea::new(&area);
            assert!(matches!(packed, PackedArea::Packed(_)));
            assert_eq!(packed.unpack(), area);
        }
    }

    #[test]
    fn a_fine_boundary_takes_a_few_bytes_a_vertex() {
        let circle = canonical(&MultiPolygon::new(vec![crate::geodesy::circle(
            52.37, 4.89, 12.5, 2000,
        )]));
        let bytes = PackedArea::new(&circle).heap_bytes();
        // 2,000 vertices 39 m apart: ~4 bytes each, against 16 unpacked.
        assert!(bytes < 2000 * 5, "{bytes} bytes");
    }

    #[test]
    fn areas_off_the_grid_are_kept_as_they_are() {
        let off = MultiPolygon::new(vec![
            Rect::new((4.9, 52.3), (5.0, 52.400000001)).to_polygon(),
        ]);
        let packed = PackedArea::new(&off);
        assert!(matches!(packed, PackedArea::Plain(_)));
        assert_eq!(packed.unpack(), off);
        let far = MultiPolygon::new(vec![Rect::new((250.0, 52.3), (251.0, 52.4)).to_polygon()]);
        assert!(matches!(PackedArea::new(&far), PackedArea::Plain(_)));
    }
}
