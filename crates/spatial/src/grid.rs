//! A uniform grid over the Netherlands' box ([`NL_BBOX`]), a list of `T` per cell: the
//! cache-friendly spatial index under [`crate::index`] and [`crate::nearby`]. Whatever lies
//! outside the box is filed in the nearest edge cell, so nothing is lost; such cells just hold
//! more.
//!
//! All lists live in one contiguous array, row by row, which is what queries read: the cells of
//! a row follow each other in memory, so a query streams through a few runs instead of chasing
//! one allocation per cell, and the grid holds no list of its own per cell (at 5,000 networks
//! those lists took as much memory again as the array). [`Grid::retain`] edits a cell in place;
//! [`Grid::push`]ed items wait until [`Grid::seal`] merges them in, in one pass over the array.

use crate::validate::NL_BBOX;
use geo::{Coord, Rect};

#[derive(Debug, Clone)]
pub struct Grid<T> {
    cell_lon: f64,
    cell_lat: f64,
    cols: usize,
    rows: usize,
    /// The lists of all cells, row-major: cell `c` holds `flat[starts[c]..ends[c]]` (a retain
    /// leaves a hole up to `starts[c + 1]` until the next seal).
    flat: Vec<T>,
    starts: Vec<usize>,
    ends: Vec<usize>,
    /// Items pushed since the last seal, with their cell.
    pending: Vec<(usize, T)>,
    /// Whether a retain left holes.
    holes: bool,
}

impl<T: Clone> Grid<T> {
    /// Cells of `cell_lon` × `cell_lat` degrees.
    pub fn new(cell_lon: f64, cell_lat: f64) -> Self {
        let (min_lon, min_lat, max_lon, max_lat) = NL_BBOX;
        let cols = ((max_lon - min_lon) / cell_lon).ceil().max(1.0) as usize;
        let rows = ((max_lat - min_lat) / cell_lat).ceil().max(1.0) as usize;
        Self {
            cell_lon,
            cell_lat,
            cols,
            rows,
            flat: Vec::new(),
            starts: vec![0; cols * rows + 1],
            ends: vec![0; cols * rows],
            pending: Vec::new(),
            holes: false,
        }
    }

    /// Merges the pushed items in and closes the holes retains left: one pass that builds the
    /// array anew, without spare room. Cheap when there is nothing to do.
    pub fn seal(&mut self) {
        if self.pending.is_empty() && !self.holes {
            return;
        }
        // Stable: a cell's new items keep the order they were pushed in.
        self.pending.sort_by_key(|(cell, _)| *cell);
        let live: usize = (0..self.ends.len())
            .map(|c| self.ends[c] - self.starts[c])
            .sum();
        let mut flat = Vec::with_capacity(live + self.pending.len());
        let mut pending = std::mem::take(&mut self.pending).into_iter().peekable();
        for c in 0..self.ends.len() {
            let (start, end) = (self.starts[c], self.ends[c]);
            self.starts[c] = flat.len();
            flat.extend_from_slice(&self.flat[start..end]);
            while let Some((_, item)) = pending.next_if(|(cell, _)| *cell == c) {
                flat.push(item);
            }
            self.ends[c] = flat.len();
        }
        let n = self.ends.len();
        self.starts[n] = flat.len();
        self.flat = flat;
        self.holes = false;
    }
}

impl<T> Grid<T> {
    /// Column and row of the cell holding (`x`, `y`); outside the grid, the nearest cell.
    fn col_row(&self, x: f64, y: f64) -> (usize, usize) {
        let (min_lon, min_lat, _, _) = NL_BBOX;
        let col = ((x - min_lon) / self.cell_lon)
            .floor()
            .clamp(0.0, (self.cols - 1) as f64);
        let row = ((y - min_lat) / self.cell_lat)
            .floor()
            .clamp(0.0, (self.rows - 1) as f64);
        (col as usize, row as usize)
    }

    /// Cells in a row.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Rows of cells.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The cell holding the point (outside the grid: the nearest cell).
    pub fn cell_of(&self, p: Coord<f64>) -> usize {
        let (col, row) = self.col_row(p.x, p.y);
        row * self.cols + col
    }

    /// Whether the point lies in the grid (and so in the rectangle of its cell).
    pub fn holds(&self, p: Coord<f64>) -> bool {
        let (min_lon, min_lat, _, _) = NL_BBOX;
        p.x >= min_lon
            && p.y >= min_lat
            && p.x <= min_lon + self.cols as f64 * self.cell_lon
            && p.y <= min_lat + self.rows as f64 * self.cell_lat
    }

    /// Whether a cell lies on the grid's border (and so also holds what lies beyond).
    pub fn is_edge(&self, cell: usize) -> bool {
        let (col, row) = (cell % self.cols, cell / self.cols);
        col == 0 || row == 0 || col + 1 == self.cols || row + 1 == self.rows
    }

