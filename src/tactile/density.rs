//! The density relief: a height field made from the radiograph itself, for
//! when no depth network is installed.
//!
//! On a radiograph, brightness is how much tissue absorbed the beam: ribs,
//! spine, heart and consolidated lung are bright, aerated lung is dark. Raising
//! what is dense turns the lung fields into valleys bounded by the ridges of
//! the ribs, with the heart and mediastinum as a plateau between them; a
//! consolidation becomes a raised patch inside a valley.
//!
//! Steps, on the 224x224 grid:
//! 1. **Gaussian smoothing**, sigma = [`SMOOTHING_SIGMA`] pixels: removes film
//!    grain, quantum noise and JPEG blocking, which the equalisation below
//!    would otherwise amplify into pins that buzz under the finger.
//! 2. **Percentile stretch** from the [`STRETCH_LOW`] to the [`STRETCH_HIGH`]
//!    quantile to [0, 1]: burned-in labels, collimator edges and markers are
//!    the extremes of a radiograph; clipping them gives the anatomy the range.
//! 3. **CLAHE** (contrast-limited adaptive histogram equalisation, Zuiderveld
//!    1994) on [`CLAHE_TILES`] x [`CLAHE_TILES`] tiles with clip limit
//!    [`CLAHE_CLIP`] x the mean bin count: brings out ribs and lung markings
//!    in every region, whatever the exposure; the clip keeps noise in flat
//!    regions from being stretched to full height.
//! 4. **Blend**: [`LOCAL_WEIGHT`] of the equalised image plus the rest of the
//!    stretched one. Equalisation alone flattens the large shapes (dark lungs
//!    versus bright mediastinum) that orient the finger; the stretched image
//!    alone hides the ribs. The blend keeps both.
//! 5. **Min-max normalisation** to [0, 1].
//!
//! CLAHE and the stretch are written here rather than taken from an image
//! crate: they run on f32 heights with no 8-bit rounding in between, and
//! their result is defined by this file and its tests.

use crate::imaging::normalise;
use crate::imaging::resample::gaussian_blur;

/// Standard deviation of the smoothing, in pixels of the 224 grid.
pub const SMOOTHING_SIGMA: f64 = 1.0;
/// Lower quantile of the stretch.
pub const STRETCH_LOW: f64 = 0.01;
/// Upper quantile of the stretch.
pub const STRETCH_HIGH: f64 = 0.99;
/// Tiles per side for CLAHE (28-pixel tiles on the 224 grid).
pub const CLAHE_TILES: usize = 8;
/// Clip limit of CLAHE, as a multiple of the mean histogram bin count.
pub const CLAHE_CLIP: f64 = 2.0;
/// Share of the locally equalised image in the relief.
pub const LOCAL_WEIGHT: f32 = 0.5;

const BINS: usize = 256;

/// The density relief of a square `size x size` grid of intensities in [0, 1].
pub fn density_relief(grid: &[f32], size: usize) -> Vec<f32> {
    let smooth = gaussian_blur(grid, size, size, SMOOTHING_SIGMA);
    let global = percentile_stretch(&smooth, STRETCH_LOW, STRETCH_HIGH);
    let local = clahe(&global, size, size, CLAHE_TILES, CLAHE_CLIP);
    let blended: Vec<f32> = global
        .iter()
        .zip(&local)
        .map(|(g, l)| (1.0 - LOCAL_WEIGHT) * g + LOCAL_WEIGHT * l)
        .collect();
    normalise(&blended)
}

/// Maps the `low` quantile to 0 and the `high` quantile to 1, clamping.
pub fn percentile_stretch(values: &[f32], low: f64, high: f64) -> Vec<f32> {
    if values.is_empty() {
        return Vec::new();
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f32::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize];
    let (lo, hi) = (at(low), at(high));
    if hi <= lo {
        return normalise(values);
    }
    values
        .iter()
        .map(|v| ((v - lo) / (hi - lo)).clamp(0.0, 1.0))
        .collect()
}

