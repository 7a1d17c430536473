//! One lung field found row by row: in a film smoothed down the columns
//! (ribs washed out), every row of a lung crosses a dark valley between
//! the bright mediastinum and the bright chest wall. The valleys are
//! chained from the row where the lung is clearest up to the apex and
//! down to the diaphragm, as long as each row's valley overlaps the last.

use super::Mask;

/// Valleys shallower than this (in the stretched [0, 1] film) are not lung.
pub const MIN_DEPTH: f32 = 0.04;
/// Down to the diaphragm, a lung ends in its costophrenic angle within a
/// few rows of narrowing: more rows than this with a valley under
/// [`NARROW`] of the chain's widest is the search running down the
/// chest wall past the diaphragm.
const MAX_NARROW_ROWS: usize = 8;
/// See [`MAX_NARROW_ROWS`].
const NARROW: f32 = 0.35;
/// Rows chained to the seed need at least this share of the seed's depth.
pub const MIN_SHARE_OF_SEED: f32 = 0.25;
/// The valley's extent, towards the midline and towards the chest wall:
/// where the profile is below its floor plus this share of the rise to
/// that side's wall (the mediastinum's edge at half its height), and of
/// the valley's depth (the lower wall) towards the chest wall. Measured
/// against the depth on both sides, a bright mediastinum beside a faint
/// chest wall put the medial border half way across the lung (on the
/// tuning films, `--limit 150 --offset 0.25`: lungs as strips along the
/// chest wall, the mediastinum twice as wide as it is).
pub const EXTENT: (f32, f32) = (0.5, 0.6);
/// Towards the midline the valley ends, at the latest, at this share of
/// its depth: tissue as bright as the lower wall between the lung and the
/// mediastinum (the body beside an apex) is not lung.
pub const MEDIAL_CAP: f32 = 0.9;
/// Going up from the seed row (taken where the lungs are widest), a lung
/// narrows to its apex: a row's valley may reach at most this many columns
/// beyond the seed's on the chest wall's side (more is the search
/// drifting into the shoulder). Towards the midline it may widen: above
/// the heart the lung reaches nearer the spine.
const APEX_SPREAD: usize = 2;
/// A valley nearer the midline than this share of the film is the
/// mediastinum's own shading, not lung.
const MEDIAL_GAP: f32 = 0.04;
/// Rows a chain may skip (a rib or vessel crossing) and go on.
const MAX_GAP_ROWS: usize = 3;
/// Rows a chain may bridge inside the rows the other lung spans: a
/// consolidation across a lung is no valley, but the lung goes on below
/// (or above) it, and the other lung says how far a lung reaches.
pub const MAX_BRIDGE_ROWS: usize = 60;

/// Each row's lung valley in one half of a film.
#[derive(Debug, Clone)]
pub struct Valleys {
    half: Half,
    rows: Vec<Option<Valley>>,
}

impl Valleys {
    /// The valleys of every row of a smoothed, stretched film in `half`,
    /// searched out from the column `midline`, none with its floor in `air`
    /// (the air around the body, on the film's grid); with `within`, only
    /// valleys whose floor lies that many columns from the midline (from,
    /// to).
    pub fn of(
        smooth: &[f32],
        air: &Mask,
        midline: usize,
        half: Half,
        within: Option<(usize, usize)>,
    ) -> Valleys {
        let n = air.width();
        Valleys {
            half,
            rows: (0..n)
                .map(|y| {
                    let row = y * n..(y + 1) * n;
                    valley(
                        &smooth[row.clone()],
                        &air.bits()[row],
                        midline,
                        half,
                        within,
                    )
                })
                .collect(),
        }
    }
}

/// A lung's valley in one row: its columns (inclusive) and its depth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Valley {
    start: usize,
    end: usize,
    depth: f32,
}

/// The side of the midline to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    /// Columns left of the midline: the patient's right lung.
    Left,
    /// Columns right of it: the patient's left lung.
    Right,
}

