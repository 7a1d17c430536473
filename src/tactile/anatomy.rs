//! The anatomy of a frontal chest film, found in the film itself: the two
//! lung fields, the mediastinum (heart and great vessels) between them, and
//! how far each lung is denser than its own baseline (the opacity layer).
//!
//! No mask data is available to learn from, so this is a classical method,
//! on the 224 x 224 grid of the film (bright = dense, patient's right on
//! the left, as [`crate::scan::Scan`] gives it):
//!
//! 1. **Smooth** with a Gaussian of [`SMOOTHING_SIGMA`] pixels, more down
//!    than across (ribs run across the film 6-10 pixels apart on this grid:
//!    they wash out, the lungs' side borders stay), then stretch between
//!    the 1st and 99th percentiles.
//! 2. **Midline**: the brightest column near the centre (the spine and
//!    mediastinum; the middle of a flat top).
//! 3. **Each lung row by row** (`rows.rs`): on each side of the midline,
//!    every row of a lung crosses a dark valley between the bright
//!    mediastinum and the bright chest wall; the valley nearest the
//!    midline that is at least half as deep as the row's deepest is the
//!    lung (the air around the body is often darker, but lies beyond the
//!    chest wall; a valley running to within [`SIDE_MARGIN`] of the
//!    film's side is that air, never lung). Valleys are chained from the
//!    clearest row up to the apex and down to the diaphragm while each
//!    overlaps the last; then again, bridging up to
//!    `rows::MAX_BRIDGE_ROWS` rows without a valley inside the rows the
//!    other lung spans (a consolidation interrupts the valleys, not the
//!    lung). A lung whose centre is more than
//!    [`ASYMMETRY`] times further from the midline than the other's has
//!    left the chest (for the air or the arm beside it, darker than a
//!    consolidated lung): that side is searched again only near the other
//!    lung's mirror image. No valley has its floor in the air around the
//!    body ([`AIR_FLOOR`]: the gap between the chest and an arm).
//! 4. **Fill and smooth**: each column between its first and last lung
//!    pixel, a closing of radius [`CLOSING`], holes filled (a dense patch
//!    inside a lung, with lung above and below it, is still lung); after
//!    the completion below, each lung is its largest connected piece.
//! 5. **A consolidated lung** is not dark, so it may be found only in part.
//!    Where one lung is less than [`ESTIMATE_BELOW`] of the other's area,
//!    the other lung mirrored about the midline stands in for its missing
//!    part (the rib cage is roughly symmetric); the lung is marked
//!    estimated, and its baseline for the opacity layer is the other
//!    lung's, since its own is the consolidation. A side where the search
//!    found (almost) nothing is a white lung when the mirror image lies
//!    over dense film ([`WHITE_QUANTILE`]): the mirror image is then the
//!    lung; over film that is not dense, the lung is not found.
//!    A lung whose base lies more than [`MAX_BASE_DROP`] below the
//!    other's has run on into the abdomen, and is cut there.
//! 6. **Check** (`checks.rs`, [`Anatomy::find`]'s errors): both lungs,
//!    each between [`LUNG_AREA`] of the film, at least [`MIN_HEIGHT`] of
//!    it tall, its apex in the upper [`MAX_APEX`] of the film, their
//!    centres and apices at about the same height ([`MAX_CENTRE_OFFSET`],
//!    [`MAX_APEX_OFFSET`]) and their centres at about the same distance
//!    from the midline (within [`ASYMMETRY`]), each one's top no further
//!    out than its middle ([`APEX_OUTWARD`]), a mediastinum between them
//!    that is not most of the chest ([`MAX_MEDIASTINUM_SHARE`]), and an
//!    estimated lung found at least [`MIN_FOUND`] by itself or white. A
//!    film that fails is shown in the relief view instead, and says so: a
//!    wrong anatomy is worse than none.
//! 7. **Mediastinum**: in every row both lungs span, the columns between
//!    them. **Body**: the film less the areas that reach its edge and are
//!    darker than [`AIR_SHARE`] of the lungs' darkest 5 % (air absorbs
//!    less than any tissue), or darker than [`AIR_SHARE_AWAY`] of it
//!    further than [`SOFT_TISSUE_REACH`] from the body that level finds.
//!
//! The opacity layer: for each lung, how many interquartile ranges a pixel
//! lies above the lung's median ([`Anatomy::excess`]), away from the lung's
//! rim ([`OPACITY_RIM`]).

