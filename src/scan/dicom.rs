//! DICOM Part 10 files through dicom-rs.
//!
//! Pixel data: native (implicit and explicit VR), RLE, JPEG baseline,
//! extended and lossless, and JPEG 2000 are decoded by `dicom-pixeldata`
//! (pure-Rust codecs); JPEG-LS lossless and near-lossless by `pure_jpegls`,
//! because dicom-pixeldata offers JPEG-LS only through C++ CharLS, which would
//! tie every board build to a C++ cross toolchain.
//!
//! Only the attributes needed to turn samples into intensities are read.
//! Patient, study and institution attributes are never touched.

use std::borrow::Cow;
use std::io::Cursor;

use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::file::ReadPreamble;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::colour::{self, Decoded, Palette, Photometric};
use super::native::{self, Layout};
use super::voi::{self, Mapping, Window};
use super::{check_budget, Scan, ScanFormat, ScanProblem, ScanSource};
use super::{codestream, jpeg, lengths, rle};

const PREAMBLE: usize = 128;
const MAGIC: &[u8; 4] = b"DICM";
const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED_LE: &str = "1.2.840.10008.1.2.1.99";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
const JPEG_LS_LOSSLESS: &str = "1.2.840.10008.1.2.4.80";
const JPEG_LS_NEAR_LOSSLESS: &str = "1.2.840.10008.1.2.4.81";
/// Baseline, extended (8-bit), lossless, lossless first-order prediction.
const JPEG: [&str; 4] = [
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];
/// Secondary Capture, for a bare data set that does not name its class.
const SECONDARY_CAPTURE: &str = "1.2.840.10008.5.1.4.1.1.7";

/// How the DICOM data set sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Container {
    /// A Part 10 file: `DICM` and the meta group at this offset (128 after
    /// a preamble, 0 where a writer left the preamble out).
    Part10 { magic_at: usize },
    /// A bare data set, no preamble and no meta group (old CR exports,
    /// "DICOM stream" files), in the encoding its first element shows.
    Bare { syntax: &'static str },
}

/// Whether `bytes` are DICOM, and how. A bare data set is recognised by its
/// first element, of group 0008 (every image has its identifying group
/// first): little endian `08 00`, big endian `00 08`, and a VR after the
/// tag when explicit.
pub(super) fn sniff(bytes: &[u8]) -> Option<Container> {
    if bytes.get(PREAMBLE..PREAMBLE + 4) == Some(MAGIC.as_slice()) {
        return Some(Container::Part10 { magic_at: PREAMBLE });
    }
    if bytes.starts_with(MAGIC) {
        return Some(Container::Part10 { magic_at: 0 });
    }
    let head = bytes.get(..8)?;
    let vr = dicom_core::VR::from_binary([head[4], head[5]]).is_some();
    match (head[0], head[1]) {
        (0x08, 0x00) if vr => Some(Container::Bare {
            syntax: EXPLICIT_LE,
        }),
        (0x08, 0x00) => Some(Container::Bare {
            syntax: IMPLICIT_LE,
        }),
        (0x00, 0x08) if vr => Some(Container::Bare {
            syntax: EXPLICIT_BE,
        }),
        _ => None,
    }
}

fn corrupt(detail: impl ToString) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "DICOM",
        detail: detail.to_string(),
    }
}