/// Contrast-limited adaptive histogram equalisation of values in [0, 1].
///
/// Each tile gets a clipped-histogram equalisation mapping (the excess above
/// the clip is spread evenly over all bins); every pixel is mapped by the
/// bilinear blend of the mappings of the four nearest tile centres.
pub fn clahe(values: &[f32], width: usize, height: usize, tiles: usize, clip: f64) -> Vec<f32> {
    let bin = |v: f32| ((v.clamp(0.0, 1.0) * (BINS - 1) as f32).round()) as usize;
    let tile_bounds = |t: usize, len: usize| (t * len / tiles, (t + 1) * len / tiles);

    // One cumulative mapping per tile, row-major over tiles.
    let mut maps = Vec::with_capacity(tiles * tiles);
    for ty in 0..tiles {
        let (y0, y1) = tile_bounds(ty, height);
        for tx in 0..tiles {
            let (x0, x1) = tile_bounds(tx, width);
            let mut hist = [0f64; BINS];
            for y in y0..y1 {
                for &v in &values[y * width + x0..y * width + x1] {
                    hist[bin(v)] += 1.0;
                }
            }
            let count = ((y1 - y0) * (x1 - x0)).max(1) as f64;
            let limit = (clip * count / BINS as f64).max(1.0);
            let excess: f64 = hist.iter().map(|h| (h - limit).max(0.0)).sum();
            let mut cumulative = 0.0;
            let map: Vec<f32> = hist
                .iter()
                .map(|&h| {
                    cumulative += h.min(limit) + excess / BINS as f64;
                    (cumulative / count) as f32
                })
                .collect();
            maps.push(map);
        }
    }

    // Position of a pixel between tile centres: lower tile index and weight
    // of the upper one; pixels outside the outer centres use the edge tile.
    let locate = |p: usize, len: usize| {
        let f = (p as f32 + 0.5) * tiles as f32 / len as f32 - 0.5;
        let f = f.clamp(0.0, (tiles - 1) as f32);
        let lower = (f.floor() as usize).min(tiles - 1);
        let upper = (lower + 1).min(tiles - 1);
        (lower, upper, f - lower as f32)
    };
    let mut out = vec![0f32; values.len()];
    for y in 0..height {
        let (ty0, ty1, wy) = locate(y, height);
        for x in 0..width {
            let (tx0, tx1, wx) = locate(x, width);
            let b = bin(values[y * width + x]);
            let m = |ty: usize, tx: usize| maps[ty * tiles + tx][b];
            let top = m(ty0, tx0) * (1.0 - wx) + m(ty0, tx1) * wx;
            let bottom = m(ty1, tx0) * (1.0 - wx) + m(ty1, tx1) * wx;
            out[y * width + x] = top * (1.0 - wy) + bottom * wy;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretch_clips_outliers_and_spans_the_range() {
        let mut values: Vec<f32> = (0..100).map(|i| 0.4 + 0.002 * i as f32).collect();
        values[0] = 0.0; // a burned-in marker
        values[99] = 1.0;
        let out = percentile_stretch(&values, 0.01, 0.99);
        assert_eq!(out[0], 0.0);
        assert_eq!(out[99], 1.0);
        assert!(out[50] > 0.4 && out[50] < 0.6, "{}", out[50]);
    }

    #[test]
    fn clahe_raises_local_contrast_of_a_dim_region() {
        // Left half dim with faint stripes, right half bright and flat.
        let (w, h) = (64, 64);
        let values: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if x < w / 2 {
                    0.1 + if y % 4 < 2 { 0.04 } else { 0.0 }
                } else {
                    0.9
                }
            })
            .collect();
        let stripe = |v: &[f32]| (v[8 * w + 5] - v[10 * w + 5]).abs();
        // A high clip is nearly plain equalisation: the faint stripes are stretched...
        let out = clahe(&values, w, h, 4, 40.0);
        assert!(
            stripe(&out) > 3.0 * stripe(&values),
            "{} vs {}",
            stripe(&out),
            stripe(&values)
        );
        // ...and the clip limit holds that stretch back.
        let clipped = clahe(&values, w, h, 4, 2.0);
        assert!(
            stripe(&clipped) < stripe(&out),
            "{} vs {}",
            stripe(&clipped),
            stripe(&out)
        );
        assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn relief_is_normalised() {
        let grid: Vec<f32> = (0..32 * 32)
            .map(|i| ((i * 7919) % 101) as f32 / 100.0)
            .collect();
        let relief = density_relief(&grid, 32);
        let max = relief.iter().cloned().fold(0.0, f32::max);
        let min = relief.iter().cloned().fold(1.0, f32::min);
        assert_eq!((min, max), (0.0, 1.0));
    }
}
