//! One scan through the whole flow: load, classify, relief (MiDaS or
//! density), features, representations, pin frame, each stage timed.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::infer::classifier::{Analysis, Classifier};
use crate::infer::depth::{DepthChoice, DepthNet};
use crate::infer::manifest::{Manifest, ModelError, Purpose};
use crate::infer::Loading;
use crate::scan::{self, Scan, ScanError, ScanSource};
use crate::tactile::layout::{compose, Screen, View};
use crate::tactile::reading::Reading;
use crate::tactile::{representations, Features, Geometry, PinFrame, Relief, Representations};

/// The networks a render may use; with none, the relief is the density
/// relief and there is no verdict.
#[derive(Debug, Clone, Default)]
pub struct Networks {
    /// The pneumonia classifier.
    pub classifier: Option<Classifier>,
    /// The MiDaS depth network.
    pub depth: Option<DepthNet>,
}

/// The scan as reported: its size and technical source facts, no pixels and
/// no patient data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Format, modality, transfer syntax, bits, intensity mapping.
    #[serde(flatten)]
    pub source: ScanSource,
}

impl From<&Scan> for ScanInfo {
    fn from(scan: &Scan) -> Self {
        ScanInfo {
            width: scan.width,
            height: scan.height,
            source: scan.source.clone(),
        }
    }
}

/// Something [`Networks::load`] could not use, and what stands in for it.
#[derive(Debug, thiserror::Error)]
pub enum ModelWarning {
    /// The classifier failed to load: no verdicts.
    #[error("{0}; no verdict")]
    NoVerdict(ModelError),
    /// The depth network failed to load: the density relief stands in.
    #[error("{0}; density relief instead")]
    DensityRelief(ModelError),
}

impl Networks {
    /// The networks of `models/manifest.toml` as the appliance uses them: a
    /// classifier that fails to load gives no verdicts (a warning says why;
    /// the relief is still shown); the relief follows `depth`, where `Auto`
    /// falls back to the density relief with a warning and `Midas` fails.
    /// Fixtures are used only when `loading` allows them; every network
    /// runs on `loading`'s threads. The manifest is read once, here.
    pub fn load(
        models: &Path,
        depth: DepthChoice,
        loading: &Loading,
    ) -> Result<(Networks, Vec<ModelWarning>), ModelError> {
        let path = models.join("manifest.toml");
        let mut warnings = Vec::new();
        let manifest = if path.is_file() {
            match Manifest::read(&path) {
                Ok(m) => Some(m),
                Err(e) => {
                    // Unreadable: the classifier's warning says why, and
                    // the depth choice decides whether that is fatal.
                    warnings.push(ModelWarning::NoVerdict(e));
                    None
                }
            }
        } else {
            None
        };
        let classifier = match &manifest {
            Some(m) if m.select(Purpose::Classifier, loading.allow_fixture).is_ok() => {
                Classifier::from_manifest(m, loading)
                    .map_err(|e| warnings.push(ModelWarning::NoVerdict(e)))
                    .ok()
            }
            _ => None,
        };
        // An unreadable manifest is read again by the depth loader, whose
        // choice says whether that is fatal (MiDaS asked for) or a warning.
        let depth = load_depth(&path, manifest.as_ref(), depth, loading, &mut warnings)?;
        Ok((Networks { classifier, depth }, warnings))
    }
}

