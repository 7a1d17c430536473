//! `touchray eval`: the classifier over a folder of labelled radiographs,
//! with the paper's metrics, a ROC curve and the predictions.
//!
//! Pneumonia is the positive class. Accuracy and the confusion matrix use
//! the manifest's threshold alone; `uncertain` counts the images whose
//! probability fell in the uncertain band (where the appliance would say
//! "uncertain"). AUC is the Mann-Whitney statistic with ties counted half.

use std::path::{Path, PathBuf};

use embedded_graphics::mono_font::{ascii::FONT_6X10, MonoTextStyle};
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};
use embedded_graphics::text::Text;
use image::{Rgb, RgbImage};
use serde::Serialize;

use crate::infer::classifier::Classifier;
use crate::infer::Verdict;

/// One image's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The file, relative to the evaluated folder.
    pub file: String,
    /// True for PNEUMONIA/.
    pub pneumonia: bool,
    /// The model's probability of pneumonia.
    pub p_pneumonia: f32,
    /// The appliance's call.
    pub verdict: Verdict,
}

/// Counts with pneumonia as the positive class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Confusion {
    /// Pneumonia called pneumonia.
    pub tp: usize,
    /// Normal called pneumonia.
    pub fp: usize,
    /// Normal called normal.
    pub tn: usize,
    /// Pneumonia called normal.
    #[serde(rename = "fn")]
    pub fn_: usize,
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ClassMetrics {
    /// Of those called this class, the share that are.
    pub precision: f64,
    /// Of this class, the share called so.
    pub recall: f64,
    /// Harmonic mean of the two (0 when both are 0).
    pub f1: f64,
    /// Images of this class.
    pub support: usize,
}

/// Both classes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PerClass {
    /// NORMAL.
    pub normal: ClassMetrics,
    /// PNEUMONIA.
    pub pneumonia: ClassMetrics,
}

/// Averages over the classes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Average {
    /// Mean precision.
    pub precision: f64,
    /// Mean recall.
    pub recall: f64,
    /// Mean F1.
    pub f1: f64,
}

/// The metrics `touchray eval --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Images evaluated.
    pub n: usize,
    /// Share called correctly at the threshold.
    pub accuracy: f64,
    /// Area under the ROC curve.
    pub auc: f64,
    /// The decision threshold used.
    pub threshold: f32,
    /// The uncertain band.
    pub uncertain_band: [f32; 2],
    /// Counts at the threshold.
    pub confusion: Confusion,
    /// Per class.
    pub per_class: PerClass,
    /// Unweighted mean of the classes.
    #[serde(rename = "macro")]
    pub macro_: Average,
    /// Support-weighted mean of the classes.
    pub weighted: Average,
    /// Images whose probability fell in the uncertain band.
    pub uncertain: usize,
    /// Files that could not be read (not in `n`).
    pub skipped: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn class(tp: usize, fp: usize, fn_: usize, support: usize) -> ClassMetrics {
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    ClassMetrics {
        precision,
        recall,
        f1,
        support,
    }
}

/// The metrics of `(pneumonia, p)` pairs at `threshold` with `band`.
pub fn metrics(outcomes: &[(bool, f32)], threshold: f32, band: [f32; 2]) -> Metrics {
    let mut c = Confusion::default();
    let mut uncertain = 0;
    for &(positive, p) in outcomes {
        let called = p >= threshold;
        match (positive, called) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (false, false) => c.tn += 1,
            (true, false) => c.fn_ += 1,
        }
        uncertain += usize::from((band[0]..=band[1]).contains(&p));
    }
    let (pos, neg) = (c.tp + c.fn_, c.tn + c.fp);
    let pneumonia = class(c.tp, c.fp, c.fn_, pos);
    let normal = class(c.tn, c.fn_, c.fp, neg);
    let n = outcomes.len();
    let mean = |f: fn(&ClassMetrics) -> f64| (f(&normal) + f(&pneumonia)) / 2.0;
    let weigh = |f: fn(&ClassMetrics) -> f64| {
        (f(&normal) * neg as f64 + f(&pneumonia) * pos as f64) / (n.max(1)) as f64
    };
    Metrics {
        n,
        accuracy: ratio(c.tp + c.tn, n),
        auc: auc(outcomes),
        threshold,
        uncertain_band: band,
        confusion: c,
        per_class: PerClass { normal, pneumonia },
        macro_: Average {
            precision: mean(|m| m.precision),
            recall: mean(|m| m.recall),
            f1: mean(|m| m.f1),
        },
        weighted: Average {
            precision: weigh(|m| m.precision),
            recall: weigh(|m| m.recall),
            f1: weigh(|m| m.f1),
        },
        uncertain,
        skipped: 0,
    }
}

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

