//! A compact, lossless store for areas on the 7-decimal grid (see
//! [`canonical`](crate::geojson_io::canonical)), packed against a **base** area they were cut
//! from. Rings are kept without their closing vertex, as a sequence of
//! - *runs*: consecutive vertices of the base, forwards or backwards (where and how many);
//! - *literals*: other vertices, each coordinate as the difference from the previous vertex in
//!   units of 10⁻⁷°, zigzag-encoded as a LEB128 varint (2–4 bytes a vertex instead of the 16
//!   of two `f64`s: neighbouring vertices of a boundary lie metres apart).
//!
//! The coverage overlay keeps hundreds of thousands of partial cells, a region cut by a
//! network's area, and reads their geometry only to unite them or draw a gap. Most of a cell's
//! vertices are its region's, in order (the intersection gives back the region's stored
//! vertices bit for bit, see [`crate::coverage::cells_of`]): at 5,000 networks over the PC4
//! areas, 27.3 of the 33.3 million vertices of the partial cells, in 3.8 million runs. Packed
//! against their region they take about a third of the bytes they took on their own: this is
//! what keeps a PC4 overlay of a national registry in memory. An empty base packs every vertex
//! as a literal.
//!
//! An area with a vertex that is neither the base's nor on the grid (or beyond ±214°) is kept as
//! it is ([`PackedArea::Plain`]), so packing never changes an area.

use geo::{Coord, CoordsIter, LineString, MultiPolygon, Polygon};
use std::collections::HashMap;

/// Units per degree of the grid.
const SCALE: f64 = 1e7;

/// What a packed area is unpacked against: the vertices of the base area's rings, without
/// their closing vertices, one ring after another.
#[derive(Debug, Default)]
pub struct Base(Vec<Coord<f64>>);

impl Base {
    pub fn new(area: &MultiPolygon<f64>) -> Self {
        Self(rings(area).flat_map(open).copied().collect())
    }

    /// No base: areas are packed on their own.
    pub fn none() -> Self {
        Self(Vec::new())
    }
}

/// An area, packed when it lies on the grid or on its base.
#[derive(Debug, Clone, PartialEq)]
pub enum PackedArea {
    /// Varint stream: polygon count; per polygon its ring count; per ring its vertex count
    /// (without the closing one) and the ops that give them ([`Op`]).
    Packed(Box<[u8]>),
    /// Neither on the grid nor on the base: kept unpacked.
    Plain(MultiPolygon<f64>),
}

impl PackedArea {
    /// `area`, packed against `base` (what [`PackedArea::unpack`] must be given).
    pub fn new(area: &MultiPolygon<f64>, base: &Base) -> Self {
        pack(area, base).map_or_else(|| Self::Plain(area.clone()), Self::Packed)
    }

    /// The area back, bit for bit, given the base it was packed against.
    pub fn unpack(&self, base: &Base) -> MultiPolygon<f64> {
        match self {
            Self::Packed(bytes) => unpack(bytes, base),
            Self::Plain(area) => area.clone(),
        }
    }

    /// Bytes held for the geometry (not counting the enum itself).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Packed(bytes) => bytes.len(),
            Self::Plain(area) => area.coords_count() * size_of::<Coord<f64>>(),
        }
    }
}

/// A network's area as the search index and the coverage overlays keep it: packed on its own,
/// about a quarter of the memory of its polygons, and unpacked where it is cut into cells or
/// written out.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactArea(PackedArea);

impl CompactArea {
    pub fn new(area: &MultiPolygon<f64>) -> Self {
        Self(PackedArea::new(area, &Base::none()))
    }

    /// The area back, bit for bit.
    pub fn unpack(&self) -> MultiPolygon<f64> {
        self.0.unpack(&Base::none())
    }

    /// Bytes held for the geometry.
    pub fn heap_bytes(&self) -> usize {
        self.0.heap_bytes()
    }
}

