//! Loading radiographs into a [`Scan`]: DICOM through dicom-rs, PNG, JPEG,
//! TIFF and BMP through the `image` crate.
//!
//! Every failure is a [`ScanError`] whose one-line `Display` names the file
//! and the problem. Nothing here panics on bad input: sizes are checked
//! against [`PIXEL_BUDGET`] and [`MAX_FILE_BYTES`] before anything large is
//! allocated, and third-party decoders run behind a panic guard.
//!
//! Patient identifiers are never copied out of a file: a [`Scan`] carries
//! pixels and a few technical facts, nothing else.

mod codestream;
mod colour;
mod container;
mod dicom;
mod jpeg;
mod jpeg12;
mod lengths;
mod native;
mod orientation;
mod raster;
mod rle;
mod voi;

use std::fmt;
use std::fs;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use orientation::Orientation;

/// The largest image, in pixels of one frame, that will be decoded:
/// 50 megapixels (e.g. 7071 x 7071). Chest radiographs are 2-12 MP and
/// mammograms up to ~30 MP; the grayscale f32 copy of a scan at the budget is
/// 200 MB, which still fits a 1 GB board. Anything larger is refused before
/// its pixels are decoded (a decompression bomb, or not a radiograph).
pub const PIXEL_BUDGET: u64 = 50_000_000;

/// The largest file that will be read, 512 MiB. DICOM files are read whole,
/// so this bounds memory before parsing starts.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// A radiograph as the rest of touchray sees it: grayscale in [0, 1] where
/// bright is dense (bone, heart, consolidation), row-major, plus where it came
/// from. No patient identifiers.
#[derive(Clone)]
pub struct Scan {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height` intensities in [0, 1], row-major, top row first.
    pub pixels: Vec<f32>,
    /// Technical facts about the source file.
    pub source: ScanSource,
}

impl fmt::Debug for Scan {
    // Millions of pixels help no one reading a log or a failed assertion.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scan")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("pixels", &format_args!("[{} values]", self.pixels.len()))
            .field("source", &self.source)
            .finish()
    }
}

impl Scan {
    /// Width divided by height of the scan as acquired.
    pub fn aspect(&self) -> f32 {
        self.width as f32 / self.height as f32
    }
}

/// The container format a scan was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanFormat {
    /// DICOM Part 10 file.
    Dicom,
    /// Portable Network Graphics.
    Png,
    /// JPEG (JFIF/EXIF).
    Jpeg,
    /// TIFF.
    Tiff,
    /// Windows bitmap.
    Bmp,
}

impl fmt::Display for ScanFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ScanFormat::Dicom => "dicom",
            ScanFormat::Png => "png",
            ScanFormat::Jpeg => "jpeg",
            ScanFormat::Tiff => "tiff",
            ScanFormat::Bmp => "bmp",
        };
        f.write_str(name)
    }
}

/// Technical, non-identifying facts about where a [`Scan`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanSource {
    /// Container format.
    pub format: ScanFormat,
    /// DICOM Modality (e.g. `CR`, `DX`), when the file says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modality: Option<String>,
    /// DICOM transfer syntax UID, for DICOM files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_syntax: Option<String>,
    /// Significant bits per sample in the file (8, 12, 15, 16, ...).
    pub bits_stored: u16,
    /// How the stored values became [0, 1] (e.g. `voi-window`, `value-range`).
    pub intensity_mapping: &'static str,
    /// Whether the patient's sides are known from the file or assumed; the
    /// pixels are always in the usual convention (patient's right on the
    /// viewer's left, head up).
    pub orientation: Orientation,
    /// DICOM View Position (e.g. `PA`, `AP`, `LL`), when the file says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_position: Option<String>,
}

/// Why a scan could not be loaded. Always paired with its path in
/// [`ScanError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanProblem {
    /// The path does not exist.
    #[error("no such file")]
    NotFound,
    /// The path is a directory.
    #[error("is a directory, not a scan file")]
    Directory,
    /// A FIFO, device or socket: reading it could block forever.
    #[error("not a regular file")]
    NotRegularFile,
    /// The operating system refused to read it.
    #[error("cannot read: {0}")]
    Unreadable(String),
    /// Zero bytes.
    #[error("empty file")]
    Empty,
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("file is {bytes} bytes, above the {limit}-byte limit")]
    FileTooLarge {
        /// Size of the file.
        bytes: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// Neither DICOM nor a supported raster format.
    #[error("unknown format (not DICOM, PNG, JPEG, TIFF or BMP)")]
    UnknownFormat,
    /// Declared dimensions above [`PIXEL_BUDGET`].
    #[error("image is {width}x{height}, above the {budget}-pixel budget")]
    TooManyPixels {
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
        /// The budget it broke.
        budget: u64,
    },
    /// Zero width or height.
    #[error("image has no pixels ({width}x{height})")]
    NoPixels {
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
    },
    /// A DICOM file without a Pixel Data element.
    #[error("DICOM file has no pixel data")]
    NoPixelData,
    /// Valid, but something touchray does not handle.
    #[error("unsupported {0}")]
    Unsupported(String),
    /// Truncated or corrupt content.
    #[error("corrupt or truncated {format}: {detail}")]
    Corrupt {
        /// What was being decoded.
        format: &'static str,
        /// The decoder's own words.
        detail: String,
    },
}

/// A scan that could not be loaded: the file and the problem, shown as one
/// line, `PATH: PROBLEM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// The file that was asked for.
    pub path: PathBuf,
    /// What went wrong.
    pub problem: ScanProblem,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Decoder messages may span lines; the error must stay one line.
        let line = format!("{}: {}", self.path.display(), self.problem);
        f.write_str(&line.replace(['\n', '\r'], " "))
    }
}