struct Canvas<'a>(&'a mut RgbImage);

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

/// A plot of the ROC curve with its AUC, axes, ticks and the chance diagonal.
pub fn roc_image(points: &[(f64, f64)], auc: f64, title: &str) -> RgbImage {
    const SIDE: i32 = 480;
    const MARGIN: i32 = 50;
    let mut image = RgbImage::from_pixel(SIDE as u32, SIDE as u32, Rgb([255, 255, 255]));
    let mut canvas = Canvas(&mut image);
    let plot = SIDE - 2 * MARGIN;
    let at = |x: f64, y: f64| {
        Point::new(
            MARGIN + (x * f64::from(plot)).round() as i32,
            SIDE - MARGIN - (y * f64::from(plot)).round() as i32,
        )
    };
    let ink = |c: Rgb888, w: u32| PrimitiveStyle::with_stroke(c, w);
    let text = MonoTextStyle::new(&FONT_6X10, Rgb888::BLACK);
    let grey = Rgb888::new(200, 200, 200);
    for t in 0..=4 {
        let v = f64::from(t) / 4.0;
        let _ = Line::new(at(v, 0.0), at(v, 1.0))
            .into_styled(ink(grey, 1))
            .draw(&mut canvas);
        let _ = Line::new(at(0.0, v), at(1.0, v))
            .into_styled(ink(grey, 1))
            .draw(&mut canvas);
        let label = format!("{v:.2}");
        let _ = Text::new(&label, at(v, 0.0) + Point::new(-12, 14), text).draw(&mut canvas);
        let _ = Text::new(&label, at(0.0, v) + Point::new(-30, 3), text).draw(&mut canvas);
    }
    let _ = Rectangle::new(at(0.0, 1.0), Size::new(plot as u32 + 1, plot as u32 + 1))
        .into_styled(ink(Rgb888::BLACK, 1))
        .draw(&mut canvas);
    let _ = Line::new(at(0.0, 0.0), at(1.0, 1.0))
        .into_styled(ink(Rgb888::new(150, 150, 150), 1))
        .draw(&mut canvas);
    for pair in points.windows(2) {
        let _ = Line::new(at(pair[0].0, pair[0].1), at(pair[1].0, pair[1].1))
            .into_styled(ink(Rgb888::new(200, 30, 30), 2))
            .draw(&mut canvas);
    }
    let _ = Text::new(title, Point::new(MARGIN, 20), text).draw(&mut canvas);
    let _ = Text::new(&format!("AUC = {auc:.4}"), at(0.55, 0.1), text).draw(&mut canvas);
    let _ = Text::new(
        "false positive rate",
        Point::new(SIDE / 2 - 57, SIDE - 12),
        text,
    )
    .draw(&mut canvas);
    let _ = Text::new("true positive rate", Point::new(4, MARGIN - 8), text).draw(&mut canvas);
    image
}

/// The labelled images under `dir`: `NORMAL/` and `PNEUMONIA/` in any case.
pub fn labelled_files(dir: &Path) -> Result<Vec<(PathBuf, bool)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    let mut found = [false, false];
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_ascii_uppercase();
        let positive = match name.as_str() {
            "NORMAL" => false,
            "PNEUMONIA" => true,
            _ => continue,
        };
        found[usize::from(positive)] = true;
        let inner = std::fs::read_dir(entry.path())
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        for f in inner.flatten() {
            // Links are followed: a split is often laid out as symlinks.
            if f.path().is_file() {
                files.push((f.path(), positive));
            }
        }
    }
    if !found[0] || !found[1] {
        return Err(format!(
            "{}: needs NORMAL/ and PNEUMONIA/ subfolders",
            dir.display()
        ));
    }
    files.sort();
    Ok(files)
}

/// What happens during an evaluation, for the command line to show.
#[derive(Debug)]
pub enum Progress<'a> {
    /// `done` of `total` images processed.
    Step {
        /// Images done.
        done: usize,
        /// Images in all.
        total: usize,
    },
    /// A file was skipped.
    Skipped {
        /// The file.
        file: &'a Path,
        /// Why, on one line.
        reason: String,
    },
}