use serde::Serialize;

use self::parts::{air_around, bases_level, between, body_around, excess, midline, white};
use super::mask::Mask;
use super::{percentile_stretch, RELIEF_SIZE};
use crate::imaging::resample::gaussian_blur_xy;

/// Smoothing before the valley search, in pixels of the 224 grid, across
/// and down: ribs run across the film 6-10 pixels apart, so smoothing down
/// washes them out while the lungs' side borders stay sharp.
pub const SMOOTHING_SIGMA: (f64, f64) = (2.0, 6.0);
/// Radius of the closing that smooths each lung's outline.
pub const CLOSING: usize = 3;
/// A lung under this share of the other's area is completed by the mirror.
pub const ESTIMATE_BELOW: f32 = 0.6;
/// An estimated lung must have been found for at least this share of its
/// estimate by itself.
pub const MIN_FOUND: f32 = 0.2;
/// A lung whose search found less than [`MIN_FOUND`] of it is completed
/// by the other's mirror image only where that part is a white lung: its
/// median as dense as this quantile of the lung found.
pub const WHITE_QUANTILE: f32 = 0.9;
/// Each lung's area, as a share of the film: at least, at most.
pub const LUNG_AREA: (f32, f32) = (0.03, 0.30);
/// Each lung's height, as a share of the film's.
pub const MIN_HEIGHT: f32 = 0.25;
/// Each lung's base (its lowest row) lies at least this share of the way
/// down the film: a "lung" ending higher was found in the shoulders or
/// the neck. (On 50 + 50 tuning films, `--offset 0.75`: normal bases at
/// 0.68 and lower; the three pneumonia "lungs" above 0.55 were all wrong.)
pub const MIN_BASE: f32 = 0.55;
/// A lung comes no nearer the film's left or right edge than this share
/// of its width: lungs lie inside the rib cage and the chest wall, and a
/// "lung" at the side edge is the air beside the body or an arm. (On the
/// same films: normal lungs 14 pixels of 224 or more from the sides; the
/// pneumonia "lungs" nearer than 6 all wrong. Not the top or bottom edge:
/// a film cropped at the apices is a film, not a fault.)
pub const SIDE_MARGIN: f32 = 0.03;
/// A lung's base lies at most this share of the film below the other's:
/// the domes of the diaphragm are within a few centimetres of each other.
/// A lung found further down has run on past its costophrenic angle into
/// the flank or the stomach's gas below the diaphragm (its valley goes on
/// without a break), and is cut there. (On 150 + 150 tuning films,
/// `--limit 150 --offset 0.25`: most bases differing by more than this
/// were such tails, in normal and pneumonia films alike.)
pub const MAX_BASE_DROP: f32 = 0.08;
/// A lung's apex lies under the clavicle, above the lung's middle or
/// nearer the spine: the middle of its top eighth of rows at most this many
/// times as far from the midline as its centre. Further out, the search
/// has climbed over the shoulder into the air at a top corner. (On the
/// tuning films, `--limit 150 --offset 0.25`: normal lungs 0.87 at most;
/// the two pneumonia lungs above 1.0 both wrong.)
pub const APEX_OUTWARD: f32 = 1.0;
/// The lungs' centres may differ in height by at most this share of the film.
pub const MAX_CENTRE_OFFSET: f32 = 0.15;
/// Each lung's apex (its top row) lies in this upper share of the film:
/// a "lung" starting lower has lost its apex, or is a patch above the
/// diaphragm. (On the tuning films, the seven sets judged so far, 834
/// normal and 751 pneumonia anatomies: no normal apex lower than 0.35; the
/// 8 pneumonia "lungs" starting lower all wrong, low blocks or apices
/// missed. The line left the normal films room at 0.40. Later, of 591
/// normal and 682 pneumonia anatomies shown on eleven sets, the lowest
/// normal apex was at 0.339 and the one pneumonia pair starting between
/// 0.36 and 0.40 was low blocks, apices missed: hence 0.36.)
pub const MAX_APEX: f32 = 0.36;
/// The lungs' apices lie at about the same height: at most this share of
/// the film apart. Further apart, one lung has climbed the chest wall into
/// the shoulder or the neck, or the other has lost its apex. (On the same
/// films: normal apices 0.16 apart at most, but for one wrong anatomy at
/// 0.26; the 7 pneumonia anatomies more than 0.18 apart all wrong; of the
/// 6 between 0.16 and 0.18 looked at, 5 wrong.)
pub const MAX_APEX_OFFSET: f32 = 0.18;
/// The mediastinum between the lungs, at least this share of the film wide
/// at the lungs' middle row.
pub const MIN_MEDIASTINUM: f32 = 0.03;
/// Between the lungs, the mediastinum takes at most this share of the
/// chest: in the median row both lungs span, its width over the width
/// from the right lung's outer edge to the left's. Wider, the lungs found
/// are strips along the chest wall (their medial parts taken for the
/// heart), or blocks below the apices. (On the tuning films, `--limit 120
/// --offset 0.7` normal: 0.39 in the median film, 0.50 at most; `--limit
/// 120 --offset 0.15` pneumonia: 0.45 in the median film, and of the 6
/// over 0.56, 5 wrong (strips, low blocks, a lung at the film's side)
/// and one a strip of doubtful width; the next, 0.556 and 0.551, right.)
pub const MAX_MEDIASTINUM_SHARE: f32 = 0.56;
/// A lung whose centre is more than this many times further from the
/// midline than the other's has left the chest: that side is searched
/// again near the other's mirror image, and a pair still this lopsided is
/// refused.
pub const ASYMMETRY: f32 = 1.6;
/// How far beyond the other lung's mirrored columns the second search may
/// look, as a share of the film.
pub const SYMMETRY_MARGIN: f32 = 0.06;
/// Column means (in the stretched [0, 1] film) this close to the
/// brightest are the same plateau for the midline.
pub const MIDLINE_TIE: f32 = 0.002;
/// The air around the body is darker than this share of the level of the
/// lungs' darkest twentieth, in the stretched film (whose darkest percent
/// is 0): a quarter of the way from the film's darkest to the lungs'. Air
/// absorbs less than aerated lung, but the thin soft tissue beside a
/// child's chest absorbs little more, and a pneumonia's haze lifts the
/// lungs above it: at the lungs' darkest twentieth itself, the body beside
/// a hazy chest was taken for air, and the chest wall's line stood in the
/// air with no body around it. On the tuning films (`--limit 120 --offset
/// 0.15` pneumonia, `--offset 0.7` normal), looked at with the air
/// tinted: at a half, the flanks' and shoulders' soft tissue of hazy films
/// was still air; at a quarter the air lay on the dark background only; at
/// 0.15 the background's own shading became body in places, a ragged edge
/// in the air. Further from the body than [`SOFT_TISSUE_REACH`], the air
/// is what lies below [`AIR_SHARE_AWAY`] instead.
pub const AIR_SHARE: f32 = 0.25;
/// Where a film's background is grey, not black (the scanner's black
/// strips at its sides the film's darkest), a quarter of the lungs' level
/// took the whole background for body. Soft tissue the quarter finds and
/// half the level misses is a band along the body's edge, a grey
/// background is not: further than [`SOFT_TISSUE_REACH`] pixels from the
/// body found at this share of the lungs' level, air is what lies below it.
pub const AIR_SHARE_AWAY: f32 = 0.5;
/// How far (pixels of the 224 grid, about 2 pins) beyond the body found at
/// [`AIR_SHARE_AWAY`] the soft tissue found at [`AIR_SHARE`] may reach. On
/// the tuning films, the quarter's body reached no further than that but
/// in a few dark corners; on a film of a later set with a grey background
/// (person979_bacteria_2905), 6 to 15 pixels all left a rim of body around
/// the chest instead of a body over the whole frame; at 10 the tuning
/// films' anatomy view moved by 0.02 changes per 100 raised pins (mean).
pub const SOFT_TISSUE_REACH: usize = 10;
/// Before any lung is known, the air around the body is what is darker
/// than this in the smoothed, stretched film (whose darkest percent is 0)
/// and reaches the film's edge; no lung's valley has its floor there. The
/// dark gap between the chest and an arm has walls on both sides, like a
/// lung, and is deeper than a hazy lung's valley beside it: it was taken
/// for the lung, which then lay outside the chest. Chosen on the tuning
/// films (`--limit 120 --offset 0.15` pneumonia, `--offset 0.7` normal),
/// with the 205 unused normal films, `--limit 150 --offset 0` normal and
/// the bundled samples as guards: at 0.05 no normal film and no sample
/// changes; from 0.1 some do (a lung's row here and there), and at 0.15 a
/// normal film's dark left lung, open to the edge through the armpit, was
/// lost and another normal film showed a lung bulging into the air.
pub const AIR_FLOOR: f32 = 0.05;
/// Smoothing of the film the opacity layer is measured on, in pixels.
pub const OPACITY_SIGMA: f64 = 3.0;
/// The mediastinum reaches at most this share of the film either side of
/// the midline.
pub const MEDIASTINUM_HALF_WIDTH: f32 = 0.22;
/// The opacity layer leaves out this rim of each lung (pixels): there the
/// smoothing mixes in the chest wall, heart and diaphragm, which would
/// otherwise outline every lung with false "dense" pixels.
pub const OPACITY_RIM: usize = 5;
/// Interquartile ranges can not be narrower than this (in the stretched
/// [0, 1] film), so that a very even lung does not turn noise into opacity.
pub const MIN_SPREAD: f32 = 0.05;

