//! The anatomy's parts and measures, apart from the search and the checks
//! (`checks.rs`): the midline, the air around the body, the white-lung
//! test, the bases levelled, the mediastinum between the lungs, the body
//! around them and each lung's excess over its baseline (the opacity).

use super::{
    Lung, Mask, AIR_SHARE, AIR_SHARE_AWAY, MAX_BASE_DROP, MEDIASTINUM_HALF_WIDTH, MIDLINE_TIE,
    MIN_SPREAD, OPACITY_RIM, SOFT_TISSUE_REACH, WHITE_QUANTILE,
};

/// The values of `film` (on the mask's grid) under `mask`, in ascending
/// order: what every quantile of a region is taken from.
pub(super) fn sorted_under(film: &[f32], mask: &Mask) -> Vec<f32> {
    let mut values: Vec<f32> = mask
        .points()
        .map(|(x, y)| film[y * mask.width() + x])
        .collect();
    values.sort_unstable_by(f32::total_cmp);
    values
}

/// The part of a lung missing from the search is a white lung: its pixels
/// (their median) as dense as the [`WHITE_QUANTILE`] of the lung found.
pub(super) fn white(smooth: &[f32], missing: &Mask, found: &Mask) -> bool {
    let (missing, found) = (sorted_under(smooth, missing), sorted_under(smooth, found));
    let (Some(&m), Some(&f)) = (
        missing.get(missing.len() / 2),
        found.get(((found.len() as f32 - 1.0) * WHITE_QUANTILE) as usize),
    ) else {
        return false;
    };
    m >= f
}

/// Each lung cut at [`MAX_BASE_DROP`] below the other's base.
pub(super) fn bases_level(right: Mask, left: Mask) -> (Mask, Mask) {
    let n = right.height();
    let drop = (MAX_BASE_DROP * n as f32) as usize;
    let cut = |mask: &Mask, other: &Mask| match other.rows() {
        Some((_, base)) => Mask::from_fn(n, n, |x, y| {
            y <= base + drop && mask.get(x as isize, y as isize)
        }),
        None => mask.clone(),
    };
    (cut(&right, &left), cut(&left, &right))
}

/// The body of a smoothed, stretched film whose lungs are `lungs`: air
/// absorbs less than any tissue, so the air is darker than [`AIR_SHARE`]
/// of the lungs' darkest twentieth, or, further than [`SOFT_TISSUE_REACH`]
/// from the body that [`AIR_SHARE_AWAY`] of it finds, darker than that (a
/// grey background).
pub(super) fn body_around(smooth: &[f32], lungs: &Mask) -> Mask {
    let (w, h) = (lungs.width(), lungs.height());
    let values = sorted_under(smooth, lungs);
    let level = values.get(values.len() / 20).copied().unwrap_or(0.0);
    let body_below = |share: f32| {
        body(&Mask::from_fn(w, h, |x, y| {
            smooth[y * w + x] < share * level
        }))
    };
    body_below(AIR_SHARE).and(&body_below(AIR_SHARE_AWAY).dilate(SOFT_TISSUE_REACH))
}

/// The air around the body before any lung is known: the areas of a
/// smoothed, stretched `n x n` film darker than `floor` that reach its edge.
pub(super) fn air_around(smooth: &[f32], n: usize, floor: f32) -> Mask {
    let body = body(&Mask::from_fn(n, n, |x, y| smooth[y * n + x] < floor));
    Mask::from_fn(n, n, |x, y| !body.get(x as isize, y as isize))
}

/// The film less the dark areas that reach its edge (the air around the
/// body), holes filled.
fn body(dark: &Mask) -> Mask {
    let n = dark.width();
    let mut outside = Mask::empty(n, dark.height());
    for air in dark.erode(1).components() {
        if air.touches_border(3) {
            outside = outside.or(&air);
        }
    }
    let outside = outside.dilate(1).and(dark);
    Mask::from_fn(n, dark.height(), |x, y| {
        !outside.get(x as isize, y as isize)
    })
    .filled()
}

/// In every row both lungs span, the columns strictly between them, no
/// further than [`MEDIASTINUM_HALF_WIDTH`] from the midline (below the
/// heart the lungs' costophrenic recesses reach far out, and what lies
/// between them there is the diaphragm).
pub(super) fn between(right: &Mask, left: &Mask, midline: f32) -> Mask {
    let reach = MEDIASTINUM_HALF_WIDTH * right.width() as f32;
    let mut out = Mask::empty(right.width(), right.height());
    for y in 0..right.height() {
        if let (Some((_, r_end)), Some((l_start, _))) = (right.span(y), left.span(y)) {
            for x in r_end + 1..l_start {
                if (x as f32 - midline).abs() <= reach {
                    out.set(x, y, true);
                }
            }
        }
    }
    out
}

/// The column of the brightest mean over the middle rows, among the middle
/// 40 % of columns: the spine and mediastinum. Columns within
/// [`MIDLINE_TIE`] of the brightest are one plateau, and its middle is
/// taken (the first or last of a flat top would stand off centre, and a
/// lung mirrored about it with it).
pub(super) fn midline(smooth: &[f32], n: usize) -> usize {
    let rows = n / 5..n * 4 / 5;
    let means: Vec<(usize, f32)> = (n * 3 / 10..n * 7 / 10)
        .map(|x| {
            let sum: f32 = rows.clone().map(|y| smooth[y * n + x]).sum();
            (x, sum / rows.len() as f32)
        })
        .collect();
    let brightest = means.iter().map(|m| m.1).fold(f32::MIN, f32::max);
    let plateau: Vec<usize> = means
        .iter()
        .filter(|m| m.1 >= brightest - MIDLINE_TIE)
        .map(|m| m.0)
        .collect();
    plateau.get(plateau.len() / 2).copied().unwrap_or(n / 2)
}

/// For every pixel inside a lung of `smooth`, how many interquartile
/// ranges it lies above that lung's median (0 outside the lungs and below
/// the median); an `estimated` lung is measured against the other's.
pub(super) fn excess(
    smooth: &[f32],
    right: &Mask,
    left: &Mask,
    estimated: Option<Lung>,
) -> Vec<f32> {
    let stats = |mask: &Mask| {
        let values = sorted_under(smooth, mask);
        let at = |q: f32| values[((values.len() - 1) as f32 * q).round() as usize];
        (at(0.5), (at(0.75) - at(0.25)).max(MIN_SPREAD))
    };
    let (mut right_stats, mut left_stats) = (stats(right), stats(left));
    // An estimated lung's own statistics are the consolidation's.
    match estimated {
        Some(Lung::Right) => right_stats = left_stats,
        Some(Lung::Left) => left_stats = right_stats,
        None => {}
    }
    let mut excess = vec![0.0; smooth.len()];
    for (mask, (median, spread)) in [(right, right_stats), (left, left_stats)] {
        for (x, y) in mask.erode(OPACITY_RIM).points() {
            let i = y * mask.width() + x;
            excess[i] = ((smooth[i] - median) / spread).max(0.0);
        }
    }
    excess
}
