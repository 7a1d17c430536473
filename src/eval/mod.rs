//! `touchray eval`: the classifier over a folder of labelled radiographs,
//! with the paper's metrics, a ROC curve and the predictions.
//!
//! Pneumonia is the positive class. Accuracy and the confusion matrix use
//! the manifest's threshold alone; `uncertain` counts the images whose
//! probability fell in the uncertain band (where the appliance would say
//! "uncertain"). AUC is the Mann-Whitney statistic with ties counted half.
//! `out_of_range` counts the images the appliance would abstain on, and
//! `ece` is the expected calibration error of the (calibrated) probability;
//! `--out` adds a reliability diagram.

use std::path::{Path, PathBuf};

use serde::Serialize;

mod calibration;
mod report;
mod roc;

pub use calibration::{ece, reliability_image};
pub use report::{features_csv, predictions_csv, write_eval_files};
pub use roc::{auc, roc_image, roc_points};

use crate::finding::{Verdict, Zone};
use crate::infer::classifier::Classifier;
use crate::infer::depth::DepthNet;
use crate::pipeline::make_relief;
use crate::tactile::{DepthSource, Features};

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
    /// The out-of-range distance, where the model has one.
    pub ood_score: Option<f32>,
    /// The lung zone of the model's attention (pneumonia and uncertain).
    pub zone: Option<Zone>,
    /// The relief's source and texture features, when asked for.
    pub features: Option<(DepthSource, Features)>,
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
    /// Images the appliance abstains on: out of range.
    pub out_of_range: usize,
    /// Normal images called "pneumonia" by the appliance (in range, above
    /// the uncertain band), as a share of the normal images.
    pub confident_pneumonia_on_normal: f64,
    /// Expected calibration error of p(pneumonia), 10 equal bins.
    pub ece: f64,
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
        out_of_range: 0,
        confident_pneumonia_on_normal: 0.0,
        ece: calibration::ece(outcomes),
        skipped: 0,
    }
}

/// Why a folder cannot be evaluated, as one line naming it.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A folder could not be listed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The folder lacks one of the two classes.
    #[error("{}: needs NORMAL/ and PNEUMONIA/ subfolders", dir.display())]
    MissingClass {
        /// The folder.
        dir: PathBuf,
    },
}

/// Why one image was skipped.
#[derive(Debug, thiserror::Error)]
pub enum SkipReason {
    /// It is not a readable scan.
    #[error("{0}")]
    Scan(crate::scan::ScanProblem),
    /// The classifier failed on it.
    #[error(transparent)]
    Model(#[from] crate::infer::manifest::ModelError),
}

/// The labelled images under `dir`: `NORMAL/` and `PNEUMONIA/` in any case.
pub fn labelled_files(dir: &Path) -> Result<Vec<(PathBuf, bool)>, EvalError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EvalError::Io { path, source }
    };
    let entries = std::fs::read_dir(dir).map_err(io(dir))?;
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
        let inner = std::fs::read_dir(entry.path()).map_err(io(&entry.path()))?;
        for f in inner.flatten() {
            // Links are followed: a split is often laid out as symlinks.
            if f.path().is_file() {
                files.push((f.path(), positive));
            }
        }
    }
    if !found[0] || !found[1] {
        return Err(EvalError::MissingClass {
            dir: dir.to_path_buf(),
        });
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
        /// What was wrong with it.
        reason: SkipReason,
    },
}

/// What [`evaluate`] computes besides the verdict.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// Also the relief's texture features...
    pub features: bool,
    /// ...from this depth network (else the density relief).
    pub depth: Option<&'a DepthNet>,
}

/// Classifies every labelled image under `dir`.
pub fn evaluate(
    dir: &Path,
    classifier: &Classifier,
    extras: Extras,
    mut progress: impl FnMut(Progress),
) -> Result<(Metrics, Vec<Prediction>), EvalError> {
    let files = labelled_files(dir)?;
    let mut predictions = Vec::with_capacity(files.len());
    let mut skipped = 0;
    for (i, (path, positive)) in files.iter().enumerate() {
        let outcome = crate::scan::load(path)
            .map_err(|e| SkipReason::Scan(e.problem))
            .and_then(|scan| {
                let analysis = classifier.analyse(&scan)?;
                let features = extras.features.then(|| {
                    let (relief, _) = make_relief(&scan, extras.depth);
                    (relief.source, Features::of(&relief))
                });
                Ok((analysis, features))
            });
        match outcome {
            Ok((a, features)) => predictions.push(Prediction {
                file: path.strip_prefix(dir).unwrap_or(path).display().to_string(),
                pneumonia: *positive,
                p_pneumonia: a.p_pneumonia,
                verdict: a.verdict,
                ood_score: a.ood_score,
                zone: a.zone,
                features,
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
    let mut m = metrics(&outcomes, classifier.threshold(), classifier.uncertain());
    m.skipped = skipped;
    m.out_of_range = predictions
        .iter()
        .filter(|p| p.verdict == Verdict::OutOfRange)
        .count();
    let normal = predictions.iter().filter(|p| !p.pneumonia);
    m.confident_pneumonia_on_normal = ratio(
        normal
            .clone()
            .filter(|p| p.verdict == Verdict::Pneumonia)
            .count(),
        normal.count(),
    );
    Ok((m, predictions))
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
