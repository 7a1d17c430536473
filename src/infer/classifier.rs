//! The pneumonia classifier through tract: load once (checksum checked),
//! optimise for the manifest's input shape, run; preprocessing identical to
//! `models/tools/preprocess.py`; the class-activation map from the last
//! feature map and the final layer's weights, without gradients.

use std::path::Path;

use super::manifest::{read_verified, Manifest, ModelError, ModelSpec, OutputKind, Purpose};
pub use super::network::preprocess;
use super::network::{model_error, Network};
use super::ood::{pooled, OodStats};
use super::threads::Loading;
use crate::finding::{Finding, Verdict, Zone};
use crate::imaging::npy::read_npy_f32;
use crate::imaging::resample::resize_bilinear;
use crate::scan::Scan;
use tract_onnx::prelude::TValue;

/// A feature map's values, row-major, and its `(channels, height, width)`.
type FeatureMap = (Vec<f32>, (usize, usize, usize));

/// Where the model looked: a map in [0, 1] over the scan, 1 = most weight
/// for pneumonia.
#[derive(Debug, Clone, PartialEq)]
pub struct Cam {
    /// Width (the scan's).
    pub width: u32,
    /// Height (the scan's).
    pub height: u32,
    /// Row-major values.
    pub values: Vec<f32>,
}

/// What the classifier says about one scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Calibrated probability of pneumonia.
    pub p_pneumonia: f32,
    /// The call: out of range above the out-of-range threshold, else by the
    /// uncertain band and the threshold.
    pub verdict: Verdict,
    /// The out-of-range distance, where the manifest gives its statistics.
    pub ood_score: Option<f32>,
    /// Whether the film looked upside down (its 180-degree turn is clearly
    /// more typical of the training films); such a film is out of range.
    pub upside_down: bool,
    /// The class-activation map, where the model has one.
    pub cam: Option<Cam>,
    /// The CAM's hot region as a lung zone, for pneumonia and uncertain
    /// calls.
    pub zone: Option<Zone>,
}

impl Analysis {
    /// The verdict, its probability and its zone.
    pub fn finding(&self) -> Finding {
        Finding {
            verdict: self.verdict,
            p_pneumonia: self.p_pneumonia,
            zone: self.zone,
        }
    }
}

/// A loaded, optimised classifier.
#[derive(Debug, Clone)]
pub struct Classifier {
    network: Network,
    output: OutputKind,
    threshold: f32,
    uncertain: [f32; 2],
    /// `[classes, C]` weights of the final layer, for the CAM.
    cam_weights: Option<(usize, Vec<f32>)>,
    /// p = sigmoid(z / temperature + prior_shift).
    calibration: (f32, f32),
    /// See [`crate::infer::manifest::OodSpec::upside_down_margin`].
    upside_down_margin: Option<f32>,
    /// Index of the feature-map output, for the CAM and the distance.
    features_output: Option<usize>,
    ood: Option<OodStats>,
}

impl Classifier {
    /// Loads the classifier the manifest at `manifest` describes. A model
    /// marked `fixture` is used only when `loading` allows it.
    pub fn load(manifest: &Path, loading: &Loading) -> Result<Classifier, ModelError> {
        Classifier::from_manifest(&Manifest::read(manifest)?, loading)
    }

    /// Loads the classifier `manifest` describes, already read.
    pub fn from_manifest(manifest: &Manifest, loading: &Loading) -> Result<Classifier, ModelError> {
        let network = Network::load(manifest, Purpose::Classifier, loading)?;
        let Some(spec) = network.spec.classifier() else {
            return Err(network.error("the manifest entry is not a classifier"));
        };
        let classes = spec.labels.len();
        let cam_weights = match &spec.cam {
            Some(cam) => {
                let weights_path = manifest.resolve(&cam.weights.file);
                let bytes = read_verified(&weights_path, &cam.weights.sha256)?;
                let (shape, values) =
                    read_npy_f32(&bytes).map_err(|m| model_error(&weights_path, m))?;
                match shape.as_slice() {
                    [c, channels] if *c == classes => Some((*channels, values)),
                    other => {
                        return Err(model_error(
                            &weights_path,
                            format!("shape {other:?} is not [{classes}, C]"),
                        ))
                    }
                }
            }
            None => None,
        };
        let ood = match &spec.ood {
            Some(o) => {
                let path = manifest.resolve(&o.stats.file);
                let bytes = read_verified(&path, &o.stats.sha256)?;
                let (shape, values) = read_npy_f32(&bytes).map_err(|m| model_error(&path, m))?;
                Some(
                    OodStats::from_array(&shape, values, classes, o.threshold)
                        .map_err(|m| model_error(&path, m))?,
                )
            }
            None => None,
        };
        Ok(Classifier {
            output: spec.output,
            threshold: spec.threshold,
            uncertain: spec.uncertain,
            cam_weights,
            calibration: (spec.temperature, spec.prior_shift),
            upside_down_margin: spec.ood.as_ref().and_then(|o| o.upside_down_margin),
            features_output: spec.cam.as_ref().map(|c| c.features_output),
            ood,
            network,
        })
    }