/// One of the patient's lungs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lung {
    /// The patient's right lung: the viewer's left on a film in the usual
    /// convention.
    Right,
    /// The patient's left lung, beside the heart.
    Left,
}

impl std::fmt::Display for Lung {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Lung::Right => "right",
            Lung::Left => "left",
        })
    }
}

/// Why no anatomy is shown for a film.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "problem", content = "lung")]
pub enum AnatomyProblem {
    /// A lung field was not found at all, or too little of it to complete.
    #[error("{0} lung not found")]
    LungMissing(Lung),
    /// A lung field is too small or too large to be one.
    #[error("{0} lung of an implausible size")]
    LungSize(Lung),
    /// A lung field ends too high to be one (found in the shoulders).
    #[error("{0} lung too high")]
    LungHigh(Lung),
    /// A lung field starts too low to be one (its apex missed).
    #[error("{0} lung starts too low")]
    LungLow(Lung),
    /// A lung field runs to the film's side edge (the air beside the body).
    #[error("{0} lung at the film's edge")]
    LungAtEdge(Lung),
    /// A lung field's top lies further out than its middle: the search
    /// climbed over the shoulder.
    #[error("{0} lung over the shoulder")]
    LungOverShoulder(Lung),
    /// The two lungs' centres are at very different heights.
    #[error("lungs at different heights")]
    Misaligned,
    /// No mediastinum between the lungs.
    #[error("no mediastinum between the lungs")]
    NoMediastinum,
    /// The mediastinum takes too much of the chest between the lungs:
    /// strips along the chest wall, not lungs.
    #[error("mediastinum too wide for the lungs beside it")]
    WideMediastinum,
    /// One lung much further from the midline than the other, even after
    /// searching where the other's mirror image lies.
    #[error("lungs not symmetric about the spine")]
    Asymmetric,
    /// The film is not one the classifier knows (the anatomy would be a
    /// guess on something that may not be a chest film).
    #[error("film out of range")]
    OutOfRange,
    /// The file says the film is lateral.
    #[error("lateral film")]
    Lateral,
}

