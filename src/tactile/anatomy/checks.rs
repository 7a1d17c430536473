//! The checks a pair of lungs must pass before the anatomy is shown: a
//! wrong anatomy is worse than none, so a pair that fails any is refused
//! with the problem named, and the relief view stands in.

use super::{
    AnatomyProblem, Lung, Mask, APEX_OUTWARD, ASYMMETRY, LUNG_AREA, MAX_APEX, MAX_APEX_OFFSET,
    MAX_CENTRE_OFFSET, MAX_MEDIASTINUM_SHARE, MIN_BASE, MIN_HEIGHT, MIN_MEDIASTINUM, SIDE_MARGIN,
};

/// Checks each lung by itself (size, height, base, apex, the film's side,
/// the shoulder), then the pair (level, symmetric about `midline`, a
/// mediastinum between them that is not most of the chest).
pub(super) fn check(right: &Mask, left: &Mask, midline: f32) -> Result<(), AnatomyProblem> {
    let n = right.width() as f32;
    for (lung, mask) in [(Lung::Right, right), (Lung::Left, left)] {
        let share = mask.area() as f32 / (n * n);
        let (top, bottom) = mask.rows().ok_or(AnatomyProblem::LungMissing(lung))?;
        let tall = (bottom - top + 1) as f32 / n;
        if !(LUNG_AREA.0..=LUNG_AREA.1).contains(&share) || tall < MIN_HEIGHT {
            return Err(AnatomyProblem::LungSize(lung));
        }
        if ((bottom + 1) as f32) < MIN_BASE * n {
            return Err(AnatomyProblem::LungHigh(lung));
        }
        if top as f32 > MAX_APEX * n {
            return Err(AnatomyProblem::LungLow(lung));
        }
        let margin = SIDE_MARGIN * n;
        let beside = |x: usize| (x as f32) < margin || (x + 1) as f32 > n - margin;
        if mask.points().any(|(x, _)| beside(x)) {
            return Err(AnatomyProblem::LungAtEdge(lung));
        }
        if apex_outward(mask, midline) > APEX_OUTWARD {
            return Err(AnatomyProblem::LungOverShoulder(lung));
        }
    }
    let (rc, lc) = (right.centroid(), left.centroid());
    let (Some(rc), Some(lc)) = (rc, lc) else {
        return Err(AnatomyProblem::LungMissing(Lung::Right));
    };
    let apices = right
        .rows()
        .zip(left.rows())
        .map(|(r, l)| r.0.abs_diff(l.0));
    if (rc.1 - lc.1).abs() > MAX_CENTRE_OFFSET * n
        || apices.is_some_and(|d| d as f32 > MAX_APEX_OFFSET * n)
    {
        return Err(AnatomyProblem::Misaligned);
    }
    let (dr, dl) = (midline - rc.0, lc.0 - midline);
    if dr <= 0.0 || dl <= 0.0 || dr.max(dl) > ASYMMETRY * dr.min(dl) {
        return Err(AnatomyProblem::Asymmetric);
    }
    let middle = ((rc.1 + lc.1) / 2.0).round() as usize;
    let gap = match (right.span(middle), left.span(middle)) {
        (Some((_, r_end)), Some((l_start, _))) => l_start as f32 - r_end as f32 - 1.0,
        _ => 0.0,
    };
    if gap < MIN_MEDIASTINUM * n {
        return Err(AnatomyProblem::NoMediastinum);
    }
    if mediastinum_share(right, left) > MAX_MEDIASTINUM_SHARE {
        return Err(AnatomyProblem::WideMediastinum);
    }
    Ok(())
}

/// How many times further from `midline` the middle of `lung`'s top eighth
/// of rows lies than its centre.
fn apex_outward(lung: &Mask, midline: f32) -> f32 {
    let (Some((top, bottom)), Some((cx, _))) = (lung.rows(), lung.centroid()) else {
        return 0.0;
    };
    let rows = ((bottom - top) / 8).max(1);
    let middles: Vec<f32> = (top..top + rows)
        .filter_map(|y| lung.span(y))
        .map(|(a, b)| (a + b) as f32 / 2.0)
        .collect();
    let apex = middles.iter().sum::<f32>() / middles.len().max(1) as f32;
    (apex - midline).abs() / (cx - midline).abs().max(1.0)
}

/// The mediastinum's share of the chest in the median row both lungs
/// span: the columns between the lungs over those from the right lung's
/// first to the left lung's last (0 where no row has both).
fn mediastinum_share(right: &Mask, left: &Mask) -> f32 {
    let mut shares: Vec<f32> = (0..right.height())
        .filter_map(|y| {
            let ((r_start, r_end), (l_start, l_end)) = (right.span(y)?, left.span(y)?);
            let chest = (l_end + 1).saturating_sub(r_start).max(1);
            Some(l_start.saturating_sub(r_end + 1) as f32 / chest as f32)
        })
        .collect();
    shares.sort_unstable_by(f32::total_cmp);
    shares.get(shares.len() / 2).copied().unwrap_or(0.0)
}
