//! Encapsulated JPEG (baseline, extended, progressive, lossless) through
//! jpeg-decoder, with the colour rules of libjpeg; 12-bit DCT frames
//! through jpeg12.rs.
//!
//! dicom-pixeldata's JPEG adapter lets jpeg-decoder guess the colour of a
//! three-component frame, and jpeg-decoder looks at the component ids (1, 2,
//! 3 means YCbCr) before the Adobe APP14 marker. libjpeg, and so dcmtk, GDCM
//! and pydicom, does the opposite: a JFIF marker means YCbCr, else an APP14
//! marker's transform flag decides (0: no transform, the components are
//! RGB), else the ids. Where the stream says nothing (no JFIF, no APP14,
//! ids neither 1-2-3 nor R-G-B), the DICOM header decides, as pydicom and
//! GDCM let it: Photometric Interpretation RGB means the components were
//! compressed as RGB (PS3.5 8.2.1), YBR_* that they are YCbCr. Such files
//! (pydicom's SC_jpeg_no_color_transform: ids 0-1-2, RGB) came out as false
//! colours, a wrong picture without a word.

use jpeg_decoder::{ColorTransform, Decoder, PixelFormat};

use super::codestream::{is_start_of_frame, jpeg_segments, Segment};
use super::{jpeg12, ScanProblem};

fn corrupt(detail: impl ToString) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "JPEG",
        detail: detail.to_string(),
    }
}

/// The colour transform for `stream`'s components: libjpeg's rules, then
/// the header's `stored_as_rgb`.
fn colour_transform(stream: &[u8], stored_as_rgb: bool) -> Option<ColorTransform> {
    let (mut jfif, mut adobe, mut ids) = (false, None, Vec::new());
    for Segment {
        marker, payload, ..
    } in jpeg_segments(stream)
    {
        match marker {
            0xE0 if payload.starts_with(b"JFIF\0") => jfif = true,
            // "Adobe", version, flags0, flags1, transform.
            0xEE if payload.starts_with(b"Adobe") && payload.len() >= 12 => {
                adobe = Some(payload[11]);
            }
            m if is_start_of_frame(m) => {
                let count = usize::from(*payload.get(5)?);
                ids = (0..count)
                    .filter_map(|i| payload.get(6 + 3 * i).copied())
                    .collect();
                break;
            }
            _ => {}
        }
    }
    if ids.len() != 3 {
        return None;
    }
    Some(match (jfif, adobe, ids.as_slice()) {
        (true, _, _) => ColorTransform::YCbCr,
        (false, Some(0), _) => ColorTransform::RGB,
        (false, Some(_), _) => ColorTransform::YCbCr,
        (false, None, [1, 2, 3]) => ColorTransform::YCbCr,
        (false, None, [b'R', b'G', b'B']) => ColorTransform::RGB,
        _ if stored_as_rgb => ColorTransform::RGB,
        _ => ColorTransform::YCbCr,
    })
}

/// A DCT frame (baseline or extended sequential) of 12-bit samples, which
/// jpeg-decoder does not read: jpeg12.rs does.
fn twelve_bit_dct(stream: &[u8]) -> bool {
    jpeg_segments(stream)
        .find(|s| is_start_of_frame(s.marker))
        .is_some_and(|s| matches!(s.marker, 0xC0 | 0xC1) && s.payload.first() == Some(&12))
}

/// The samples of one frame: one per pixel, or RGB interleaved for three
/// components; values as stored (up to 16 bits for lossless).
/// `stored_as_rgb`: the header's Photometric Interpretation is RGB.
pub(super) fn decode(
    stream: &[u8],
    samples_per_pixel: u16,
    stored_as_rgb: bool,
) -> Result<Vec<f32>, ScanProblem> {
    if twelve_bit_dct(stream) {
        if samples_per_pixel != 1 {
            return Err(ScanProblem::Unsupported("12-bit colour JPEG".to_string()));
        }
        let (samples, _, _) = jpeg12::decode(stream)?;
        return Ok(samples.into_iter().map(f32::from).collect());
    }
    let mut decoder = Decoder::new(stream);
    if let Some(transform) = colour_transform(stream, stored_as_rgb) {
        decoder.set_color_transform(transform);
    }
    let pixels = decoder.decode().map_err(|e| match e {
        jpeg_decoder::Error::Unsupported(what) => {
            ScanProblem::Unsupported(format!("JPEG feature {what:?}"))
        }
        other => corrupt(other),
    })?;
    let info = decoder.info().ok_or_else(|| corrupt("no frame header"))?;
    let components = match info.pixel_format {
        PixelFormat::L8 | PixelFormat::L16 => 1,
        PixelFormat::RGB24 => 3,
        PixelFormat::CMYK32 => 4,
    };
    if components != samples_per_pixel {
        return Err(corrupt(format!(
            "the stream has {components} components, the header says {samples_per_pixel} samples per pixel"
        )));
    }
    Ok(match info.pixel_format {
        // Native byte order, as jpeg-decoder documents for 16-bit output.
        PixelFormat::L16 => pixels
            .chunks_exact(2)
            .map(|c| f32::from(u16::from_ne_bytes([c[0], c[1]])))
            .collect(),
        _ => pixels.iter().map(|&b| f32::from(b)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(segments: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        for (marker, payload) in segments {
            out.extend_from_slice(&[0xFF, *marker]);
            out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
            out.extend_from_slice(payload);
        }
        out
    }

    const SOF_123: &[u8] = &[8, 0, 4, 0, 4, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1];

    #[test]
    fn adobe_transform_0_means_rgb_even_with_ids_1_2_3() {
        let adobe: &[u8] = b"Adobe\x00\x64\x00\x00\x00\x00\x00";
        let s = stream(&[(0xEE, adobe), (0xC0, SOF_123)]);
        assert_eq!(colour_transform(&s, false), Some(ColorTransform::RGB));
        let s = stream(&[(0xC0, SOF_123)]);
        assert_eq!(colour_transform(&s, true), Some(ColorTransform::YCbCr));
        let jfif: &[u8] = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
        let s = stream(&[(0xE0, jfif), (0xEE, adobe), (0xC0, SOF_123)]);
        assert_eq!(colour_transform(&s, true), Some(ColorTransform::YCbCr));
    }

    #[test]
    fn a_silent_stream_takes_the_headers_word() {
        let ids_012: &[u8] = &[8, 0, 4, 0, 4, 3, 0, 0x11, 0, 1, 0x11, 1, 2, 0x11, 1];
        let s = stream(&[(0xC0, ids_012)]);
        assert_eq!(colour_transform(&s, true), Some(ColorTransform::RGB));
        assert_eq!(colour_transform(&s, false), Some(ColorTransform::YCbCr));
    }
}
