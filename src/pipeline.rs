//! One scan through the whole flow: load, classify, relief (MiDaS or
//! density), features, representations, pin frame, each stage timed.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::infer::classifier::{Analysis, Classifier};
use crate::infer::depth::{DepthChoice, DepthNet};
use crate::infer::manifest::{Manifest, ModelError, Purpose};
use crate::scan::{self, Scan, ScanError, ScanSource};
use crate::tactile::layout::{compose, Screen};
use crate::tactile::{representations, Features, Geometry, PinFrame, Relief, Representations};

/// The networks a render may use; with none, the relief is the density
/// relief and there is no verdict.
#[derive(Debug, Clone, Default)]
pub struct Networks {
    /// The pneumonia classifier.
    pub classifier: Option<Classifier>,
    /// The MiDaS depth network.
    pub depth: Option<DepthNet>,
}

/// The scan as reported: its size and technical source facts, no pixels and
/// no patient data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Format, modality, transfer syntax, bits, intensity mapping.
    #[serde(flatten)]
    pub source: ScanSource,
}

impl From<&Scan> for ScanInfo {
    fn from(scan: &Scan) -> Self {
        ScanInfo {
            width: scan.width,
            height: scan.height,
            source: scan.source.clone(),
        }
    }
}

impl Networks {
    /// The networks of `models/manifest.toml` as the appliance uses them: a
    /// classifier that fails to load gives no verdicts (a warning says why;
    /// the relief is still shown); the relief follows `depth`, where `Auto`
    /// falls back to the density relief with a warning and `Midas` fails.
    /// Fixtures are used only when `allow_fixture`.
    pub fn load(
        models: &Path,
        depth: DepthChoice,
        allow_fixture: bool,
    ) -> Result<(Networks, Vec<String>), ModelError> {
        let manifest = models.join("manifest.toml");
        let mut warnings = Vec::new();
        let wants_classifier = manifest.is_file()
            && Manifest::read(&manifest)
                .map(|m| m.select(Purpose::Classifier, allow_fixture).is_ok())
                .unwrap_or(true);
        let classifier = if wants_classifier {
            Classifier::load(&manifest, allow_fixture)
                .map_err(|e| warnings.push(format!("{e}; no verdict")))
                .ok()
        } else {
            None
        };
        let depth = load_depth(models, depth, allow_fixture, &mut warnings)?;
        Ok((Networks { classifier, depth }, warnings))
    }
}

/// The depth network of `models/manifest.toml` for `choice`, as
/// [`Networks::load`] picks it (a failure under `Auto` is a warning).
pub fn load_depth(
    models: &Path,
    choice: DepthChoice,
    allow_fixture: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<DepthNet>, ModelError> {
    match DepthNet::for_choice(choice, &models.join("manifest.toml"), allow_fixture) {
        Ok(net) => Ok(net),
        Err(e) if choice == DepthChoice::Auto => {
            warnings.push(format!("{e}; density relief instead"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Reading and decoding the file.
    pub load: f64,
    /// The classifier (0 without one).
    pub classify: f64,
    /// Making the 224x224 relief (the depth network, or the density relief).
    pub relief: f64,
    /// The texture features.
    pub features: f64,
    /// Grayscale, contour and heightmap images.
    pub representations: f64,
    /// Laying out, downsampling and quantising to pins.
    pub frame: f64,
    /// All of the above.
    pub total: f64,
}

/// Everything one render produces.
#[derive(Debug, Clone)]
pub struct Rendering {
    /// What was loaded.
    pub scan: ScanInfo,
    /// The height field.
    pub relief: Relief,
    /// Why the depth network gave no relief (the density relief stands in).
    pub depth_error: Option<String>,
    /// The texture features of the relief.
    pub features: Features,
    /// The paper's three representations.
    pub representations: Representations,
    /// The pins to raise: the default [`Screen`] (whole scan, heightmap,
    /// label and indicator).
    pub frame: PinFrame,
    /// What the classifier said, if one ran; why it could not, if it failed.
    pub analysis: Option<Result<Analysis, String>>,
    /// Time per stage.
    pub timings: Timings,
}

/// Loads the scan at `path` and renders it for a display of `geometry`,
/// without networks.
pub fn render(path: &Path, geometry: Geometry) -> Result<Rendering, ScanError> {
    render_with(path, geometry, &Networks::default())
}

/// As [`render`], with the networks given: the classifier's verdict on the
/// label and indicator, the depth network's relief.
pub fn render_with(
    path: &Path,
    geometry: Geometry,
    networks: &Networks,
) -> Result<Rendering, ScanError> {
    let start = Instant::now();
    let scan = scan::load(path)?;
    let load = ms_since(start);
    let mut rendering = render_scan(&scan, geometry, networks);
    rendering.timings.load = load;
    rendering.timings.total = ms_since(start);
    Ok(rendering)
}

/// Renders an already loaded scan (load time reported as 0). A classifier
/// that fails leaves the verdict out (the relief is still shown) and its
/// error in [`Rendering::analysis`]; a depth network that fails leaves the
/// density relief and its error in [`Rendering::depth_error`].
pub fn render_scan(scan: &Scan, geometry: Geometry, networks: &Networks) -> Rendering {
    let start = Instant::now();
    let analysis = networks
        .classifier
        .as_ref()
        .map(|c| c.analyse(scan).map_err(|e: ModelError| e.to_string()));
    let classify_ms = ms_since(start);
    let screen = Screen {
        finding: analysis
            .as_ref()
            .and_then(|a| a.as_ref().ok())
            .map(Analysis::finding),
        ..Screen::default()
    };
    let start = Instant::now();
    let (relief, depth_error) = make_relief(scan, networks.depth.as_ref());
    let relief_ms = ms_since(start);

    let t = Instant::now();
    let features = Features::of(&relief);
    let features_ms = ms_since(t);

    let t = Instant::now();
    let representations = representations(&relief);
    let representations_ms = ms_since(t);

    let t = Instant::now();
    let frame = compose(&relief, &representations, &screen, geometry);
    let frame_ms = ms_since(t);

    Rendering {
        scan: ScanInfo::from(scan),
        relief,
        depth_error,
        features,
        representations,
        frame,
        analysis,
        timings: Timings {
            load: 0.0,
            classify: classify_ms,
            relief: relief_ms,
            features: features_ms,
            representations: representations_ms,
            frame: frame_ms,
            total: classify_ms + ms_since(start),
        },
    }
}

/// The relief of `scan`: the depth network's, or the density relief
/// without one or when it fails (with its error).
pub fn make_relief(scan: &Scan, depth: Option<&DepthNet>) -> (Relief, Option<String>) {
    match depth.map(|d| d.relief(scan)) {
        Some(Ok(relief)) => (relief, None),
        Some(Err(e)) => (Relief::density(scan), Some(e.to_string())),
        None => (Relief::density(scan), None),
    }
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}
