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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The pneumonia classifier.
    Classifier,
    /// A depth network.
    Depth,
}

impl Purpose {
    /// The manifest's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Classifier => "classifier",
            Purpose::Depth => "depth",
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

/// A file beside the manifest and the sha256 it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// The file, relative to the manifest.
    pub file: PathBuf,
    /// Its sha256, lowercase hex.
    pub sha256: String,
}

/// The class-activation map: the feature map and the final layer's weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamSpec {
    /// Index of the `[1, C, h, w]` feature-map output.
    pub features_output: usize,
    /// `.npy` of the final layer's weights `[classes, C]`.
    pub weights: CheckedFile,
}

/// The out-of-range check on the pooled feature map.
#[derive(Debug, Clone, PartialEq)]
pub struct OodSpec {
    /// `.npy` `[2 + C, C]`: the two class means of the pooled features,
    /// then the precision matrix.
    pub stats: CheckedFile,
    /// The Mahalanobis distance above which a film is out of range.
    pub threshold: f32,
    /// A film whose distance exceeds that of the same film turned 180
    /// degrees by more than this is taken as upside down, and so out of
    /// range (costs a second run of the network).
    pub upside_down_margin: Option<f32>,
}

/// What a classifier entry says beyond the common fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierSpec {
    /// How the output reads.
    pub output: OutputKind,
    /// Class names, in output order; the last is "pneumonia".
    pub labels: [String; 2],
    /// p(pneumonia) at or above which the verdict is pneumonia.
    pub threshold: f32,
    /// p(pneumonia) in this closed band is "uncertain" instead.
    pub uncertain: [f32; 2],
    /// Calibration, p = sigmoid(z / temperature + prior_shift) with z the
    /// logit of pneumonia against normal (1 and 0 leave the model's own
    /// probability).
    pub temperature: f32,
    /// See `temperature`.
    pub prior_shift: f32,
    /// Where the model looked, if it says.
    pub cam: Option<CamSpec>,
    /// The out-of-range check, if it has one (it needs `cam`'s feature map).
    pub ood: Option<OodSpec>,
}

/// What a model does, with what only that kind of model has.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// The pneumonia classifier.
    Classifier(ClassifierSpec),
    /// A MiDaS-style depth network.
    Depth,
}

impl Role {
    /// Its purpose, without the details.
    pub fn purpose(&self) -> Purpose {
        match self {
            Role::Classifier(_) => Purpose::Classifier,
            Role::Depth => Purpose::Depth,
        }
    }
}

/// One model file, as the manifest describes it, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// A short name for logs.
    pub name: String,
    /// The ONNX file and its sha256.
    pub model: CheckedFile,
    /// What it does.
    pub role: Role,
    /// A test fixture (random weights): used only when asked.
    pub fixture: bool,
    /// Input shape, `[1, 3, H, W]` (NCHW).
    pub input: [usize; 4],
    /// Divisor turning 8-bit pixel values into the network's scale (255
    /// for [0, 1]).
    pub pixel_scale: f32,
    /// Per-channel mean subtracted after scaling.
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by after that.
    pub std: [f32; 3],
}

impl ModelSpec {
    /// The classifier's own fields, for a classifier.
    pub fn classifier(&self) -> Option<&ClassifierSpec> {
        match &self.role {
            Role::Classifier(c) => Some(c),
            Role::Depth => None,
        }
    }
}

/// The TOML `purpose` (and a fixture's `stands_in_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum PurposeText {
    Classifier,
    Depth,
    Fixture,
}

