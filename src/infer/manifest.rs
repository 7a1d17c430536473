//! `manifest.toml`: what each model file is and how to feed it, so that one
//! piece of code runs any classifier the manifest describes, and a file that
//! is not the one described (damaged, replaced) is refused.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Why models could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The manifest is not valid.
    #[error("{}: {message}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A model file is not the one the manifest describes.
    #[error("{}: sha256 is {actual}, the manifest says {expected}: damaged or replaced, refusing it", path.display())]
    Checksum {
        /// The model file.
        path: PathBuf,
        /// Its sha256.
        actual: String,
        /// The manifest's.
        expected: String,
    },
    /// tract could not load or run the model.
    #[error("{}: {message}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// tract's complaint, on one line.
        message: String,
    },
}

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// The pneumonia classifier.
    Classifier,
    /// A depth network.
    Depth,
    /// A test fixture; never used by the appliance unless asked.
    Fixture,
}

impl Purpose {
    /// The manifest's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Classifier => "classifier",
            Purpose::Depth => "depth",
            Purpose::Fixture => "fixture",
        }
    }
}

impl ModelSpec {
    /// What the model does: its purpose, or for a fixture what it stands
    /// in for (None for a fixture that does not say, or says "fixture").
    pub fn role(&self) -> Option<Purpose> {
        match (self.purpose, self.stands_in_for) {
            (Purpose::Fixture, Some(Purpose::Fixture)) | (Purpose::Fixture, None) => None,
            (Purpose::Fixture, Some(role)) => Some(role),
            (purpose, _) => Some(purpose),
        }
    }
}

/// How the classifier's output becomes a probability of pneumonia.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum OutputKind {
    /// `[1, 2]` logits, softmax, class `labels[1]`.
    #[serde(rename = "softmax2")]
    Softmax2,
    /// `[1, 1]` probability from a sigmoid already in the graph.
    #[serde(rename = "sigmoid1")]
    Sigmoid1,
}

/// One model file, as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// A short name for logs.
    pub name: String,
    /// The ONNX file, relative to the manifest.
    pub file: PathBuf,
    /// Its sha256, lowercase hex.
    pub sha256: String,
    /// What it is for.
    pub purpose: Purpose,
    /// Input shape, `[1, 3, H, W]`.
    pub input: [usize; 4],
    /// Input layout; only `"nchw"`.
    pub layout: String,
    /// Divisor turning 8-bit pixel values into the network's scale (255
    /// for [0, 1]).
    pub pixel_scale: f32,
    /// Per-channel mean subtracted after scaling.
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by after that.
    pub std: [f32; 3],
    /// For a fixture: what it stands in for (`"classifier"` or `"depth"`).
    #[serde(default)]
    pub stands_in_for: Option<Purpose>,
    /// Classifier: how the output reads.
    #[serde(default)]
    pub output: Option<OutputKind>,
    /// Classifier: class names, in output order; the last is "pneumonia".
    #[serde(default)]
    pub labels: Vec<String>,
    /// Classifier: p(pneumonia) at or above which the verdict is pneumonia.
    #[serde(default)]
    pub threshold: Option<f32>,
    /// Classifier: p(pneumonia) in this closed band is "uncertain" instead.
    #[serde(default)]
    pub uncertain: Option<[f32; 2]>,
    /// Index of the `[1, C, h, w]` feature-map output, for the CAM.
    #[serde(default)]
    pub features_output: Option<usize>,
    /// `.npy` of the final layer's weights `[classes, C]`, for the CAM.
    #[serde(default)]
    pub cam_weights: Option<PathBuf>,
    /// sha256 of `cam_weights`.
    #[serde(default)]
    pub cam_weights_sha256: Option<String>,
    /// Classifier: calibration, p = sigmoid(z / temperature + prior_shift)
    /// with z the logit of pneumonia against normal (fitted on held-out
    /// films; 1 and 0 leave the model's own probability).
    #[serde(default)]
    pub temperature: Option<f32>,
    /// Classifier: see `temperature`.
    #[serde(default)]
    pub prior_shift: Option<f32>,
    /// `.npy` `[2 + C, C]`: the two class means of the pooled features,
    /// then the precision matrix, for the out-of-range distance.
    #[serde(default)]
    pub ood_stats: Option<PathBuf>,
    /// sha256 of `ood_stats`.
    #[serde(default)]
    pub ood_stats_sha256: Option<String>,
    /// The Mahalanobis distance above which a film is out of range.
    #[serde(default)]
    pub ood_threshold: Option<f32>,
    /// With `ood_stats`: a film whose distance exceeds that of the same
    /// film turned 180 degrees by more than this is taken as upside down,
    /// and so out of range (costs a second run of the network).
    #[serde(default)]
    pub upside_down_margin: Option<f32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    model: Vec<ModelSpec>,
}

