//! The paper's texture features of a relief, defined so that anyone can
//! recompute them with numpy / SciPy / scikit-image on the 224x224 relief
//! `r` in [0, 1] (`models/tools/features.py` holds those definitions, and
//! the tests compare against its output within 1e-4 relative):
//!
//! - `depth_std`: `numpy.std(r)` (population, ddof = 0).
//! - `depth_entropy`: Shannon entropy in bits of
//!   `numpy.histogram(r, bins=256, range=(0, 1))`, over the non-empty bins.
//! - `edge_total`: `numpy.hypot(gx, gy).sum()` with
//!   `gx = scipy.ndimage.sobel(r, axis=1)`, `gy = scipy.ndimage.sobel(r,
//!   axis=0)` (unnormalised 3x3 kernels, borders mode `reflect`).
//! - `lbp_hist`: `skimage.feature.local_binary_pattern(u8, P=8, R=1,
//!   method='uniform')` on `u8 = round(r * 255)`, histogram of its 10 codes
//!   normalised to sum 1.
//!
//! Sums are taken in f64, so the values are at least as exact as numpy's.

use serde::Serialize;

use super::Relief;

/// Neighbours of the LBP.
pub const LBP_POINTS: usize = 8;
/// Codes of the uniform LBP: 0..=P for uniform patterns, P + 1 for the rest.
pub const LBP_CODES: usize = LBP_POINTS + 2;
/// Bins of the depth histogram.
pub const ENTROPY_BINS: usize = 256;

/// The texture features of one relief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Features {
    /// Population standard deviation of the heights.
    pub depth_std: f64,
    /// Entropy of the 256-bin height histogram, in bits.
    pub depth_entropy: f64,
    /// Sum of the Sobel gradient magnitude over all pixels.
    pub edge_total: f64,
    /// Share of each uniform LBP code (P = 8, R = 1), summing to 1.
    pub lbp_hist: [f64; LBP_CODES],
}

impl Features {
    /// The features of `relief`.
    pub fn of(relief: &Relief) -> Features {
        let (r, side) = (&relief.heights, relief.size());
        Features {
            depth_std: depth_std(r),
            depth_entropy: depth_entropy(r),
            edge_total: edge_total(r, side, side),
            lbp_hist: lbp_hist(r, side, side),
        }
    }
}

/// `numpy.std(r)`.
pub fn depth_std(r: &[f32]) -> f64 {
    let n = r.len().max(1) as f64;
    let mean = r.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = r
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    var.sqrt()
}

