//! One scan through the whole flow without models: load, relief,
//! representations, pin frame, each stage timed.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::infer::classifier::{Analysis, Classifier};
use crate::infer::manifest::ModelError;
use crate::scan::{self, Scan, ScanError, ScanSource};
use crate::tactile::layout::{compose, Screen};
use crate::tactile::{representations, Geometry, PinFrame, Relief, Representations};

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

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Reading and decoding the file.
    pub load: f64,
    /// The classifier (0 without one).
    pub classify: f64,
    /// Resizing to 224x224 and making the relief.
    pub relief: f64,
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

/// Loads the scan at `path` and renders it for a display of `geometry`.
pub fn render(path: &Path, geometry: Geometry) -> Result<Rendering, ScanError> {
    render_with(path, geometry, None)
}

/// As [`render`], with the classifier's verdict on the label and indicator.
pub fn render_with(
    path: &Path,
    geometry: Geometry,
    classifier: Option<&Classifier>,
) -> Result<Rendering, ScanError> {
    let start = Instant::now();
    let scan = scan::load(path)?;
    let load = ms_since(start);
    let mut rendering = render_scan(&scan, geometry, classifier);
    rendering.timings.load = load;
    rendering.timings.total = ms_since(start);
    Ok(rendering)
}

/// Renders an already loaded scan (load time reported as 0). A classifier
/// that fails leaves the verdict out (the relief is still shown) and its
/// error in [`Rendering::analysis`].
pub fn render_scan(scan: &Scan, geometry: Geometry, classifier: Option<&Classifier>) -> Rendering {
    let start = Instant::now();
    let analysis = classifier.map(|c| c.analyse(scan).map_err(|e: ModelError| e.to_string()));
    let classify_ms = ms_since(start);
    let screen = Screen {
        finding: analysis
            .as_ref()
            .and_then(|a| a.as_ref().ok())
            .map(Analysis::finding),
        ..Screen::default()
    };
    let start = Instant::now();
    let relief = Relief::density(scan);
    let relief_ms = ms_since(start);

    let t = Instant::now();
    let representations = representations(&relief);
    let representations_ms = ms_since(t);

    let t = Instant::now();
    let frame = compose(&relief, &representations, &screen, geometry);
    let frame_ms = ms_since(t);

    Rendering {
        scan: ScanInfo::from(scan),
        relief,
        representations,
        frame,
        analysis,
        timings: Timings {
            load: 0.0,
            classify: classify_ms,
            relief: relief_ms,
            representations: representations_ms,
            frame: frame_ms,
            total: classify_ms + ms_since(start),
        },
    }
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}