/// The anatomy of one film, on the 224 x 224 grid.
#[derive(Clone, PartialEq)]
pub struct Anatomy {
    body: Mask,
    right: Mask,
    left: Mask,
    mediastinum: Mask,
    estimated: Option<Lung>,
    excess: Vec<f32>,
}

impl std::fmt::Debug for Anatomy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anatomy")
            .field("body", &self.body)
            .field("right", &self.right)
            .field("left", &self.left)
            .field("mediastinum", &self.mediastinum)
            .field("estimated", &self.estimated)
            .finish_non_exhaustive()
    }
}

impl Anatomy {
    /// Finds the anatomy in a `RELIEF_SIZE x RELIEF_SIZE` film of
    /// intensities (bright = dense), or says why it is not there.
    pub fn find(film: &[f32]) -> Result<Anatomy, AnatomyProblem> {
        let n = RELIEF_SIZE;
        debug_assert_eq!(film.len(), n * n);
        let smooth = percentile_stretch(&gaussian_blur_xy(film, n, n, SMOOTHING_SIGMA), 0.01, 0.99);
        let midline = midline(&smooth, n);
        // Each half's valleys, found once; found again only for a
        // narrowed second search.
        let air = air_around(&smooth, n, AIR_FLOOR);
        let valleys = |half, within| rows::Valleys::of(&smooth, &air, midline, half, within);
        let (right_rows, left_rows) = (
            valleys(rows::Half::Left, None),
            valleys(rows::Half::Right, None),
        );
        let chain = |half, within: Option<(usize, usize)>, bridge| match (half, within) {
            (rows::Half::Left, None) => rows::lung(&right_rows, bridge),
            (rows::Half::Right, None) => rows::lung(&left_rows, bridge),
            (half, within) => rows::lung(&valleys(half, within), bridge),
        };
        let smoothed = |m: Option<Mask>| m.map(|m| m.column_spans_filled().close(CLOSING).filled());
        let find_pair = |within: [Option<(usize, usize)>; 2]| {
            // First each lung by itself, then again bridging what
            // interrupts it (a consolidation) within the rows the other
            // one spans. A side with no lung's valley at all is an empty
            // mask: a white lung, perhaps, for the completion to judge.
            let first = chain(rows::Half::Right, within[1], None);
            let bridge = |m: &Option<Mask>| m.as_ref().and_then(Mask::rows);
            let right = smoothed(chain(rows::Half::Left, within[0], bridge(&first)));
            let left = smoothed(chain(rows::Half::Right, within[1], bridge(&right)).or(first));
            (right, left)
        };
        let (mut right, mut left) = find_pair([None, None]);
        // A lung much further from the midline than the other has left the
        // chest for the air or the arm beside it (a consolidated lung is no
        // valley, the air outside is): search that side again where the
        // other lung lies, mirrored.
        let reach = |m: &Option<Mask>| {
            let columns: Vec<usize> = m
                .as_ref()?
                .points()
                .map(|(x, _)| x.abs_diff(midline))
                .collect();
            let (lo, hi) = (columns.iter().min().copied(), columns.iter().max().copied());
            lo.zip(hi).map(|(lo, hi)| (lo, hi, (lo + hi) as f32 / 2.0))
        };
        if let (Some(r), Some(l)) = (reach(&right), reach(&left)) {
            let margin = (SYMMETRY_MARGIN * n as f32) as usize;
            let band =
                |(lo, hi, _): (usize, usize, f32)| Some((lo.saturating_sub(margin), hi + margin));
            // Nothing there either is no white lung: the first search found
            // a valley on that side, only in the wrong place.
            if r.2 > ASYMMETRY * l.2 {
                (right, left) = find_pair([band(l), None]);
                right = Some(right.ok_or(AnatomyProblem::LungMissing(Lung::Right))?);
            } else if l.2 > ASYMMETRY * r.2 {
                (right, left) = find_pair([None, band(r)]);
                left = Some(left.ok_or(AnatomyProblem::LungMissing(Lung::Left))?);
            }
        }
        let empty = || Mask::empty(n, n);
        let (right, left) = match (right, left) {
            (Some(r), Some(l)) => (r, l),
            (Some(r), None) => (r, empty()),
            (None, Some(l)) => (empty(), l),
            (None, None) => return Err(AnatomyProblem::LungMissing(Lung::Left)),
        };
        let mut anatomy = Anatomy::assemble(right, left, midline as f32, &smooth)?;
        // Opacity on a film smoothed the same way across and down: the
        // smoothing down the columns would carry the diaphragm and the
        // shoulders into the lungs' bases and apices.
        let even = percentile_stretch(
            &gaussian_blur_xy(film, n, n, (OPACITY_SIGMA, OPACITY_SIGMA)),
            0.01,
            0.99,
        );
        anatomy.excess = excess(&even, &anatomy.right, &anatomy.left, anatomy.estimated);
        anatomy.body = body_around(&smooth, &anatomy.lungs())
            .or(&anatomy.lungs())
            .or(&anatomy.mediastinum);
        Ok(anatomy)
    }