impl std::error::Error for ScanError {}

/// Loads the scan at `path`, whatever its supported format.
pub fn load(path: &Path) -> Result<Scan, ScanError> {
    let fail = |problem| ScanError {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = read_bounded(path).map_err(fail)?;
    decode_guarded(&bytes).map_err(fail)
}

/// Decodes a scan from bytes already in memory, with the same checks and
/// panic guard as [`load`] (for callers that have the bytes, and for the
/// fuzzing harness, examples/fuzz.rs). At most [`MAX_FILE_BYTES`] are read.
pub fn decode(bytes: &[u8]) -> Result<Scan, ScanProblem> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScanProblem::FileTooLarge {
            bytes: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    decode_guarded(bytes)
}

thread_local! {
    /// True while this thread decodes behind the guard.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Keeps the panic hook quiet for panics inside [`decode_guarded`]: the
/// panic becomes the file's one-line error, and the default hook's
/// "thread 'main' panicked at ..." lines would make three lines of one.
/// Installed once, in front of whatever hook was there; other panics still
/// reach it. (Process-wide state, kept to this one flag per thread.)
fn quiet_guarded_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

fn decode_guarded(bytes: &[u8]) -> Result<Scan, ScanProblem> {
    // The decoders are third-party code fed untrusted bytes; a panic in one
    // of them must become an error for this file, not a dead appliance.
    quiet_guarded_panics();
    GUARDED.with(|g| g.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| decode_unguarded(bytes)));
    GUARDED.with(|g| g.set(false));
    outcome.unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "decoder failed".to_string());
        Err(ScanProblem::Corrupt {
            format: "file",
            detail,
        })
    })
}

fn decode_unguarded(bytes: &[u8]) -> Result<Scan, ScanProblem> {
    if bytes.is_empty() {
        return Err(ScanProblem::Empty);
    }
    if let Some(container) = container::sniff(bytes) {
        return dicom::decode(bytes, container);
    }
    match raster::sniff(bytes) {
        Some(raster) => raster::decode(bytes, raster),
        None => Err(ScanProblem::UnknownFormat),
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, ScanProblem> {
    let meta = fs::metadata(path).map_err(io_problem)?;
    if meta.is_dir() {
        return Err(ScanProblem::Directory);
    }
    if !meta.is_file() {
        return Err(ScanProblem::NotRegularFile);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ScanProblem::FileTooLarge {
            bytes: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io_problem)?;
    // The file may have grown between stat and read.
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScanProblem::FileTooLarge {
            bytes: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(bytes)
}

fn io_problem(err: std::io::Error) -> ScanProblem {
    match err.kind() {
        std::io::ErrorKind::NotFound => ScanProblem::NotFound,
        _ => ScanProblem::Unreadable(err.to_string()),
    }
}

/// Checks declared dimensions against [`PIXEL_BUDGET`] before decoding.
fn check_budget(width: u64, height: u64) -> Result<(), ScanProblem> {
    if width == 0 || height == 0 {
        return Err(ScanProblem::NoPixels { width, height });
    }
    if width.saturating_mul(height) > PIXEL_BUDGET {
        return Err(ScanProblem::TooManyPixels {
            width,
            height,
            budget: PIXEL_BUDGET,
        });
    }
    Ok(())
}
