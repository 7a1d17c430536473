//! Where the model looked, in words: the class-activation map's hot region
//! as a lung zone in the **patient's** frame.
//!
//! On a PA (or AP) film shown in the usual convention the patient faces the
//! viewer, so the patient's right is on the viewer's left: the image's left
//! half is the patient's right side. The hot region is the CAM at or above
//! [`HOT`] of its maximum. Side: where at least [`ONE_SIDE`] of the hot
//! mass lies in one half, that side; otherwise both. Level: the hot mass's
//! centre of gravity within the lung span, taken as rows 10 %..90 % of the
//! film and cut in thirds (upper, middle, lower). This is a coarse map of
//! the film, not a segmentation of the lungs.

use crate::finding::{Level, Side, Zone};

/// The CAM value (of its maximum, 1) from which a pixel counts as hot.
pub const HOT: f32 = 0.5;
/// The share of hot mass in one half that makes it one side.
pub const ONE_SIDE: f32 = 0.7;

/// The zone of a CAM (`width` x `height`, row-major, in [0, 1]) on a
/// film in the usual PA convention; `None` for a map with no hot pixel.
pub fn zone_of_cam(values: &[f32], width: usize, height: usize) -> Option<Zone> {
    let max = values.iter().copied().fold(0.0f32, f32::max);
    if max <= 0.0 || width == 0 || height == 0 {
        return None;
    }
    let (mut total, mut viewer_left, mut rows) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in values.iter().enumerate() {
        if v < HOT * max {
            continue;
        }
        let (x, y) = (i % width, i / width);
        let w = f64::from(v);
        total += w;
        if 2 * x < width {
            viewer_left += w;
        }
        rows += w * (y as f64 + 0.5);
    }
    let left_share = (viewer_left / total) as f32;
    let side = if left_share >= ONE_SIDE {
        Side::Right
    } else if 1.0 - left_share >= ONE_SIDE {
        Side::Left
    } else {
        Side::Both
    };
    let centre = (rows / total) / height as f64;
    let within = ((centre - 0.1) / 0.8).clamp(0.0, 1.0);
    let level = if within < 1.0 / 3.0 {
        Level::Upper
    } else if within < 2.0 / 3.0 {
        Level::Middle
    } else {
        Level::Lower
    };
    Some(Zone { side, level })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 30 x 30 map with one hot square centred at (x, y).
    fn blob(x: usize, y: usize) -> Vec<f32> {
        (0..900)
            .map(|i| {
                let (px, py): (usize, usize) = (i % 30, i / 30);
                if px.abs_diff(x) <= 2 && py.abs_diff(y) <= 2 {
                    1.0
                } else {
                    0.1
                }
            })
            .collect()
    }

    #[test]
    fn the_viewers_left_is_the_patients_right() {
        let zone = zone_of_cam(&blob(7, 25), 30, 30).unwrap();
        assert_eq!(
            zone,
            Zone {
                side: Side::Right,
                level: Level::Lower
            }
        );
        assert_eq!(zone.words(), "right lower zone");
        assert_eq!(zone.abbreviation(), "rl");
        let zone = zone_of_cam(&blob(22, 6), 30, 30).unwrap();
        assert_eq!(
            zone,
            Zone {
                side: Side::Left,
                level: Level::Upper
            }
        );
    }

    #[test]
    fn two_sided_and_middle_maps() {
        let mut both = blob(7, 15);
        for (v, w) in both.iter_mut().zip(blob(22, 15)) {
            *v = v.max(w);
        }
        assert_eq!(
            zone_of_cam(&both, 30, 30),
            Some(Zone {
                side: Side::Both,
                level: Level::Middle
            })
        );
        assert_eq!(zone_of_cam(&[0.0; 900], 30, 30), None);
    }
}
