//! PNG, JPEG, TIFF and BMP through the `image` crate. 16-bit PNG and TIFF
//! keep their precision: samples go straight to f32 without an 8-bit step.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::{check_budget, Scan, ScanFormat, ScanProblem, ScanSource, PIXEL_BUDGET};

/// The raster formats touchray reads: the `image` format, ours, and the name
/// used in error messages.
const SUPPORTED: [(ImageFormat, ScanFormat, &str); 4] = [
    (ImageFormat::Png, ScanFormat::Png, "PNG"),
    (ImageFormat::Jpeg, ScanFormat::Jpeg, "JPEG"),
    (ImageFormat::Tiff, ScanFormat::Tiff, "TIFF"),
    (ImageFormat::Bmp, ScanFormat::Bmp, "BMP"),
];

/// A supported raster format, recognised by its magic bytes (never by name).
#[derive(Debug, Clone, Copy)]
pub(super) struct Raster {
    image_format: ImageFormat,
    format: ScanFormat,
    name: &'static str,
}

pub(super) fn sniff(bytes: &[u8]) -> Option<Raster> {
    let guessed = image::guess_format(bytes).ok()?;
    SUPPORTED
        .iter()
        .find(|(image_format, _, _)| *image_format == guessed)
        .map(|&(image_format, format, name)| Raster {
            image_format,
            format,
            name,
        })
}

pub(super) fn decode(bytes: &[u8], raster: Raster) -> Result<Scan, ScanProblem> {
    let Raster {
        image_format,
        format,
        name,
    } = raster;
    let corrupt = |e: image::ImageError| ScanProblem::Corrupt {
        format: name,
        detail: e.to_string(),
    };

    if format == ScanFormat::Jpeg {
        return decode_jpeg_strict(bytes);
    }
    // Header first: refuse absurd sizes before the decoder allocates.
    let (width, height) = reader(bytes, image_format)
        .into_dimensions()
        .map_err(corrupt)?;
    check_budget(width.into(), height.into())?;

    let mut reader = reader(bytes, image_format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // 4 channels of 16 bits, as the widest thing a decoder may allocate.
    limits.max_alloc = Some(PIXEL_BUDGET * 8);
    reader.limits(limits);
    let image = reader.decode().map_err(corrupt)?;

    let bits_stored = match image.color() {
        c if c.bytes_per_pixel() / c.channel_count() >= 2 => 16,
        _ => 8,
    };
    // to_luma32f keeps 16-bit samples at full precision (u16 / 65535).
    let luma = image.to_luma32f();
    Ok(Scan {
        width,
        height,
        pixels: luma
            .into_raw()
            .into_iter()
            .map(|v| v.clamp(0.0, 1.0))
            .collect(),
        source: ScanSource {
            format,
            modality: None,
            transfer_syntax: None,
            bits_stored,
            intensity_mapping: "full-scale",
            orientation: super::Orientation::Assumed,
            view_position: None,
        },
    })
}

fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(format);
    reader
}

/// JPEG through zune-jpeg in strict mode, straight to luma: truncated or
/// corrupt entropy data is an error instead of gray fill.
fn decode_jpeg_strict(bytes: &[u8]) -> Result<Scan, ScanProblem> {
    let corrupt = |e: zune_jpeg::errors::DecodeErrors| ScanProblem::Corrupt {
        format: "JPEG",
        detail: e.to_string(),
    };
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(corrupt)?;
    let (width, height) = decoder.dimensions().ok_or_else(|| ScanProblem::Corrupt {
        format: "JPEG",
        detail: "no frame header".to_string(),
    })?;
    check_budget(width as u64, height as u64)?;
    // Bound the decoder to the size just checked (its default cap is larger).
    decoder.set_options(options.set_max_width(width).set_max_height(height));
    let luma = decoder.decode().map_err(corrupt)?;
    if luma.len() != width * height {
        return Err(ScanProblem::Corrupt {
            format: "JPEG",
            detail: format!("decoded {} samples for {width}x{height}", luma.len()),
        });
    }
    Ok(Scan {
        width: width as u32,
        height: height as u32,
        pixels: luma.into_iter().map(|v| f32::from(v) / 255.0).collect(),
        source: ScanSource {
            format: ScanFormat::Jpeg,
            modality: None,
            transfer_syntax: None,
            bits_stored: 8,
            intensity_mapping: "full-scale",
            orientation: super::Orientation::Assumed,
            view_position: None,
        },
    })
}