/// The data set of `bytes` as dicom-rs reads it, every element length
/// checked first.
fn open(bytes: &[u8], container: Container) -> Result<DefaultDicomObject, ScanProblem> {
    match container {
        Container::Part10 { magic_at } => {
            let part10 = &bytes[magic_at..];
            // Before dicom-rs allocates what the lengths declare.
            let layout = lengths::check(part10)?;
            // dicom-rs cannot read a file without one either; before it
            // tries (a damaged meta group made it hold 1.6 GB).
            if layout.syntax.is_empty() {
                return Err(corrupt("the file meta group has no Transfer Syntax UID"));
            }
            let dataset = part10.get(layout.dataset_at..).unwrap_or_default();
            if layout.syntax == DEFLATED_LE {
                let inflated = inflate(dataset)?;
                lengths::check_dataset(&inflated, EXPLICIT_LE)?;
                return read_dataset(&inflated, EXPLICIT_LE, DEFLATED_LE);
            }
            if !layout.implicit_dataset {
                let read = OpenFileOptions::new()
                    .read_preamble(ReadPreamble::Never)
                    .from_reader(Cursor::new(part10));
                // dicom-rs refuses some meta groups pydicom reads (no group
                // length, say): then the data set after it is read on its
                // own below.
                if let Ok(obj) = read {
                    return Ok(obj);
                }
            }
            let encoding = match layout.syntax.as_str() {
                _ if layout.implicit_dataset => IMPLICIT_LE,
                native @ (IMPLICIT_LE | EXPLICIT_BE) => native,
                _ => EXPLICIT_LE,
            };
            read_dataset(dataset, encoding, &layout.syntax)
        }
        Container::Bare { syntax } => {
            lengths::check_dataset(bytes, syntax)?;
            read_dataset(bytes, syntax, syntax)
        }
    }
}

/// The largest inflated data set: a 50-megapixel 16-bit frame is 100 MB,
/// the pixel budget's worth; a file that inflates past this is a bomb (a
/// 1 MB deflate stream can inflate to 1 GB).
const MAX_INFLATED: u64 = 128 << 20;

/// A deflated data set (PS3.5 A.5: raw deflate, no zlib header), inflated
/// to at most [`MAX_INFLATED`] bytes.
fn inflate(deflated: &[u8]) -> Result<Vec<u8>, ScanProblem> {
    use std::io::Read;
    let mut inflated = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| corrupt(format!("deflated data set: {e}")))?;
    if inflated.len() as u64 > MAX_INFLATED {
        return Err(corrupt(format!(
            "deflated data set inflates past {} MiB",
            MAX_INFLATED >> 20
        )));
    }
    Ok(inflated)
}

/// A data set without its meta group, written in `encoding`, whose pixel
/// data is in `pixel_syntax`.
fn read_dataset(
    dataset: &[u8],
    encoding: &str,
    pixel_syntax: &str,
) -> Result<DefaultDicomObject, ScanProblem> {
    let ts = TransferSyntaxRegistry
        .get(encoding)
        .ok_or_else(|| corrupt(format!("transfer syntax {encoding} unknown")))?;
    let dataset =
        InMemDicomObject::read_dataset_with_ts(Cursor::new(dataset), ts).map_err(corrupt)?;
    let uid = |tag| text(&dataset, tag);
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(pixel_syntax)
        .media_storage_sop_class_uid(
            uid(tags::SOP_CLASS_UID).unwrap_or_else(|| SECONDARY_CAPTURE.to_string()),
        )
        .media_storage_sop_instance_uid(
            uid(tags::SOP_INSTANCE_UID).unwrap_or_else(|| "2.25.0".to_string()),
        )
        .build()
        .map_err(corrupt)?;
    Ok(dataset.with_exact_meta(meta))
}