fn rings(area: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    area.0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// A ring's vertices without the closing one (geo closes rings on construction).
pub(crate) fn open(ring: &LineString<f64>) -> &[Coord<f64>] {
    match ring.0.as_slice() {
        [first, rest @ .., last] if first == last => &ring.0[..=rest.len()],
        all => all,
    }
}

/// The grid unit of `v`, when `v` lies exactly on the grid.
fn on_grid(v: f64) -> Option<i64> {
    let units = (v * SCALE).round();
    (units.abs() < i32::MAX as f64 && units / SCALE == v).then_some(units as i64)
}

/// The grid units nearest a vertex: what the next literal's differences are taken from.
fn nearest_units(c: Coord<f64>) -> (i64, i64) {
    ((c.x * SCALE).round() as i64, (c.y * SCALE).round() as i64)
}

/// One step of a ring, written as the varint `count << 2 | kind`, then:
/// - [`Op::Literal`]: `count` vertices as zigzag differences from the previous vertex;
/// - [`Op::Forward`] / [`Op::Backward`]: the zigzag difference of the first base index from
///   where the previous run ended, then nothing: the vertices are `base[start..]`, or
///   `base[..=start]` backwards.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Literal = 0,
    Forward = 1,
    Backward = 2,
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

fn same(a: Coord<f64>, b: Coord<f64>) -> bool {
    a.x.to_bits() == b.x.to_bits() && a.y.to_bits() == b.y.to_bits()
}

struct Packer<'a> {
    base: &'a [Coord<f64>],
    /// Base index of each base vertex (the first, where one repeats).
    at: HashMap<(u64, u64), usize>,
    out: Vec<u8>,
    /// The previous vertex, in grid units.
    last: (i64, i64),
    /// Where the previous run ended.
    next_index: i64,
}

impl Packer<'_> {
    fn index_of(&self, c: Coord<f64>) -> Option<usize> {
        self.at.get(&(c.x.to_bits(), c.y.to_bits())).copied()
    }

    fn ring(&mut self, vertices: &[Coord<f64>]) -> Option<()> {
        put(&mut self.out, vertices.len() as u64);
        let mut i = 0;
        while i < vertices.len() {
            if let Some(start) = self.index_of(vertices[i]) {
                // The longest run of base vertices from here, forwards or backwards.
                let forward = (1..)
                    .take_while(|&n| {
                        i + n < vertices.len()
                            && self
                                .base
                                .get(start + n)
                                .is_some_and(|&b| same(b, vertices[i + n]))
                    })
                    .count();
                let backward = (1..)
                    .take_while(|&n| {
                        i + n < vertices.len()
                            && n <= start
                            && same(self.base[start - n], vertices[i + n])
                    })
                    .count();
                let (op, count) = if backward > forward {
                    (Op::Backward, backward + 1)
                } else {
                    (Op::Forward, forward + 1)
                };
                put(&mut self.out, (count as u64) << 2 | op as u64);
                put_signed(&mut self.out, start as i64 - self.next_index);
                let end = if op == Op::Forward {
                    start + count - 1
                } else {
                    start + 1 - count
                };
                self.next_index = end as i64 + 1;
                self.last = nearest_units(self.base[end]);
                i += count;
            } else {
                let count = vertices[i..]
                    .iter()
                    .take_while(|&&c| self.index_of(c).is_none())
                    .count();
                put(&mut self.out, (count as u64) << 2 | Op::Literal as u64);
                for &c in &vertices[i..i + count] {
                    let (x, y) = (on_grid(c.x)?, on_grid(c.y)?);
                    put_signed(&mut self.out, x - self.last.0);
                    put_signed(&mut self.out, y - self.last.1);
                    self.last = (x, y);
                }
                i += count;
            }
        }
        Some(())
    }
}

fn pack(area: &MultiPolygon<f64>, base: &Base) -> Option<Box<[u8]>> {
    let mut at = HashMap::with_capacity(base.0.len());
    for (i, c) in base.0.iter().enumerate() {
        at.entry((c.x.to_bits(), c.y.to_bits())).or_insert(i);
    }
    let mut packer = Packer {
        base: &base.0,
        at,
        out: Vec::new(),
        last: (0, 0),
        next_index: 0,
    };
    put(&mut packer.out, area.0.len() as u64);
    for polygon in &area.0 {
        put(&mut packer.out, 1 + polygon.interiors().len() as u64);
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            // An open ring (geo closes rings on construction) would not come back as is.
            if ring.0.first() != ring.0.last() {
                return None;
            }
            packer.ring(open(ring))?;
        }
    }
    Some(packer.out.into_boxed_slice())
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

