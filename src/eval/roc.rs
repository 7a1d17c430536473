//! The ROC curve: its area (ties counting half), its corners and a plot.
//!
//! The plot is drawn with embedded-graphics, not plotters: plotters draws
//! text through font-kit (fontconfig and freetype, C libraries that would
//! break the pure-Rust board builds) or through ab_glyph with a TTF file to
//! ship, while embedded-graphics, already the pin frame's drawing crate,
//! has its mono fonts built in.

use embedded_graphics::mono_font::{ascii::FONT_6X10, MonoTextStyle};
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};
use embedded_graphics::text::Text;
use image::{Rgb, RgbImage};

/// Area under the ROC curve: the chance that a random pneumonia image
/// scores above a random normal one, ties counting half. 0.5 when a class
/// is missing.
pub fn auc(outcomes: &[(bool, f32)]) -> f64 {
    let mut sorted: Vec<(f32, bool)> = outcomes.iter().map(|&(y, p)| (p, y)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < sorted.len() {
        let j = (i..sorted.len())
            .take_while(|&k| sorted[k].0 == sorted[i].0)
            .last()
            .unwrap_or(i);
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mid_rank * sorted[i..=j].iter().filter(|s| s.1).count() as f64;
        i = j + 1;
    }
    let pos = outcomes.iter().filter(|o| o.0).count() as f64;
    let neg = outcomes.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// The ROC curve's corners, (false positive rate, true positive rate), from
/// (0, 0) to (1, 1); tied scores move diagonally.
pub fn roc_points(outcomes: &[(bool, f32)]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f32, bool)> = outcomes.iter().map(|&(y, p)| (p, y)).collect();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pos = sorted.iter().filter(|s| s.1).count().max(1) as f64;
    let neg = (sorted.len() - sorted.iter().filter(|s| s.1).count()).max(1) as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut points = vec![(0.0, 0.0)];
    let mut i = 0;
    while i < sorted.len() {
        let score = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == score {
            if sorted[i].1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        points.push((fp / neg, tp / pos));
    }
    points
}

/// An RGB image as an embedded-graphics draw target (shared with the
/// reliability diagram).
pub(super) struct Canvas<'a>(pub(super) &'a mut RgbImage);

impl OriginDimensions for Canvas<'_> {
    fn size(&self) -> Size {
        Size::new(self.0.width(), self.0.height())
    }
}

impl DrawTarget for Canvas<'_> {
    type Color = Rgb888;
    type Error = std::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if p.x >= 0
                && p.y >= 0
                && (p.x as u32) < self.0.width()
                && (p.y as u32) < self.0.height()
            {
                self.0
                    .put_pixel(p.x as u32, p.y as u32, Rgb([c.r(), c.g(), c.b()]));
            }
        }
        Ok(())
    }
}

/// Side of a plot image, in pixels.
const SIDE: i32 = 480;
/// Space around the unit square for ticks and labels.
const MARGIN: i32 = 50;

/// Where (x, y) of the unit square lies in a plot image.
pub(super) fn at(x: f64, y: f64) -> Point {
    let plot = f64::from(SIDE - 2 * MARGIN);
    Point::new(
        MARGIN + (x * plot).round() as i32,
        SIDE - MARGIN - (y * plot).round() as i32,
    )
}

/// A white plot image whose unit square has ticks every 0.25, a box, the
/// two axis labels and a title; `draw` adds the data before the frame.
pub(super) fn unit_plot(
    title: &str,
    x_label: &str,
    y_label: &str,
    draw: impl FnOnce(&mut Canvas),
) -> RgbImage {
    let mut image = RgbImage::from_pixel(SIDE as u32, SIDE as u32, Rgb([255, 255, 255]));
    let mut canvas = Canvas(&mut image);
    let text = MonoTextStyle::new(&FONT_6X10, Rgb888::BLACK);
    let grey = PrimitiveStyle::with_stroke(Rgb888::new(200, 200, 200), 1);
    for t in 0..=4 {
        let v = f64::from(t) / 4.0;
        let _ = Line::new(at(v, 0.0), at(v, 1.0))
            .into_styled(grey)
            .draw(&mut canvas);
        let _ = Line::new(at(0.0, v), at(1.0, v))
            .into_styled(grey)
            .draw(&mut canvas);
        let label = format!("{v:.2}");
        let _ = Text::new(&label, at(v, 0.0) + Point::new(-12, 14), text).draw(&mut canvas);
        let _ = Text::new(&label, at(0.0, v) + Point::new(-30, 3), text).draw(&mut canvas);
    }
    draw(&mut canvas);
    let side = (SIDE - 2 * MARGIN) as u32 + 1;
    let _ = Rectangle::new(at(0.0, 1.0), Size::new(side, side))
        .into_styled(PrimitiveStyle::with_stroke(Rgb888::BLACK, 1))
        .draw(&mut canvas);
    let _ = Text::new(title, Point::new(MARGIN, 20), text).draw(&mut canvas);
    let x_at = SIDE / 2 - 3 * x_label.len() as i32;
    let _ = Text::new(x_label, Point::new(x_at, SIDE - 12), text).draw(&mut canvas);
    let _ = Text::new(y_label, Point::new(4, MARGIN - 8), text).draw(&mut canvas);
    image
}

/// A plot of the ROC curve with its AUC, axes, ticks and the chance diagonal.
pub fn roc_image(points: &[(f64, f64)], auc: f64, title: &str) -> RgbImage {
    unit_plot(
        title,
        "false positive rate",
        "true positive rate",
        |canvas| {
            let ink = |c: Rgb888, w: u32| PrimitiveStyle::with_stroke(c, w);
            let text = MonoTextStyle::new(&FONT_6X10, Rgb888::BLACK);
            let _ = Line::new(at(0.0, 0.0), at(1.0, 1.0))
                .into_styled(ink(Rgb888::new(150, 150, 150), 1))
                .draw(canvas);
            for pair in points.windows(2) {
                let _ = Line::new(at(pair[0].0, pair[0].1), at(pair[1].0, pair[1].1))
                    .into_styled(ink(Rgb888::new(200, 30, 30), 2))
                    .draw(canvas);
            }
            let _ = Text::new(&format!("AUC = {auc:.4}"), at(0.55, 0.1), text).draw(canvas);
        },
    )
}
