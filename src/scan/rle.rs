//! DICOM RLE Lossless (PS3.5 annex G), decoded here.
//!
//! Hand-rolled because dicom-pixeldata 0.10's RLE decoder refuses 32-bit
//! samples (RT dose, pydicom's SC_rgb_rle_32bit) and panics on damaged
//! segments (index out of bounds at rle_lossless.rs lines 223, 235, 237).
//! The format is small: a 64-byte header (segment count, then up to 15
//! offsets), one PackBits segment per byte of each sample, most significant
//! byte first. Every segment is decoded into a buffer of exactly one frame's
//! pixels, so nothing is sized from the stream.

use super::ScanProblem;

fn corrupt(detail: String) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "DICOM",
        detail,
    }
}

/// The stored values of one frame of `pixels` pixels, `samples` samples
/// per pixel of `bytes_per_sample` bytes, planar (all of the first sample,
/// then the next), unmasked.
pub(super) fn decode(
    fragment: &[u8],
    pixels: usize,
    samples: usize,
    bytes_per_sample: usize,
) -> Result<Vec<u32>, ScanProblem> {
    let word = |i: usize| {
        fragment
            .get(4 * i..4 * i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let short = || corrupt("RLE header shorter than 64 bytes".to_string());
    let count = word(0).ok_or_else(short)?;
    let expected = samples * bytes_per_sample;
    if count != expected || !(1..=15).contains(&count) {
        return Err(corrupt(format!(
            "RLE header: {count} segments where the samples need {expected}"
        )));
    }
    let mut offsets = Vec::with_capacity(count + 1);
    for i in 1..=count {
        let offset = word(i).ok_or_else(short)?;
        let previous = offsets.last().copied().unwrap_or(63);
        if offset <= previous || offset >= fragment.len() {
            return Err(corrupt(format!(
                "RLE header: segment {i} starts outside the fragment"
            )));
        }
        offsets.push(offset);
    }
    offsets.push(fragment.len());

    let mut values = vec![0u32; pixels * samples];
    let mut segment = vec![0u8; pixels];
    for (i, bounds) in offsets.windows(2).enumerate() {
        let filled = unpack(&fragment[bounds[0]..bounds[1]], &mut segment);
        if filled < pixels {
            return Err(corrupt(format!(
                "RLE segment {} decodes to {filled} bytes, the frame needs {pixels}",
                i + 1
            )));
        }
        let (sample, byte) = (i / bytes_per_sample, i % bytes_per_sample);
        let shift = 8 * (bytes_per_sample - 1 - byte);
        let plane = &mut values[sample * pixels..(sample + 1) * pixels];
        for (value, &b) in plane.iter_mut().zip(&segment) {
            *value |= u32::from(b) << shift;
        }
    }
    Ok(values)
}

/// PackBits into `out`; returns how many bytes were filled (at most
/// `out.len()`: the rest of a longer segment is padding or damage, and is
/// not read).
fn unpack(mut input: &[u8], out: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < out.len() {
        let Some((&header, rest)) = input.split_first() else {
            break;
        };
        input = rest;
        let n = header as i8;
        if n >= 0 {
            let literal = usize::from(header) + 1;
            let take = literal.min(input.len()).min(out.len() - filled);
            out[filled..filled + take].copy_from_slice(&input[..take]);
            filled += take;
            input = &input[literal.min(input.len())..];
        } else if n != -128 {
            let Some((&byte, rest)) = input.split_first() else {
                break;
            };
            input = rest;
            let run = (1 - i16::from(n)) as usize;
            let take = run.min(out.len() - filled);
            out[filled..filled + take].fill(byte);
            filled += take;
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(segments: &[&[u8]]) -> Vec<u8> {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(&(segments.len() as u32).to_le_bytes());
        let mut offset = 64u32;
        let mut body = Vec::new();
        for (i, s) in segments.iter().enumerate() {
            header[4 + 4 * i..8 + 4 * i].copy_from_slice(&offset.to_le_bytes());
            offset += s.len() as u32;
            body.extend_from_slice(s);
        }
        header.extend(body);
        header
    }

    #[test]
    fn literals_and_runs() {
        let mut out = [0u8; 6];
        // 2 literals (1, 2), then 4 times 9.
        assert_eq!(unpack(&[1, 1, 2, 0xFD, 9], &mut out), 6);
        assert_eq!(out, [1, 2, 9, 9, 9, 9]);
    }

    #[test]
    fn sixteen_bit_samples_take_the_high_byte_first() {
        // Two pixels 0x0102, 0x0304: segment 1 the high bytes, 2 the low.
        let f = fragment(&[&[1, 1, 3], &[1, 2, 4]]);
        assert_eq!(decode(&f, 2, 1, 2).unwrap(), vec![0x0102, 0x0304]);
    }

    #[test]
    fn thirty_two_bit_samples() {
        let f = fragment(&[&[0, 0x12], &[0, 0x34], &[0, 0x56], &[0, 0x78]]);
        assert_eq!(decode(&f, 1, 1, 4).unwrap(), vec![0x1234_5678]);
    }

    #[test]
    fn a_short_or_hostile_segment_is_refused_not_a_panic() {
        let f = fragment(&[&[1, 1]]);
        assert!(decode(&f, 4, 1, 1).is_err());
        let mut f = fragment(&[&[0xFD, 9]]);
        f[0] = 200; // the segment count
        assert!(decode(&f, 4, 1, 1).is_err());
        assert!(decode(&f[..10], 4, 1, 1).is_err());
        // A run longer than the frame fills it and stops.
        let f = fragment(&[&[0x81, 7]]);
        assert_eq!(decode(&f, 3, 1, 1).unwrap(), vec![7, 7, 7]);
    }
}
