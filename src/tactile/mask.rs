//! [`Mask`]: a set of pixels on a grid, and the few morphological steps the
//! anatomy needs (erosion, dilation, connected components, hole filling).
//!
//! Written here rather than taken from imageproc: the grids are small
//! (224 x 224), the operations are a few lines each over `Vec<bool>`, and
//! imageproc would bring its whole dependency tree to every board for them.

/// A set of pixels of a `width x height` grid, row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct Mask {
    width: usize,
    height: usize,
    bits: Vec<bool>,
}

impl std::fmt::Debug for Mask {
    // Fifty thousand booleans help no one reading a failed assertion.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Mask {}x{}, area {}, rows {:?}, centroid {:?}",
            self.width,
            self.height,
            self.area(),
            self.rows(),
            self.centroid()
        )
    }
}

impl Mask {
    /// No pixel set.
    pub fn empty(width: usize, height: usize) -> Mask {
        Mask {
            width,
            height,
            bits: vec![false; width * height],
        }
    }

    /// The pixels for which `inside(x, y)` holds.
    pub fn from_fn(width: usize, height: usize, inside: impl Fn(usize, usize) -> bool) -> Mask {
        let bits = (0..width * height)
            .map(|i| inside(i % width, i / width))
            .collect();
        Mask {
            width,
            height,
            bits,
        }
    }