    /// The manifest entry in use.
    pub fn spec(&self) -> &ModelSpec {
        &self.network.spec
    }

    /// The network it runs (twice per scan when it checks the turned film).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// p(pneumonia) at or above which the verdict is pneumonia.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The closed band of p(pneumonia) called uncertain.
    pub fn uncertain(&self) -> [f32; 2] {
        self.uncertain
    }

    /// Classifies `scan`.
    pub fn analyse(&self, scan: &Scan) -> Result<Analysis, ModelError> {
        let error = |e: &dyn std::fmt::Display| self.network.error(e);
        // The upside-down check is a second, independent pass: with two
        // or more threads it runs beside the first (measured: two passes
        // in 41 ms side by side against 70 ms one after the other, on the
        // 2-core x86 machine; tract's own threads did not help this int8
        // network there).
        let checks_turned = self.ood.is_some() && self.upside_down_margin.is_some();
        let (outputs, turned) = if checks_turned && self.network.threads() >= 2 {
            let (outputs, turned) = std::thread::scope(|s| {
                let turned = s.spawn(|| self.turned_distance(scan));
                (self.network.run(scan), turned.join())
            });
            let turned =
                turned.unwrap_or_else(|_| Err(error(&"the upside-down pass stopped with a panic")));
            (outputs?, Some(turned))
        } else {
            (self.network.run(scan)?, None)
        };
        let first = outputs[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| error(&e))?;
        let values: Vec<f32> = first.iter().copied().collect();
        // z: the log-odds of pneumonia as the model gives them.
        let z = match (self.output, values.as_slice()) {
            (OutputKind::Softmax2, [a, b]) => b - a,
            (OutputKind::Sigmoid1, [p]) => (p / (1.0 - p)).ln(),
            (kind, v) => {
                return Err(error(&format!(
                    "output has {} values, {kind:?} needs {}",
                    v.len(),
                    match kind {
                        OutputKind::Softmax2 => 2,
                        OutputKind::Sigmoid1 => 1,
                    }
                )))
            }
        };
        let (temperature, shift) = self.calibration;
        let p = 1.0 / (1.0 + (-(z / temperature + shift)).exp());
        if !p.is_finite() {
            return Err(error(&"the model gave no finite probability"));
        }
        let feature_map = self.feature_map(&outputs)?;
        let ood_score = match (&self.ood, &feature_map) {
            (Some(stats), Some((flat, (fc, _, _)))) if *fc == stats.channels() => {
                Some(stats.distance(&pooled(flat, *fc)))
            }
            (Some(_), _) => {
                return Err(error(&"out-of-range statistics do not fit the feature map"))
            }
            _ => None,
        };
        let cam = match (&feature_map, &self.cam_weights) {
            (Some((flat, (fc, fh, fw))), Some((channels, weights))) => {
                let (fc, fh, fw) = (*fc, *fh, *fw);
                if fc != *channels {
                    return Err(error(&"CAM weights do not fit the feature map"));
                }
                let positive = &weights[fc..2 * fc];
                Some(class_activation_map(flat, (fc, fh, fw), positive, scan))
            }
            _ => None,
        };
        let upside_down = match (ood_score, self.upside_down_margin) {
            (Some(d), Some(margin)) => {
                let turned = match turned {
                    Some(t) => t?,
                    None => self.turned_distance(scan)?,
                };
                d - turned > margin
            }
            _ => false,
        };
        // A distance that is not a number is out of range too.
        let out_of_range = upside_down
            || matches!(
                (ood_score, &self.ood),
                (Some(d), Some(s)) if d.is_nan() || d > s.threshold
            );
        let verdict = if out_of_range {
            Verdict::OutOfRange
        } else {
            verdict(p, self.threshold, self.uncertain)
        };
        let zone = match verdict {
            Verdict::Pneumonia | Verdict::Uncertain => cam.as_ref().and_then(|c| {
                crate::infer::zone::zone_of_cam(&c.values, c.width as usize, c.height as usize)
            }),
            Verdict::Normal | Verdict::OutOfRange => None,
        };
        Ok(Analysis {
            p_pneumonia: p,
            verdict,
            ood_score,
            upside_down,
            cam,
            zone,
        })
    }