/// The lung of a half's [`Valleys`] (on a square film), or `None` where
/// no row has a lung's valley. Inside the rows `bridge` (those the
/// other lung spans), a chain may bridge up to [`MAX_BRIDGE_ROWS`] rows
/// without a valley; the rows bridged are filled between the valleys
/// either side.
pub fn lung(valleys: &Valleys, bridge: Option<(usize, usize)>) -> Option<Mask> {
    let (n, half) = (valleys.rows.len(), valleys.half);
    let valleys = &valleys.rows;
    // The seed: the valley of most depth times width in the rows where
    // lungs are at their widest (the middle of the film, a little above
    // its centre): a lung's clearest row, not a narrow dark strip.
    let score = |v: &Valley| v.depth * (v.end - v.start + 1) as f32;
    let seed = (n / 5..n * 3 / 5)
        .filter_map(|y| valleys[y].map(|v| (y, v)))
        .max_by(|a, b| score(&a.1).total_cmp(&score(&b.1)))?;
    let mut mask = Mask::empty(n, n);
    let mut mark = |y: usize, v: Valley| {
        for x in v.start..=v.end {
            mask.set(x, y, true);
        }
    };
    mark(seed.0, seed.1);
    let may_skip = |y: isize, gap: usize| {
        gap <= MAX_GAP_ROWS
            || (gap <= MAX_BRIDGE_ROWS
                && bridge
                    .is_some_and(|(top, bottom)| (top as isize..=bottom as isize).contains(&y)))
    };
    for step in [-1isize, 1] {
        let (mut last, mut last_y, mut gap, mut y) =
            (seed.1, seed.0 as isize, 0, seed.0 as isize + step);
        let (mut widest, mut narrow_rows) = (seed.1.end - seed.1.start + 1, 0);
        while (0..n as isize).contains(&y) && may_skip(y, gap) {
            let upward = step < 0;
            let min_depth = MIN_SHARE_OF_SEED * seed.1.depth;
            // Up to the apex the valley may not move away from the
            // midline: drifting out is the search leaving the lung for the
            // shoulder (such a row counts as one without a valley).
            let fits = |v: &Valley| {
                overlaps(v, &last)
                    && v.depth >= min_depth
                    && !(upward && outward(v, &last, half) > 1)
            };
            match valleys[y as usize].filter(fits) {
                Some(mut v) => {
                    if upward {
                        match half {
                            Half::Left => {
                                v.start = v.start.max(seed.1.start.saturating_sub(APEX_SPREAD))
                            }
                            Half::Right => v.end = v.end.min(seed.1.end + APEX_SPREAD),
                        }
                    }
                    // Rows bridged: between the valleys either side.
                    let span = (y - last_y).unsigned_abs();
                    for k in 1..span {
                        let t = k as f32 / span as f32;
                        let lerp = |a: usize, b: usize| {
                            (a as f32 + (b as f32 - a as f32) * t).round() as usize
                        };
                        let row = (last_y + step * k as isize) as usize;
                        mark(
                            row,
                            Valley {
                                start: lerp(last.start, v.start),
                                end: lerp(last.end, v.end),
                                depth: 0.0,
                            },
                        );
                    }
                    let width = v.end - v.start + 1;
                    widest = widest.max(width);
                    if !upward && (width as f32) < NARROW * widest as f32 {
                        narrow_rows += 1;
                        if narrow_rows > MAX_NARROW_ROWS {
                            break;
                        }
                    }
                    mark(y as usize, v);
                    last = v;
                    last_y = y;
                    gap = 0;
                }
                None => gap += 1,
            }
            y += step;
        }
    }
    Some(mask)
}

/// How many columns further from the midline `a`'s centre is than `b`'s.
fn outward(a: &Valley, b: &Valley, half: Half) -> isize {
    let centre = |v: &Valley| (v.start + v.end) as isize / 2;
    match half {
        Half::Left => centre(b) - centre(a),
        Half::Right => centre(a) - centre(b),
    }
}

fn overlaps(a: &Valley, b: &Valley) -> bool {
    let shared = a.end.min(b.end) as isize - a.start.max(b.start) as isize + 1;
    let narrower = (a.end - a.start).min(b.end - b.start) + 1;
    shared as f32 >= 0.5 * narrower as f32
}

