//! One brightness per pixel from whatever Photometric Interpretation a
//! DICOM file has (PS3.3 C.7.6.3.1.2): grayscale as it is, colour by its
//! BT.601 luma. A tactile picture has one height per pin, and luma is what a
//! sighted reader of the same film sees as light and dark.
//!
//! YBR_FULL and YBR_FULL_422 carry the luma itself as their Y sample (the
//! standard defines Y = 0.299 R + 0.587 G + 0.114 B), so Y is used as is;
//! codecs that turn YCbCr back into RGB (JPEG, JPEG 2000 with its component
//! transform) give RGB, whose luma is the same Y. PALETTE COLOR indices go
//! through the file's red, green and blue tables first.

use dicom_dictionary_std::tags;
use dicom_object::DefaultDicomObject;

use super::ScanProblem;

/// Photometric Interpretation, the ones touchray reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Photometric {
    /// Grayscale, lowest value white.
    Monochrome1,
    /// Grayscale, lowest value black.
    Monochrome2,
    /// Indices into the file's colour tables.
    PaletteColor,
    /// Red, green, blue.
    Rgb,
    /// Y, Cb, Cr at full resolution.
    YbrFull,
    /// Y, Cb, Cr with chroma halved horizontally (`Y Y Cb Cr` per pair).
    YbrFull422,
    /// JPEG 2000's reversible or irreversible component transform.
    YbrRctOrIct,
}

impl Photometric {
    /// From the attribute's text and Samples per Pixel, which must agree.
    pub(super) fn parse(text: &str, samples_per_pixel: u16) -> Result<Self, ScanProblem> {
        let photometric = match text {
            "MONOCHROME1" => Self::Monochrome1,
            "MONOCHROME2" => Self::Monochrome2,
            "PALETTE COLOR" => Self::PaletteColor,
            "RGB" => Self::Rgb,
            "YBR_FULL" => Self::YbrFull,
            "YBR_FULL_422" => Self::YbrFull422,
            "YBR_RCT" | "YBR_ICT" => Self::YbrRctOrIct,
            other => {
                return Err(ScanProblem::Unsupported(format!(
                    "photometric interpretation {other}"
                )))
            }
        };
        let expected = match photometric {
            Self::Monochrome1 | Self::Monochrome2 | Self::PaletteColor => 1,
            _ => 3,
        };
        if samples_per_pixel != expected {
            return Err(ScanProblem::Corrupt {
                format: "DICOM",
                detail: format!(
                    "photometric interpretation {text} with {samples_per_pixel} samples per pixel"
                ),
            });
        }
        Ok(photometric)
    }

    /// Samples per pixel.
    pub(super) fn samples(self) -> u16 {
        match self {
            Self::Monochrome1 | Self::Monochrome2 | Self::PaletteColor => 1,
            _ => 3,
        }
    }

    /// Grayscale: rescale and VOI window apply (they are defined for
    /// grayscale only).
    pub(super) fn is_grayscale(self) -> bool {
        matches!(self, Self::Monochrome1 | Self::Monochrome2)
    }
}

/// What the decoded samples of one frame are, after the codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decoded {
    /// One value per pixel.
    Gray,
    /// Palette indices.
    Indices,
    /// RGB, interleaved (`R G B R G B`) or planar (`R.. G.. B..`).
    Rgb { planar: bool },
    /// Y Cb Cr, interleaved or planar: Y is the luma.
    Ybr { planar: bool },
    /// `Y0 Y1 Cb Cr` per pair of pixels (native YBR_FULL_422).
    Ybr422,
}

/// A PALETTE COLOR file's three tables (PS3.3 C.7.6.3.1.5), as luma.
pub(super) struct Palette {
    first_index: i64,
    luma: Vec<f32>,
}

impl Palette {
    /// The red, green and blue tables of `obj`.
    pub(super) fn read(obj: &DefaultDicomObject) -> Result<Self, ScanProblem> {
        let corrupt = |detail: String| ScanProblem::Corrupt {
            format: "DICOM",
            detail,
        };
        if obj
            .element(tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA)
            .is_ok()
        {
            return Err(ScanProblem::Unsupported(
                "segmented palette colour tables".to_string(),
            ));
        }
        let channel = |descriptor, data, name: &str| -> Result<(i64, Vec<f32>), ScanProblem> {
            let d: Vec<i64> = obj
                .element(descriptor)
                .ok()
                .and_then(|e| e.to_multi_int::<i64>().ok())
                .filter(|d| d.len() == 3)
                .ok_or_else(|| corrupt(format!("missing or invalid {name} palette descriptor")))?;
            // 0 entries means 65536 (the count does not fit 16 bits).
            let entries = match d[0] {
                0 => 65536,
                n => (n & 0xFFFF) as usize,
            };
            let bits = d[2];
            if !matches!(bits, 8 | 16) {
                return Err(corrupt(format!("{name} palette of {bits} bits per entry")));
            }
            let words: Vec<u16> = obj
                .element(data)
                .ok()
                .and_then(|e| e.to_multi_int::<u16>().ok())
                .ok_or_else(|| corrupt(format!("missing {name} palette data")))?;
            // 8-bit entries come one per 16-bit word, or (some writers)
            // two per word, low byte first.
            let values: Vec<f32> = if bits == 8 && words.len() * 2 == entries {
                words
                    .iter()
                    .flat_map(|w| [w & 0xFF, w >> 8])
                    .map(|v| f32::from(v) / 255.0)
                    .collect()
            } else if words.len() == entries {
                let full = if bits == 8 { 255.0 } else { 65535.0 };
                words.iter().map(|&w| f32::from(w) / full).collect()
            } else {
                return Err(corrupt(format!(
                    "{name} palette has {} values for {entries} entries",
                    words.len()
                )));
            };
            Ok((d[1], values))
        };
        let (first, red) = channel(
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "red",
        )?;
        let (_, green) = channel(
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "green",
        )?;
        let (_, blue) = channel(
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
            tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
            "blue",
        )?;
        if red.len() != green.len() || red.len() != blue.len() {
            return Err(corrupt("palette tables of different lengths".to_string()));
        }
        let luma = red
            .iter()
            .zip(&green)
            .zip(&blue)
            .map(|((&r, &g), &b)| luma(r, g, b))
            .collect();
        Ok(Palette {
            first_index: first,
            luma,
        })
    }