    /// The `[1, C, h, w]` feature map among `outputs` as its values and
    /// `(C, h, w)`, where the manifest names one.
    fn feature_map(&self, outputs: &[TValue]) -> Result<Option<FeatureMap>, ModelError> {
        let error = |e: &dyn std::fmt::Display| self.network.error(e);
        let Some(ix) = self.features_output else {
            return Ok(None);
        };
        let features = outputs
            .get(ix)
            .ok_or_else(|| error(&format!("no output {ix}")))?
            .to_plain_array_view::<f32>()
            .map_err(|e| error(&e))?;
        let shape = features.shape().to_vec();
        let [1, fc, fh, fw] = shape[..] else {
            return Err(error(&format!("feature map {shape:?}")));
        };
        Ok(Some((features.iter().copied().collect(), (fc, fh, fw))))
    }

    /// The out-of-range distance of `scan` turned 180 degrees.
    fn turned_distance(&self, scan: &Scan) -> Result<f32, ModelError> {
        let mut turned = scan.clone();
        turned.pixels.reverse();
        let outputs = self.network.run(&turned)?;
        match (self.feature_map(&outputs)?, &self.ood) {
            (Some((flat, (fc, _, _))), Some(stats)) if fc == stats.channels() => {
                Ok(stats.distance(&pooled(&flat, fc)))
            }
            _ => Err(self.network.error(
                "upside_down_margin needs out-of-range statistics that fit the feature map",
            )),
        }
    }
}

/// The call for `p`: uncertain inside the closed band, else by the threshold.
pub fn verdict(p: f32, threshold: f32, [lo, hi]: [f32; 2]) -> Verdict {
    if (lo..=hi).contains(&p) {
        Verdict::Uncertain
    } else if p >= threshold {
        Verdict::Pneumonia
    } else {
        Verdict::Normal
    }
}

/// CAM = ReLU(sum over channels of weight * feature map), min-max scaled,
/// upsampled (bilinear) to the scan.
pub fn class_activation_map(
    features: &[f32],
    (channels, h, w): (usize, usize, usize),
    weights: &[f32],
    scan: &Scan,
) -> Cam {
    let mut map = vec![0f32; h * w];
    for (k, &wk) in weights.iter().enumerate().take(channels) {
        for (m, &f) in map.iter_mut().zip(&features[k * h * w..(k + 1) * h * w]) {
            *m += wk * f;
        }
    }
    let map: Vec<f32> = map.into_iter().map(|v| v.max(0.0)).collect();
    let max = map.iter().copied().fold(0.0f32, f32::max);
    let unit: Vec<f32> = map
        .iter()
        .map(|&v| if max > 0.0 { v / max } else { 0.0 })
        .collect();
    Cam {
        width: scan.width,
        height: scan.height,
        values: resize_bilinear(&unit, w, h, (scan.width as usize, scan.height as usize)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uncertain_band_wins_over_the_threshold() {
        let band = [0.35, 0.65];
        assert_eq!(verdict(0.34, 0.5, band), Verdict::Normal);
        assert_eq!(verdict(0.35, 0.5, band), Verdict::Uncertain);
        assert_eq!(verdict(0.65, 0.5, band), Verdict::Uncertain);
        assert_eq!(verdict(0.66, 0.5, band), Verdict::Pneumonia);
        assert_eq!(verdict(0.5, 0.5, [0.5, 0.4]), Verdict::Pneumonia);
    }
}
