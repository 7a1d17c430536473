//! The cursor: one place on the film the user points at, felt as a lone
//! blinking pin, so that a query can say what lies under it ("left lung,
//! lower zone, dense area").
//!
//! The cursor lives on the film (fractions of its width and height, the
//! film as shown: the patient's right at the left), not on the pins: zoom
//! and pan move the picture under it, and a query at the same pin after a
//! zoom asks about a smaller patch of the same chest.

use embedded_graphics::prelude::{Point, Size};
use embedded_graphics::primitives::Rectangle;

use super::layout::{Pan, Viewport};
use super::{PinFrame, RELIEF_SIZE};

/// Blink period of the cursor pin on displays that blink, in 100 ms steps:
/// 0.3 s, faster than the pneumonia indicator's, so the two never read alike.
pub const CURSOR_BLINK: u8 = 3;

/// A place on the film: fractions of its width and height in `[0, 1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    x: f32,
    y: f32,
}

/// The part of the relief grid a pin stands for: columns `x0..x1`, rows
/// `y0..y1` (never empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patch {
    /// First column.
    pub x0: usize,
    /// First row.
    pub y0: usize,
    /// One past the last column.
    pub x1: usize,
    /// One past the last row.
    pub y1: usize,
}

impl Patch {
    /// The grid pixels of the patch.
    pub fn pixels(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (self.y0..self.y1).flat_map(move |y| (self.x0..self.x1).map(move |x| (x, y)))
    }

    /// The share of the patch's pixels for which `inside` holds.
    pub fn share(&self, inside: impl Fn(usize, usize) -> bool) -> f32 {
        let n = (self.x1 - self.x0) * (self.y1 - self.y0);
        self.pixels().filter(|&(x, y)| inside(x, y)).count() as f32 / n as f32
    }
}

/// Fractions kept inside the film: a cursor at 1.0 would lie past its edge.
const LAST: f32 = 1.0 - 1e-4;

impl Cursor {
    /// A cursor at `(x, y)`, fractions of the film's width and height,
    /// clamped onto the film.
    pub fn at(x: f32, y: f32) -> Cursor {
        let keep = |v: f32| {
            if v.is_finite() {
                v.clamp(0.0, LAST)
            } else {
                0.5
            }
        };
        Cursor {
            x: keep(x),
            y: keep(y),
        }
    }

    /// The cursor at the centre of what `viewport` shows.
    pub fn centre_of(viewport: &Viewport) -> Cursor {
        let (x, y) = viewport.centre();
        Cursor::at(x, y)
    }

    /// Where it is, as fractions of the film's width and height.
    pub fn position(&self) -> (f32, f32) {
        (self.x, self.y)
    }

    /// The pin under the cursor, where `picture` (the letterboxed image
    /// area) shows the film through `viewport`; `None` when the cursor lies
    /// outside the part on show.
    pub fn pin(&self, viewport: &Viewport, picture: Rectangle) -> Option<Point> {
        let (x0, y0, side) = viewport.crop(RELIEF_SIZE);
        let (w, h) = (picture.size.width as f32, picture.size.height as f32);
        let along = |at: f32, start: usize, pins: f32| {
            let offset = (at * RELIEF_SIZE as f32 - start as f32) / side as f32;
            (0.0..1.0)
                .contains(&offset)
                .then(|| ((offset * pins) as i32).min(pins as i32 - 1))
        };
        if w < 1.0 || h < 1.0 {
            return None;
        }
        let (px, py) = (along(self.x, x0, w)?, along(self.y, y0, h)?);
        Some(picture.top_left + Point::new(px, py))
    }

    /// The cursor at the centre of pin `pin` of `picture` (clamped into it).
    pub fn at_pin(pin: Point, viewport: &Viewport, picture: Rectangle) -> Cursor {
        let (x0, y0, side) = viewport.crop(RELIEF_SIZE);
        let size = picture.size.component_max(Size::new(1, 1));
        let d = pin - picture.top_left;
        let along = |d: i32, start: usize, pins: u32| {
            let pin = d.clamp(0, pins as i32 - 1) as f32 + 0.5;
            (start as f32 + pin * side as f32 / pins as f32) / RELIEF_SIZE as f32
        };
        Cursor::at(along(d.x, x0, size.width), along(d.y, y0, size.height))
    }

    /// The cursor one pin further in `direction` at the scale `viewport`
    /// shows the film in `picture`, kept on the film. It may leave the part
    /// on show: the caller pans after it (see [`Cursor::pin`]).
    pub fn step(&self, direction: Pan, viewport: &Viewport, picture: Rectangle) -> Cursor {
        let (_, _, side) = viewport.crop(RELIEF_SIZE);
        let pin = |pins: u32| side as f32 / pins.max(1) as f32 / RELIEF_SIZE as f32;
        let (dx, dy) = (pin(picture.size.width), pin(picture.size.height));
        let (x, y) = match direction {
            Pan::Up => (self.x, self.y - dy),
            Pan::Down => (self.x, self.y + dy),
            Pan::Left => (self.x - dx, self.y),
            Pan::Right => (self.x + dx, self.y),
        };
        Cursor::at(x, y)
    }