/// The lung's valley in one row of the film, searched outward from the
/// midline: of the local minima with walls on both sides, the one nearest
/// the midline whose depth is at least half the deepest's. The air around
/// the body is often darker than lung, but lies beyond the chest wall.
pub(super) fn valley(
    row: &[f32],
    air: &[bool],
    midline: usize,
    half: Half,
    within: Option<(usize, usize)>,
) -> Option<Valley> {
    let n = row.len();
    // The profile outward from the midline: k = 0 at the midline.
    let profile: Vec<f32> = match half {
        Half::Left => row[..=midline.min(n - 1)].iter().rev().copied().collect(),
        Half::Right => row[midline.min(n - 1)..].to_vec(),
    };
    let len = profile.len();
    let first = ((n as f32 * MEDIAL_GAP) as usize).max(1);
    let side_margin = (n as f32 * super::SIDE_MARGIN).ceil() as usize;
    if len < first + 3 {
        return None;
    }
    // The medial wall of a minimum at k: the highest point before it.
    let medial_max: Vec<f32> = profile
        .iter()
        .scan(f32::MIN, |m, &p| {
            *m = m.max(p);
            Some(*m)
        })
        .collect();
    let mut candidates: Vec<(usize, Valley)> = Vec::new();
    for k in first..len - 1 {
        let v = profile[k];
        let column = match half {
            Half::Left => midline - k,
            Half::Right => midline + k,
        };
        // A floor in the air around the body (the dark gap between the
        // chest and an arm, open to the film's edge) is no lung, however
        // deep: next to it a hazy lung's shallower valley fell under half
        // its depth and was passed over.
        let allowed = within.is_none_or(|(from, to)| (from..=to).contains(&k)) && !air[column];
        if !(allowed && v <= profile[k - 1] && v < profile[k + 1]) {
            continue;
        }
        let medial = medial_max[k - 1];
        // The lateral wall: the highest point before the profile falls
        // below this minimum again.
        let mut lateral = f32::MIN;
        for &p in &profile[k + 1..] {
            if p < v {
                break;
            }
            lateral = lateral.max(p);
        }
        let depth = medial.min(lateral) - v;
        if depth < MIN_DEPTH {
            continue;
        }
        let mut a = k;
        let medial_extent = (EXTENT.0 * (medial - v)).min(MEDIAL_CAP * depth);
        while a > 0 && profile[a - 1] < v + medial_extent {
            a -= 1;
        }
        let mut b = k;
        while b + 1 < len && profile[b + 1] < v + EXTENT.1 * depth {
            b += 1;
        }
        // A valley running to the film's side is the air beside the body
        // or an arm, not a lung inside its chest wall.
        if b + 1 > len.saturating_sub(side_margin) {
            continue;
        }
        candidates.push((
            k,
            Valley {
                start: a,
                end: b,
                depth,
            },
        ));
    }
    let deepest = candidates.iter().map(|c| c.1.depth).fold(0.0, f32::max);
    let (_, chosen) = candidates
        .into_iter()
        .filter(|c| c.1.depth >= 0.5 * deepest)
        .min_by_key(|c| c.0)?;
    // Back to film columns.
    let (start, end) = match half {
        Half::Left => (midline - chosen.end, midline - chosen.start),
        Half::Right => (midline + chosen.start, midline + chosen.end),
    };
    Some(Valley {
        start,
        end,
        depth: chosen.depth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_valley_nearest_the_midline_is_the_lung_not_the_air_beyond() {
        // midline at 20 (bright), lung valley 8..14, chest wall at 5,
        // darker air at 0..3.
        let mut row = vec![0.8f32; 21];
        for v in &mut row[8..=14] {
            *v = 0.2;
        }
        for v in &mut row[..=3] {
            *v = 0.0;
        }
        row[4] = 0.7;
        let v = valley(&row, &[false; 21], 20, Half::Left, None).unwrap();
        assert_eq!((v.start, v.end), (8, 14));
        assert!((v.depth - 0.6).abs() < 1e-6);
    }

    #[test]
    fn a_valley_in_the_air_beside_the_chest_is_not_the_lung() {
        // Midline at 0 (bright mediastinum), a hazy lung 10..=18, the
        // chest wall 19..=22, the dark gap to an arm 23..=27 (deeper than
        // the hazy lung by far), the arm 28..=31, air to the film's side.
        let mut row = vec![0.9f32; 40];
        row[10..=18].fill(0.45);
        row[19..=22].fill(0.6);
        row[23..=27].fill(0.0);
        row[28..=31].fill(0.6);
        row[32..].fill(0.0);
        let mut air = vec![false; 40];
        // Without the air around the body known, the gap is taken.
        let gap = valley(&row, &air, 0, Half::Right, None).unwrap();
        assert_eq!((gap.start, gap.end), (23, 27));
        air[23..=27].fill(true);
        air[32..].fill(true);
        let lung = valley(&row, &air, 0, Half::Right, None).unwrap();
        assert_eq!((lung.start, lung.end), (10, 18));
    }

    #[test]
    fn a_flat_row_has_no_valley() {
        assert_eq!(
            valley(&[0.5; 40], &[false; 40], 20, Half::Right, None),
            None
        );
    }
}