/// A parsed manifest and the folder its paths are relative to.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest's own path.
    pub path: PathBuf,
    /// Its models.
    pub models: Vec<ModelSpec>,
}

impl Manifest {
    /// Reads and checks `path` (the files themselves are checked on load).
    pub fn read(path: &Path) -> Result<Manifest, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |message: String| ModelError::Manifest {
            path: path.to_path_buf(),
            message,
        };
        let file: ManifestFile =
            toml::from_str(&text).map_err(|e| bad(e.message().replace('\n', " ")))?;
        for m in &file.model {
            let classifier = m.role() == Some(Purpose::Classifier);
            let ok_band = match m.uncertain {
                Some([lo, hi]) => (0.0..=1.0).contains(&lo) && lo <= hi && hi <= 1.0,
                None => !classifier,
            };
            let checks = [
                (
                    m.role().is_some(),
                    "stands_in_for: a fixture must say \"classifier\" or \"depth\"",
                ),
                (
                    !classifier || m.output.is_some(),
                    "output: missing (\"softmax2\" or \"sigmoid1\")",
                ),
                (!classifier || m.threshold.is_some(), "threshold: missing"),
                (m.layout == "nchw", "layout: only \"nchw\" is supported"),
                (
                    m.input[0] == 1 && m.input[1] == 3,
                    "input: must be [1, 3, H, W]",
                ),
                (
                    m.input[2] > 0 && m.input[3] > 0,
                    "input: H and W must be positive",
                ),
                (m.pixel_scale > 0.0, "pixel_scale: must be positive"),
                (m.std.iter().all(|&s| s > 0.0), "std: must be positive"),
                (
                    m.threshold.is_none_or(|t| (0.0..=1.0).contains(&t)),
                    "threshold: must be in [0, 1]",
                ),
                (ok_band, "uncertain: must be [low, high] within [0, 1]"),
                (
                    !classifier || m.labels.len() == 2,
                    "labels: must name two classes",
                ),
                (
                    m.sha256.len() == 64 && m.sha256.bytes().all(|b| b.is_ascii_hexdigit()),
                    "sha256: must be 64 hex digits",
                ),
                (
                    m.cam_weights.is_some() == m.features_output.is_some()
                        && m.cam_weights.is_some() == m.cam_weights_sha256.is_some(),
                    "features_output, cam_weights and cam_weights_sha256 go together",
                ),
                (
                    m.temperature.is_none_or(|t| t > 0.0 && t.is_finite())
                        && m.prior_shift.is_none_or(f32::is_finite),
                    "temperature: must be positive (and prior_shift finite)",
                ),
                (
                    m.ood_stats.is_some() == m.ood_stats_sha256.is_some()
                        && m.ood_stats.is_some() == m.ood_threshold.is_some()
                        && (m.ood_stats.is_none() || m.features_output.is_some()),
                    "ood_stats, ood_stats_sha256 and ood_threshold go together, with features_output",
                ),
                (
                    m.upside_down_margin.is_none()
                        || (m.ood_stats.is_some() && m.upside_down_margin.is_some_and(f32::is_finite)),
                    "upside_down_margin: needs ood_stats, and must be a number",
                ),
            ];
            if let Some((_, message)) = checks.iter().find(|(ok, _)| !ok) {
                return Err(bad(format!("model {:?}: {message}", m.name)));
            }
        }
        Ok(Manifest {
            path: path.to_path_buf(),
            models: file.model,
        })
    }

    /// The first model for `purpose`.
    pub fn find(&self, purpose: Purpose) -> Option<&ModelSpec> {
        self.models.iter().find(|m| m.purpose == purpose)
    }

    /// The model to use for `role`: the first real one, else (only when
    /// `allow_fixture`) the first fixture standing in for it.
    pub fn select(&self, role: Purpose, allow_fixture: bool) -> Result<&ModelSpec, ModelError> {
        let fixture = self
            .models
            .iter()
            .find(|m| m.purpose == Purpose::Fixture && m.stands_in_for == Some(role));
        self.find(role)
            .or(fixture.filter(|_| allow_fixture))
            .ok_or_else(|| ModelError::Manifest {
                path: self.path.clone(),
                message: format!(
                    "no model with purpose = \"{}\"{}",
                    role.name(),
                    if fixture.is_some() {
                        " (only a test fixture, used with --allow-fixture)"
                    } else {
                        ""
                    }
                ),
            })
    }

    /// Where `file` (relative to the manifest) is.
    pub fn resolve(&self, file: &Path) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(file)
    }
}

/// Reads `path` whole after checking its sha256 against `expected`.
pub fn read_verified(path: &Path, expected: &str) -> Result<Vec<u8>, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let actual = sha256_hex(&bytes);
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(ModelError::Checksum {
            path: path.to_path_buf(),
            actual,
            expected: expected.to_string(),
        });
    }
    Ok(bytes)
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