/// A `[[model]]` table as written; [`RawModel::parse`] turns it into a
/// [`ModelSpec`] or says which key is wrong.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    file: PathBuf,
    sha256: String,
    purpose: PurposeText,
    input: [usize; 4],
    layout: String,
    pixel_scale: f32,
    mean: [f32; 3],
    std: [f32; 3],
    stands_in_for: Option<PurposeText>,
    output: Option<OutputKind>,
    #[serde(default)]
    labels: Vec<String>,
    threshold: Option<f32>,
    uncertain: Option<[f32; 2]>,
    features_output: Option<usize>,
    cam_weights: Option<PathBuf>,
    cam_weights_sha256: Option<String>,
    temperature: Option<f32>,
    prior_shift: Option<f32>,
    ood_stats: Option<PathBuf>,
    ood_stats_sha256: Option<String>,
    ood_threshold: Option<f32>,
    upside_down_margin: Option<f32>,
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `Err(message)` unless `ok`.
fn require(ok: bool, message: &'static str) -> Result<(), &'static str> {
    ok.then_some(()).ok_or(message)
}

impl RawModel {
    /// The checked entry, or what is wrong, naming the key.
    fn parse(self) -> Result<ModelSpec, &'static str> {
        let (purpose, fixture) = match (self.purpose, self.stands_in_for) {
            (PurposeText::Fixture, Some(PurposeText::Classifier)) => (Purpose::Classifier, true),
            (PurposeText::Fixture, Some(PurposeText::Depth)) => (Purpose::Depth, true),
            (PurposeText::Fixture, _) => {
                return Err("stands_in_for: a fixture must say \"classifier\" or \"depth\"")
            }
            (PurposeText::Classifier, _) => (Purpose::Classifier, false),
            (PurposeText::Depth, _) => (Purpose::Depth, false),
        };
        require(self.layout == "nchw", "layout: only \"nchw\" is supported")?;
        let [n, c, h, w] = self.input;
        require(n == 1 && c == 3, "input: must be [1, 3, H, W]")?;
        require(h > 0 && w > 0, "input: H and W must be positive")?;
        require(self.pixel_scale > 0.0, "pixel_scale: must be positive")?;
        require(self.std.iter().all(|&s| s > 0.0), "std: must be positive")?;
        require(is_sha256(&self.sha256), "sha256: must be 64 hex digits")?;
        let role = match purpose {
            Purpose::Depth => Role::Depth,
            Purpose::Classifier => Role::Classifier(self.classifier()?),
        };
        Ok(ModelSpec {
            name: self.name,
            model: CheckedFile {
                file: self.file,
                sha256: self.sha256,
            },
            role,
            fixture,
            input: self.input,
            pixel_scale: self.pixel_scale,
            mean: self.mean,
            std: self.std,
        })
    }

    /// A classifier's own fields.
    fn classifier(&self) -> Result<ClassifierSpec, &'static str> {
        let output = self
            .output
            .ok_or("output: missing (\"softmax2\" or \"sigmoid1\")")?;
        let threshold = self.threshold.ok_or("threshold: missing")?;
        require(
            (0.0..=1.0).contains(&threshold),
            "threshold: must be in [0, 1]",
        )?;
        let uncertain = self
            .uncertain
            .filter(|&[lo, hi]| (0.0..=1.0).contains(&lo) && lo <= hi && hi <= 1.0)
            .ok_or("uncertain: must be [low, high] within [0, 1]")?;
        let labels: [String; 2] = self
            .labels
            .clone()
            .try_into()
            .map_err(|_| "labels: must name two classes")?;
        let temperature = self.temperature.unwrap_or(1.0);
        let prior_shift = self.prior_shift.unwrap_or(0.0);
        require(
            temperature > 0.0 && temperature.is_finite() && prior_shift.is_finite(),
            "temperature: must be positive (and prior_shift finite)",
        )?;
        let cam = match (
            self.features_output,
            &self.cam_weights,
            &self.cam_weights_sha256,
        ) {
            (Some(features_output), Some(file), Some(sha256)) => Some(CamSpec {
                features_output,
                weights: CheckedFile {
                    file: file.clone(),
                    sha256: sha256.clone(),
                },
            }),
            (None, None, None) => None,
            _ => return Err("features_output, cam_weights and cam_weights_sha256 go together"),
        };
        let ood = match (&self.ood_stats, &self.ood_stats_sha256, self.ood_threshold) {
            (Some(file), Some(sha256), Some(threshold)) if cam.is_some() => Some(OodSpec {
                stats: CheckedFile {
                    file: file.clone(),
                    sha256: sha256.clone(),
                },
                threshold,
                upside_down_margin: self.upside_down_margin,
            }),
            (None, None, None) => None,
            _ => return Err(
                "ood_stats, ood_stats_sha256 and ood_threshold go together, with features_output",
            ),
        };
        require(
            self.upside_down_margin
                .is_none_or(|m| ood.is_some() && m.is_finite()),
            "upside_down_margin: needs ood_stats, and must be a number",
        )?;
        Ok(ClassifierSpec {
            output,
            labels,
            threshold,
            uncertain,
            temperature,
            prior_shift,
            cam,
            ood,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    model: Vec<RawModel>,
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
        Manifest::parse(&text, path)
    }

    /// Checks the manifest text `text`, as if read from `path` (model files
    /// resolve against its folder).
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ModelError> {
        let bad = |message: String| ModelError::Manifest {
            path: path.to_path_buf(),
            message,
        };
        let file: ManifestFile =
            toml::from_str(text).map_err(|e| bad(e.message().replace('\n', " ")))?;
        let models = file
            .model
            .into_iter()
            .map(|raw| {
                let name = raw.name.clone();
                raw.parse()
                    .map_err(|message| bad(format!("model {name:?}: {message}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Manifest {
            path: path.to_path_buf(),
            models,
        })
    }

    /// The first real (not fixture) model for `purpose`.
    pub fn find(&self, purpose: Purpose) -> Option<&ModelSpec> {
        self.models
            .iter()
            .find(|m| !m.fixture && m.role.purpose() == purpose)
    }

    /// The model to use for `role`: the first real one, else (only when
    /// `allow_fixture`) the first fixture standing in for it.
    pub fn select(&self, role: Purpose, allow_fixture: bool) -> Result<&ModelSpec, ModelError> {
        let fixture = self
            .models
            .iter()
            .find(|m| m.fixture && m.role.purpose() == role);
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