/// The depth network of the manifest for `choice`, as [`Networks::load`]
/// picks it (a failure under `Auto` is a warning).
pub fn load_depth(
    path: &Path,
    manifest: Option<&Manifest>,
    choice: DepthChoice,
    loading: &Loading,
    warnings: &mut Vec<ModelWarning>,
) -> Result<Option<DepthNet>, ModelError> {
    match DepthNet::for_choice(choice, path, manifest, loading) {
        Ok(net) => Ok(net),
        Err(e) if choice == DepthChoice::Auto => {
            warnings.push(ModelWarning::DensityRelief(e));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Reading and decoding the file.
    pub load: f64,
    /// The classifier (0 without one).
    pub classify: f64,
    /// Making the 224x224 relief (the depth network, or the density relief).
    pub relief: f64,
    /// The texture features.
    pub features: f64,
    /// Grayscale, contour and heightmap images.
    pub representations: f64,
    /// Laying out, downsampling and quantising to pins.
    pub frame: f64,
    /// The whole render, wall clock (less than the sum when the networks
    /// ran side by side).
    pub total: f64,
}

/// What a render is asked to make beyond the relief, its representations
/// and the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// The texture features of the relief.
    pub features: bool,
    /// The frame for a display of this geometry, whole scan, in `view`.
    pub frame: Option<Geometry>,
    /// The view of that frame.
    pub view: View,
    /// The display has a braille line for the label (the frame is then
    /// all picture).
    pub label_on_line: bool,
}

impl Wanted {
    /// The verdict, the relief and its representations alone, no features
    /// and no default frame (the appliance's loader, describe).
    pub fn analysis() -> Wanted {
        Wanted {
            features: false,
            frame: None,
            view: View::default(),
            label_on_line: false,
        }
    }

    /// Everything, for a display of `geometry` (render, bench).
    pub fn all(geometry: Geometry) -> Wanted {
        Wanted {
            features: true,
            frame: Some(geometry),
            view: View::default(),
            label_on_line: false,
        }
    }

    /// As asked, with the frame in `view`.
    pub fn in_view(self, view: View) -> Wanted {
        Wanted { view, ..self }
    }
}

/// Everything one render produces.
#[derive(Debug)]
pub struct Rendering {
    /// What was loaded.
    pub scan: ScanInfo,
    /// The height field.
    pub relief: Relief,
    /// Why the depth network gave no relief (the density relief stands in).
    pub depth_error: Option<ModelError>,
    /// The texture features of the relief, when wanted.
    pub features: Option<Features>,
    /// The paper's three representations, and the film's anatomy.
    pub representations: Representations,
    /// The pins to raise, when wanted: the whole scan in the wanted view,
    /// label and indicator.
    pub frame: Option<PinFrame>,
    /// The screen of that frame, settled (the view shown, and why the
    /// relief stands in for the anatomy where it does).
    pub screen: Screen,
    /// What the classifier said, if one ran; why it could not, if it failed.
    pub analysis: Option<Result<Analysis, ModelError>>,
    /// Time per stage (0 for a stage not wanted).
    pub timings: Timings,
}

/// Loads the scan at `path` and renders what `wanted` asks with the
/// networks given: the classifier's verdict on the label and indicator,
/// the depth network's relief. The one entry to the flow.
pub fn render(path: &Path, networks: &Networks, wanted: Wanted) -> Result<Rendering, ScanError> {
    let start = Instant::now();
    let scan = scan::load(path)?;
    let load = ms_since(start);
    let mut rendering = render_scan(&scan, networks, wanted);
    rendering.timings.load = load;
    rendering.timings.total = ms_since(start);
    Ok(rendering)
}

/// [`render`] of an already loaded scan (load time reported as 0). A
/// classifier that fails leaves the verdict out (the relief is still
/// shown) and its error in [`Rendering::analysis`]; a depth network that
/// fails leaves the density relief and its error in
/// [`Rendering::depth_error`].
fn render_scan(scan: &Scan, networks: &Networks, wanted: Wanted) -> Rendering {
    let start = Instant::now();
    let classify = || {
        let t = Instant::now();
        let analysis = networks.classifier.as_ref().map(|c| c.analyse(scan));
        (analysis, ms_since(t))
    };
    let relieve = || {
        let t = Instant::now();
        (make_relief(scan, networks.depth.as_ref()), ms_since(t))
    };
    // The two networks do not depend on each other: with threads to
    // spare, the classifier runs beside the depth network.
    let side_by_side = matches!(
        (&networks.classifier, &networks.depth),
        (Some(c), Some(_)) if c.network().threads() >= 2
    );
    let ((analysis, classify_ms), ((relief, depth_error), relief_ms)) = if side_by_side {
        std::thread::scope(|s| {
            let classified = s.spawn(classify);
            let relief = relieve();
            // A classifier that panics is a model fault: no verdict, the
            // relief still shown.
            let classified = classified.join().unwrap_or_else(|_| {
                let fault = networks
                    .classifier
                    .as_ref()
                    .map(|c| Err(c.network().error("the classifier stopped with a panic")));
                (fault, 0.0)
            });
            (classified, relief)
        })
    } else {
        (classify(), relieve())
    };
    let finding = analysis
        .as_ref()
        .and_then(|a| a.as_ref().ok())
        .map(Analysis::finding);

    let t = Instant::now();
    let features = wanted.features.then(|| Features::of(&relief));
    let features_ms = ms_since_if(t, wanted.features);

    let t = Instant::now();
    let mut representations = representations(&relief, Reading::of(scan));
    if let Some(Ok(Analysis { cam: Some(cam), .. })) = &analysis {
        representations = representations.with_cam(
            &relief,
            &cam.values,
            cam.width as usize,
            cam.height as usize,
        );
    }
    let representations_ms = ms_since(t);

    let t = Instant::now();
    let screen = Screen {
        view: wanted.view,
        label_on_line: wanted.label_on_line,
        finding,
        ..Screen::default()
    }
    .settled(&representations);
    let frame = wanted
        .frame
        .map(|geometry| compose(&relief, &representations, &screen, geometry));
    let frame_ms = ms_since_if(t, wanted.frame.is_some());

    Rendering {
        scan: ScanInfo::from(scan),
        relief,
        depth_error,
        features,
        representations,
        frame,
        screen,
        analysis,
        timings: Timings {
            load: 0.0,
            classify: classify_ms,
            relief: relief_ms,
            features: features_ms,
            representations: representations_ms,
            frame: frame_ms,
            total: ms_since(start),
        },
    }
}

impl Rendering {
    /// The film on the relief's grid, as an 8-bit image (for contact sheets
    /// and sighted helpers).
    pub fn film(&self) -> image::GrayImage {
        let size = crate::tactile::RELIEF_SIZE as u32;
        let film = &self.representations.reading.film;
        image::GrayImage::from_fn(size, size, |x, y| {
            let v = film[(y * size + x) as usize];
            image::Luma([(v.clamp(0.0, 1.0) * 255.0).round() as u8])
        })
    }

    /// The whole scan in `view` on a display of `geometry`.
    pub fn frame_for(&self, view: View, geometry: Geometry) -> PinFrame {
        let screen = Screen {
            view,
            ..self.screen
        };
        compose(&self.relief, &self.representations, &screen, geometry)
    }
}

/// The relief of `scan`: the depth network's, or the density relief
/// without one or when it fails (with its error).
pub fn make_relief(scan: &Scan, depth: Option<&DepthNet>) -> (Relief, Option<ModelError>) {
    match depth.map(|d| d.relief(scan)) {
        Some(Ok(relief)) => (relief, None),
        Some(Err(e)) => (crate::tactile::density_relief_of(scan), Some(e)),
        None => (crate::tactile::density_relief_of(scan), None),
    }
}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

fn ms_since_if(start: Instant, done: bool) -> f64 {
    if done {
        ms_since(start)
    } else {
        0.0
    }
}
