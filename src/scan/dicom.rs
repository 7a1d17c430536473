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
use dicom_object::file::ReadPreamble;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;

use super::voi::{self, Mapping, Window};
use super::{check_budget, Scan, ScanFormat, ScanProblem, ScanSource};
use super::{codestream, lengths};

const PREAMBLE: usize = 128;
const MAGIC: &[u8; 4] = b"DICM";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
const JPEG_LS_LOSSLESS: &str = "1.2.840.10008.1.2.4.80";
const JPEG_LS_NEAR_LOSSLESS: &str = "1.2.840.10008.1.2.4.81";

/// A Part 10 file: 128-byte preamble, then `DICM`.
pub(super) fn is_dicom(bytes: &[u8]) -> bool {
    bytes.get(PREAMBLE..PREAMBLE + 4) == Some(MAGIC.as_slice())
}

fn corrupt(detail: impl ToString) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "DICOM",
        detail: detail.to_string(),
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<Scan, ScanProblem> {
    // Before dicom-rs allocates what the lengths declare.
    lengths::check(&bytes[PREAMBLE..])?;
    let obj = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Never)
        .from_reader(Cursor::new(&bytes[PREAMBLE..]))
        .map_err(corrupt)?;
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

    let samples = if transfer_syntax == JPEG_LS_LOSSLESS || transfer_syntax == JPEG_LS_NEAR_LOSSLESS
    {
        decode_jpeg_ls(&obj, &frame)?
    } else {
        decode_with_dicom_pixeldata(&obj, &frame)?
    };

    let mapping = Mapping {
        slope: float(&obj, tags::RESCALE_SLOPE).unwrap_or(1.0),
        intercept: float(&obj, tags::RESCALE_INTERCEPT).unwrap_or(0.0),
        window: Window::from_attributes(
            float(&obj, tags::WINDOW_CENTER),
            float(&obj, tags::WINDOW_WIDTH),
            text(&obj, tags::VOILUT_FUNCTION).as_deref(),
        ),
        invert: frame.photometric == "MONOCHROME1",
    };
    let (pixels, intensity_mapping) = voi::to_unit_range(&samples, &mapping);

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
    samples_per_pixel: u16,
    bits_allocated: u16,
    bits_stored: u16,
    signed: bool,
    photometric: String,
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
        let rows = required(tags::ROWS, "Rows")?;
        let columns = required(tags::COLUMNS, "Columns")?;
        let bits_allocated = required(tags::BITS_ALLOCATED, "Bits Allocated")? as u16;
        let bits_stored = obj
            .element(tags::BITS_STORED)
            .ok()
            .and_then(|e| e.to_int::<u16>().ok())
            .unwrap_or(bits_allocated);
        let samples_per_pixel = obj
            .element(tags::SAMPLES_PER_PIXEL)
            .ok()
            .and_then(|e| e.to_int::<u16>().ok())
            .unwrap_or(1);
        let photometric = text(obj, tags::PHOTOMETRIC_INTERPRETATION)
            .unwrap_or_else(|| "MONOCHROME2".to_string());
        let frame = FrameShape {
            rows,
            columns,
            samples_per_pixel,
            bits_allocated,
            bits_stored,
            signed: obj
                .element(tags::PIXEL_REPRESENTATION)
                .ok()
                .and_then(|e| e.to_int::<u16>().ok())
                == Some(1),
            photometric,
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
        let unsupported = |what: String| Err(ScanProblem::Unsupported(what));
        match (self.photometric.as_str(), self.samples_per_pixel) {
            ("MONOCHROME1" | "MONOCHROME2", 1) | ("RGB", 3) => {}
            (pi, spp) => {
                return unsupported(format!(
                    "photometric interpretation {pi} with {spp} samples per pixel"
                ))
            }
        }
        if !matches!(self.bits_allocated, 8 | 16 | 32) {
            return unsupported(format!("Bits Allocated {}", self.bits_allocated));
        }
        if self.bits_stored == 0 || self.bits_stored > self.bits_allocated {
            return Err(corrupt(format!(
                "Bits Stored {} with Bits Allocated {}",
                self.bits_stored, self.bits_allocated
            )));
        }
        Ok(())
    }

    fn pixels(&self) -> usize {
        self.rows as usize * self.columns as usize
    }
}