fn unpack(bytes: &[u8], base: &Base) -> MultiPolygon<f64> {
    let base = &base.0;
    let mut r = Reader { bytes, at: 0 };
    let mut last = (0i64, 0i64);
    let mut next_index = 0i64;
    // A base index the area was not packed against (the wrong base) gives a vertex at 0, 0.
    let vertex = |i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| base.get(i))
            .copied()
            .unwrap_or_default()
    };
    let polygons = r.next() as usize;
    let mut out = Vec::with_capacity(polygons);
    for _ in 0..polygons {
        let rings = r.next() as usize;
        let mut ring_list: Vec<LineString<f64>> = Vec::with_capacity(rings);
        for _ in 0..rings {
            let n = r.next() as usize;
            let mut coords = Vec::with_capacity(n + 1);
            while coords.len() < n && r.at < r.bytes.len() {
                let op = r.next();
                let count = (op >> 2) as usize;
                match op & 3 {
                    0 => {
                        for _ in 0..count {
                            last.0 += r.next_signed();
                            last.1 += r.next_signed();
                            coords.push(Coord {
                                x: last.0 as f64 / SCALE,
                                y: last.1 as f64 / SCALE,
                            });
                        }
                    }
                    kind => {
                        let start = next_index + r.next_signed();
                        let step = if kind == 1 { 1 } else { -1 };
                        coords.extend((0..count as i64).map(|n| vertex(start + step * n)));
                        let end = start + step * (count as i64 - 1);
                        next_index = end + 1;
                        last = nearest_units(vertex(end));
                    }
                }
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
            let packed = PackedArea::new(&area, &Base::none());
            assert!(matches!(packed, PackedArea::Packed(_)));
            assert_eq!(packed.unpack(&Base::none()), area);
        }
    }

    #[test]
    fn a_fine_boundary_takes_a_few_bytes_a_vertex() {
        let circle = canonical(&MultiPolygon::new(vec![crate::geodesy::circle(
            52.37, 4.89, 12.5, 2000,
        )]));
        let bytes = PackedArea::new(&circle, &Base::none()).heap_bytes();
        // 2,000 vertices 39 m apart: ~4 bytes each, against 16 unpacked.
        assert!(bytes < 2000 * 5, "{bytes} bytes");
    }

    #[test]
    fn areas_off_the_grid_are_kept_as_they_are() {
        let off = MultiPolygon::new(vec![
            Rect::new((4.9, 52.3), (5.0, 52.400000001)).to_polygon(),
        ]);
        let packed = PackedArea::new(&off, &Base::none());
        assert!(matches!(packed, PackedArea::Plain(_)));
        assert_eq!(packed.unpack(&Base::none()), off);
        let far = MultiPolygon::new(vec![Rect::new((250.0, 52.3), (251.0, 52.4)).to_polygon()]);
        assert!(matches!(
            PackedArea::new(&far, &Base::none()),
            PackedArea::Plain(_)
        ));
    }

    fn circle(lat: f64, lon: f64, km: f64, n: usize) -> MultiPolygon<f64> {
        canonical(&MultiPolygon::new(vec![crate::geodesy::circle(
            lat, lon, km, n,
        )]))
    }

    #[test]
    fn a_cut_of_its_base_comes_back_bit_for_bit_in_far_fewer_bytes() {
        use geo::BooleanOps;
        let region = circle(52.37, 4.89, 5.0, 1000);
        let base = Base::new(&region);
        // A network's area over part of the region, with a hole, in both orientations.
        let over = circle(52.40, 4.95, 4.0, 100);
        let holed = MultiPolygon::new(vec![Polygon::new(
            over.0[0].exterior().clone(),
            vec![circle(52.36, 4.88, 0.5, 40).0[0].exterior().clone()],
        )]);
        for network in [over.clone(), holed] {
            let cell = canonical(&region.intersection(&network));
            let packed = PackedArea::new(&cell, &base);
            assert!(matches!(packed, PackedArea::Packed(_)));
            assert_eq!(packed.unpack(&base), cell);
            let alone = PackedArea::new(&cell, &Base::none()).heap_bytes();
            assert!(
                packed.heap_bytes() * 3 < alone,
                "{} bytes against its region, {alone} alone",
                packed.heap_bytes()
            );
        }
        // The region itself, every ring reversed: one backward run per ring.
        let mut reversed = region.clone();
        for p in &mut reversed.0 {
            p.exterior_mut(|r| r.0.reverse());
        }
        let packed = PackedArea::new(&reversed, &base);
        assert_eq!(packed.unpack(&base), reversed);
        assert!(packed.heap_bytes() < 16, "{} bytes", packed.heap_bytes());
        // Against no base, or the wrong one, it is still an area, never a panic.
        let _ = packed.unpack(&Base::none());
        let _ = packed.unpack(&Base::new(&over));
    }

    #[test]
    fn vertices_of_the_base_off_the_grid_are_packed_as_runs() {
        let region = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (4.9, 52.3),
                (5.000000001, 52.3),
                (5.0, 52.4),
                (4.9, 52.4),
                (4.9, 52.3),
            ]),
            vec![],
        )]);
        let base = Base::new(&region);
        let packed = PackedArea::new(&region, &base);
        assert!(matches!(packed, PackedArea::Packed(_)));
        assert_eq!(packed.unpack(&base), region);
        assert!(matches!(
            PackedArea::new(&region, &Base::none()),
            PackedArea::Plain(_)
        ));
    }
}
