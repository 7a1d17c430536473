//! Previews of a [`PinFrame`] for development and for sighted helpers: a PNG
//! where each pin is a disc sized and shaded by its height, and text for a
//! terminal.

use std::io::Write;
use std::path::PathBuf;

use image::{Rgb, RgbImage};

use super::{check_geometry, DeviceError, PinDisplay};
use crate::tactile::{Geometry, PinFrame};

/// Pixels per pin in [`pins_image`].
pub const PIN_PITCH_PX: u32 = 12;

/// Characters for heights, flat to highest, in [`terminal_text`].
const RAMP: &[u8] = b" .:-=+*#%@";

/// A picture of the pins: flat pins are small dark dots, raised pins larger
/// and brighter discs; blinking pins get a red rim.
pub fn pins_image(frame: &PinFrame) -> RgbImage {
    let g = frame.geometry();
    let top = f32::from(g.levels - 1);
    let pitch = PIN_PITCH_PX as f32;
    let mut image = RgbImage::from_pixel(
        g.width * PIN_PITCH_PX,
        g.height * PIN_PITCH_PX,
        Rgb([24, 24, 28]),
    );
    for (i, (&h, &blink)) in frame.heights().iter().zip(frame.blink()).enumerate() {
        let (px, py) = (i as u32 % g.width, i as u32 / g.width);
        let t = f32::from(h) / top;
        let radius = 1.5 + t * (pitch / 2.0 - 2.0);
        let shade = (70.0 + t * 185.0) as u8;
        let (cx, cy) = ((px as f32 + 0.5) * pitch, (py as f32 + 0.5) * pitch);
        for y in py * PIN_PITCH_PX..(py + 1) * PIN_PITCH_PX {
            for x in px * PIN_PITCH_PX..(px + 1) * PIN_PITCH_PX {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                if d <= radius {
                    image.put_pixel(x, y, Rgb([shade, shade, shade]));
                } else if blink > 0 && d <= radius + 1.5 {
                    image.put_pixel(x, y, Rgb([220, 40, 40]));
                }
            }
        }
    }
    image
}

/// The pins as text, two characters per pin (terminal cells are about twice
/// as tall as wide), one line per row of pins.
pub fn terminal_text(frame: &PinFrame) -> String {
    let top = usize::from(frame.geometry().levels - 1);
    let mut text =
        String::with_capacity(frame.geometry().pins() * 2 + frame.geometry().height as usize);
    for row in frame.rows() {
        for &h in row {
            let c = RAMP[usize::from(h) * (RAMP.len() - 1) / top] as char;
            text.push(c);
            text.push(c);
        }
        text.push('\n');
    }
    text
}

/// A [`PinDisplay`] that writes each frame to a PNG file.
#[derive(Debug, Clone)]
pub struct PngPreview {
    path: PathBuf,
    geometry: Geometry,
}

impl PngPreview {
    /// A preview of `geometry` written to `path` on every frame.
    pub fn new(path: impl Into<PathBuf>, geometry: Geometry) -> Self {
        PngPreview {
            path: path.into(),
            geometry,
        }
    }
}

impl PinDisplay for PngPreview {
    fn geometry(&self) -> Geometry {
        self.geometry
    }

    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        check_geometry(self.geometry, frame)?;
        pins_image(frame)
            .save(&self.path)
            .map_err(|e| DeviceError::io(self.path.display(), std::io::Error::other(e)))
    }
}

/// A [`PinDisplay`] that prints each frame as text.
#[derive(Debug)]
pub struct TerminalPreview<W: Write> {
    out: W,
    geometry: Geometry,
}

impl<W: Write> TerminalPreview<W> {
    /// A preview of `geometry` printed to `out`.
    pub fn new(out: W, geometry: Geometry) -> Self {
        TerminalPreview { out, geometry }
    }
}

impl<W: Write> PinDisplay for TerminalPreview<W> {
    fn geometry(&self) -> Geometry {
        self.geometry
    }

    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        check_geometry(self.geometry, frame)?;
        self.out
            .write_all(terminal_text(frame).as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|source| DeviceError::io("terminal", source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::prelude::Point;

    #[test]
    fn terminal_text_maps_heights_to_the_ramp() {
        let mut frame = PinFrame::flat(Geometry::new(3, 1, 5).unwrap());
        frame.set(Point::new(1, 0), 2);
        frame.set(Point::new(2, 0), 4);
        let mut out = Vec::new();
        TerminalPreview::new(&mut out, frame.geometry())
            .show(&frame)
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "  ==@@\n");
    }

    #[test]
    fn pin_discs_grow_with_height() {
        let mut frame = PinFrame::flat(Geometry::new(2, 1, 5).unwrap());
        frame.set(Point::new(1, 0), 4);
        let image = pins_image(&frame);
        let lit = |x0: u32| {
            (x0..x0 + PIN_PITCH_PX)
                .flat_map(|x| (0..PIN_PITCH_PX).map(move |y| (x, y)))
                .filter(|&(x, y)| image.get_pixel(x, y).0[0] > 24)
                .count()
        };
        assert!(
            lit(PIN_PITCH_PX) > 4 * lit(0),
            "{} vs {}",
            lit(PIN_PITCH_PX),
            lit(0)
        );
    }

    #[test]
    fn a_frame_for_another_display_is_refused() {
        let frame = PinFrame::flat(Geometry::new(3, 1, 5).unwrap());
        let mut preview = TerminalPreview::new(Vec::new(), Geometry::GRAPHITI);
        assert!(matches!(
            preview.show(&frame),
            Err(DeviceError::GeometryMismatch { .. })
        ));
    }
}