pub(super) fn decode(bytes: &[u8], container: Container) -> Result<Scan, ScanProblem> {
    let obj = open(bytes, container)?;
    let transfer_syntax = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();

    // First, so that a report or other non-image object says so plainly.
    if obj.element(tags::PIXEL_DATA).is_err() {
        return Err(ScanProblem::NoPixelData);
    }
    let frame = FrameShape::read(&obj)?;
    check_budget(frame.columns.into(), frame.rows.into())?;
    let palette = match frame.photometric {
        Photometric::PaletteColor => Some(Palette::read(&obj)?),
        _ => None,
    };

    let syntax = transfer_syntax.as_str();
    let (samples, decoded) = match syntax {
        IMPLICIT_LE | EXPLICIT_LE | EXPLICIT_BE | DEFLATED_LE => (
            native::frame0(&obj, &frame.native_layout(syntax == EXPLICIT_BE))?,
            frame.native_decoded(),
        ),
        JPEG_LS_LOSSLESS | JPEG_LS_NEAR_LOSSLESS => {
            (decode_jpeg_ls(&obj, &frame)?, frame.decoded_by_codec())
        }
        RLE_LOSSLESS => (decode_rle(&obj, &frame)?, frame.decoded_by_rle()),
        _ if JPEG.contains(&syntax) => (decode_jpeg(&obj, &frame)?, frame.decoded_by_codec()),
        _ => decode_with_dicom_pixeldata(&obj, &frame)?,
    };
    let values = colour::brightness(&samples, decoded, palette.as_ref(), frame.pixels())?;

    let grayscale = frame.photometric.is_grayscale();
    let mapping = if grayscale {
        Mapping {
            slope: float(&obj, tags::RESCALE_SLOPE).unwrap_or(1.0),
            intercept: float(&obj, tags::RESCALE_INTERCEPT).unwrap_or(0.0),
            window: Window::from_attributes(
                float(&obj, tags::WINDOW_CENTER),
                float(&obj, tags::WINDOW_WIDTH),
                text(&obj, tags::VOILUT_FUNCTION).as_deref(),
            ),
            invert: frame.photometric == Photometric::Monochrome1,
        }
    } else {
        // Rescale and VOI windows are defined for grayscale only.
        Mapping {
            slope: 1.0,
            intercept: 0.0,
            window: None,
            invert: false,
        }
    };
    let (pixels, intensity_mapping) = voi::to_unit_range(&values, &mapping);

    Ok(Scan {
        width: frame.columns,
        height: frame.rows,
        pixels,
        source: ScanSource {
            format: ScanFormat::Dicom,
            modality: text(&obj, tags::MODALITY),
            transfer_syntax: Some(transfer_syntax),
            bits_stored: frame.bits_stored,
            intensity_mapping,
        },
    })
}

/// The Image Pixel module attributes that say how to read one frame.
struct FrameShape {
    rows: u32,
    columns: u32,
    bits_allocated: u16,
    bits_stored: u16,
    signed: bool,
    photometric: Photometric,
    /// Planar Configuration 1: all of one colour's samples, then the next.
    planar: bool,
    frames: u32,
}

impl FrameShape {
    fn read(obj: &DefaultDicomObject) -> Result<Self, ScanProblem> {
        let required = |tag, name: &str| {
            obj.element(tag)
                .ok()
                .and_then(|e| e.to_int::<u32>().ok())
                .ok_or_else(|| corrupt(format!("missing or invalid {name}")))
        };
        let optional = |tag| obj.element(tag).ok().and_then(|e| e.to_int::<u16>().ok());
        let rows = required(tags::ROWS, "Rows")?;
        let columns = required(tags::COLUMNS, "Columns")?;
        let bits_allocated = required(tags::BITS_ALLOCATED, "Bits Allocated")? as u16;
        let samples_per_pixel = optional(tags::SAMPLES_PER_PIXEL).unwrap_or(1);
        let photometric = Photometric::parse(
            text(obj, tags::PHOTOMETRIC_INTERPRETATION)
                .as_deref()
                .unwrap_or("MONOCHROME2"),
            samples_per_pixel,
        )?;
        let frame = FrameShape {
            rows,
            columns,
            bits_allocated,
            bits_stored: optional(tags::BITS_STORED).unwrap_or(bits_allocated),
            signed: optional(tags::PIXEL_REPRESENTATION) == Some(1),
            photometric,
            planar: optional(tags::PLANAR_CONFIGURATION) == Some(1),
            frames: obj
                .element(tags::NUMBER_OF_FRAMES)
                .ok()
                .and_then(|e| e.to_int::<u32>().ok())
                .unwrap_or(1)
                .max(1),
        };
        frame.check_supported()?;
        Ok(frame)
    }

    fn check_supported(&self) -> Result<(), ScanProblem> {
        if !matches!(self.bits_allocated, 1 | 8 | 16 | 32) {
            return Err(ScanProblem::Unsupported(format!(
                "Bits Allocated {}",
                self.bits_allocated
            )));
        }
        if self.bits_allocated == 1 && !self.photometric.is_grayscale() {
            return Err(corrupt("1-bit samples in a colour image"));
        }
        if self.bits_stored == 0 || self.bits_stored > self.bits_allocated {
            return Err(corrupt(format!(
                "Bits Stored {} with Bits Allocated {}",
                self.bits_stored, self.bits_allocated
            )));
        }
        if self.photometric == Photometric::YbrFull422 && self.columns % 2 == 1 {
            return Err(corrupt("YBR_FULL_422 with an odd number of columns"));
        }
        Ok(())
    }

