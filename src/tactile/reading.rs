//! The reading views: the anatomy of the film as a simplified tactile
//! graphic, and the same with its opacity layer.
//!
//! Drawn at the pins' own resolution, not sampled from an image: the lung
//! fields lie flat with a one-pin outline at the top level (that line is
//! also the chest wall's inner edge and the diaphragm domes), the heart
//! and mediastinum stand between them as a plateau at the same top level
//! (so the lungs' inner borders are the plateau's edges), the rest of the
//! body is a low plateau one level up, and the air around the body is
//! flat. The lungs are two smooth hollows with a rim, beside the heart's
//! plateau, in a body the finger can sweep without crossing texture. Ribs and
//! clavicles are left out: they are the busiest texture of a chest film
//! (the relief view keeps them). In the opacity view, the lung areas denser
//! than the lung's baseline are a checkerboard one level below the
//! outline: one texture, unlike any other mark on the display.

use embedded_graphics::prelude::Point;
use embedded_graphics::primitives::Rectangle;

use super::anatomy::{Anatomy, AnatomyProblem};
use super::legibility::{narrow_bands, neighbourhood, slivers, MIN_FEATURE};
use super::{letterbox, resample, Mask, PinFrame, Scan, RELIEF_SIZE};

/// Opacity excess (interquartile ranges above the lung's median, see
/// [`Anatomy::excess`]) from which a lung area is shown as dense.
pub const OPACITY_EXCESS: f32 = 1.5;
/// Inside the classifier's hot zone, when it called pneumonia, the excess
/// from which an area is shown as dense: the model's attention lowers the
/// bar where the film is already denser than baseline, never raises it.
pub const OPACITY_EXCESS_WITH_CAM: f32 = 0.75;
/// Share of a pin's patch that must be opaque for the pin to show it.
pub const OPACITY_COVERAGE: f32 = 0.4;

/// The narrowest body between a lung and the air drawn as a low shelf
/// beside the lung's outline; a narrower band is drawn at the outline's
/// height, as part of the chest wall's line. A shelf is felt at
/// [`MIN_FEATURE`] pins, and its pin beside the outline reads as the
/// outline's foot, so a shelf needs at least one pin more; and one more
/// again, because the body beside a child's lungs is often a band 3 to 5
/// pins wide whose width wavers by a pin from row to row: at 4, the chest
/// wall was a bar in some rows and a line with a shelf in the next, each
/// flip two more edges under the finger (the bundled pneumonia sample's
/// lower chest: 3 and 4 pins by turns). The chest wall is drawn up to 5
/// pins thick where the body is thin. On the tuning films (`--limit 120
/// --offset 0.15` pneumonia, `--offset 0.7` normal), anatomy view,
/// changes per 100 raised pins, mean / median / max: at 4, 31.3 / 31.1 /
/// 41.0 and 30.9 / 30.9 / 34.9; at 5, 30.7 / 30.7 / 39.7 and 30.4 / 30.4
/// / 34.7; at 6, 30.3 / 30.1 / 39.5 and 30.0 / 29.9 / 35.8; the median of
/// the band's width over 5 or 7 rows at 4, worse than 5 (31.5 / 31.3 /
/// 41.2 at 5 rows). The smallest step that helped was taken.
pub const CHEST_WALL_SHELF: usize = MIN_FEATURE + 2;

/// What the reading views need of a scan: the film on the relief's grid
/// and its anatomy, or why there is none.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The film, bilinear-resized to `RELIEF_SIZE x RELIEF_SIZE`,
    /// intensities in [0, 1], bright = dense.
    pub film: Vec<f32>,
    /// The anatomy found in it.
    pub anatomy: Result<Anatomy, AnatomyProblem>,
    /// The film has the patient's right and left as its sides (not a
    /// lateral film): the side marker belongs on it.
    pub frontal: bool,
}

impl Reading {
    /// The reading of `scan`.
    pub fn of(scan: &Scan) -> Reading {
        if scan.source.orientation.is_frontal() {
            Reading::of_film(film_grid(scan))
        } else {
            // A lateral film has no two lung fields side by side.
            Reading {
                film: film_grid(scan),
                anatomy: Err(AnatomyProblem::Lateral),
                frontal: false,
            }
        }
    }

    /// The reading of a frontal film already on the relief's grid.
    pub fn of_film(film: Vec<f32>) -> Reading {
        let anatomy = Anatomy::find(&film);
        Reading {
            film,
            anatomy,
            frontal: true,
        }
    }
}

/// The scan bilinear-resized to the relief's grid.
pub fn film_grid(scan: &Scan) -> Vec<f32> {
    resample::resize_bilinear(
        &scan.pixels,
        scan.width as usize,
        scan.height as usize,
        (RELIEF_SIZE, RELIEF_SIZE),
    )
}

