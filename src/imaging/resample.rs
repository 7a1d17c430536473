//! Separable resampling of f32 grids: PIL-compatible bilinear resize, exact
//! area averaging, and Gaussian smoothing all run through one separable pass
//! with per-output taps.

/// The source samples one output sample reads: a contiguous window starting
/// at `start`, with weights summing to 1.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Taps {
    start: usize,
    weights: Vec<f64>,
}

impl Taps {
    fn normalised(start: usize, mut weights: Vec<f64>) -> Self {
        let total: f64 = weights.iter().sum();
        if total > 0.0 {
            weights.iter_mut().for_each(|w| *w /= total);
        }
        Taps { start, weights }
    }
}

/// Taps of a bilinear (triangle) filter from `src` to `dst` samples, exactly
/// as Pillow's `Image.resize(..., BILINEAR)` computes them: when shrinking,
/// the triangle is widened by the scale factor, so every source pixel
/// contributes (antialiasing), which is also what torchvision does on PIL
/// images. Training code in Python therefore sees the same 224x224 tensor.
pub(crate) fn bilinear_taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f64 / dst as f64;
    let filterscale = scale.max(1.0);
    let support = filterscale;
    (0..dst)
        .map(|i| {
            let center = (i as f64 + 0.5) * scale;
            // Pillow truncates with a C cast; both bounds are clamped.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64)
                .min(src as i64)
                .max(xmin as i64) as usize;
            let weights = (xmin..xmax)
                .map(|x| {
                    let t = ((x as f64 - center + 0.5) / filterscale).abs();
                    (1.0 - t).max(0.0)
                })
                .collect();
            Taps::normalised(xmin, weights)
        })
        .collect()
}

/// Taps that average exactly the part of the source each output sample
/// covers (box filter with fractional overlap at the edges).
pub(crate) fn area_taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|i| {
            let lo = i as f64 * scale;
            let hi = (i as f64 + 1.0) * scale;
            let first = lo.floor() as usize;
            let last = (hi.ceil() as usize).min(src).max(first + 1);
            let weights = (first..last)
                .map(|x| (hi.min(x as f64 + 1.0) - lo.max(x as f64)).max(0.0))
                .collect();
            Taps::normalised(first, weights)
        })
        .collect()
}

/// Taps of a Gaussian of standard deviation `sigma` samples, truncated at
/// 3 sigma; at the borders the kernel is cut and renormalised, so edges are
/// neither darkened nor mirrored.
pub(crate) fn gaussian_taps(len: usize, sigma: f64) -> Vec<Taps> {
    let radius = (3.0 * sigma).ceil() as i64;
    (0..len as i64)
        .map(|i| {
            let first = (i - radius).max(0);
            let last = (i + radius + 1).min(len as i64);
            let weights = (first..last)
                .map(|x| (-((x - i) as f64).powi(2) / (2.0 * sigma * sigma)).exp())
                .collect();
            Taps::normalised(first as usize, weights)
        })
        .collect()
}

/// Applies `x_taps` along rows, then `y_taps` along columns, to a row-major
/// `width x height` grid. The output is `x_taps.len() x y_taps.len()`.
pub(crate) fn separable(src: &[f32], width: usize, x_taps: &[Taps], y_taps: &[Taps]) -> Vec<f32> {
    let out_w = x_taps.len();
    let height = src.len().checked_div(width).unwrap_or(0);
    if height == 0 || out_w == 0 {
        return vec![0.0; out_w * y_taps.len()];
    }
    let mut rows = vec![0f32; out_w * height];
    for (src_row, out_row) in src.chunks_exact(width).zip(rows.chunks_exact_mut(out_w)) {
        for (out, taps) in out_row.iter_mut().zip(x_taps) {
            *out = dot(&src_row[taps.start..], &taps.weights, 1);
        }
    }
    let mut out = vec![0f32; out_w * y_taps.len()];
    for (y, taps) in y_taps.iter().enumerate() {
        for x in 0..out_w {
            out[y * out_w + x] = dot(&rows[taps.start * out_w + x..], &taps.weights, out_w);
        }
    }
    out
}

fn dot(samples: &[f32], weights: &[f64], stride: usize) -> f32 {
    weights
        .iter()
        .enumerate()
        .map(|(k, w)| f64::from(samples[k * stride]) * w)
        .sum::<f64>() as f32
}

/// Resizes with Pillow-compatible bilinear filtering.
pub fn resize_bilinear(src: &[f32], width: usize, height: usize, out: (usize, usize)) -> Vec<f32> {
    resize_with(bilinear_taps, src, width, height, out)
}

/// Shrinks by exact area averaging.
pub fn resize_area(src: &[f32], width: usize, height: usize, out: (usize, usize)) -> Vec<f32> {
    resize_with(area_taps, src, width, height, out)
}

fn resize_with(
    taps: fn(usize, usize) -> Vec<Taps>,
    src: &[f32],
    width: usize,
    height: usize,
    (out_w, out_h): (usize, usize),
) -> Vec<f32> {
    separable(src, width, &taps(width, out_w), &taps(height, out_h))
}

/// Gaussian smoothing with standard deviation `sigma` pixels.
pub fn gaussian_blur(src: &[f32], width: usize, height: usize, sigma: f64) -> Vec<f32> {
    gaussian_blur_xy(src, width, height, (sigma, sigma))
}

/// Gaussian smoothing with standard deviations `(across, down)` pixels.
pub fn gaussian_blur_xy(
    src: &[f32],
    width: usize,
    height: usize,
    (across, down): (f64, f64),
) -> Vec<f32> {
    separable(
        src,
        width,
        &gaussian_taps(width, across),
        &gaussian_taps(height, down),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_matches_pillow_weights_when_shrinking_by_two() {
        // Pillow, 4 -> 2: output 0 has center 1.0 and support 2, so it reads
        // source pixels 0..3.
        let taps = bilinear_taps(4, 2);
        assert_eq!(taps[0].start, 0);
        let w = &taps[0].weights;
        assert_eq!(w.len(), 3);
        let total: f64 = w.iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
        // Symmetric around the center: weights 0.75, 0.75, 0.25 over x=0,1,2
        // (x + 0.5 - 1.0) / 2 = -0.25, 0.25, 0.75 -> 0.75, 0.75, 0.25.
        assert!((w[0] - 0.75 / 1.75).abs() < 1e-12);
        assert!((w[1] - 0.75 / 1.75).abs() < 1e-12);
        assert!((w[2] - 0.25 / 1.75).abs() < 1e-12);
    }

    #[test]
    fn bilinear_upscale_interpolates_between_neighbours() {
        let out = resize_bilinear(&[0.0, 1.0], 2, 1, (4, 1));
        assert_eq!(out, vec![0.0, 0.25, 0.75, 1.0]);
    }

    #[test]
    fn area_average_weights_fractional_overlap() {
        // 3 -> 2: output 0 covers [0, 1.5): 1 * a + 0.5 * b over 1.5.
        let out = resize_area(&[3.0, 6.0, 9.0], 3, 1, (2, 1));
        assert!((out[0] - 4.0).abs() < 1e-6, "{out:?}");
        assert!((out[1] - 8.0).abs() < 1e-6, "{out:?}");
    }

    #[test]
    fn smoothing_keeps_constant_fields_constant() {
        let field = vec![0.7f32; 30 * 20];
        let out = gaussian_blur(&field, 30, 20, 1.5);
        assert!(out.iter().all(|v| (v - 0.7).abs() < 1e-6));
    }
}
