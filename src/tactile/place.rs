//! "What is here": the part of the chest under the cursor's pin, named from
//! the same anatomy and opacity layer the reading views draw, so that what
//! is heard is what the finger feels there.

use serde::Serialize;

use super::anatomy::{Anatomy, AnatomyProblem};
use super::cursor::{Cursor, Patch};
use super::layout::{Regions, Screen};
use super::reading::OPACITY_COVERAGE;
use super::{Geometry, Mask, Relief, Representations, RELIEF_SIZE};
use crate::finding::{Finding, Level, Side, Zone};

/// How dense the film is under a pin where no anatomy names it: the relief
/// height there in thirds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Density {
    /// The top third: bone, the heart, a dense area.
    Dense,
    /// The middle third.
    Medium,
    /// The bottom third: air, a clear lung.
    Dark,
}

/// What lies under a pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "part")]
pub enum Place {
    /// A lung field: the patient's side, and the zone as a third of that
    /// lung's height; `dense` where the opacity layer covers the pin.
    Lung {
        /// Side and level.
        zone: Zone,
        /// Denser than the lung's baseline.
        dense: bool,
    },
    /// The mediastinum in the lower half of the lung fields' height, where
    /// the heart lies on a frontal film.
    Heart,
    /// The mediastinum above the heart.
    Mediastinum,
    /// The body beside or above the lungs: ribs, muscle, the shoulders.
    ChestWall,
    /// The body below the lung bases.
    BelowLungs,
    /// The air around the body, or the film's edge.
    OutsideChest,
    /// No anatomy to name (not found, a lateral film, or a film out of the
    /// classifier's range): why, and how dense the film is there.
    NoAnatomy {
        /// Why there is no anatomy.
        problem: AnatomyProblem,
        /// The relief's height there.
        density: Density,
    },
}

impl Place {
    /// A few words for a braille line, where the cursor's place stands
    /// while the cursor is out: "left lung low dense", "heart", "outside";
    /// at most 20 cells (a Dot Pad's line), letters and spaces only.
    pub fn brief(&self) -> String {
        match self {
            Place::Lung { zone, dense } => {
                let level = match zone.level {
                    Level::Upper => "up",
                    Level::Middle => "mid",
                    Level::Lower => "low",
                };
                let dense = if *dense { " dense" } else { "" };
                format!("{} lung {level}{dense}", zone.side.name())
            }
            Place::Heart => "heart".into(),
            Place::Mediastinum => "mediastinum".into(),
            Place::ChestWall => "chest wall".into(),
            Place::BelowLungs => "below lungs".into(),
            Place::OutsideChest => "outside".into(),
            Place::NoAnatomy { density, .. } => match density {
                Density::Dense => "no anatomy dense",
                Density::Medium => "no anatomy medium",
                Density::Dark => "no anatomy dark",
            }
            .into(),
        }
    }
}

/// What lies under `cursor` where `screen` shows a scan with `relief` and
/// `representations` on `geometry`: the part of the film its pin stands for.
pub fn under_cursor(
    relief: &Relief,
    representations: &Representations,
    screen: &Screen,
    cursor: Cursor,
    geometry: Geometry,
) -> Place {
    let picture = Regions::image_area(geometry, relief.aspect, screen);
    let patch = cursor.patch(&screen.viewport, picture);
    place(relief, representations, screen.finding, patch)
}

/// What lies under `patch` of a scan with `relief`, `representations` and
/// the classifier's `finding`.
pub fn place(
    relief: &Relief,
    representations: &Representations,
    finding: Option<Finding>,
    patch: Patch,
) -> Place {
    match representations.anatomy_for(finding) {
        Ok(anatomy) => {
            let opacity = representations.opacity(finding);
            anatomical_place(anatomy, opacity.as_ref(), patch)
        }
        Err(problem) => {
            let n = patch.pixels().count().max(1) as f32;
            let height = patch
                .pixels()
                .map(|(x, y)| {
                    relief
                        .heights
                        .get(y * RELIEF_SIZE + x)
                        .copied()
                        .unwrap_or(0.0)
                })
                .sum::<f32>()
                / n;
            let density = match height {
                h if h >= 2.0 / 3.0 => Density::Dense,
                h if h >= 1.0 / 3.0 => Density::Medium,
                _ => Density::Dark,
            };
            Place::NoAnatomy { problem, density }
        }
    }
}

/// The part of `anatomy` that covers at least half of `patch`, tried in
/// the order the anatomy view draws them (lungs over the mediastinum over
/// the body).
fn anatomical_place(anatomy: &Anatomy, opacity: Option<&Mask>, patch: Patch) -> Place {
    let share = |mask: &Mask| patch.share(|x, y| mask.get(x as isize, y as isize));
    let (right, left) = (share(anatomy.right()), share(anatomy.left()));
    let centre_y = (patch.y0 + patch.y1) / 2;
    let lungs = anatomy.lungs().rows();
    if right.max(left) >= 0.5 {
        let (side, lung) = if right >= left {
            (Side::Right, anatomy.right())
        } else {
            (Side::Left, anatomy.left())
        };
        let (top, bottom) = lung.rows().unwrap_or((0, RELIEF_SIZE - 1));
        let third = (bottom + 1 - top) as f32 / 3.0;
        let level = match (centre_y.saturating_sub(top)) as f32 {
            d if d < third => Level::Upper,
            d if d < 2.0 * third => Level::Middle,
            _ => Level::Lower,
        };
        let dense = opacity.is_some_and(|o| share(o) >= OPACITY_COVERAGE);
        return Place::Lung {
            zone: Zone { side, level },
            dense,
        };
    }
    let (top, bottom) = lungs.unwrap_or((0, RELIEF_SIZE - 1));
    if share(anatomy.mediastinum()) >= 0.5 {
        return if centre_y >= (top + bottom) / 2 {
            Place::Heart
        } else {
            Place::Mediastinum
        };
    }
    if share(anatomy.body()) >= 0.5 {
        return if centre_y > bottom {
            Place::BelowLungs
        } else {
            Place::ChestWall
        };
    }
    Place::OutsideChest
}

#[cfg(test)]
mod tests;
