//! A uniform grid over the Netherlands' box ([`NL_BBOX`]), a list of `T` per cell: the
//! cache-friendly spatial index under [`crate::index`] and [`crate::nearby`]. Whatever lies
//! outside the box is filed in the nearest edge cell, so nothing is lost; such cells just hold
//! more.
//!
//! The lists are edited one by one ([`Grid::push`], [`Grid::retain`]) and then [`Grid::seal`]ed
//! into one contiguous array, row by row, which is what queries read: the cells of a row follow
//! each other in memory, so a query streams through a few runs instead of chasing one
//! allocation per cell. Until sealed, queries read the edited lists (right, just slower).

use crate::validate::NL_BBOX;
use geo::{Coord, Rect};

#[derive(Debug, Clone)]
pub struct Grid<T> {
    cell_lon: f64,
    cell_lat: f64,
    cols: usize,
    rows: usize,
    cells: Vec<Vec<T>>,
    /// The lists of all cells, row-major, and where each starts (one more: the end).
    flat: Vec<T>,
    starts: Vec<usize>,
    sealed: bool,
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
            cells: vec![Vec::new(); cols * rows],
            flat: Vec::new(),
            starts: vec![0; cols * rows + 1],
            sealed: true,
        }
    }

    /// Copies the edited lists into the contiguous array queries read.
    pub fn seal(&mut self) {
        self.flat.clear();
        self.flat.reserve(self.cells.iter().map(Vec::len).sum());
        for (i, cell) in self.cells.iter_mut().enumerate() {
            self.starts[i] = self.flat.len();
            self.flat.extend_from_slice(cell);
            // The lists stay for the next edit, without the room their growth left.
            cell.shrink_to_fit();
        }
        self.starts[self.cells.len()] = self.flat.len();
        self.flat.shrink_to_fit();
        self.sealed = true;
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
        if self.sealed {
            &self.flat[self.starts[cell]..self.starts[cell + 1]]
        } else {
            &self.cells[cell]
        }
    }

    /// Bytes held: (the edited lists, the sealed array).
    pub fn heap_bytes(&self) -> (usize, usize) {
        let item = size_of::<T>();
        let lists = self.cells.capacity() * size_of::<Vec<T>>()
            + self
                .cells
                .iter()
                .map(|c| c.capacity() * item)
                .sum::<usize>();
        let flat = self.flat.capacity() * item + self.starts.capacity() * size_of::<usize>();
        (lists, flat)
    }

    /// Adds an item to a cell (seen by queries once sealed).
    pub fn push(&mut self, cell: usize, item: T) {
        self.cells[cell].push(item);
        self.sealed = false;
    }

    /// Keeps only the items of a cell for which `keep` holds (seen by queries once sealed).
    pub fn retain(&mut self, cell: usize, keep: impl FnMut(&T) -> bool) {
        self.cells[cell].retain(keep);
        self.sealed = false;
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
        assert_eq!(g.cell_of(far), g.cells.len() - 1);
        g.push(c, 7);
        assert_eq!(g.cell(c), &[7], "unsealed: read from the edited list");
        g.seal();
        assert_eq!(g.cell(c), &[7]);
        let near = |x: f64, y: f64| Coord { x, y };
        assert_eq!(g.over(near(5.0, 52.0), near(5.6, 52.2)).count(), 1);
        assert_eq!(g.over(near(6.5, 52.0), near(7.0, 52.2)).count(), 0);
        assert!(
            g.cells_over(near(5.0, 52.0), near(5.6, 52.2))
                .any(|i| i == c)
        );
        assert!(!g.is_edge(c) && g.is_edge(0) && g.is_edge(g.cells.len() - 1));
        g.retain(c, |v| *v != 7);
        assert!(g.cell(c).is_empty());
        g.push(c + 1, 8);
        g.seal();
        assert!(g.cell(c).is_empty());
        assert_eq!(g.cell(c + 1), &[8]);
    }
}
