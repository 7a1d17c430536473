//! What `touchray render` writes: the JSON report and the files of `--out`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::device::preview::pins_image;
use crate::infer::Verdict;
use crate::pipeline::{Rendering, ScanInfo, Timings};
use crate::tactile::{DepthSource, Features, RELIEF_SIZE};

/// The files `--out DIR` always receives (plus `cam.png`, where the
/// model provides a class-activation map).
pub const OUTPUT_FILES: [&str; 5] = [
    "grayscale.png",
    "contour.png",
    "heightmap.png",
    "pins.png",
    "relief.npy",
];

/// The pin frame in the JSON report.
#[derive(Debug, Serialize)]
pub struct FrameReport {
    /// Pins per row.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Height states.
    pub levels: u8,
    /// Rows of pin heights, top first.
    pub heights: Vec<Vec<u8>>,
}

/// The JSON object `touchray render --json` prints.
#[derive(Debug, Serialize)]
pub struct RenderReport {
    /// Size and source facts of the scan.
    pub scan: ScanInfo,
    /// What made the relief.
    pub depth_source: DepthSource,
    /// The classifier's call; null without a classifier (or when it failed).
    pub verdict: Option<Verdict>,
    /// Its calibrated probability of pneumonia; null likewise.
    pub p_pneumonia: Option<f32>,
    /// The out-of-range distance (the verdict is "out_of_range" above the
    /// manifest's threshold); null without one.
    pub ood_score: Option<f32>,
    /// Whether the film looked upside down (then the verdict is
    /// "out_of_range"); null without a classifier.
    pub upside_down: Option<bool>,
    /// The lung zone of the model's attention in the patient's frame, for
    /// pneumonia and uncertain calls; null otherwise.
    pub zone: Option<crate::infer::Zone>,
    /// The texture features of the relief.
    pub features: Features,
    /// The pins.
    pub frame: FrameReport,
    /// Milliseconds per stage.
    pub timings_ms: Timings,
}

impl From<&Rendering> for RenderReport {
    fn from(r: &Rendering) -> Self {
        let g = r.frame.geometry();
        let analysis = r.analysis.as_ref().and_then(|a| a.as_ref().ok());
        RenderReport {
            scan: r.scan.clone(),
            depth_source: r.relief.source,
            verdict: analysis.map(|a| a.verdict),
            p_pneumonia: analysis.map(|a| a.p_pneumonia),
            ood_score: analysis.and_then(|a| a.ood_score),
            upside_down: analysis.map(|a| a.upside_down),
            zone: analysis.and_then(|a| a.zone),
            features: r.features.clone(),
            frame: FrameReport {
                width: g.width,
                height: g.height,
                levels: g.levels,
                heights: r.frame.rows().map(<[u8]>::to_vec).collect(),
            },
            timings_ms: r.timings,
        }
    }
}

/// The JSON object `touchray features --json` prints.
#[derive(Debug, Serialize)]
pub struct FeaturesReport {
    /// What made the relief.
    pub depth_source: DepthSource,
    /// Its texture features.
    #[serde(flatten)]
    pub features: Features,
}

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct OutputError {
    /// The file or directory.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// Writes [`OUTPUT_FILES`] into `dir`, creating it if needed.
pub fn write_outputs(dir: &Path, rendering: &Rendering) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    let reps = &rendering.representations;
    let images = [
        ("grayscale.png", &reps.grayscale),
        ("contour.png", &reps.contour),
        ("heightmap.png", &reps.heightmap),
    ];
    for (name, image) in images {
        let path = dir.join(name);
        image.save(&path).map_err(|e| failed(&path, e))?;
    }
    let path = dir.join("pins.png");
    pins_image(&rendering.frame)
        .save(&path)
        .map_err(|e| failed(&path, e))?;
    if let Some(Ok(analysis)) = &rendering.analysis {
        if let Some(cam) = &analysis.cam {
            let path = dir.join("cam.png");
            image::GrayImage::from_fn(cam.width, cam.height, |x, y| {
                let v = cam.values[(y * cam.width + x) as usize];
                image::Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
            })
            .save(&path)
            .map_err(|e| failed(&path, e))?;
        }
    }
    let path = dir.join("relief.npy");
    fs::File::create(&path)
        .and_then(|mut f| write_npy(&mut f, &rendering.relief.heights, RELIEF_SIZE, RELIEF_SIZE))
        .map_err(|e| failed(&path, e))
}

fn failed(path: &Path, e: impl std::fmt::Display) -> OutputError {
    OutputError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes a row-major `rows x cols` float32 array in NumPy's `.npy` format
/// (version 1.0, little-endian), readable with `numpy.load`.
pub fn write_npy(
    out: &mut impl Write,
    values: &[f32],
    rows: usize,
    cols: usize,
) -> std::io::Result<()> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // Magic (6) + version (2) + header length (2) + header, padded with
    // spaces and ended by '\n' to a multiple of 64 bytes.
    let unpadded = 10 + dict.len() + 1;
    let header = format!(
        "{dict}{}\n",
        " ".repeat(unpadded.next_multiple_of(64) - unpadded)
    );
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&(header.len() as u16).to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    let mut data = Vec::with_capacity(values.len() * 4);
    for v in values {
        data.extend_from_slice(&v.to_le_bytes());
    }
    out.write_all(&data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_data_follows() {
        let mut out = Vec::new();
        write_npy(&mut out, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3).unwrap();
        assert_eq!(&out[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([out[8], out[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&out[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 3)") && header.ends_with('\n'));
        assert_eq!(out.len(), 10 + header_len + 24);
        assert_eq!(
            &out[10 + header_len..10 + header_len + 4],
            &1.0f32.to_le_bytes()
        );
    }
}
