//! What `touchray eval` shows and writes: the text report, `roc.png`,
//! `reliability.png`, `predictions.csv` and the features CSV.

use std::fmt;
use std::path::Path;

use super::{reliability_image, roc_image, roc_points, Metrics, Prediction};
use crate::output::OutputError;
use crate::tactile::DepthSource;

impl fmt::Display for Metrics {
    /// The three lines `touchray eval` prints without `--json`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.confusion;
        writeln!(
            f,
            "{} images ({} skipped): accuracy {:.4}, AUC {:.4} at threshold {}",
            self.n, self.skipped, self.accuracy, self.auc, self.threshold
        )?;
        writeln!(
            f,
            "confusion (pneumonia positive): tp {} fp {} tn {} fn {}",
            c.tp, c.fp, c.tn, c.fn_
        )?;
        writeln!(
            f,
            "in the uncertain band {:?}: {}",
            self.uncertain_band, self.uncertain
        )
    }
}

/// Writes `roc.png`, `reliability.png` and `predictions.csv` into `out`
/// (created if needed); `model` names the classifier in the plot titles.
pub fn write_eval_files(
    out: &Path,
    model: &str,
    metrics: &Metrics,
    predictions: &[Prediction],
) -> Result<(), OutputError> {
    std::fs::create_dir_all(out).map_err(|e| OutputError::new(out, e))?;
    let outcomes: Vec<(bool, f32)> = predictions
        .iter()
        .map(|p| (p.pneumonia, p.p_pneumonia))
        .collect();
    let roc = out.join("roc.png");
    roc_image(
        &roc_points(&outcomes),
        metrics.auc,
        &format!("ROC, {model} on {} images", metrics.n),
    )
    .save(&roc)
    .map_err(|e| OutputError::new(&roc, e))?;
    let reliability = out.join("reliability.png");
    reliability_image(
        &outcomes,
        &format!("Reliability, {model} on {} images", metrics.n),
    )
    .save(&reliability)
    .map_err(|e| OutputError::new(&reliability, e))?;
    let csv = out.join("predictions.csv");
    std::fs::write(&csv, predictions_csv(predictions)).map_err(|e| OutputError::new(&csv, e))
}

/// `predictions.csv`: file, label, p_pneumonia, verdict, ood_score and the
/// zone (side, level; empty where there is none).
pub fn predictions_csv(predictions: &[Prediction]) -> String {
    let mut csv = String::from("file,label,p_pneumonia,verdict,ood_score,zone_side,zone_level\n");
    for p in predictions {
        let ood = p.ood_score.map(|d| format!("{d:.4}")).unwrap_or_default();
        let (side, level) = p.zone.map_or(("", ""), |z| (z.side.name(), z.level.name()));
        csv += &format!(
            "{},{},{:.6},{},{ood},{},{}\n",
            csv_field(&p.file),
            label(p),
            p.p_pneumonia,
            p.verdict.name(),
            side,
            level
        );
    }
    csv
}

/// The `--features` CSV: file, label, depth_source, depth_std,
/// depth_entropy, edge_total, lbp_0 .. lbp_9, one row per image with
/// features.
pub fn features_csv(predictions: &[Prediction]) -> String {
    let lbp: Vec<String> = (0..crate::tactile::features::LBP_CODES)
        .map(|k| format!(",lbp_{k}"))
        .collect();
    let mut csv = format!(
        "file,label,depth_source,depth_std,depth_entropy,edge_total{}\n",
        lbp.concat()
    );
    for p in predictions {
        let Some((source, f)) = &p.features else {
            continue;
        };
        let source = match source {
            DepthSource::Density => "density",
            DepthSource::Midas => "midas",
        };
        csv += &format!(
            "{},{},{source},{:.8},{:.8},{:.6}",
            csv_field(&p.file),
            label(p),
            f.depth_std,
            f.depth_entropy,
            f.edge_total
        );
        for h in f.lbp_hist {
            csv += &format!(",{h:.8}");
        }
        csv.push('\n');
    }
    csv
}

fn label(p: &Prediction) -> &'static str {
    if p.pneumonia {
        "pneumonia"
    } else {
        "normal"
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
