//! What `touchray render` writes: the JSON report and the files of `--out`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::device::preview::pins_image;
use crate::finding::Verdict;
use crate::imaging::npy::write_npy;
use crate::pipeline::{Rendering, ScanInfo, Timings};
use crate::tactile::anatomy::Lung;
use crate::tactile::layout::{Regions, View};
use crate::tactile::legibility::Legibility;
use crate::tactile::reading::Reading;
use crate::tactile::{DepthSource, Features, RELIEF_SIZE};
use embedded_graphics::primitives::Rectangle;

/// The files `--out DIR` always receives (plus `cam.png`, where the
/// model provides a class-activation map).
pub const OUTPUT_FILES: [&str; 5] = [
    "grayscale.png",
    "contour.png",
    "heightmap.png",
    "pins.png",
    "relief.npy",
];

/// Where the picture lies in a frame, in pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Area {
    /// First column.
    pub x: i32,
    /// First row.
    pub y: i32,
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
}

impl From<Rectangle> for Area {
    fn from(r: Rectangle) -> Self {
        Area {
            x: r.top_left.x,
            y: r.top_left.y,
            width: r.size.width,
            height: r.size.height,
        }
    }
}

/// The pin frame in the JSON report.
#[derive(Debug, Serialize)]
pub struct FrameReport {
    /// The view shown (the relief where it stands in for the anatomy).
    pub view: View,
    /// Where the picture lies in the frame, so that anyone can measure it.
    pub image_area: Area,
    /// How readable the picture is (see [`Legibility`]).
    pub legibility: Legibility,
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
    pub zone: Option<crate::finding::Zone>,
    /// The texture features of the relief.
    pub features: Option<Features>,
    /// Whether the anatomy was found, and why not where it was not.
    pub anatomy: AnatomyReport,
    /// The pins.
    pub frame: Option<FrameReport>,
    /// Milliseconds per stage.
    pub timings_ms: Timings,
}

impl From<&Rendering> for RenderReport {
    fn from(r: &Rendering) -> Self {
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
            anatomy: AnatomyReport::from(&r.representations.reading),
            frame: r.frame.as_ref().map(|frame| {
                let g = frame.geometry();
                let area = Regions::image_area(g, r.relief.aspect, &r.screen);
                FrameReport {
                    view: r.screen.shown(),
                    image_area: area.into(),
                    legibility: Legibility::measure(frame, area),
                    width: g.width,
                    height: g.height,
                    levels: g.levels,
                    heights: frame.rows().map(<[u8]>::to_vec).collect(),
                }
            }),
            timings_ms: r.timings,
        }
    }
}

/// The anatomy in the JSON report.
#[derive(Debug, Serialize)]
pub struct AnatomyReport {
    /// Both lungs and the mediastinum were found and are plausible.
    pub found: bool,
    /// The lung completed from the other's mirror image, if one was.
    pub estimated: Option<Lung>,
    /// Why it was not found.
    pub problem: Option<String>,
}

impl From<&Reading> for AnatomyReport {
    fn from(reading: &Reading) -> Self {
        match &reading.anatomy {
            Ok(a) => AnatomyReport {
                found: true,
                estimated: a.estimated(),
                problem: None,
            },
            Err(e) => AnatomyReport {
                found: false,
                estimated: None,
                problem: Some(e.to_string()),
            },
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

impl std::fmt::Display for FeaturesReport {
    /// The line `touchray features` prints without `--json`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = &self.features;
        write!(
            f,
            "{:?} relief: depth_std {:.6}, depth_entropy {:.6} bits, edge_total {:.3}, lbp_hist {:.4?}",
            self.depth_source, x.depth_std, x.depth_entropy, x.edge_total, x.lbp_hist
        )
    }
}

/// The line `touchray render` prints without `--json`: format, size, pins,
/// relief source and time.
pub struct RenderSummary<'a>(pub &'a Rendering);

impl std::fmt::Display for RenderSummary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        let s = &r.scan;
        write!(f, "{} {}x{}", s.source.format, s.width, s.height)?;
        if let Some(frame) = &r.frame {
            let g = frame.geometry();
            write!(f, " -> {}x{} pins, {} levels", g.width, g.height, g.levels)?;
        }
        write!(
            f,
            ", {:?} relief, {:.1} ms",
            r.relief.source, r.timings.total
        )?;
        // The verdict, in the JSON's word; no probability beside
        // out_of_range, where the model abstains and its p means nothing.
        if let Some(Ok(analysis)) = &r.analysis {
            let finding = analysis.finding();
            write!(f, "; verdict {}", finding.verdict.name())?;
            if finding.verdict != Verdict::OutOfRange {
                write!(f, " (p_pneumonia {:.2})", finding.p_pneumonia)?;
            }
        }
        Ok(())
    }
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
    fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
    let reps = &rendering.representations;
    let images = [
        ("grayscale.png", &reps.grayscale),
        ("contour.png", &reps.contour),
        ("heightmap.png", &reps.heightmap),
    ];
    for (name, image) in images {
        let path = dir.join(name);
        image.save(&path).map_err(|e| OutputError::new(&path, e))?;
    }
    if let Some(frame) = &rendering.frame {
        let path = dir.join("pins.png");
        pins_image(frame)
            .save(&path)
            .map_err(|e| OutputError::new(&path, e))?;
    }
    if let Some(Ok(analysis)) = &rendering.analysis {
        if let Some(cam) = &analysis.cam {
            let path = dir.join("cam.png");
            image::GrayImage::from_fn(cam.width, cam.height, |x, y| {
                let v = cam.values[(y * cam.width + x) as usize];
                image::Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
            })
            .save(&path)
            .map_err(|e| OutputError::new(&path, e))?;
        }
    }
    let path = dir.join("relief.npy");
    fs::File::create(&path)
        .and_then(|mut f| write_npy(&mut f, &rendering.relief.heights, RELIEF_SIZE, RELIEF_SIZE))
        .map_err(|e| OutputError::new(&path, e))
}

impl OutputError {
    /// Writing `path` failed with `e`.
    pub fn new(path: &Path, e: impl std::fmt::Display) -> OutputError {
        OutputError {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}
