//! Tactile-graphics rules every view passes through, and the measures that
//! say how well a frame keeps them.
//!
//! From BANA's "Guidelines and Standards for Tactile Graphics" and APH
//! practice: a feature under about [`MIN_FEATURE`] pins may not be felt as a
//! shape (a lone dot reads as a braille dot or a fault), separate symbols
//! need at least one empty pin between them ([`clear_around`]), and a reader
//! tells apart at most about [`MAX_LEVELS`] textures or heights.

use embedded_graphics::prelude::Point;
use embedded_graphics::primitives::{PointsIter, Rectangle};
use serde::Serialize;

use super::PinFrame;

/// Raised features smaller than this many pins are removed.
pub const MIN_FEATURE: usize = 3;
/// Height states (flat included) a picture uses at most.
pub const MAX_LEVELS: u8 = 5;

/// Lowers every 8-connected group of raised pins in `area` with fewer than
/// `min_pins` pins.
pub fn remove_specks(frame: &mut PinFrame, area: Rectangle, min_pins: usize) {
    for group in raised_groups(frame, area) {
        if group.len() < min_pins {
            for p in group {
                frame.set(p, 0);
            }
        }
    }
}

/// Lowers the pins of `symbol` grown by one pin on every side (clipped to
/// `area`), so that a symbol drawn there afterwards stands apart from the
/// picture by at least one empty pin.
pub fn clear_around(frame: &mut PinFrame, symbol: Rectangle, area: Rectangle) {
    let grown = Rectangle::new(
        symbol.top_left - Point::new(1, 1),
        symbol.size + embedded_graphics::prelude::Size::new(2, 2),
    );
    for p in grown.intersection(&area).points() {
        frame.set(p, 0);
        frame.set_blink(p, 0);
    }
}

/// The cells of a `w x h` grid that lie in a band narrower than
/// `min_width` cells: a run of `band` cells, across or down, shorter than
/// `min_width`, with an `anchor` cell at one end and neither end at the
/// grid's edge; then each band cell takes the majority of the band cells
/// around it. Such a band is felt as one more step beside the anchor, not
/// as a region of its own, so a view draws it as part of the anchor.
pub fn narrow_bands(
    w: usize,
    h: usize,
    band: impl Fn(usize) -> bool,
    anchor: impl Fn(usize) -> bool,
    min_width: usize,
) -> Vec<bool> {
    let mut narrow = vec![false; w * h];
    // Each line of the grid as (first cell, step, length): rows, then columns.
    let lines = (0..h)
        .map(|y| (y * w, 1, w))
        .chain((0..w).map(|x| (x, w, h)));
    for (first, step, len) in lines {
        let cell = |k: usize| first + k * step;
        let mut k = 0;
        while k < len {
            if !band(cell(k)) {
                k += 1;
                continue;
            }
            let start = k;
            while k < len && band(cell(k)) {
                k += 1;
            }
            // A run cut off by the grid's edge may be wider than it looks.
            let inside = start > 0 && k < len;
            let anchored = inside && (anchor(cell(start - 1)) || anchor(cell(k)));
            if k - start < min_width && anchored {
                for j in start..k {
                    narrow[cell(j)] = true;
                }
            }
        }
    }
    // A band whose width wavers about the minimum would be line and shelf
    // by turns, each turn two more edges: each band cell takes the
    // majority of the band cells in its 3 x 3 neighbourhood.
    (0..w * h)
        .map(|i| {
            if !band(i) {
                return false;
            }
            let (mut cells, mut marked) = (0, 0);
            for j in neighbourhood(i, w, h).filter(|&j| band(j)) {
                cells += 1;
                marked += usize::from(narrow[j]);
            }
            2 * marked > cells || (2 * marked == cells && narrow[i])
        })
        .collect()
}