/// The opaque pixels of the grid: excess at least [`OPACITY_EXCESS`], or
/// at least [`OPACITY_EXCESS_WITH_CAM`] where `hot` (the classifier's hot
/// zone, when it called pneumonia) says so.
pub fn opaque(anatomy: &Anatomy, hot: Option<&[bool]>) -> Mask {
    let excess = anatomy.excess();
    Mask::from_fn(RELIEF_SIZE, RELIEF_SIZE, |x, y| {
        let i = y * RELIEF_SIZE + x;
        excess[i] >= OPACITY_EXCESS
            || (hot.is_some_and(|h| h[i]) && excess[i] >= OPACITY_EXCESS_WITH_CAM)
    })
}

/// Draws the anatomy of the `(x0, y0, side)` crop of the grid, standing for
/// a film of width/height `aspect`, into `area` (letterboxed), with the
/// `opaque` pixels as a texture when given. Returns the pins drawn on.
pub fn draw_anatomy(
    frame: &mut PinFrame,
    anatomy: &Anatomy,
    opaque: Option<&Mask>,
    crop: (usize, usize, usize),
    aspect: f32,
    area: Rectangle,
) -> Rectangle {
    let target = letterbox(aspect, area.intersection(&frame.geometry().bounds()));
    let (w, h) = (target.size.width as usize, target.size.height as usize);
    if w == 0 || h == 0 {
        return target;
    }
    let right = anatomy.right().coverage(crop, (w, h));
    let left = anatomy.left().coverage(crop, (w, h));
    let middle = anatomy.mediastinum().coverage(crop, (w, h));
    let body = anatomy.body().coverage(crop, (w, h));
    let dense = opaque.map(|o| o.coverage(crop, (w, h)));
    // What each pin shows: air, body, mediastinum, right lung, left lung
    // (the lungs over the mediastinum over the body, each where it covers
    // half the pin); then each pin takes its 3 x 3 neighbourhood's
    // majority, so that every border runs smooth under the finger instead
    // of stepping at every pin.
    let raw: Vec<PinPart> = (0..w * h)
        .map(|i| match (right[i] >= 0.5, left[i] >= 0.5) {
            (true, _) if right[i] >= left[i] => PinPart::Right,
            (_, true) => PinPart::Left,
            _ if middle[i] >= 0.5 => PinPart::Mediastinum,
            _ if body[i] >= 0.5 => PinPart::Body,
            _ => PinPart::Air,
        })
        .collect();
    let mut class = majority(&raw, w, h);
    // Body standing apart from the chest in a band under the minimum
    // feature (an arm's edge at the frame's side) is left flat.
    let apart = slivers(
        w,
        h,
        |i| class[i] == PinPart::Body,
        |i| !matches!(class[i], PinPart::Body | PinPart::Air),
        MIN_FEATURE,
    );
    for (part, apart) in class.iter_mut().zip(apart) {
        if apart {
            *part = PinPart::Air;
        }
    }
    let at = |x: isize, y: isize| {
        if x < 0 || y < 0 || x as usize >= w || y as usize >= h {
            PinPart::Air
        } else {
            class[y as usize * w + x as usize]
        }
    };
    // The body between a lung and the air is often a band of a few pins:
    // felt as one more step beside the lung's outline, not as a shelf of
    // its own, so it is drawn as part of the chest wall's line.
    let lung = |i: usize| matches!(class[i], PinPart::Right | PinPart::Left);
    let wall = narrow_bands(w, h, |i| class[i] == PinPart::Body, lung, CHEST_WALL_SHELF);
    let top = frame.geometry().levels - 1;
    let texture = top.saturating_sub(1).max(1);
    for i in 0..w * h {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        let here = class[i];
        let height = match here {
            PinPart::Right | PinPart::Left => {
                let edge = [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                    .iter()
                    .any(|&(nx, ny)| at(nx, ny) != here);
                let opaque_here = dense.as_ref().is_some_and(|d| d[i] >= OPACITY_COVERAGE);
                if edge {
                    top
                } else if opaque_here && (x + y) % 2 == 0 {
                    texture
                } else {
                    0
                }
            }
            PinPart::Mediastinum => top,
            PinPart::Body if wall[i] => top,
            PinPart::Body => 1,
            PinPart::Air => 0,
        };
        frame.set(target.top_left + Point::new(x as i32, y as i32), height);
    }
    target
}

/// What a pin of the anatomy view shows. The order breaks ties in
/// [`majority`]: among equally common parts that are not the pin's own,
/// the later one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PinPart {
    Air,
    Body,
    Mediastinum,
    Right,
    Left,
}