    /// The grid pixels the cursor's pin stands for at `viewport` in
    /// `picture`: what a query asks about is what that pin shows.
    pub fn patch(&self, viewport: &Viewport, picture: Rectangle) -> Patch {
        let (_, _, side) = viewport.crop(RELIEF_SIZE);
        let half = |pins: u32| (side as f32 / pins.max(1) as f32 / 2.0).max(0.5);
        let around = |at: f32, half: f32| {
            let centre = at * RELIEF_SIZE as f32;
            let start = ((centre - half).floor().max(0.0) as usize).min(RELIEF_SIZE - 1);
            let end = ((centre + half).ceil() as usize).clamp(start + 1, RELIEF_SIZE);
            (start, end)
        };
        let (x0, x1) = around(self.x, half(picture.size.width));
        let (y0, y1) = around(self.y, half(picture.size.height));
        Patch { x0, y0, x1, y1 }
    }
}

/// Draws the cursor at `pin`: raised to the top level, blinking where the
/// display blinks, with the eight pins around it lowered (within
/// `picture`), so that it stands alone under the finger on every display,
/// the ones that cannot blink included.
pub fn draw_cursor(frame: &mut PinFrame, pin: Point, picture: Rectangle) {
    for dy in -1..=1 {
        for dx in -1..=1 {
            let p = pin + Point::new(dx, dy);
            if picture.contains(p) {
                frame.set(p, 0);
                frame.set_blink(p, 0);
            }
        }
    }
    let top = frame.geometry().levels - 1;
    frame.set(pin, top);
    frame.set_blink(pin, CURSOR_BLINK);
}

#[cfg(test)]
mod tests {
    use embedded_graphics::primitives::PointsIter;

    use super::*;
    use crate::tactile::Geometry;

    fn picture() -> Rectangle {
        Rectangle::new(Point::new(10, 4), Size::new(40, 36))
    }

    #[test]
    fn a_cursor_placed_on_a_pin_is_found_on_that_pin_at_every_zoom() {
        let mut viewport = Viewport::default();
        for _ in 0..4 {
            for (x, y) in [(10, 4), (11, 5), (29, 21), (49, 39), (30, 39)] {
                let p = Point::new(x, y);
                let cursor = Cursor::at_pin(p, &viewport, picture());
                assert_eq!(cursor.pin(&viewport, picture()), Some(p), "{viewport:?}");
            }
            viewport.zoom_in();
        }
        // Outside the picture a pin is clamped into it.
        let c = Cursor::at_pin(Point::new(0, 0), &Viewport::default(), picture());
        assert_eq!(
            c.pin(&Viewport::default(), picture()),
            Some(Point::new(10, 4))
        );
    }

    #[test]
    fn a_step_moves_one_pin_and_stops_at_the_film_edge() {
        let viewport = Viewport::default();
        let start = Cursor::at_pin(Point::new(12, 20), &viewport, picture());
        let right = start.step(Pan::Right, &viewport, picture());
        assert_eq!(right.pin(&viewport, picture()), Some(Point::new(13, 20)));
        let down = right.step(Pan::Down, &viewport, picture());
        assert_eq!(down.pin(&viewport, picture()), Some(Point::new(13, 21)));
        let mut left = start;
        for _ in 0..10 {
            left = left.step(Pan::Left, &viewport, picture());
        }
        assert_eq!(left.pin(&viewport, picture()), Some(Point::new(10, 20)));
        assert_eq!(left.position().0, 0.0);
    }

    #[test]
    fn zoomed_in_a_cursor_off_the_view_has_no_pin_and_a_smaller_patch() {
        let whole = Viewport::default();
        let cursor = Cursor::at(0.05, 0.5);
        let mut zoomed = whole;
        zoomed.zoom_in();
        assert!(cursor.pin(&whole, picture()).is_some());
        assert_eq!(cursor.pin(&zoomed, picture()), None, "left of the view");
        let centre = Cursor::at(0.5, 0.5);
        let (a, b) = (
            centre.patch(&whole, picture()),
            centre.patch(&zoomed, picture()),
        );
        assert!(a.x1 - a.x0 > b.x1 - b.x0, "{a:?} {b:?}");
        assert!(b.x1 > b.x0 && b.y1 > b.y0);
        // The patch at the film's corner stays on the grid.
        let corner = Cursor::at(1.0, 1.0).patch(&whole, picture());
        assert_eq!((corner.x1, corner.y1), (RELIEF_SIZE, RELIEF_SIZE));
        assert!(Cursor::at(f32::NAN, -3.0).position() == (0.5, 0.0));
    }

    #[test]
    fn the_cursor_stands_alone_and_blinks() {
        let mut frame = PinFrame::flat(Geometry::GRAPHITI);
        for p in picture().points() {
            frame.set(p, 2);
        }
        let at = Point::new(10, 20);
        draw_cursor(&mut frame, at, picture());
        assert_eq!(frame.height(at), Some(4));
        assert_eq!(frame.blink()[20 * 60 + 10], CURSOR_BLINK);
        assert_eq!(frame.height(Point::new(11, 21)), Some(0));
        assert_eq!(frame.height(Point::new(12, 20)), Some(2));
        assert_eq!(
            frame.height(Point::new(9, 20)),
            Some(0),
            "outside: untouched"
        );
    }
}
