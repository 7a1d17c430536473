//! How well the probabilities mean what they say: the expected calibration
//! error and a reliability diagram.

use embedded_graphics::mono_font::{ascii::FONT_6X10, MonoTextStyle};
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};
use embedded_graphics::text::Text;
use image::RgbImage;

use super::roc::{at, unit_plot};

/// Equal-width bins of p(pneumonia).
pub const BINS: usize = 10;

/// One bin: how many, their mean p, and the share that was pneumonia.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Images in the bin.
    pub count: usize,
    /// Their mean predicted probability.
    pub confidence: f64,
    /// The share of them that were pneumonia.
    pub frequency: f64,
}

/// The [`BINS`] bins of `(pneumonia, p)` outcomes ([0, 0.1), ... [0.9, 1]).
pub fn bins(outcomes: &[(bool, f32)]) -> Vec<Bin> {
    let mut sums = vec![(0usize, 0.0f64, 0usize); BINS];
    for &(positive, p) in outcomes {
        let i = ((f64::from(p) * BINS as f64) as usize).min(BINS - 1);
        sums[i].0 += 1;
        sums[i].1 += f64::from(p);
        sums[i].2 += usize::from(positive);
    }
    sums.into_iter()
        .map(|(count, p, pos)| Bin {
            count,
            confidence: if count > 0 { p / count as f64 } else { 0.0 },
            frequency: if count > 0 {
                pos as f64 / count as f64
            } else {
                0.0
            },
        })
        .collect()
}

/// Expected calibration error: the count-weighted mean gap between each
/// bin's mean probability and its share of pneumonia.
pub fn ece(outcomes: &[(bool, f32)]) -> f64 {
    let n = outcomes.len().max(1) as f64;
    bins(outcomes)
        .iter()
        .map(|b| b.count as f64 / n * (b.confidence - b.frequency).abs())
        .sum()
}

/// A reliability diagram: each bin's share of pneumonia against its mean
/// probability (bars; the diagonal is perfect calibration), with the ECE.
pub fn reliability_image(outcomes: &[(bool, f32)], title: &str) -> RgbImage {
    let x_label = "predicted p(pneumonia)";
    unit_plot(title, x_label, "share that was pneumonia", |canvas| {
        let bar = PrimitiveStyle::with_fill(Rgb888::new(70, 110, 200));
        let bar_width = (at(1.0 / BINS as f64, 0.0).x - at(0.0, 0.0).x - 2) as u32;
        for (i, b) in bins(outcomes).iter().enumerate() {
            if b.count == 0 {
                continue;
            }
            let top = at(i as f64 / BINS as f64, b.frequency);
            let height = (at(0.0, 0.0).y - top.y).max(1) as u32;
            let _ = Rectangle::new(top + Point::new(1, 0), Size::new(bar_width, height))
                .into_styled(bar)
                .draw(canvas);
        }
        let _ = Line::new(at(0.0, 0.0), at(1.0, 1.0))
            .into_styled(PrimitiveStyle::with_stroke(Rgb888::new(200, 30, 30), 2))
            .draw(canvas);
        let text = MonoTextStyle::new(&FONT_6X10, Rgb888::BLACK);
        let _ = Text::new(&format!("ECE = {:.4}", ece(outcomes)), at(0.05, 0.9), text).draw(canvas);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ece_by_hand() {
        // Bin [0.9, 1]: p 0.9 twice, one pneumonia: gap 0.4, weight 2/4.
        // Bin [0.1, 0.2): p 0.1 twice, neither: gap 0.1, weight 2/4.
        let o = [(true, 0.9), (false, 0.9), (false, 0.1), (false, 0.1)];
        assert!((ece(&o) - (0.5 * 0.4 + 0.5 * 0.1)).abs() < 1e-6);
        assert!(ece(&[(true, 1.0), (false, 0.0)]) < 1e-9);
        let image = reliability_image(&o, "test");
        let blue = image.pixels().filter(|p| p.0 == [70, 110, 200]).count();
        assert!(blue > 500, "the bars are drawn ({blue} pixels)");
    }
}