    /// Width of the grid.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height of the grid.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Whether `(x, y)` is set (false outside the grid).
    pub fn get(&self, x: isize, y: isize) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.width
            && (y as usize) < self.height
            && self.bits[y as usize * self.width + x as usize]
    }

    /// Sets or clears `(x, y)` (ignored outside the grid).
    pub fn set(&mut self, x: usize, y: usize, value: bool) {
        if x < self.width && y < self.height {
            self.bits[y * self.width + x] = value;
        }
    }

    /// The pixels, row-major.
    pub fn bits(&self) -> &[bool] {
        &self.bits
    }

    /// Number of pixels set.
    pub fn area(&self) -> usize {
        self.bits.iter().filter(|&&b| b).count()
    }

    /// The pixels set, as `(x, y)`.
    pub fn points(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.bits
            .iter()
            .enumerate()
            .filter(|(_, &b)| b)
            .map(|(i, _)| (i % self.width, i / self.width))
    }

    /// Mean `(x, y)` of the pixels set; `None` when empty.
    pub fn centroid(&self) -> Option<(f32, f32)> {
        let (mut sx, mut sy, mut n) = (0.0f64, 0.0f64, 0usize);
        for (x, y) in self.points() {
            sx += x as f64;
            sy += y as f64;
            n += 1;
        }
        (n > 0).then(|| ((sx / n as f64) as f32, (sy / n as f64) as f32))
    }

    /// The first and last row with a pixel set; `None` when empty.
    pub fn rows(&self) -> Option<(usize, usize)> {
        let mut rows = self.points().map(|(_, y)| y);
        let first = rows.next()?;
        Some((first, rows.last().unwrap_or(first)))
    }

    /// The first and last column set in row `y`; `None` when the row is empty.
    pub fn span(&self, y: usize) -> Option<(usize, usize)> {
        let row = self.bits.get(y * self.width..(y + 1) * self.width)?;
        let first = row.iter().position(|&b| b)?;
        let last = row.iter().rposition(|&b| b)?;
        Some((first, last))
    }

    /// Pixels set in both.
    pub fn and(&self, other: &Mask) -> Mask {
        self.zip(other, |a, b| a && b)
    }

    /// Pixels set in either.
    pub fn or(&self, other: &Mask) -> Mask {
        self.zip(other, |a, b| a || b)
    }

    /// Pixels set here and not in `other`.
    pub fn minus(&self, other: &Mask) -> Mask {
        self.zip(other, |a, b| a && !b)
    }

    fn zip(&self, other: &Mask, f: impl Fn(bool, bool) -> bool) -> Mask {
        Mask {
            width: self.width,
            height: self.height,
            bits: self
                .bits
                .iter()
                .zip(&other.bits)
                .map(|(&a, &b)| f(a, b))
                .collect(),
        }
    }

    /// Mirrored left-right about column `axis` (pixels mirrored off the
    /// grid are dropped).
    pub fn mirrored(&self, axis: f32) -> Mask {
        let mut out = Mask::empty(self.width, self.height);
        for (x, y) in self.points() {
            let mx = (2.0 * axis - x as f32).round();
            if mx >= 0.0 {
                out.set(mx as usize, y, true);
            }
        }
        out
    }

    /// Erosion by a square of side `2 * radius + 1` (pixels off the grid
    /// count as unset): along the rows, then down the columns.
    pub fn erode(&self, radius: usize) -> Mask {
        self.square(radius, true)
    }

    /// Dilation by a square of side `2 * radius + 1`.
    pub fn dilate(&self, radius: usize) -> Mask {
        self.square(radius, false)
    }

    /// A square erosion (`all`) or dilation, as two passes of a window of
    /// `2 * radius + 1` pixels, each O(pixels) with running counts.
    fn square(&self, radius: usize, all: bool) -> Mask {
        let (w, h) = (self.width, self.height);
        let pass = |bits: &[bool], len: usize, lines: usize, at: &dyn Fn(usize, usize) -> usize| {
            let mut out = vec![false; bits.len()];
            for line in 0..lines {
                // Set pixels in the window [i - radius, i + radius].
                let mut prefix = vec![0usize; len + 1];
                for i in 0..len {
                    prefix[i + 1] = prefix[i] + usize::from(bits[at(line, i)]);
                }
                for i in 0..len {
                    let (lo, hi) = (i.saturating_sub(radius), (i + radius + 1).min(len));
                    let set = prefix[hi] - prefix[lo];
                    out[at(line, i)] = if all { set == 2 * radius + 1 } else { set > 0 };
                }
            }
            out
        };
        let across = pass(&self.bits, w, h, &|y, x| y * w + x);
        let down = pass(&across, h, w, &|x, y| y * w + x);
        Mask {
            width: w,
            height: h,
            bits: down,
        }
    }

    /// Closing (dilation, then erosion): fills gaps narrower than the square.
    pub fn close(&self, radius: usize) -> Mask {
        self.dilate(radius).erode(radius)
    }

    /// The 4-connected components, largest first.
    pub fn components(&self) -> Vec<Mask> {
        let mut seen = vec![false; self.bits.len()];
        let mut out = Vec::new();
        for start in 0..self.bits.len() {
            if !self.bits[start] || seen[start] {
                continue;
            }
            let mut component = Mask::empty(self.width, self.height);
            let mut stack = vec![start];
            seen[start] = true;
            while let Some(i) = stack.pop() {
                component.bits[i] = true;
                let (x, y) = ((i % self.width) as isize, (i / self.width) as isize);
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] {
                    if self.get(nx, ny) {
                        let j = ny as usize * self.width + nx as usize;
                        if !seen[j] {
                            seen[j] = true;
                            stack.push(j);
                        }
                    }
                }
            }
            out.push(component);
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.area()));
        out
    }

    /// The largest 4-connected component alone (empty where none is set).
    pub fn largest_component(&self) -> Mask {
        self.components()
            .into_iter()
            .next()
            .unwrap_or_else(|| Mask::empty(self.width, self.height))
    }

    /// Whether any pixel within `margin` of the grid's edge is set.
    pub fn touches_border(&self, margin: usize) -> bool {
        self.points().any(|(x, y)| {
            x < margin || y < margin || x + margin >= self.width || y + margin >= self.height
        })
    }

    /// The mask with its holes filled: every unset region that does not
    /// reach the grid's edge (4-connected).
    pub fn filled(&self) -> Mask {
        let (w, h) = (self.width, self.height);
        // Flood the unset pixels from the edge; what it cannot reach is hole.
        let mut outside = vec![false; self.bits.len()];
        let mut stack: Vec<usize> = (0..w * h)
            .filter(|&i| {
                let (x, y) = (i % w, i / w);
                (x == 0 || y == 0 || x + 1 == w || y + 1 == h) && !self.bits[i]
            })
            .collect();
        for &i in &stack {
            outside[i] = true;
        }
        while let Some(i) = stack.pop() {
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] {
                if nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h {
                    let j = ny as usize * w + nx as usize;
                    if !self.bits[j] && !outside[j] {
                        outside[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        Mask {
            width: w,
            height: h,
            bits: outside.into_iter().map(|o| !o).collect(),
        }
    }

    /// Each row filled between its first and last pixel set.
    pub fn row_spans_filled(&self) -> Mask {
        let mut out = self.clone();
        for y in 0..self.height {
            if let Some((a, b)) = self.span(y) {
                for x in a..=b {
                    out.set(x, y, true);
                }
            }
        }
        out
    }

    /// Each column filled between its first and last pixel set.
    pub fn column_spans_filled(&self) -> Mask {
        let mut out = self.clone();
        for x in 0..self.width {
            let rows: Vec<usize> = (0..self.height)
                .filter(|&y| self.bits[y * self.width + x])
                .collect();
            if let (Some(&a), Some(&b)) = (rows.first(), rows.last()) {
                for y in a..=b {
                    out.set(x, y, true);
                }
            }
        }
        out
    }

    /// The share of the pixels of a `(x0, y0, side)` square crop set, area-
    /// averaged onto `width x height` cells (as pins sample a field).
    pub fn coverage(&self, crop: (usize, usize, usize), out: (usize, usize)) -> Vec<f32> {
        let (x0, y0, side) = crop;
        let field: Vec<f32> = (y0..y0 + side)
            .flat_map(|y| (x0..x0 + side).map(move |x| (x, y)))
            .map(|(x, y)| f32::from(u8::from(self.get(x as isize, y as isize))))
            .collect();
        crate::imaging::resample::resize_area(&field, side, side, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(n: usize, x0: usize, y0: usize, side: usize) -> Mask {
        Mask::from_fn(n, n, |x, y| {
            (x0..x0 + side).contains(&x) && (y0..y0 + side).contains(&y)
        })
    }

    #[test]
    fn erosion_and_dilation_shrink_and_grow_a_square() {
        let m = square(20, 5, 5, 6);
        assert_eq!(m.erode(1).area(), 16);
        assert_eq!(m.dilate(1).area(), 64);
        assert_eq!(m.close(2), m);
    }

    #[test]
    fn components_are_found_largest_first_and_holes_filled() {
        let m = square(30, 2, 2, 4).or(&square(30, 10, 10, 8));
        let parts = m.components();
        assert_eq!(parts.iter().map(Mask::area).collect::<Vec<_>>(), [64, 16]);
        assert_eq!(m.largest_component(), square(30, 10, 10, 8));
        assert_eq!(Mask::empty(30, 30).largest_component(), Mask::empty(30, 30));
        let ring = square(30, 10, 10, 8).minus(&square(30, 12, 12, 4));
        assert_eq!(ring.filled(), square(30, 10, 10, 8));
        assert!(!ring.touches_border(1));
        assert!(square(30, 0, 5, 3).touches_border(1));
    }

    #[test]
    fn mirroring_and_spans() {
        let m = square(20, 2, 3, 3);
        let mirrored = m.mirrored(9.5);
        assert_eq!(mirrored, square(20, 15, 3, 3));
        let two = square(20, 2, 3, 2).or(&square(20, 8, 3, 2));
        assert_eq!(two.span(3), Some((2, 9)));
        assert_eq!(two.row_spans_filled().area(), 2 * 8);
        let stacked = square(20, 2, 2, 2).or(&square(20, 2, 8, 2));
        assert_eq!(
            stacked.column_spans_filled(),
            Mask::from_fn(20, 20, |x, y| (2..4).contains(&x) && (2..10).contains(&y))
        );
        assert_eq!(m.rows(), Some((3, 5)));
        assert_eq!(m.centroid(), Some((3.0, 4.0)));
    }
}
