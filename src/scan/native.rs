//! Native (uncompressed) pixel data: the samples of frame 0 as the file
//! holds them, in its own byte order.
//!
//! dicom-rs keeps an OW value as 16-bit words in the machine's order, which
//! is right for 16-bit samples and wrong for others in a big-endian file:
//! 8-bit samples in OW come out pairwise swapped, 32-bit samples with their
//! halves swapped. So the bytes are first put back in the file's order (each
//! word written as the transfer syntax writes it), then cut into samples of
//! Bits Allocated in that same order, as pydicom and dcmtk read them.

use std::borrow::Cow;

use dicom_core::value::{PrimitiveValue, Value};
use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;

use super::voi;
use super::ScanProblem;

fn corrupt(detail: String) -> ScanProblem {
    ScanProblem::Corrupt {
        format: "DICOM",
        detail,
    }
}

/// The geometry of one frame's samples.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// Values in a frame: pixels times samples (times 2/3 for 4:2:2).
    pub samples: usize,
    pub bits_allocated: u16,
    pub bits_stored: u16,
    pub signed: bool,
    pub big_endian: bool,
}

/// The stored values of frame 0, masked to Bits Stored and sign-extended.
pub(super) fn frame0(obj: &DefaultDicomObject, layout: &Layout) -> Result<Vec<f32>, ScanProblem> {
    let element = obj
        .element(tags::PIXEL_DATA)
        .map_err(|_| ScanProblem::NoPixelData)?;
    let Value::Primitive(value) = element.value() else {
        return Err(corrupt(
            "native transfer syntax with encapsulated pixel data".to_string(),
        ));
    };
    let bytes = file_order(value, layout);
    let needed = if layout.bits_allocated == 1 {
        layout.samples.div_ceil(8)
    } else {
        layout.samples * usize::from(layout.bits_allocated / 8)
    };
    if bytes.len() < needed {
        return Err(corrupt(format!(
            "pixel data holds {} bytes, the header needs {needed}",
            bytes.len()
        )));
    }
    Ok(samples(&bytes[..needed], layout))
}

/// The value's bytes in the order the samples are read.
fn file_order<'a>(value: &'a PrimitiveValue, layout: &Layout) -> Cow<'a, [u8]> {
    // Samples of 8 bits or fewer packed in 16-bit words: the first sample
    // is the word's low byte in either byte order (what pydicom and dcmtk
    // read); wider samples follow the file's byte order.
    let big_endian = layout.big_endian && layout.bits_allocated > 8;
    match value {
        PrimitiveValue::U8(bytes) => Cow::Borrowed(bytes.as_slice()),
        PrimitiveValue::U16(words) => Cow::Owned(
            words
                .iter()
                .flat_map(|&w| ordered(u32::from(w), 2, big_endian))
                .collect(),
        ),
        PrimitiveValue::U32(words) => Cow::Owned(
            words
                .iter()
                .flat_map(|&w| ordered(w, 4, big_endian))
                .collect(),
        ),
        // Anything else (OF, OD, a mislabelled VR): its little-endian bytes.
        other => other.to_bytes(),
    }
}

/// The low `width` bytes of `word` in the given byte order.
fn ordered(word: u32, width: usize, big_endian: bool) -> impl Iterator<Item = u8> {
    let le = word.to_le_bytes();
    (0..width).map(move |i| if big_endian { le[width - 1 - i] } else { le[i] })
}

/// Samples of `bits_allocated` bits in the file's byte order; 1-bit
/// samples are packed least significant bit first (PS3.5 8.1.1).
fn samples(bytes: &[u8], layout: &Layout) -> Vec<f32> {
    let mask = voi::stored_mask(layout.bits_stored);
    let value = |raw: u32| voi::stored_to_value(raw & mask, layout.bits_stored, layout.signed);
    let be = layout.big_endian;
    match layout.bits_allocated {
        1 => bytes
            .iter()
            .flat_map(|&b| (0..8).map(move |bit| f32::from((b >> bit) & 1)))
            .take(layout.samples)
            .collect(),
        8 => bytes.iter().map(|&b| value(u32::from(b))).collect(),
        16 => bytes
            .chunks_exact(2)
            .map(|c| {
                let pair = [c[0], c[1]];
                value(u32::from(if be {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }))
            })
            .collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|c| {
                let quad = [c[0], c[1], c[2], c[3]];
                value(if be {
                    u32::from_be_bytes(quad)
                } else {
                    u32::from_le_bytes(quad)
                })
            })
            .collect(),
    }
}

/// Little-endian samples, as decoders other than JPEG-LS give them.
pub(super) fn little_endian_samples(
    bytes: &[u8],
    bits_allocated: u16,
    bits_stored: u16,
    signed: bool,
) -> Vec<f32> {
    let layout = Layout {
        samples: usize::MAX,
        bits_allocated,
        bits_stored,
        signed,
        big_endian: false,
    };
    samples(bytes, &layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(bits_allocated: u16, big_endian: bool) -> Layout {
        Layout {
            samples: 4,
            bits_allocated,
            bits_stored: bits_allocated,
            signed: false,
            big_endian,
        }
    }

    #[test]
    fn ow_words_give_the_samples_pydicom_reads() {
        // 8-bit samples 1 2 3 4 in two OW words of a big-endian file: low
        // byte first, as in a little-endian one (SC_rgb_small_odd_big_endian).
        let value = PrimitiveValue::U16([0x0201, 0x0403].into_iter().collect());
        let eight = layout(8, true);
        let bytes = file_order(&value, &eight);
        assert_eq!(samples(&bytes, &eight), vec![1.0, 2.0, 3.0, 4.0]);
        // One 32-bit sample 0x00010002 in a big-endian file (rtdose_expb).
        let value = PrimitiveValue::U16([0x0001, 0x0002].into_iter().collect());
        let one = Layout {
            samples: 1,
            ..layout(32, true)
        };
        assert_eq!(samples(&file_order(&value, &one), &one), vec![65538.0]);
        // And in a little-endian file, low word first.
        let value = PrimitiveValue::U16([0x0002, 0x0001].into_iter().collect());
        let one = Layout {
            samples: 1,
            ..layout(32, false)
        };
        assert_eq!(samples(&file_order(&value, &one), &one), vec![65538.0]);
        // 16-bit samples are the words as they are.
        let value = PrimitiveValue::U16([7, 9].into_iter().collect());
        let two = Layout {
            samples: 2,
            ..layout(16, true)
        };
        assert_eq!(samples(&file_order(&value, &two), &two), vec![7.0, 9.0]);
    }

    #[test]
    fn one_bit_samples_are_least_significant_bit_first() {
        let one_bit = Layout {
            samples: 10,
            bits_stored: 1,
            ..layout(1, false)
        };
        let out = samples(&[0b0000_0101, 0b0000_0010], &one_bit);
        assert_eq!(out, vec![1., 0., 1., 0., 0., 0., 0., 0., 0., 1.]);
    }
}