/// Entropy in bits of `numpy.histogram(r, bins=256, range=(0, 1))`: the
/// bin of `v` is `floor(v * 256)`, 1.0 joining the last bin; values outside
/// [0, 1] (and NaN) are not counted, as in numpy.
pub fn depth_entropy(r: &[f32]) -> f64 {
    let mut counts = [0u64; ENTROPY_BINS];
    for &v in r.iter().filter(|v| (0.0..=1.0).contains(*v)) {
        // v * 256 is exact in f32, so the bin edges fall where numpy's do.
        counts[((v * ENTROPY_BINS as f32) as usize).min(ENTROPY_BINS - 1)] += 1;
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// scipy's `reflect` border: the edge sample repeated (d c b a | a b c d).
fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let i = if i < 0 { -i - 1 } else { i };
    (if i >= n { 2 * n - i - 1 } else { i }).clamp(0, n - 1) as usize
}

/// Sum over all pixels of `hypot(sobel(r, axis=1), sobel(r, axis=0))`.
pub fn edge_total(r: &[f32], width: usize, height: usize) -> f64 {
    let at = |x: isize, y: isize| f64::from(r[reflect(y, height) * width + reflect(x, width)]);
    let mut total = 0.0;
    for y in 0..height as isize {
        for x in 0..width as isize {
            // Derivative [-1, 0, 1] along one axis, smoothing [1, 2, 1] along the other.
            let gx = (at(x + 1, y - 1) - at(x - 1, y - 1))
                + 2.0 * (at(x + 1, y) - at(x - 1, y))
                + (at(x + 1, y + 1) - at(x - 1, y + 1));
            let gy = (at(x - 1, y + 1) - at(x - 1, y - 1))
                + 2.0 * (at(x, y + 1) - at(x, y - 1))
                + (at(x + 1, y + 1) - at(x + 1, y - 1));
            total += gx.hypot(gy);
        }
    }
    total
}

/// `round(r * 255)` as numpy does it: in f32, ties to even.
pub fn to_u8(r: &[f32]) -> Vec<u8> {
    r.iter()
        .map(|&v| (v * 255.0).round_ties_even().clamp(0.0, 255.0) as u8)
        .collect()
}

/// The uniform LBP histogram of `round(r * 255)`, normalised.
pub fn lbp_hist(r: &[f32], width: usize, height: usize) -> [f64; LBP_CODES] {
    let codes = lbp_uniform(&to_u8(r), width, height);
    let mut hist = [0f64; LBP_CODES];
    for c in &codes {
        hist[usize::from(*c)] += 1.0;
    }
    let n = codes.len().max(1) as f64;
    hist.map(|h| h / n)
}

/// scikit-image's `local_binary_pattern(image, 8, 1, 'uniform')`, step for
/// step in f64 so that ties between a neighbour and the centre fall the
/// same way: neighbour `i` sits at `(-sin, cos)(2 pi i / P)` rounded to 5
/// decimals, read by bilinear interpolation with 0 outside the image; a
/// neighbour at or above the centre is a 1; a pattern with at most two
/// 0/1 changes along the (open, not wrapped) sequence is coded by its
/// count of 1s, any other by P + 1.
pub fn lbp_uniform(image: &[u8], width: usize, height: usize) -> Vec<u8> {
    let offsets: Vec<(f64, f64)> = (0..LBP_POINTS)
        .map(|i| {
            let angle = 2.0 * std::f64::consts::PI * i as f64 / LBP_POINTS as f64;
            (round5(-angle.sin()), round5(angle.cos()))
        })
        .collect();
    // floor/ceil and the fraction of `row + dr` depend on the row alone
    // (and likewise for columns), so they are computed once per row/column
    // and offset, with the same f64 operations scikit-image does per pixel.
    let corners = |n: usize, d: f64| -> Vec<(i64, i64, f64)> {
        (0..n)
            .map(|i| {
                let v = i as f64 + d;
                let (lo, hi) = (v.floor(), v.ceil());
                (lo as i64, hi as i64, v - lo)
            })
            .collect()
    };
    let rows: Vec<_> = offsets.iter().map(|&(dr, _)| corners(height, dr)).collect();
    let cols: Vec<_> = offsets.iter().map(|&(_, dc)| corners(width, dc)).collect();
    let pixel = |r: i64, c: i64| -> f64 {
        if r < 0 || c < 0 || r >= height as i64 || c >= width as i64 {
            0.0
        } else {
            f64::from(image[r as usize * width + c as usize])
        }
    };
    let mut out = Vec::with_capacity(width * height);
    for row in 0..height {
        for col in 0..width {
            let centre = f64::from(image[row * width + col]);
            let mut bits = [false; LBP_POINTS];
            for (k, bit) in bits.iter_mut().enumerate() {
                let (minr, maxr, fr) = rows[k][row];
                let (minc, maxc, fc) = cols[k][col];
                let top = (1.0 - fc) * pixel(minr, minc) + fc * pixel(minr, maxc);
                let bottom = (1.0 - fc) * pixel(maxr, minc) + fc * pixel(maxr, maxc);
                let value = (1.0 - fr) * top + fr * bottom;
                *bit = value - centre >= 0.0;
            }
            let changes = bits.windows(2).filter(|w| w[0] != w[1]).count();
            out.push(if changes <= 2 {
                bits.iter().filter(|&&b| b).count() as u8
            } else {
                (LBP_POINTS + 1) as u8
            });
        }
    }
    out
}

/// `numpy.round(v, 5)`: numpy scales, rounds half to even, and unscales.
fn round5(v: f64) -> f64 {
    (v * 1e5).round_ties_even() / 1e5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_relief_has_no_spread_no_edges_and_one_bin() {
        let r = vec![0.5f32; 16 * 16];
        assert_eq!(depth_std(&r), 0.0);
        assert_eq!(depth_entropy(&r), 0.0);
        assert_eq!(edge_total(&r, 16, 16), 0.0);
        let hist = lbp_hist(&r, 16, 16);
        assert!((hist.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn two_equal_halves_have_one_bit_of_entropy() {
        let r: Vec<f32> = (0..100).map(|i| if i < 50 { 0.0 } else { 1.0 }).collect();
        assert!((depth_entropy(&r) - 1.0).abs() < 1e-12);
        assert!((depth_std(&r) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_vertical_step_gives_sobel_edges_only_along_it() {
        // 4 x 3, step between columns 1 and 2: |gx| = 4 on both sides of it.
        let r = [0., 0., 1., 1., 0., 0., 1., 1., 0., 0., 1., 1.];
        assert_eq!(edge_total(&r, 4, 3), 4.0 * 2.0 * 3.0);
    }

    #[test]
    fn reflect_repeats_the_edge_sample() {
        assert_eq!(
            [-2, -1, 0, 3, 4, 5].map(|i| reflect(i, 4)),
            [1, 0, 0, 3, 3, 2]
        );
    }

    #[test]
    fn a_single_bright_pixel_is_a_spot_and_its_neighbours_are_edges() {
        let mut image = vec![10u8; 5 * 5];
        image[12] = 200;
        let codes = lbp_uniform(&image, 5, 5);
        assert_eq!(codes[12], 0, "all neighbours below the centre");
        assert!(codes.iter().all(|&c| c as usize <= LBP_POINTS + 1));
    }
}
