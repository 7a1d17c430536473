//! [`PinFrame`]: the pins a display should raise, and the embedded-graphics
//! [`DrawTarget`] that lets labels and marks be drawn on it with ordinary
//! primitives.

use std::convert::Infallible;

use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use crate::imaging::resample::resize_area;

/// The pin layout of a display: pins across, pins down, and how many height
/// states a pin has (2 for up/down displays, 5 on a Graphiti: flat and 1..4).
/// Pins are assumed to sit on a square pitch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Pins per row.
    pub width: u32,
    /// Rows of pins.
    pub height: u32,
    /// Height states per pin, including flat (0).
    pub levels: u8,
}

/// A geometry no display has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeometryError {
    /// Zero or more than [`Geometry::MAX_SIDE`] pins on a side.
    #[error("display size {0}x{1} is out of range (1..={max} pins a side)", max = Geometry::MAX_SIDE)]
    Size(u32, u32),
    /// Fewer than 2 height states.
    #[error("a pin needs at least 2 height states, not {0}")]
    Levels(u8),
}

impl Geometry {
    /// Orbit Research Graphiti: 60 x 40 pins, flat plus 4 heights.
    pub const GRAPHITI: Geometry = Geometry {
        width: 60,
        height: 40,
        levels: 5,
    };

    /// The largest side accepted; far beyond any refreshable display.
    pub const MAX_SIDE: u32 = 1024;

    /// A checked geometry.
    pub fn new(width: u32, height: u32, levels: u8) -> Result<Self, GeometryError> {
        if !(1..=Self::MAX_SIDE).contains(&width) || !(1..=Self::MAX_SIDE).contains(&height) {
            return Err(GeometryError::Size(width, height));
        }
        if levels < 2 {
            return Err(GeometryError::Levels(levels));
        }
        Ok(Geometry {
            width,
            height,
            levels,
        })
    }

    /// Number of pins.
    pub fn pins(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// The whole display as a rectangle.
    pub fn bounds(&self) -> Rectangle {
        Rectangle::new(Point::zero(), Size::new(self.width, self.height))
    }
}

/// The height of one pin, as a colour embedded-graphics can draw with.
/// Values above the display's top level are clamped when drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PinHeight(pub u8);

impl PixelColor for PinHeight {
    type Raw = ();
}

/// Pin heights (0 = flat .. levels-1) and per-pin blink periods
/// (0 = steady, else in 100 ms steps), row-major, top row first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFrame {
    geometry: Geometry,
    heights: Vec<u8>,
    blink: Vec<u8>,
}

impl PinFrame {
    /// All pins flat and steady.
    pub fn flat(geometry: Geometry) -> Self {
        PinFrame {
            geometry,
            heights: vec![0; geometry.pins()],
            blink: vec![0; geometry.pins()],
        }
    }

    /// Draws a square `side x side` field of heights in [0, 1], standing for
    /// an image of width/height `aspect`, into `area`: letterboxed (the rest
    /// of `area` stays as it was), area-averaged down to pins, then quantised
    /// to the display's levels.
    pub fn draw_field(&mut self, field: &[f32], side: usize, aspect: f32, area: Rectangle) {
        let levels = self.geometry.levels;
        self.draw_field_with(field, side, aspect, area, |v| quantise(v, levels));
    }

    /// As [`PinFrame::draw_field`], with `tone` turning each area-averaged
    /// value into a pin height. Returns the pins drawn on.
    pub fn draw_field_with(
        &mut self,
        field: &[f32],
        side: usize,
        aspect: f32,
        area: Rectangle,
        tone: impl Fn(f32) -> u8,
    ) -> Rectangle {
        let target = letterbox(aspect, area.intersection(&self.geometry.bounds()));
        let (w, h) = (target.size.width as usize, target.size.height as usize);
        if w == 0 || h == 0 {
            return target;
        }
        let pins = resize_area(field, side, side, (w, h));
        for (i, v) in pins.into_iter().enumerate() {
            let at = target.top_left + Point::new((i % w) as i32, (i / w) as i32);
            self.set(at, tone(v));
        }
        target
    }

    /// The display layout this frame is for.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// All heights, row-major.
    pub fn heights(&self) -> &[u8] {
        &self.heights
    }

    /// All blink periods, row-major.
    pub fn blink(&self) -> &[u8] {
        &self.blink
    }

    /// Rows of heights, top first.
    pub fn rows(&self) -> impl Iterator<Item = &[u8]> {
        self.heights.chunks_exact(self.geometry.width as usize)
    }

    /// Height of the pin at `at`, or `None` outside the display.
    pub fn height(&self, at: Point) -> Option<u8> {
        self.index(at).map(|i| self.heights[i])
    }

    /// Sets the pin at `at` (ignored outside the display; clamped to the top level).
    pub fn set(&mut self, at: Point, height: u8) {
        if let Some(i) = self.index(at) {
            self.heights[i] = height.min(self.geometry.levels - 1);
        }
    }

    /// Sets the blink period of the pin at `at` (ignored outside the display).
    pub fn set_blink(&mut self, at: Point, period: u8) {
        if let Some(i) = self.index(at) {
            self.blink[i] = period;
        }
    }

