//! Reading the image size out of an encapsulated JPEG, JPEG-LS or JPEG 2000
//! codestream before decoding it.
//!
//! Decoders allocate for the size their codestream declares, not the size in
//! the DICOM header; a codestream that claims more than its header is a
//! decompression bomb (or a broken file) and is refused here, cheaply.

use super::ScanProblem;

/// Refuses a codestream whose declared size differs from the DICOM header's.
/// Streams whose size cannot be read are left to the decoder.
pub(super) fn check_matches(stream: &[u8], columns: u32, rows: u32) -> Result<(), ScanProblem> {
    let Some((width, height)) = jpeg_family_size(stream).or_else(|| jpeg2000_size(stream)) else {
        return Ok(());
    };
    // JPEG allows height 0 in the frame header (defined later by a DNL marker).
    if width != columns || (height != 0 && height != rows) {
        return Err(ScanProblem::Corrupt {
            format: "DICOM",
            detail: format!(
                "codestream declares {width}x{height} but the header says {columns}x{rows}"
            ),
        });
    }
    Ok(())
}

/// One marker segment of a JPEG-family stream.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment<'a> {
    /// The marker's second byte (0xC0 for SOF0, 0xDA for SOS, ...).
    pub marker: u8,
    /// What follows the length field.
    pub payload: &'a [u8],
    /// Where the next byte after the segment is.
    pub end: usize,
}

/// The marker segments of a JPEG (ITU-T T.81) or JPEG-LS (T.87) stream up
/// to and including its first scan header; the walk stops there or at
/// anything it cannot follow.
pub(super) fn jpeg_segments(stream: &[u8]) -> impl Iterator<Item = Segment<'_>> {
    let mut pos = if stream.starts_with(&[0xFF, 0xD8]) {
        2
    } else {
        usize::MAX
    };
    std::iter::from_fn(move || {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while stream.get(pos) == Some(&0xFF) && stream.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if *stream.get(pos)? != 0xFF {
            return None;
        }
        let marker = *stream.get(pos + 1)?;
        let length = usize::from(u16::from_be_bytes([
            *stream.get(pos + 2)?,
            *stream.get(pos + 3)?,
        ]));
        if length < 2 {
            return None;
        }
        // A segment cut short still gives what it has (a frame header's
        // first bytes are enough for its size).
        let payload = stream.get(pos + 4..(pos + 2 + length).min(stream.len()))?;
        let end = pos + 2 + length;
        // After the scan header comes entropy-coded data, not segments.
        pos = if marker == 0xDA { usize::MAX } else { end };
        Some(Segment {
            marker,
            payload,
            end,
        })
    })
}

/// Start-of-frame markers: the DCT, lossless and JPEG-LS (SOF55) frames.
pub(super) fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xF7)
}

/// Width and height from the first SOFn marker of a JPEG-family stream.
fn jpeg_family_size(stream: &[u8]) -> Option<(u32, u32)> {
    let frame = jpeg_segments(stream).find(|s| is_start_of_frame(s.marker))?;
    let frame = frame.payload.get(..5)?;
    let height = u32::from(u16::from_be_bytes([frame[1], frame[2]]));
    let width = u32::from(u16::from_be_bytes([frame[3], frame[4]]));
    Some((width, height))
}

/// Width and height from the SIZ marker of a JPEG 2000 codestream (raw, or
/// inside a JP2 box structure: the codestream is then searched for).
fn jpeg2000_size(stream: &[u8]) -> Option<(u32, u32)> {
    const SOC_SIZ: [u8; 4] = [0xFF, 0x4F, 0xFF, 0x51];
    let head = &stream[..stream.len().min(4096)];
    let start = head.windows(4).position(|w| w == SOC_SIZ)?;
    let siz = stream.get(start + 4..start + 4 + 2 + 2 + 16)?;
    let be = |i: usize| u32::from_be_bytes([siz[i], siz[i + 1], siz[i + 2], siz[i + 3]]);
    let (xsiz, ysiz, xosiz, yosiz) = (be(4), be(8), be(12), be(16));
    Some((xsiz.checked_sub(xosiz)?, ysiz.checked_sub(yosiz)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_jpeg_sof0_after_other_segments() {
        // SOI, APP0 of length 4, SOF0: precision 8, height 0x0102, width 0x0304.
        let stream = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x01,
            0x02, 0x03, 0x04, 0x01,
        ];
        assert_eq!(jpeg_family_size(&stream), Some((0x0304, 0x0102)));
        assert!(check_matches(&stream, 0x0304, 0x0102).is_ok());
        assert!(check_matches(&stream, 0x0304, 0x0101).is_err());
    }

    #[test]
    fn segments_step_over_fill_bytes_and_end_at_the_scan_header() {
        // SOI, DRI (length 4) after two fill bytes, SOS (length 3), data.
        let stream = [
            0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xDD, 0x00, 0x04, 0x00, 0x10, 0xFF, 0xDA, 0x00, 0x03,
            0x01, 0xAB, 0xFF, 0xD9,
        ];
        let segments: Vec<_> = jpeg_segments(&stream).collect();
        assert_eq!(segments.len(), 2);
        assert_eq!(
            (segments[0].marker, segments[0].payload),
            (0xDD, &[0x00, 0x10][..])
        );
        assert_eq!((segments[1].marker, segments[1].end), (0xDA, 15));
        assert_eq!(stream[segments[1].end], 0xAB);
    }

    #[test]
    fn reads_a_jpeg2000_siz() {
        let mut stream = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00];
        for v in [2000u32, 1000, 100, 0] {
            stream.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(jpeg2000_size(&stream), Some((1900, 1000)));
    }

    #[test]
    fn truncated_headers_are_left_to_the_decoder() {
        assert_eq!(jpeg_family_size(&[0xFF, 0xD8, 0xFF]), None);
        assert_eq!(jpeg2000_size(&[0xFF, 0x4F, 0xFF, 0x51, 0x00]), None);
        assert!(check_matches(&[0xFF, 0xD8], 10, 10).is_ok());
    }
}