/// The cells of a `w x h` grid that lie in a sliver of `region`: a
/// 4-connected group of region cells that holds no `min_width x
/// min_width` square of them and has no `keep` cell beside it. Under the
/// finger such a sliver (the edge of an arm, a label strip at the film's
/// side, a pin or two wide) is a stray line of no meaning, not a region: a view
/// leaves it flat. A band beside a `keep` cell is not a sliver but a part
/// of what it lies beside ([`narrow_bands`]).
pub fn slivers(
    w: usize,
    h: usize,
    region: impl Fn(usize) -> bool,
    keep: impl Fn(usize) -> bool,
    min_width: usize,
) -> Vec<bool> {
    let mut sliver = vec![false; w * h];
    let mut seen = vec![false; w * h];
    let beside = |i: usize| {
        let (x, y) = (i % w, i / w);
        [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ]
        .into_iter()
        .flatten()
    };
    // A square of region cells with its top-left corner at `i`.
    let square_at = |i: usize| {
        let (x, y) = (i % w, i / w);
        x + min_width <= w
            && y + min_width <= h
            && (0..min_width).all(|dy| (0..min_width).all(|dx| region(i + dy * w + dx)))
    };
    for start in 0..w * h {
        if seen[start] || !region(start) {
            continue;
        }
        seen[start] = true;
        let (mut group, mut stack) = (Vec::new(), vec![start]);
        while let Some(i) = stack.pop() {
            group.push(i);
            for j in beside(i) {
                if region(j) && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        let anchored = group.iter().any(|&i| beside(i).any(&keep));
        if !anchored && !group.iter().any(|&i| square_at(i)) {
            for i in group {
                sliver[i] = true;
            }
        }
    }
    sliver
}

/// The cells of cell `i`'s 3 x 3 neighbourhood (itself included) that lie
/// in a `w x h` grid.
pub fn neighbourhood(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    (y.saturating_sub(1)..(y + 2).min(h))
        .flat_map(move |ny| (x.saturating_sub(1)..(x + 2).min(w)).map(move |nx| ny * w + nx))
}

/// The 8-connected groups of raised pins in `area`.
fn raised_groups(frame: &PinFrame, area: Rectangle) -> Vec<Vec<Point>> {
    let raised = |p: Point| area.contains(p) && frame.height(p).unwrap_or(0) > 0;
    let mut seen = std::collections::HashSet::new();
    let mut groups = Vec::new();
    for start in area.points().filter(|&p| raised(p)) {
        if !seen.insert(start) {
            continue;
        }
        let (mut group, mut stack) = (Vec::new(), vec![start]);
        while let Some(p) = stack.pop() {
            group.push(p);
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let q = p + Point::new(dx, dy);
                    if raised(q) && seen.insert(q) {
                        stack.push(q);
                    }
                }
            }
        }
        groups.push(group);
    }
    groups
}

/// How readable the picture in an area of a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Legibility {
    /// Pins raised.
    pub raised: usize,
    /// Horizontally or vertically neighbouring pin pairs of different
    /// heights: each is an edge the finger crosses.
    pub changes: usize,
    /// `changes` per 100 raised pins: about 70 for the relief view of a
    /// chest film; an outlined flat region sits near 35-40.
    pub changes_per_100_raised: f32,
    /// Groups of raised pins smaller than [`MIN_FEATURE`].
    pub specks: usize,
    /// Distinct heights in the area, flat included.
    pub levels_used: usize,
}