    fn index(&self, at: Point) -> Option<usize> {
        let (w, h) = (self.geometry.width as i32, self.geometry.height as i32);
        ((0..w).contains(&at.x) && (0..h).contains(&at.y)).then(|| (at.y * w + at.x) as usize)
    }
}

impl OriginDimensions for PinFrame {
    fn size(&self) -> Size {
        Size::new(self.geometry.width, self.geometry.height)
    }
}

impl DrawTarget for PinFrame {
    type Color = PinHeight;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(at, PinHeight(height)) in pixels {
            self.set(at, height);
        }
        Ok(())
    }
}

/// The largest rectangle of width/height `aspect` centred in `area`.
pub fn letterbox(aspect: f32, area: Rectangle) -> Rectangle {
    let (aw, ah) = (area.size.width as f32, area.size.height as f32);
    if aw == 0.0 || ah == 0.0 || !(aspect.is_finite() && aspect > 0.0) {
        return Rectangle::new(area.top_left, Size::zero());
    }
    let (w, h) = if aspect > aw / ah {
        (aw, (aw / aspect).round().clamp(1.0, ah))
    } else {
        ((ah * aspect).round().clamp(1.0, aw), ah)
    };
    let (w, h) = (w as u32, h as u32);
    let offset = Point::new(
        ((area.size.width - w) / 2) as i32,
        ((area.size.height - h) / 2) as i32,
    );
    Rectangle::new(area.top_left + offset, Size::new(w, h))
}

/// A height in [0, 1] as one of `levels` equal-width bands: 0 for
/// `[0, 1/levels)`, up to `levels - 1` for `[(levels-1)/levels, 1]`.
pub fn quantise(value: f32, levels: u8) -> u8 {
    let band = (value.clamp(0.0, 1.0) * f32::from(levels)).floor() as u8;
    band.min(levels - 1)
}

#[cfg(test)]
mod tests {
    use super::super::{DepthSource, Relief};
    use super::*;
    use embedded_graphics::primitives::{Line, PrimitiveStyle};

    #[test]
    fn quantise_uses_equal_bands() {
        let levels: Vec<u8> = [0.0, 0.19, 0.2, 0.59, 0.6, 0.99, 1.0]
            .iter()
            .map(|&v| quantise(v, 5))
            .collect();
        assert_eq!(levels, vec![0, 0, 1, 2, 3, 4, 4]);
        assert_eq!(quantise(0.49, 2), 0);
        assert_eq!(quantise(0.5, 2), 1);
    }

    #[test]
    fn square_scans_are_pillarboxed_on_a_wide_display() {
        let r = letterbox(1.0, Geometry::GRAPHITI.bounds());
        assert_eq!(r, Rectangle::new(Point::new(10, 0), Size::new(40, 40)));
        let wide = letterbox(3.0, Geometry::GRAPHITI.bounds());
        assert_eq!(wide, Rectangle::new(Point::new(0, 10), Size::new(60, 20)));
    }

    /// The relief over the whole display, letterboxed.
    fn whole_display(relief: &Relief, geometry: Geometry) -> PinFrame {
        let mut frame = PinFrame::flat(geometry);
        frame.draw_field(
            &relief.heights,
            relief.size(),
            relief.aspect,
            geometry.bounds(),
        );
        frame
    }

    #[test]
    fn a_relief_fills_its_letterbox_and_leaves_margins_flat() {
        let relief = Relief {
            heights: vec![1.0; 224 * 224],
            aspect: 1.0,
            source: DepthSource::Density,
        };
        let frame = whole_display(&relief, Geometry::GRAPHITI);
        for row in frame.rows() {
            assert!(row[..10].iter().all(|&h| h == 0));
            assert!(row[10..50].iter().all(|&h| h == 4));
            assert!(row[50..].iter().all(|&h| h == 0));
        }
    }

    #[test]
    fn area_averaging_keeps_a_half_raised_relief_half_raised() {
        // Left half of the relief at 1, right half at 0, on a 4x4 display
        // with 2 levels: left two columns up, right two down.
        let heights = (0..224 * 224)
            .map(|i| if i % 224 < 112 { 1.0 } else { 0.0 })
            .collect();
        let relief = Relief {
            heights,
            aspect: 1.0,
            source: DepthSource::Density,
        };
        let frame = whole_display(&relief, Geometry::new(4, 4, 2).unwrap());
        assert!(frame.rows().all(|row| row == [1, 1, 0, 0]));
    }

    #[test]
    fn embedded_graphics_primitives_draw_pins() {
        let mut frame = PinFrame::flat(Geometry::GRAPHITI);
        Line::new(Point::new(0, 39), Point::new(59, 39))
            .into_styled(PrimitiveStyle::with_stroke(PinHeight(9), 1))
            .draw(&mut frame)
            .unwrap();
        assert!(
            frame.rows().last().unwrap().iter().all(|&h| h == 4),
            "clamped to the top level"
        );
        assert_eq!(frame.heights().iter().filter(|&&h| h > 0).count(), 60);
        assert_eq!(frame.height(Point::new(60, 0)), None);
    }

    #[test]
    fn geometry_is_checked() {
        assert!(Geometry::new(0, 40, 5).is_err());
        assert!(Geometry::new(60, 40, 1).is_err());
        assert!(Geometry::new(60, 40, 2).is_ok());
    }
}
