//! "Out of range": how unlike the training radiographs a scan is, as the
//! Mahalanobis distance of the classifier's pooled features to the nearer
//! class mean under one shared covariance (Lee et al., NeurIPS 2018). The
//! means and the precision matrix come from the training films
//! (`models/tools/calibrate.py`), the threshold from held-out ones.

/// Why an out-of-range statistics array cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OodStatsError {
    /// The array is not `[classes + C, C]`.
    #[error("shape {shape:?} is not [{classes} + C, C]")]
    Shape {
        /// The array's shape.
        shape: Vec<usize>,
        /// The classifier's classes.
        classes: usize,
    },
    /// A mean or precision value is NaN or infinite.
    #[error("values must be finite")]
    NotFinite,
}

/// The statistics: class means and the shared precision matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct OodStats {
    channels: usize,
    /// `[classes, C]`, row-major.
    means: Vec<f32>,
    /// `[C, C]`, row-major.
    precision: Vec<f32>,
    /// Distances above this are out of range.
    pub threshold: f32,
}

impl OodStats {
    /// From a `[classes + C, C]` array (means first, then the precision
    /// matrix) and its threshold.
    pub fn from_array(
        shape: &[usize],
        values: Vec<f32>,
        classes: usize,
        threshold: f32,
    ) -> Result<OodStats, OodStatsError> {
        match *shape {
            [rows, c] if rows == classes + c && c > 0 => {
                let mut means = values;
                let precision = means.split_off(classes * c);
                if !means.iter().chain(&precision).all(|v| v.is_finite()) {
                    return Err(OodStatsError::NotFinite);
                }
                Ok(OodStats {
                    channels: c,
                    means,
                    precision,
                    threshold,
                })
            }
            _ => Err(OodStatsError::Shape {
                shape: shape.to_vec(),
                classes,
            }),
        }
    }

    /// Channels of the feature vector.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The distance of a pooled feature vector to the nearer class mean.
    pub fn distance(&self, features: &[f32]) -> f32 {
        let c = self.channels;
        self.means
            .chunks_exact(c)
            .map(|mean| {
                let d: Vec<f64> = features
                    .iter()
                    .zip(mean)
                    .map(|(x, m)| f64::from(x - m))
                    .collect();
                let squared: f64 = self
                    .precision
                    .chunks_exact(c)
                    .zip(&d)
                    .map(|(row, di)| {
                        di * row
                            .iter()
                            .zip(&d)
                            .map(|(p, dj)| f64::from(*p) * dj)
                            .sum::<f64>()
                    })
                    .sum();
                squared.max(0.0).sqrt() as f32
            })
            .fold(f32::INFINITY, f32::min)
    }
}

/// The per-channel mean of a `[C, h, w]` feature map.
pub fn pooled(features: &[f32], channels: usize) -> Vec<f32> {
    let per = features.len() / channels.max(1);
    features
        .chunks_exact(per.max(1))
        .take(channels)
        .map(|ch| ch.iter().sum::<f32>() / per as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_is_mahalanobis_to_the_nearer_mean() {
        // Two classes in 2-d, precision diag(1, 4): distance along y counts double.
        let values = vec![0.0, 0.0, 10.0, 0.0, 1.0, 0.0, 0.0, 4.0];
        let stats = OodStats::from_array(&[4, 2], values, 2, 3.0).unwrap();
        assert!((stats.distance(&[3.0, 0.0]) - 3.0).abs() < 1e-6);
        assert!((stats.distance(&[0.0, 1.0]) - 2.0).abs() < 1e-6);
        assert!((stats.distance(&[9.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(OodStats::from_array(&[3, 2], vec![0.0; 6], 2, 1.0).is_err());
        assert_eq!(pooled(&[1.0, 3.0, 5.0, 7.0], 2), vec![2.0, 6.0]);
    }
}
