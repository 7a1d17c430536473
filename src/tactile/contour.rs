//! Iso-lines of a height field by marching squares, in the manner of
//! scikit-image's `measure.find_contours`: points are (row, column) in sample
//! coordinates, found by linear interpolation along cell edges.
//!
//! The two ambiguous (saddle) cases are decided by the mean of the cell's four
//! corners: at or above the level, the high corners are taken as connected.

/// A straight piece of an iso-line, from one cell edge to another, as
/// `((row, column), (row, column))`.
pub type Segment = ((f32, f32), (f32, f32));

/// All segments of the iso-line at `level` in a row-major `width x height`
/// field.
pub fn segments(field: &[f32], width: usize, height: usize, level: f32) -> Vec<Segment> {
    let mut out = Vec::new();
    if width < 2 || height < 2 {
        return out;
    }
    let at = |r: usize, c: usize| field[r * width + c];
    let cross = |a: f32, b: f32| if b == a { 0.5 } else { (level - a) / (b - a) };
    for r in 0..height - 1 {
        for c in 0..width - 1 {
            let (ul, ur, ll, lr) = (at(r, c), at(r, c + 1), at(r + 1, c), at(r + 1, c + 1));
            let case = usize::from(ul >= level)
                | usize::from(ur >= level) << 1
                | usize::from(lr >= level) << 2
                | usize::from(ll >= level) << 3;
            if case == 0 || case == 15 {
                continue;
            }
            let (rf, cf) = (r as f32, c as f32);
            let top = (rf, cf + cross(ul, ur));
            let bottom = (rf + 1.0, cf + cross(ll, lr));
            let left = (rf + cross(ul, ll), cf);
            let right = (rf + cross(ur, lr), cf + 1.0);
            let highs_connected = (ul + ur + ll + lr) / 4.0 >= level;
            match case {
                1 | 14 => out.push((top, left)),
                2 | 13 => out.push((top, right)),
                3 | 12 => out.push((left, right)),
                4 | 11 => out.push((right, bottom)),
                6 | 9 => out.push((top, bottom)),
                7 | 8 => out.push((left, bottom)),
                // ul and lr high.
                5 if highs_connected => out.extend([(top, right), (left, bottom)]),
                5 => out.extend([(top, left), (right, bottom)]),
                // ur and ll high.
                10 if highs_connected => out.extend([(top, left), (right, bottom)]),
                _ => out.extend([(top, right), (left, bottom)]),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_is_enclosed_by_a_closed_ring() {
        // 3x3 with a peak in the middle: level 0.5 crosses every edge to the centre.
        let field = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let segs = segments(&field, 3, 3, 0.5);
        assert_eq!(segs.len(), 4);
        // Every endpoint lies halfway between the centre and a neighbour,
        // and appears in exactly two segments: the ring is closed.
        let points: Vec<(f32, f32)> = segs.iter().flat_map(|&(a, b)| [a, b]).collect();
        for p in &points {
            let d = ((p.0 - 1.0).powi(2) + (p.1 - 1.0).powi(2)).sqrt();
            assert!((d - 0.5).abs() < 1e-6, "{p:?}");
            assert_eq!(points.iter().filter(|q| *q == p).count(), 2);
        }
    }

    #[test]
    fn a_ramp_gives_a_straight_line_at_the_interpolated_column() {
        let field: Vec<f32> = (0..4 * 5).map(|i| (i % 5) as f32 / 4.0).collect();
        let segs = segments(&field, 5, 4, 0.6);
        assert_eq!(segs.len(), 3);
        for (a, b) in segs {
            assert!((a.1 - 2.4).abs() < 1e-5 && (b.1 - 2.4).abs() < 1e-5);
        }
    }

    #[test]
    fn saddles_follow_the_cell_mean() {
        let high_diagonal = [1.0, 0.0, 0.0, 0.9];
        let segs = segments(&high_diagonal, 2, 2, 0.4);
        // Mean 0.475 >= 0.4: the high corners connect, the low ones are cut off.
        assert_eq!(segs.len(), 2);
        // The ur corner is cut off: a segment from the top edge to the right edge.
        let (top, right) = segs[0];
        assert!(top.0 == 0.0 && (top.1 - 0.6).abs() < 1e-6, "{top:?}");
        assert!(
            (right.0 - 0.4 / 0.9).abs() < 1e-6 && right.1 == 1.0,
            "{right:?}"
        );
    }
}