impl Legibility {
    /// The measures of `area` in `frame`.
    pub fn measure(frame: &PinFrame, area: Rectangle) -> Legibility {
        let height = |p: Point| frame.height(p).unwrap_or(0);
        let mut changes = 0;
        let mut used = [false; 256];
        for p in area.points() {
            used[usize::from(height(p))] = true;
            for q in [p + Point::new(1, 0), p + Point::new(0, 1)] {
                if area.contains(q) && height(q) != height(p) {
                    changes += 1;
                }
            }
        }
        let raised = area.points().filter(|&p| height(p) > 0).count();
        let specks = raised_groups(frame, area)
            .iter()
            .filter(|g| g.len() < MIN_FEATURE)
            .count();
        Legibility {
            raised,
            changes,
            changes_per_100_raised: if raised == 0 {
                0.0
            } else {
                changes as f32 * 100.0 / raised as f32
            },
            specks,
            levels_used: used.iter().filter(|&&u| u).count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tactile::Geometry;
    use embedded_graphics::prelude::Size;

    fn frame_with(points: &[(i32, i32)]) -> PinFrame {
        let mut frame = PinFrame::flat(Geometry::new(10, 10, 5).unwrap());
        for &(x, y) in points {
            frame.set(Point::new(x, y), 4);
        }
        frame
    }

    #[test]
    fn specks_under_the_minimum_go_and_larger_features_stay() {
        let mut frame = frame_with(&[(0, 0), (5, 5), (6, 6), (2, 8), (3, 8), (4, 8)]);
        let all = frame.geometry().bounds();
        assert_eq!(Legibility::measure(&frame, all).specks, 2);
        remove_specks(&mut frame, all, MIN_FEATURE);
        assert_eq!(frame.heights().iter().filter(|&&h| h > 0).count(), 3);
        assert_eq!(Legibility::measure(&frame, all).specks, 0);
    }

    #[test]
    fn an_outlined_square_is_measured() {
        // A 4x4 ring of raised pins, nothing inside.
        let ring: Vec<(i32, i32)> = (2..6)
            .flat_map(|y| (2..6).map(move |x| (x, y)))
            .filter(|&(x, y)| x == 2 || x == 5 || y == 2 || y == 5)
            .collect();
        let frame = frame_with(&ring);
        let m = Legibility::measure(&frame, frame.geometry().bounds());
        assert_eq!(m.raised, 12);
        // 16 edges outside the ring, 8 inside.
        assert_eq!(m.changes, 24);
        assert_eq!(m.changes_per_100_raised, 200.0);
        assert_eq!(m.levels_used, 2);
    }

    #[test]
    fn bands_under_the_minimum_beside_an_anchor_are_narrow() {
        // One row: anchor, two band cells, air, three band cells, anchor,
        // two band cells with no anchor beside them, an anchor, and one
        // band cell at the row's end.
        let row = b"ABB.BBBA.BB.AB";
        let narrow = narrow_bands(row.len(), 1, |i| row[i] == b'B', |i| row[i] == b'A', 3);
        let marked: Vec<usize> = (0..row.len()).filter(|&i| narrow[i]).collect();
        assert_eq!(marked, vec![1, 2]);
        // Down a column as well as across a row.
        let column = b"A.B.A";
        let narrow = narrow_bands(1, 5, |i| column[i] == b'.', |i| column[i] == b'A', 3);
        assert_eq!(narrow, vec![false, true, false, true, false]);
        // A band that starts at the grid's edge is not known to be narrow.
        let narrow = narrow_bands(3, 1, |i| i < 2, |i| i == 2, 3);
        assert_eq!(narrow, vec![false; 3]);
        // A band three cells wide whose middle row narrows to two is a
        // shelf all the way down, not line and shelf by turns.
        let grid = b".BBBA..BBA.BBBA";
        let narrow = narrow_bands(5, 3, |i| grid[i] == b'B', |i| grid[i] == b'A', 3);
        assert_eq!(narrow, vec![false; 15]);
        // A band two cells wide that widens to three for one row is a
        // line all the way down.
        let grid = b"..BBA..BBA.BBBA..BBA..BBA";
        let narrow = narrow_bands(5, 5, |i| grid[i] == b'B', |i| grid[i] == b'A', 3);
        assert!(
            (0..5).all(|y| narrow[y * 5 + 2] && narrow[y * 5 + 3]),
            "{narrow:?}"
        );
    }

    #[test]
    fn slivers_are_thin_groups_apart_from_what_is_kept() {
        // A column one cell wide at the left edge, a 3 x 3 block, a thin
        // line beside a kept cell ("K") and a thin line by itself.
        let grid = concat!(
            "B.BBB..", //
            "B.BBB.K", //
            "B.BBB.B", //
            "B.....B", //
            "B..BB..", //
        )
        .as_bytes();
        let slivers = slivers(7, 5, |i| grid[i] == b'B', |i| grid[i] == b'K', 3);
        let marked: Vec<usize> = (0..grid.len()).filter(|&i| slivers[i]).collect();
        assert_eq!(marked, vec![0, 7, 14, 21, 28, 31, 32]);
    }

    #[test]
    fn clearing_leaves_a_one_pin_gap() {
        let mut frame = frame_with(
            &(0..10)
                .flat_map(|y| (0..10).map(move |x| (x, y)))
                .collect::<Vec<_>>(),
        );
        let symbol = Rectangle::new(Point::new(0, 0), Size::new(2, 3));
        let all = frame.geometry().bounds();
        clear_around(&mut frame, symbol, all);
        assert_eq!(frame.height(Point::new(2, 3)), Some(0));
        assert_eq!(frame.height(Point::new(3, 0)), Some(4));
        assert_eq!(frame.height(Point::new(0, 4)), Some(4));
    }
}