/// Stored values of frame 0 through dicom-pixeldata, as one value per pixel
/// (RGB reduced to luma).
fn decode_with_dicom_pixeldata(
    obj: &DefaultDicomObject,
    frame: &FrameShape,
) -> Result<Vec<f32>, ScanProblem> {
    let syntax = obj.meta().transfer_syntax().trim_end_matches('\0');
    match first_fragment(obj) {
        Some(fragment) if syntax == RLE_LOSSLESS => check_rle_header(fragment, frame)?,
        Some(fragment) => codestream::check_matches(fragment, frame.columns, frame.rows)?,
        None => {}
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
    let channels = usize::from(frame.samples_per_pixel);
    let expected = frame.pixels() * channels * usize::from(frame.bits_allocated / 8);
    if bytes.len() < expected {
        return Err(corrupt(format!(
            "pixel data holds {} bytes, the header needs {expected}",
            bytes.len()
        )));
    }
    let values = stored_values(&bytes[..expected], frame);
    Ok(if channels == 3 {
        let planar =
            decoded.planar_configuration() == dicom_pixeldata::PlanarConfiguration::PixelFirst;
        voi::rgb_to_luma(&values, planar)
    } else {
        values
    })
}

/// Stored values of frame 0 of a JPEG-LS file.
fn decode_jpeg_ls(obj: &DefaultDicomObject, frame: &FrameShape) -> Result<Vec<f32>, ScanProblem> {
    if frame.samples_per_pixel != 1 {
        return Err(ScanProblem::Unsupported(
            "colour JPEG-LS (only single-component is decoded)".to_string(),
        ));
    }
    let fragments = obj
        .element(tags::PIXEL_DATA)
        .ok()
        .and_then(|e| e.value().fragments())
        .ok_or_else(|| corrupt("JPEG-LS pixel data is not encapsulated"))?;
    let stream: Cow<[u8]> = match (frame.frames, fragments) {
        (_, []) => return Err(corrupt("JPEG-LS pixel data has no fragments")),
        (1, [one]) => Cow::Borrowed(one.as_slice()),
        (1, many) => Cow::Owned(many.concat()),
        (n, many) if many.len() == n as usize => Cow::Borrowed(many[0].as_slice()),
        _ => {
            return Err(ScanProblem::Unsupported(
                "multi-frame JPEG-LS with frames split over fragments".to_string(),
            ))
        }
    };
    codestream::check_matches(&stream, frame.columns, frame.rows)?;
    let (samples, width, height) =
        jpegls::decode(&stream, frame.columns, frame.rows).map_err(|e| ScanProblem::Corrupt {
            format: "JPEG-LS",
            detail: e.to_string(),
        })?;
    if (width, height) != (frame.columns, frame.rows) || samples.len() != frame.pixels() {
        return Err(corrupt("decoded JPEG-LS size differs from the header"));
    }
    let mask = voi::stored_mask(frame.bits_stored);
    Ok(samples
        .into_iter()
        .map(|s| voi::stored_to_value(u32::from(s) & mask, frame.bits_stored, frame.signed))
        .collect())
}

/// Little-endian samples of `bits_allocated` bits, masked to `bits_stored`
/// and sign-extended when Pixel Representation says signed.
fn stored_values(bytes: &[u8], frame: &FrameShape) -> Vec<f32> {
    let mask = voi::stored_mask(frame.bits_stored);
    let value = |raw: u32| voi::stored_to_value(raw & mask, frame.bits_stored, frame.signed);
    match frame.bits_allocated {
        8 => bytes.iter().map(|&b| value(u32::from(b))).collect(),
        16 => bytes
            .chunks_exact(2)
            .map(|c| value(u32::from(u16::from_le_bytes([c[0], c[1]]))))
            .collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|c| value(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
    }
}

/// The RLE header of the first fragment (PS3.5 annex G): 1 to 15
/// segments, one per byte of each sample, at ascending offsets inside the
/// fragment, so that the decoder never sizes anything from garbage.
fn check_rle_header(fragment: &[u8], frame: &FrameShape) -> Result<(), ScanProblem> {
    let word = |i: usize| {
        fragment
            .get(4 * i..4 * i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let bad = |what: &str| corrupt(format!("RLE header: {what}"));
    let segments = word(0).ok_or_else(|| bad("shorter than 64 bytes"))?;
    let expected = usize::from(frame.samples_per_pixel) * usize::from(frame.bits_allocated / 8);
    if segments != expected || !(1..=15).contains(&segments) {
        return Err(bad(&format!(
            "{segments} segments where the samples need {expected}"
        )));
    }
    let mut previous = 63;
    for i in 1..=segments {
        let offset = word(i).ok_or_else(|| bad("shorter than 64 bytes"))?;
        if offset <= previous || offset >= fragment.len() {
            return Err(bad(&format!("segment {i} starts outside the fragment")));
        }
        previous = offset;
    }
    Ok(())
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

fn text(obj: &DefaultDicomObject, tag: dicom_core::Tag) -> Option<String> {
    let value = obj.element(tag).ok()?.to_str().ok()?;
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!value.is_empty()).then(|| value.to_string())
}