impl PinPart {
    const ALL: [PinPart; 5] = [
        PinPart::Air,
        PinPart::Body,
        PinPart::Mediastinum,
        PinPart::Right,
        PinPart::Left,
    ];
}

/// Each cell's most common value in its 3 x 3 neighbourhood (ties keep
/// the cell's own).
fn majority(classes: &[PinPart], w: usize, h: usize) -> Vec<PinPart> {
    (0..w * h)
        .map(|i| {
            let mut counts = [0u8; PinPart::ALL.len()];
            for j in neighbourhood(i, w, h) {
                counts[classes[j] as usize] += 1;
            }
            let own = classes[i];
            PinPart::ALL
                .into_iter()
                .max_by_key(|&c| (counts[c as usize], c == own))
                .unwrap_or(own)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tactile::anatomy::tests_support::phantom;
    use crate::tactile::legibility::Legibility;
    use crate::tactile::Geometry;

    /// The anatomy of the whole film drawn on a Graphiti, and where.
    fn whole_film(anatomy: &Anatomy, opaque: Option<&Mask>) -> (PinFrame, Rectangle) {
        let mut frame = PinFrame::flat(Geometry::GRAPHITI);
        let drawn = draw_anatomy(
            &mut frame,
            anatomy,
            opaque,
            (0, 0, RELIEF_SIZE),
            1.0,
            Geometry::GRAPHITI.bounds(),
        );
        (frame, drawn)
    }

    #[test]
    fn the_anatomy_view_is_an_outlined_frame_with_a_plateau() {
        let anatomy = Anatomy::find(&phantom(&[])).unwrap();
        let (frame, drawn) = whole_film(&anatomy, None);
        assert_eq!(drawn.size.width, 40);
        // Across the middle row: flat outside, the right lung's outline,
        // its flat inside, the outline, the plateau, and the same mirrored.
        let row: Vec<u8> = (0..60)
            .map(|x| frame.height(Point::new(x, 19)).unwrap())
            .collect();
        let x = |grid: f32| 10 + (grid / 224.0 * 40.0) as usize;
        assert_eq!(row[x(70.0)], 0, "inside the right lung: {row:?}");
        assert_eq!(row[x(112.0)], 4, "the mediastinum: {row:?}");
        assert_eq!(row[x(41.0)], 4, "the chest wall: {row:?}");
        // The body beside the lung is 4 pins wide in the middle rows: too
        // narrow for a shelf of its own beside the outline, it is the chest
        // wall's bar; lower down, where it is wider, a low shelf.
        assert_eq!(row[x(30.0)], 4, "the chest wall's bar: {row:?}");
        let lower = frame.height(Point::new(x(30.0) as i32, 26));
        assert_eq!(lower, Some(1), "the body beside the lung's base");
        assert_eq!(row[0], 0, "the air around it: {row:?}");
        let m = Legibility::measure(&frame, drawn);
        assert!(m.changes_per_100_raised <= 45.0, "{m:?}");
        assert_eq!(m.specks, 0);
    }

    #[test]
    fn a_sliver_of_body_apart_from_the_chest_is_left_flat() {
        // A strip of tissue at the film's side (an arm's edge), three pins
        // of black air between it and the chest.
        let mut film = phantom(&[]);
        for y in 60..160 {
            for x in 0..24 {
                film[y * RELIEF_SIZE + x] = if x < 4 { 0.6 } else { 0.0 };
            }
        }
        let anatomy = Anatomy::find(&film).unwrap();
        let (frame, drawn) = whole_film(&anatomy, None);
        let side: Vec<u8> = (12..27)
            .map(|y| frame.height(Point::new(drawn.top_left.x, y)).unwrap())
            .collect();
        assert_eq!(side, vec![0; side.len()], "the film's side column");
        // The chest's own body, beside its lungs, is still drawn.
        assert_eq!(frame.height(Point::new(drawn.top_left.x + 4, 26)), Some(1));
    }

    #[test]
    fn the_opacity_view_textures_a_consolidation() {
        let anatomy = Anatomy::find(&phantom(&[(150.0, 130.0, 18.0)])).unwrap();
        let dense = opaque(&anatomy, None);
        let (frame, _) = whole_film(&anatomy, Some(&dense));
        let pin = |gx: f32, gy: f32| {
            Point::new(10 + (gx / 224.0 * 40.0) as i32, (gy / 224.0 * 40.0) as i32)
        };
        let around = |c: Point| {
            (-1..=1)
                .flat_map(|dy| (-1..=1).map(move |dx| Point::new(dx, dy)))
                .filter(|&d| frame.height(c + d) == Some(3))
                .count()
        };
        assert!(around(pin(150.0, 130.0)) >= 3, "textured");
        assert_eq!(around(pin(70.0, 100.0)), 0, "the clear lung is flat");
    }
}
