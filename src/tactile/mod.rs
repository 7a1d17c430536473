//! From a scan to what the finger feels: the [`Relief`] (a height field in
//! [0, 1]), the paper's three [`Representations`], and the [`PinFrame`] a
//! display raises.
//!
//! Pure functions of owned values: no hardware, no files, no printing.

pub mod braille;
mod contour;
mod density;
pub mod features;
mod frame;
pub mod layout;
mod representations;
pub mod resample;

pub use contour::{segments, Segment};
pub use density::{
    clahe, density_relief, normalise, percentile_stretch, CLAHE_CLIP, CLAHE_TILES, LOCAL_WEIGHT,
    SMOOTHING_SIGMA, STRETCH_HIGH, STRETCH_LOW,
};
pub use features::Features;
pub use frame::{letterbox, quantise, Geometry, GeometryError, PinFrame, PinHeight};
pub use representations::{
    representations, Representations, CONTOUR_LEVELS, CONTOUR_SMOOTHING_SIGMA,
};

use serde::Serialize;

use crate::scan::Scan;

/// Side of the square grid every relief lives on, as in the paper (and the
/// classifier's input).
pub const RELIEF_SIZE: usize = 224;

/// Where a relief's heights came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepthSource {
    /// The radiograph's own density, enhanced (see [`density_relief`]).
    Density,
    /// The MiDaS depth network.
    Midas,
}

/// A height field in [0, 1] on a [`RELIEF_SIZE`] square grid (1 = raised,
/// near, dense), with the aspect ratio of the scan it stands for, so that
/// displays can show it undistorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Relief {
    /// `RELIEF_SIZE * RELIEF_SIZE` heights, row-major.
    pub heights: Vec<f32>,
    /// Width / height of the original scan.
    pub aspect: f32,
    /// What made the heights.
    pub source: DepthSource,
}

impl Relief {
    /// The density relief of a scan: bilinear resize to 224x224 (as in the
    /// paper), then [`density_relief`].
    pub fn density(scan: &Scan) -> Relief {
        let grid = resample::resize_bilinear(
            &scan.pixels,
            scan.width as usize,
            scan.height as usize,
            (RELIEF_SIZE, RELIEF_SIZE),
        );
        Relief {
            heights: density_relief(&grid, RELIEF_SIZE),
            aspect: scan.aspect(),
            source: DepthSource::Density,
        }
    }

    /// Side of the grid ([`RELIEF_SIZE`]).
    pub fn size(&self) -> usize {
        RELIEF_SIZE
    }
}