    /// Completes, checks and measures two lungs found in the film.
    fn assemble(
        right: Mask,
        left: Mask,
        midline: f32,
        smooth: &[f32],
    ) -> Result<Anatomy, AnatomyProblem> {
        let n = right.width() as f32;
        let (mut right, mut left, mut estimated) = (right, left, None);
        let (ra, la) = (right.area() as f32, left.area() as f32);
        // The lung found in part, the one found whole, and which is which.
        let completion = if ra < ESTIMATE_BELOW * la {
            Some((&mut right, &left, Lung::Right))
        } else if la < ESTIMATE_BELOW * ra {
            Some((&mut left, &right, Lung::Left))
        } else {
            None
        };
        if let Some((part, whole, lung)) = completion {
            let mirror = whole.mirrored(midline).minus(whole);
            let missing = mirror.minus(part);
            let estimate = part.or(&missing).filled();
            let found = part.area() as f32 / estimate.area().max(1) as f32;
            *part = if found >= MIN_FOUND {
                estimate
            } else if white(smooth, &missing, whole) {
                // So little was found that the fragment may be anything
                // (a row of the arm's valley beside the chest): the mirror
                // gives the lung's shape, and what was found counts only
                // inside it.
                let margin = (SYMMETRY_MARGIN * n) as usize;
                part.and(&mirror.dilate(margin)).or(&mirror).filled()
            } else {
                return Err(AnatomyProblem::LungMissing(lung));
            };
            estimated = Some(lung);
        }
        // A lung field is one piece: a patch apart from it (the valley of a
        // shoulder or an armpit the chain or the mirror reached) is not
        // part of it.
        let (right, left) = bases_level(right.largest_component(), left.largest_component());
        checks::check(&right, &left, midline)?;
        let mediastinum = between(&right, &left, midline);
        Ok(Anatomy {
            body: Mask::empty(right.width(), right.height()),
            right,
            left,
            mediastinum,
            estimated,
            excess: Vec::new(),
        })
    }

    /// The body: the film less the air around it (the lungs, the
    /// mediastinum and the soft tissue and bone of the chest wall).
    pub fn body(&self) -> &Mask {
        &self.body
    }

    /// The patient's right lung field.
    pub fn right(&self) -> &Mask {
        &self.right
    }

    /// The patient's left lung field.
    pub fn left(&self) -> &Mask {
        &self.left
    }

    /// Both lung fields.
    pub fn lungs(&self) -> Mask {
        self.right.or(&self.left)
    }

    /// The heart and mediastinum between the lungs.
    pub fn mediastinum(&self) -> &Mask {
        &self.mediastinum
    }

    /// The lung completed from the other's mirror image, if one was.
    pub fn estimated(&self) -> Option<Lung> {
        self.estimated
    }

    /// Per pixel of the grid: interquartile ranges above its lung's median.
    pub fn excess(&self) -> &[f32] {
        &self.excess
    }
}

mod checks;
mod parts;
mod rows;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support;
