//! The pixels of a DICOM data set as one brightness per pixel, whatever
//! its transfer syntax (the data set itself is found and read by
//! container.rs).
//!
//! Native samples are read in the file's byte order (native.rs); RLE by
//! rle.rs; JPEG by jpeg.rs and jpeg12.rs; JPEG-LS by `pure_jpegls`, because
//! dicom-pixeldata offers JPEG-LS only through C++ CharLS, which would tie
//! every board build to a C++ cross toolchain; JPEG 2000 by
//! `dicom-pixeldata` with the pure-Rust openjp2. Colour becomes brightness in
//! colour.rs.
//!
//! Only the attributes needed to turn samples into intensities are read.
//! Patient, study and institution attributes are never touched.

use std::borrow::Cow;

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};
use dicom_pixeldata::PixelDecoder;

use super::colour::{self, Decoded, Palette, Photometric};
use super::container::{self, Container, DEFLATED_LE, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE};
use super::native::{self, Layout};
use super::voi::{self, Mapping, Window};
use super::{check_budget, Scan, ScanFormat, ScanProblem, ScanSource};
use super::{codestream, jpeg, orientation, rle};

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
fn corrupt(detail: impl ToString) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "DICOM",
        detail: detail.to_string(),
    }
}

pub(super) fn decode(bytes: &[u8], container: Container) -> Result<Scan, ScanProblem> {
    let obj = container::open(bytes, container)?;
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
            (decode_jpeg_ls(&obj, &frame)?, frame.decoded_by_jpeg_ls())
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
    let (mut pixels, intensity_mapping) = voi::to_unit_range(&values, &mapping);
    let (orientation, flips) =
        orientation::from_patient_orientation(text(&obj, tags::PATIENT_ORIENTATION).as_deref());
    orientation::apply(
        &mut pixels,
        frame.columns as usize,
        frame.rows as usize,
        flips,
    );

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
            orientation,
            // Only a defined term's shape (AP, PA, LL, RLD...): a free
            // text here could carry anything, a name included.
            view_position: text(&obj, tags::VIEW_POSITION).filter(|v| {
                (2..=4).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_uppercase())
            }),
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

    /// What the JPEG-LS decoder gives: the samples as stored, interleaved
    /// (DICOM's JPEG-LS has no colour transform; a YBR frame stays YBR).
    fn decoded_by_jpeg_ls(&self) -> Decoded {
        match self.photometric {
            Photometric::YbrFull | Photometric::YbrFull422 => Decoded::Ybr { planar: false },
            _ => self.decoded_by_codec(),
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

/// Stored values of frame 0 of a JPEG-LS file: one component, or three
/// interleaved by line or by sample (each pixel's three samples together).
fn decode_jpeg_ls(obj: &DefaultDicomObject, frame: &FrameShape) -> Result<Vec<f32>, ScanProblem> {
    let stream = frame0_stream(obj, frame, "JPEG-LS")?;
    codestream::check_matches(&stream, frame.columns, frame.rows)?;
    let (samples, components) = jpegls::decode_components(&stream, frame.columns, frame.rows)
        .map_err(|e| match e {
            jpegls::CodecError::Unsupported(what) => ScanProblem::Unsupported(what),
            // The decoder's own message names JPEG-LS again ("truncated
            // JPEG-LS stream at ..."), after "corrupt or truncated JPEG-LS:".
            jpegls::CodecError::Truncated { offset, context } => ScanProblem::Corrupt {
                format: "JPEG-LS",
                detail: format!("the scan ends at byte {offset} of the stream ({context})"),
            },
            other => ScanProblem::Corrupt {
                format: "JPEG-LS",
                detail: other.to_string(),
            },
        })?;
    if components != usize::from(frame.photometric.samples()) {
        return Err(corrupt(
            "JPEG-LS components differ from the header's samples per pixel",
        ));
    }
    if samples.len() != frame.pixels() * components {
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

pub(super) fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<String> {
    let value = obj.element(tag).ok()?.to_str().ok()?;
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!value.is_empty()).then(|| value.to_string())
}