    fn pixels(&self) -> usize {
        self.rows as usize * self.columns as usize
    }

    /// A decoded sample as a number: masked to Bits Stored, sign-extended
    /// when signed.
    fn stored(&self, raw: u32) -> f32 {
        voi::stored_to_value(
            raw & voi::stored_mask(self.bits_stored),
            self.bits_stored,
            self.signed,
        )
    }

    /// Frame 0's samples as a native transfer syntax stores them.
    fn native_layout(&self, big_endian: bool) -> Layout {
        let samples = match self.photometric {
            // Two luma samples and one of each chroma per pair of pixels.
            Photometric::YbrFull422 => self.pixels() * 2,
            p => self.pixels() * usize::from(p.samples()),
        };
        Layout {
            samples,
            bits_allocated: self.bits_allocated,
            bits_stored: self.bits_stored,
            signed: self.signed,
            big_endian,
        }
    }

    /// What native samples are.
    fn native_decoded(&self) -> Decoded {
        match self.photometric {
            Photometric::Monochrome1 | Photometric::Monochrome2 => Decoded::Gray,
            Photometric::PaletteColor => Decoded::Indices,
            Photometric::Rgb | Photometric::YbrRctOrIct => Decoded::Rgb {
                planar: self.planar,
            },
            Photometric::YbrFull => Decoded::Ybr {
                planar: self.planar,
            },
            Photometric::YbrFull422 => Decoded::Ybr422,
        }
    }

    /// What a JPEG-family or JPEG 2000 decoder gives: colour frames come
    /// back as interleaved RGB (the codec undoes its own colour transform).
    fn decoded_by_codec(&self) -> Decoded {
        match self.photometric {
            Photometric::Monochrome1 | Photometric::Monochrome2 => Decoded::Gray,
            Photometric::PaletteColor => Decoded::Indices,
            _ => Decoded::Rgb { planar: false },
        }
    }

    /// What the RLE decoder gives: the samples as stored (RLE has no
    /// colour transform of its own), planar.
    fn decoded_by_rle(&self) -> Decoded {
        match self.photometric {
            Photometric::YbrFull | Photometric::YbrFull422 => Decoded::Ybr { planar: true },
            Photometric::Rgb | Photometric::YbrRctOrIct => Decoded::Rgb { planar: true },
            _ => self.decoded_by_codec(),
        }
    }
}

/// Stored values of frame 0 of an RLE file, planar.
fn decode_rle(obj: &DefaultDicomObject, frame: &FrameShape) -> Result<Vec<f32>, ScanProblem> {
    if frame.bits_allocated == 1 {
        return Err(ScanProblem::Unsupported("1-bit RLE".to_string()));
    }
    let stream = frame0_stream(obj, frame, "RLE")?;
    let values = rle::decode(
        &stream,
        frame.pixels(),
        usize::from(frame.photometric.samples()),
        usize::from(frame.bits_allocated / 8),
    )?;
    Ok(values.into_iter().map(|v| frame.stored(v)).collect())
}

/// Stored values of frame 0 through dicom-pixeldata (JPEG 2000 and the
/// other codecs it has).
fn decode_with_dicom_pixeldata(
    obj: &DefaultDicomObject,
    frame: &FrameShape,
) -> Result<(Vec<f32>, Decoded), ScanProblem> {
    if let Some(fragment) = first_fragment(obj) {
        codestream::check_matches(fragment, frame.columns, frame.rows)?;
    }
    let decoded = obj.decode_pixel_data_frame(0).map_err(|e| {
        let message = e.to_string();
        if message.contains("Unsupported TransferSyntax") || message.contains("unsupported") {
            ScanProblem::Unsupported(message)
        } else {
            corrupt(message)
        }
    })?;
    if decoded.rows() != frame.rows || decoded.columns() != frame.columns {
        return Err(corrupt("decoded size differs from the header"));
    }
    let bytes = decoded.frame_data(0).map_err(corrupt)?;
    let channels = usize::from(frame.photometric.samples());
    let expected = frame.pixels() * channels * usize::from(frame.bits_allocated / 8);
    if bytes.len() < expected {
        return Err(corrupt(format!(
            "pixel data holds {} bytes, the header needs {expected}",
            bytes.len()
        )));
    }
    let values = native::little_endian_samples(
        &bytes[..expected],
        frame.bits_allocated,
        frame.bits_stored,
        frame.signed,
    );
    Ok((values, frame.decoded_by_codec()))
}