    /// The rectangle of a cell.
    pub fn rect_of(&self, cell: usize) -> Rect<f64> {
        let (min_lon, min_lat, _, _) = NL_BBOX;
        let (col, row) = ((cell % self.cols) as f64, (cell / self.cols) as f64);
        Rect::new(
            Coord {
                x: min_lon + col * self.cell_lon,
                y: min_lat + row * self.cell_lat,
            },
            Coord {
                x: min_lon + (col + 1.0) * self.cell_lon,
                y: min_lat + (row + 1.0) * self.cell_lat,
            },
        )
    }

    /// Every cell meeting the box from `min` to `max` (clamped to the grid), row by row.
    pub fn cells_over(
        &self,
        min: Coord<f64>,
        max: Coord<f64>,
    ) -> impl Iterator<Item = usize> + use<T> {
        let (c0, r0) = self.col_row(min.x, min.y);
        let (c1, r1) = self.col_row(max.x, max.y);
        let cols = self.cols;
        (r0..=r1).flat_map(move |row| (row * cols + c0)..=(row * cols + c1))
    }

    /// The contents of every cell meeting the box, row by row.
    pub fn over(&self, min: Coord<f64>, max: Coord<f64>) -> impl Iterator<Item = &T> + '_ {
        self.cells_over(min, max).flat_map(|c| self.cell(c))
    }

    /// The contents of a cell.
    pub fn cell(&self, cell: usize) -> &[T] {
        &self.flat[self.starts[cell]..self.ends[cell]]
    }

    /// Bytes held: the items and where each cell's run starts and ends.
    pub fn heap_bytes(&self) -> usize {
        self.flat.capacity() * size_of::<T>()
            + self.pending.capacity() * size_of::<(usize, T)>()
            + (self.starts.capacity() + self.ends.capacity()) * size_of::<usize>()
    }

    /// Adds an item to a cell (seen by queries once sealed).
    pub fn push(&mut self, cell: usize, item: T) {
        self.pending.push((cell, item));
    }

    /// Keeps only the items of a cell for which `keep` holds (pushed ones too), in place.
    pub fn retain(&mut self, cell: usize, mut keep: impl FnMut(&T) -> bool) {
        let (start, end) = (self.starts[cell], self.ends[cell]);
        let mut kept = start;
        for i in start..end {
            if keep(&self.flat[i]) {
                self.flat.swap(kept, i);
                kept += 1;
            }
        }
        if kept < end {
            self.ends[cell] = kept;
            self.holes = true;
        }
        if !self.pending.is_empty() {
            self.pending.retain(|(c, item)| *c != cell || keep(item));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_clamping() {
        let mut g: Grid<u32> = Grid::new(0.5, 0.25);
        let p = Coord { x: 5.3, y: 52.1 };
        let c = g.cell_of(p);
        assert!(g.holds(p));
        let r = g.rect_of(c);
        assert!(r.min().x <= p.x && p.x <= r.max().x && r.min().y <= p.y && p.y <= r.max().y);
        // Outside the grid: the nearest edge cell, and `holds` says so.
        let far = Coord { x: 20.0, y: 60.0 };
        assert!(!g.holds(far));
        assert_eq!(g.cell_of(far), g.ends.len() - 1);
        g.push(c, 7);
        assert!(g.cell(c).is_empty(), "pushed items wait for the seal");
        g.seal();
        assert_eq!(g.cell(c), &[7]);
        let near = |x: f64, y: f64| Coord { x, y };
        assert_eq!(g.over(near(5.0, 52.0), near(5.6, 52.2)).count(), 1);
        assert_eq!(g.over(near(6.5, 52.0), near(7.0, 52.2)).count(), 0);
        assert!(
            g.cells_over(near(5.0, 52.0), near(5.6, 52.2))
                .any(|i| i == c)
        );
        assert!(!g.is_edge(c) && g.is_edge(0) && g.is_edge(g.ends.len() - 1));
        g.retain(c, |v| *v != 7);
        assert!(g.cell(c).is_empty(), "a retain shows at once");
        g.push(c + 1, 8);
        g.seal();
        assert!(g.cell(c).is_empty());
        assert_eq!(g.cell(c + 1), &[8]);
    }

    #[test]
    fn edits_agree_with_lists_kept_by_hand() {
        // A small grid edited at random against one Vec per cell.
        let mut g: Grid<u32> = Grid::new(1.0, 1.0);
        let n = g.ends.len();
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for round in 0..200 {
            for _ in 0..next() % 20 {
                let (cell, v) = (next() % n, (next() % 50) as u32);
                g.push(cell, v);
                lists[cell].push(v);
            }
            if round % 3 == 0 {
                let (cell, bad) = (next() % n, (next() % 50) as u32);
                g.retain(cell, |v| *v != bad);
                lists[cell].retain(|v| *v != bad);
            }
            if round % 2 == 0 {
                g.seal();
                for (cell, list) in lists.iter().enumerate() {
                    assert_eq!(g.cell(cell), list.as_slice(), "round {round}, cell {cell}");
                }
                assert_eq!(g.flat.len(), lists.iter().map(Vec::len).sum::<usize>());
            }
        }
    }
}
