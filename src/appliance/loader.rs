//! Reading and analysing scans off the loop's thread, so that presses are
//! felt (a tick) while a scan takes its time. The networks are loaded once
//! and live on the loader's thread.

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};

use embedded_graphics::primitives::Rectangle;

use crate::finding::Finding;
use crate::infer::manifest::ModelError;
use crate::pipeline::{render, Networks, Rendering, Wanted};
use crate::scan::ScanProblem;
use crate::tactile::cursor::Cursor;
use crate::tactile::layout::{compose, Regions, Screen, View, Viewport};
use crate::tactile::place::{under_cursor, Place};
use crate::tactile::{Geometry, PinFrame, Relief, Representations};

/// A scan ready to show in any view.
#[derive(Debug)]
pub struct PreparedScan {
    /// The height field.
    pub relief: Relief,
    /// Its representations, the CAM view included where there is a map.
    pub representations: Representations,
    /// The classifier's call, if it gave one.
    pub finding: Option<Finding>,
    /// Why the classifier gave none, where one was loaded and failed.
    pub no_verdict: Option<ModelError>,
}

impl PreparedScan {
    /// Keeps what the views need from a rendering (the pipeline has
    /// brought the CAM onto the relief grid).
    pub fn from_rendering(rendering: Rendering) -> PreparedScan {
        let Rendering {
            relief,
            representations,
            analysis,
            ..
        } = rendering;
        let (finding, no_verdict) = match analysis {
            Some(Ok(a)) => (Some(a.finding()), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        };
        PreparedScan {
            relief,
            representations,
            finding,
            no_verdict,
        }
    }

    /// The frame for `view` through `viewport`, label on the pins.
    pub fn frame(&self, view: View, viewport: Viewport, geometry: Geometry) -> PinFrame {
        self.frame_of(&self.screen(view, viewport), geometry)
    }

    /// The frame for `screen`.
    pub fn frame_of(&self, screen: &Screen, geometry: Geometry) -> PinFrame {
        compose(&self.relief, &self.representations, screen, geometry)
    }

    /// The screen for `view` through `viewport`, with this scan's finding,
    /// settled on its anatomy (see [`Screen::settled`]).
    pub fn screen(&self, view: View, viewport: Viewport) -> Screen {
        Screen {
            view,
            viewport,
            finding: self.finding,
            ..Screen::default()
        }
        .settled(&self.representations)
    }

    /// Where the picture of this scan lies on `geometry` for `screen`.
    pub fn picture(&self, screen: &Screen, geometry: Geometry) -> Rectangle {
        Regions::image_area(geometry, self.relief.aspect, screen)
    }

    /// What lies under `cursor` as `screen` shows this scan on `geometry`.
    pub fn place(&self, cursor: Cursor, screen: &Screen, geometry: Geometry) -> Place {
        under_cursor(
            &self.relief,
            &self.representations,
            screen,
            cursor,
            geometry,
        )
    }

    /// Whether the CAM view has a map to show.
    pub fn has_cam(&self) -> bool {
        self.representations.cam.is_some()
    }
}

/// Why a scan file could not be prepared. Its text names the problem
/// alone, on one line, never the file (whose name may carry the patient's).
#[derive(Debug, thiserror::Error)]
pub enum BadScan {
    /// The file is not a readable scan.
    #[error("{}", .0.to_string().replace('\n', " "))]
    Unreadable(ScanProblem),
    /// A decoder panicked on it.
    #[error("the decoder failed on this file")]
    DecoderPanic,
}

/// Reads scan `path` and prepares it with `networks` (no features, no
/// default frame: the loop makes its frames per view and speaks the rest).
pub fn prepare(path: &std::path::Path, networks: &Networks) -> Result<PreparedScan, BadScan> {
    let rendering =
        render(path, networks, Wanted::analysis()).map_err(|e| BadScan::Unreadable(e.problem))?;
    Ok(PreparedScan::from_rendering(rendering))
}

/// A finished load.
#[derive(Debug)]
pub struct FinishedLoad {
    /// The position it was asked for.
    pub index: usize,
    /// The scan, or what was wrong with its file.
    pub result: Result<PreparedScan, BadScan>,
}

/// The loader thread: one scan at a time, in the order asked.
pub struct Loader {
    jobs: Sender<(usize, PathBuf)>,
    results: Receiver<FinishedLoad>,
}

impl Loader {
    /// Starts the thread with the networks it keeps.
    pub fn start(networks: Networks) -> std::io::Result<Loader> {
        let (jobs, job_rx) = channel::<(usize, PathBuf)>();
        let (result_tx, results) = channel();
        std::thread::Builder::new()
            .name("scan loader".into())
            .spawn(move || {
                for (index, path) in job_rx {
                    // A decoder that panics on a hostile file must not
                    // take the appliance with it: the file is just bad.
                    let attempt = std::panic::AssertUnwindSafe(|| prepare(&path, &networks));
                    let result =
                        std::panic::catch_unwind(attempt).unwrap_or(Err(BadScan::DecoderPanic));
                    if result_tx.send(FinishedLoad { index, result }).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Loader { jobs, results })
    }

    /// Asks for scan `index` at `path`.
    pub fn load(&self, index: usize, path: PathBuf) {
        // The thread only ends when this loader is dropped.
        let _ = self.jobs.send((index, path));
    }

    /// A finished load, if one is ready.
    pub fn try_result(&self) -> Option<FinishedLoad> {
        self.results.try_recv().ok()
    }
}