/// The codestream of frame 0: the one fragment, all fragments of a
/// single frame, or the first of one fragment per frame.
fn frame0_stream<'a>(
    obj: &'a DefaultDicomObject,
    frame: &FrameShape,
    codec: &str,
) -> Result<Cow<'a, [u8]>, ScanProblem> {
    let fragments = obj
        .element(tags::PIXEL_DATA)
        .ok()
        .and_then(|e| e.value().fragments())
        .ok_or_else(|| corrupt(format!("{codec} pixel data is not encapsulated")))?;
    Ok(match (frame.frames, fragments) {
        (_, []) => return Err(corrupt(format!("{codec} pixel data has no fragments"))),
        (1, [one]) => Cow::Borrowed(one.as_slice()),
        (1, many) => Cow::Owned(many.concat()),
        (n, many) if many.len() == n as usize => Cow::Borrowed(many[0].as_slice()),
        _ => {
            return Err(ScanProblem::Unsupported(format!(
                "multi-frame {codec} with frames split over fragments"
            )))
        }
    })
}

/// Stored values of frame 0 of a JPEG file.
fn decode_jpeg(obj: &DefaultDicomObject, frame: &FrameShape) -> Result<Vec<f32>, ScanProblem> {
    if frame.bits_allocated == 32 {
        return Err(ScanProblem::Unsupported("32-bit JPEG".to_string()));
    }
    let stream = frame0_stream(obj, frame, "JPEG")?;
    codestream::check_matches(&stream, frame.columns, frame.rows)?;
    let samples = jpeg::decode(
        &stream,
        frame.photometric.samples(),
        frame.photometric == Photometric::Rgb,
    )?;
    Ok(samples
        .into_iter()
        .map(|s| frame.stored(s as u32))
        .collect())
}

/// Stored values of frame 0 of a JPEG-LS file.
fn decode_jpeg_ls(obj: &DefaultDicomObject, frame: &FrameShape) -> Result<Vec<f32>, ScanProblem> {
    if frame.photometric.samples() != 1 {
        return Err(ScanProblem::Unsupported(
            "colour JPEG-LS (only single-component is decoded)".to_string(),
        ));
    }
    let stream = frame0_stream(obj, frame, "JPEG-LS")?;
    codestream::check_matches(&stream, frame.columns, frame.rows)?;
    let (samples, width, height) =
        jpegls::decode(&stream, frame.columns, frame.rows).map_err(|e| ScanProblem::Corrupt {
            format: "JPEG-LS",
            detail: e.to_string(),
        })?;
    if (width, height) != (frame.columns, frame.rows) || samples.len() != frame.pixels() {
        return Err(corrupt("decoded JPEG-LS size differs from the header"));
    }
    Ok(samples
        .into_iter()
        .map(|s| frame.stored(u32::from(s)))
        .collect())
}

fn first_fragment(obj: &DefaultDicomObject) -> Option<&[u8]> {
    let element = obj.element(tags::PIXEL_DATA).ok()?;
    element
        .value()
        .fragments()?
        .iter()
        .find(|f| !f.is_empty())
        .map(|f| f.as_slice())
}

fn float(obj: &DefaultDicomObject, tag: dicom_core::Tag) -> Option<f64> {
    // Multi-valued attributes (several VOI windows) give their first value.
    let values = obj.element(tag).ok()?.to_multi_float64().ok()?;
    values.first().copied().filter(|v| v.is_finite())
}

fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<String> {
    let value = obj.element(tag).ok()?.to_str().ok()?;
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!value.is_empty()).then(|| value.to_string())
}
