//! From a scan to what the finger feels: the [`Relief`] (a height field in
//! [0, 1]), the paper's three [`Representations`], and the [`PinFrame`] a
//! display raises.
//!
//! Pure functions of owned values: no hardware, no files, no printing.

pub mod anatomy;
pub mod braille;
mod contour;
pub mod cursor;
mod density;
pub mod features;
mod frame;
pub mod layout;
pub mod legibility;
mod mask;
pub mod place;
pub mod reading;
mod representations;
mod view;

pub use contour::{segments, Segment};
pub use density::{
    clahe, density_relief, percentile_stretch, CLAHE_CLIP, CLAHE_TILES, LOCAL_WEIGHT,
    SMOOTHING_SIGMA, STRETCH_HIGH, STRETCH_LOW,
};
pub use features::Features;
pub use frame::{letterbox, quantise, Geometry, GeometryError, PinFrame, PinHeight};
pub use mask::Mask;
pub use representations::{
    representations, Representations, CONTOUR_LEVELS, CONTOUR_SMOOTHING_SIGMA,
};

use crate::imaging::resample;
use crate::scan::Scan;

pub use crate::imaging::{normalise, DepthSource, Relief, RELIEF_SIZE};

/// The density relief of a scan: bilinear resize to 224x224 (as in the
/// paper), then [`density_relief`].
pub fn density_relief_of(scan: &Scan) -> Relief {
    let grid = reading::film_grid(scan);
    Relief {
        heights: density_relief(&grid, RELIEF_SIZE),
        aspect: scan.aspect(),
        source: DepthSource::Density,
    }
}
