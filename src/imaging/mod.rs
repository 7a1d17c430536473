//! The shared leaf under [`crate::infer`] and [`crate::tactile`]: resampling
//! of f32 grids and the [`Relief`] both of them make and read. Nothing here
//! knows about networks, pins or hardware.
//!
//! The resampling is hand-written rather than taken from `image` or
//! `fast_image_resize` because its bilinear taps must be Pillow's
//! (`Image.resize(BILINEAR)`, antialiased when shrinking): the Python
//! training code sees exactly the grid the appliance computes.

pub mod npy;
pub mod resample;

use serde::Serialize;

/// Side of the square grid every relief lives on, as in the paper (and the
/// classifier's input).
pub const RELIEF_SIZE: usize = 224;

/// Where a relief's heights came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepthSource {
    /// The radiograph's own density, enhanced
    /// ([`crate::tactile::density_relief`]).
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
    /// Side of the grid ([`RELIEF_SIZE`]).
    pub fn size(&self) -> usize {
        RELIEF_SIZE
    }
}

/// Min-max normalisation to [0, 1]; a constant input becomes all zeros.
pub fn normalise(values: &[f32]) -> Vec<f32> {
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let span = hi - lo;
    values
        .iter()
        .map(|v| if span > 0.0 { (v - lo) / span } else { 0.0 })
        .collect()
}