    /// Luma of an index; indices outside the table take its first or last
    /// entry, as the standard says.
    fn lookup(&self, index: f32) -> f32 {
        let last = self.luma.len() as i64 - 1;
        let i = (index as i64 - self.first_index).clamp(0, last);
        self.luma[i as usize]
    }
}

fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// One value per pixel from the decoded samples of a frame of `pixels`
/// pixels.
pub(super) fn brightness(
    samples: &[f32],
    decoded: Decoded,
    palette: Option<&Palette>,
    pixels: usize,
) -> Result<Vec<f32>, ScanProblem> {
    let per_pixel = match decoded {
        Decoded::Gray | Decoded::Indices => 1,
        Decoded::Ybr422 => 2,
        Decoded::Rgb { .. } | Decoded::Ybr { .. } => 3,
    };
    let needed = pixels * per_pixel;
    if samples.len() < needed {
        return Err(ScanProblem::Corrupt {
            format: "DICOM",
            detail: format!(
                "decoded pixel data holds {} samples, the header needs {needed}",
                samples.len()
            ),
        });
    }
    let samples = &samples[..needed];
    Ok(match decoded {
        Decoded::Gray => samples.to_vec(),
        Decoded::Indices => {
            let palette = palette.ok_or_else(|| ScanProblem::Corrupt {
                format: "DICOM",
                detail: "palette colour without its tables".to_string(),
            })?;
            samples.iter().map(|&i| palette.lookup(i)).collect()
        }
        Decoded::Rgb { planar: false } => samples
            .chunks_exact(3)
            .map(|c| luma(c[0], c[1], c[2]))
            .collect(),
        Decoded::Rgb { planar: true } => {
            let (r, rest) = samples.split_at(pixels);
            let (g, b) = rest.split_at(pixels);
            (0..pixels).map(|i| luma(r[i], g[i], b[i])).collect()
        }
        Decoded::Ybr { planar: false } => samples.iter().step_by(3).copied().collect(),
        Decoded::Ybr { planar: true } => samples[..pixels].to_vec(),
        Decoded::Ybr422 => samples.chunks_exact(4).flat_map(|c| [c[0], c[1]]).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photometric_and_samples_must_agree() {
        assert_eq!(Photometric::parse("RGB", 3), Ok(Photometric::Rgb));
        assert!(matches!(
            Photometric::parse("RGB", 1),
            Err(ScanProblem::Corrupt { .. })
        ));
        assert!(matches!(
            Photometric::parse("CMYK", 4),
            Err(ScanProblem::Unsupported(_))
        ));
    }

    #[test]
    fn luma_from_every_layout() {
        let rgb = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let planar = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let rgb_luma = vec![0.299, 0.587];
        assert_eq!(
            brightness(&rgb, Decoded::Rgb { planar: false }, None, 2).unwrap(),
            rgb_luma
        );
        assert_eq!(
            brightness(&planar, Decoded::Rgb { planar: true }, None, 2).unwrap(),
            rgb_luma
        );
        let ybr = [10.0, 128.0, 128.0, 20.0, 0.0, 255.0];
        assert_eq!(
            brightness(&ybr, Decoded::Ybr { planar: false }, None, 2).unwrap(),
            vec![10.0, 20.0]
        );
        let ybr422 = [10.0, 11.0, 128.0, 128.0, 20.0, 21.0, 0.0, 0.0];
        assert_eq!(
            brightness(&ybr422, Decoded::Ybr422, None, 4).unwrap(),
            vec![10.0, 11.0, 20.0, 21.0]
        );
        assert!(brightness(&ybr422, Decoded::Ybr422, None, 5).is_err());
    }

    #[test]
    fn palette_indices_outside_the_table_take_its_ends() {
        let palette = Palette {
            first_index: 10,
            luma: vec![0.0, 0.5, 1.0],
        };
        let out = brightness(&[0.0, 11.0, 99.0], Decoded::Indices, Some(&palette), 3).unwrap();
        assert_eq!(out, vec![0.0, 0.5, 1.0]);
    }
}
