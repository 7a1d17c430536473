//! The paper's three tactile representations of a relief, as 8-bit images on
//! the relief's 224x224 grid: grayscale, contours and heightmap; where the
//! classifier gave one, its class-activation map over the relief; and the
//! film's [`Reading`] (its anatomy) for the reading views.

use image::{GrayImage, Luma};

use super::anatomy::{Anatomy, AnatomyProblem};
use super::contour::segments;
use super::density::percentile_stretch;
use super::reading::{opaque, Reading};
use super::{Mask, Relief, RELIEF_SIZE};
use crate::finding::{Finding, Verdict};
use crate::imaging::resample::{gaussian_blur, resize_bilinear};

/// Relief heights at which iso-lines are drawn: four evenly spaced levels,
/// so that a finger following the lines crosses at most four rings between
/// the deepest lung field and the highest ridge.
pub const CONTOUR_LEVELS: [f32; 4] = [0.2, 0.4, 0.6, 0.8];

/// Smoothing (pixels of the 224 grid) before contouring: rings narrower than
/// about a pin (224 / 40 ~ 5.6 pixels) cannot be followed by a finger, and
/// without it noise draws hundreds of them.
pub const CONTOUR_SMOOTHING_SIGMA: f64 = 2.0;

/// Quantiles between which the grayscale view is stretched.
const GRAYSCALE_STRETCH: (f64, f64) = (0.02, 0.98);

/// The three representations of one relief.
#[derive(Debug, Clone)]
pub struct Representations {
    /// For sighted helpers: the relief stretched between its 2nd and 98th
    /// percentiles, bright = near. Shows what the finger gets, with contrast.
    pub grayscale: GrayImage,
    /// Iso-lines at [`CONTOUR_LEVELS`] of the relief smoothed by
    /// [`CONTOUR_SMOOTHING_SIGMA`], white on black.
    pub contour: GrayImage,
    /// The data product: `round(relief * 255)`, no stretch.
    pub heightmap: GrayImage,
    /// "Where the model looked", where a classifier gave a map: the
    /// relief at half height, and the map's hot zone (at least
    /// `CAM_HOT`) raised above all of it. See [`Representations::with_cam`].
    pub cam: Option<GrayImage>,
    /// The film and its anatomy, for the anatomy and opacity views.
    pub reading: Reading,
}

/// Class-activation values from which the CAM view raises a zone: the top
/// half of the map, a region a fingertip can find rather than a speckle.
pub const CAM_HOT: f32 = 0.5;

impl Representations {
    /// Adds the CAM view from a class-activation map of `width x height`
    /// (values in [0, 1] over the whole scan, as the relief is).
    pub fn with_cam(mut self, relief: &Relief, cam: &[f32], width: usize, height: usize) -> Self {
        let grid = resize_bilinear(cam, width, height, (RELIEF_SIZE, RELIEF_SIZE));
        let size = RELIEF_SIZE as u32;
        self.cam = Some(GrayImage::from_fn(size, size, |x, y| {
            let i = (y * size + x) as usize;
            let v = if grid[i] >= CAM_HOT {
                1.0
            } else {
                relief.heights[i].clamp(0.0, 1.0) * 0.5
            };
            Luma([(v * 255.0).round() as u8])
        }));
        self
    }

    /// The anatomy the reading views draw for a scan with `finding`, or why
    /// there is none: not found, or a film the classifier called out of
    /// range (whatever the search found in a film unlike a chest film is
    /// not to be named as lungs).
    pub fn anatomy_for(&self, finding: Option<Finding>) -> Result<&Anatomy, AnatomyProblem> {
        if finding.is_some_and(|f| f.verdict == Verdict::OutOfRange) {
            return Err(AnatomyProblem::OutOfRange);
        }
        self.reading.anatomy.as_ref().map_err(|problem| *problem)
    }

    /// The opacity layer for `finding`'s scan: the lung areas denser than
    /// their lung's baseline, the bar lowered inside the CAM's hot zone of a
    /// pneumonia call (see [`opaque`]); `None` without an anatomy.
    pub fn opacity(&self, finding: Option<Finding>) -> Option<Mask> {
        let anatomy = self.anatomy_for(finding).ok()?;
        let pneumonia = finding.is_some_and(|f| f.verdict == Verdict::Pneumonia);
        let hot: Option<Vec<bool>> = self
            .cam
            .as_ref()
            .filter(|_| pneumonia)
            .map(|cam| cam.as_raw().iter().map(|&v| v == 255).collect());
        Some(opaque(anatomy, hot.as_deref()))
    }
}

/// Makes the three representations of `relief`, keeping the film's
/// `reading` beside them.
pub fn representations(relief: &Relief, reading: Reading) -> Representations {
    let size = RELIEF_SIZE as u32;
    let to_u8 = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let image_of = |values: &[f32]| {
        GrayImage::from_fn(size, size, |x, y| {
            Luma([to_u8(values[(y * size + x) as usize])])
        })
    };
    let stretched = percentile_stretch(&relief.heights, GRAYSCALE_STRETCH.0, GRAYSCALE_STRETCH.1);
    Representations {
        grayscale: image_of(&stretched),
        contour: contour_image(&relief.heights),
        heightmap: image_of(&relief.heights),
        cam: None,
        reading,
    }
}

fn contour_image(heights: &[f32]) -> GrayImage {
    let size = RELIEF_SIZE as u32;
    let smooth = gaussian_blur(heights, RELIEF_SIZE, RELIEF_SIZE, CONTOUR_SMOOTHING_SIGMA);
    let mut image = GrayImage::new(size, size);
    for level in CONTOUR_LEVELS {
        for ((r0, c0), (r1, c1)) in segments(&smooth, RELIEF_SIZE, RELIEF_SIZE, level) {
            // Segments are under 1.5 pixels long: three samples cover them.
            for t in [0.0, 0.5, 1.0] {
                let x = (c0 + (c1 - c0) * t).round() as u32;
                let y = (r0 + (r1 - r0) * t).round() as u32;
                if x < size && y < size {
                    image.put_pixel(x, y, Luma([255]));
                }
            }
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::super::DepthSource;
    use super::*;

    fn ramp() -> Relief {
        let n = RELIEF_SIZE;
        Relief {
            heights: (0..n * n)
                .map(|i| (i % n) as f32 / (n - 1) as f32)
                .collect(),
            aspect: 1.0,
            source: DepthSource::Density,
        }
    }

    #[test]
    fn heightmap_is_the_relief_in_eight_bits() {
        let reps = representations(
            &ramp(),
            Reading::of_film(vec![0.5; RELIEF_SIZE * RELIEF_SIZE]),
        );
        assert_eq!(reps.heightmap.get_pixel(0, 5).0[0], 0);
        assert_eq!(reps.heightmap.get_pixel(223, 5).0[0], 255);
        assert_eq!(
            reps.heightmap.get_pixel(112, 5).0[0],
            (112.0f32 / 223.0 * 255.0).round() as u8
        );
    }

    #[test]
    fn contours_of_a_ramp_are_four_vertical_lines() {
        let reps = representations(
            &ramp(),
            Reading::of_film(vec![0.5; RELIEF_SIZE * RELIEF_SIZE]),
        );
        let lit: Vec<u32> = (0..224)
            .filter(|&x| reps.contour.get_pixel(x, 100).0[0] == 255)
            .collect();
        let expected: Vec<u32> = CONTOUR_LEVELS
            .iter()
            .map(|l| (l * 223.0).round() as u32)
            .collect();
        assert_eq!(lit, expected);
    }
}
