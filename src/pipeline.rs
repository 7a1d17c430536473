//! One scan through the whole flow without models: load, relief,
//! representations, pin frame, each stage timed.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

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
    /// Time per stage.
    pub timings: Timings,
}

/// Loads the scan at `path` and renders it for a display of `geometry`.
pub fn render(path: &Path, geometry: Geometry) -> Result<Rendering, ScanError> {
    let start = Instant::now();
    let scan = scan::load(path)?;
    let load = ms_since(start);
    let mut rendering = render_scan(&scan, geometry);
    rendering.timings.load = load;
    rendering.timings.total = ms_since(start);
    Ok(rendering)
}

/// Renders an already loaded scan (load time reported as 0).
pub fn render_scan(scan: &Scan, geometry: Geometry) -> Rendering {
    let start = Instant::now();
    let relief = Relief::density(scan);
    let relief_ms = ms_since(start);

    let t = Instant::now();
    let representations = representations(&relief);
    let representations_ms = ms_since(t);

    let t = Instant::now();
    let frame = compose(&relief, &representations, &Screen::default(), geometry);
    let frame_ms = ms_since(t);

    Rendering {
        scan: ScanInfo::from(scan),
        relief,
        representations,
        frame,
        timings: Timings {
            load: 0.0,
            relief: relief_ms,
            representations: representations_ms,
            frame: frame_ms,
            total: ms_since(start),
        },
    }
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}