/// Classifies every labelled image under `dir`.
pub fn evaluate(
    dir: &Path,
    classifier: &Classifier,
    mut progress: impl FnMut(Progress),
) -> Result<(Metrics, Vec<Prediction>), String> {
    let files = labelled_files(dir)?;
    let mut predictions = Vec::with_capacity(files.len());
    let mut skipped = 0;
    for (i, (path, positive)) in files.iter().enumerate() {
        let outcome = crate::scan::load(path)
            .map_err(|e| e.problem.to_string())
            .and_then(|scan| classifier.analyse(&scan).map_err(|e| e.to_string()));
        match outcome {
            Ok(a) => predictions.push(Prediction {
                file: path.strip_prefix(dir).unwrap_or(path).display().to_string(),
                pneumonia: *positive,
                p_pneumonia: a.p_pneumonia,
                verdict: a.verdict,
            }),
            Err(reason) => {
                skipped += 1;
                progress(Progress::Skipped { file: path, reason });
            }
        }
        progress(Progress::Step {
            done: i + 1,
            total: files.len(),
        });
    }
    let outcomes: Vec<(bool, f32)> = predictions
        .iter()
        .map(|p| (p.pneumonia, p.p_pneumonia))
        .collect();
    let spec = classifier.spec();
    let mut m = metrics(&outcomes, spec.threshold, spec.uncertain);
    m.skipped = skipped;
    Ok((m, predictions))
}

/// `predictions.csv`: file, label, p_pneumonia, verdict.
pub fn predictions_csv(predictions: &[Prediction]) -> String {
    let mut csv = String::from("file,label,p_pneumonia,verdict\n");
    for p in predictions {
        let file = if p.file.contains([',', '"', '\n']) {
            format!("\"{}\"", p.file.replace('"', "\"\""))
        } else {
            p.file.clone()
        };
        let label = if p.pneumonia { "pneumonia" } else { "normal" };
        let verdict = match p.verdict {
            Verdict::Normal => "normal",
            Verdict::Pneumonia => "pneumonia",
            Verdict::Uncertain => "uncertain",
        };
        csv += &format!("{file},{label},{:.6},{verdict}\n", p.p_pneumonia);
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_computed_case() {
        // 3 pneumonia (0.9, 0.6, 0.3), 3 normal (0.7, 0.2, 0.1), threshold 0.5.
        let o = [
            (true, 0.9),
            (true, 0.6),
            (true, 0.3),
            (false, 0.7),
            (false, 0.2),
            (false, 0.1),
        ];
        let m = metrics(&o, 0.5, [0.35, 0.65]);
        assert_eq!(
            m.confusion,
            Confusion {
                tp: 2,
                fp: 1,
                tn: 2,
                fn_: 1
            }
        );
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // Pairs (pos, neg) ranked correctly: 0.9 beats 3, 0.6 beats 2, 0.3 beats 2 -> 7/9.
        assert!((m.auc - 7.0 / 9.0).abs() < 1e-12);
        assert!((m.per_class.pneumonia.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.per_class.pneumonia.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.per_class.normal.precision - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.per_class.normal.support, 3);
        assert!((m.macro_.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.uncertain, 1, "only 0.6 lies in [0.35, 0.65]");
    }

    #[test]
    fn ties_count_half_in_the_auc() {
        // One pneumonia and one normal with the same score: 0.5.
        assert_eq!(auc(&[(true, 0.4), (false, 0.4)]), 0.5);
        // Pos {0.8, 0.5}, neg {0.5, 0.2}: pairs 1 + 1 + 0.5 + 1 = 3.5 of 4.
        assert_eq!(
            auc(&[(true, 0.8), (true, 0.5), (false, 0.5), (false, 0.2)]),
            0.875
        );
        assert_eq!(auc(&[(true, 0.8), (true, 0.5)]), 0.5, "one class only");
    }

    #[test]
    fn weighted_averages_weigh_by_support() {
        // 1 normal called normal; 3 pneumonia, 2 called pneumonia, 1 normal.
        let o = [(false, 0.1), (true, 0.9), (true, 0.8), (true, 0.2)];
        let m = metrics(&o, 0.5, [0.45, 0.55]);
        let (n, p) = (m.per_class.normal, m.per_class.pneumonia);
        assert_eq!((n.precision, n.recall), (0.5, 1.0));
        assert_eq!((p.precision, p.recall), (1.0, 2.0 / 3.0));
        assert!((m.weighted.recall - (1.0 + 3.0 * 2.0 / 3.0) / 4.0).abs() < 1e-12);
        assert!((m.macro_.precision - 0.75).abs() < 1e-12);
    }

    #[test]
    fn the_roc_curve_runs_corner_to_corner_and_ties_go_diagonal() {
        let pts = roc_points(&[(true, 0.8), (true, 0.5), (false, 0.5), (false, 0.2)]);
        assert_eq!(pts, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        let image = roc_image(&pts, 0.875, "test");
        let red = image.pixels().filter(|p| p.0 == [200, 30, 30]).count();
        assert!(red > 300, "the curve is drawn ({red} pixels)");
    }
}
