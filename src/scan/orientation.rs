//! Where the patient's sides lie in the picture, and turning a file whose
//! rows or columns run the other way to the usual convention.
//!
//! The usual way to look at a frontal chest film is as if facing the
//! patient: the patient's right on the viewer's left, head at the top. In
//! DICOM's Patient Orientation (0020,0020) that is `L\F`: along a row
//! (increasing column) towards the patient's left, down a column towards
//! the feet. A file that says `R\...` has its columns the other way round
//! (some AP films and mirrored exports); one that says `...\H` is upside
//! down. Both are flipped here, so that every "left" and "right" the
//! device shows or says afterwards is the patient's own. Laterality errors
//! are a classic medical error: a flipped picture read without a word is
//! one.

use serde::Serialize;

/// How the patient's sides in a [`super::Scan`] are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// The DICOM file's Patient Orientation said, and the picture was
    /// turned to the usual convention where it ran the other way.
    FromDicom,
    /// Nothing in the file says (PNG, JPEG, a DICOM without Patient
    /// Orientation): the usual convention is assumed.
    Assumed,
    /// The file says the film is lateral (its rows run front to back):
    /// the patient's right and left are not sides of this picture.
    Lateral,
}

impl Orientation {
    /// Whether the picture has the patient's right and left as its sides.
    pub fn is_frontal(self) -> bool {
        self != Orientation::Lateral
    }
}

/// The flips that bring a picture to the usual convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flips {
    /// Mirror left-right: the rows ran towards the patient's right.
    pub horizontal: bool,
    /// Mirror top-bottom: the columns ran towards the head.
    pub vertical: bool,
}

/// The orientation and the flips for a Patient Orientation value (the two
/// direction strings, e.g. `L\F`), or [`Orientation::Assumed`] without one
/// or with one that names no usable direction.
pub fn from_patient_orientation(value: Option<&str>) -> (Orientation, Flips) {
    let Some(value) = value else {
        return (Orientation::Assumed, Flips::default());
    };
    let mut parts = value.split('\\').map(str::trim);
    let (Some(row), Some(column)) = (parts.next(), parts.next()) else {
        return (Orientation::Assumed, Flips::default());
    };
    // A direction may be oblique ("LF", "RA"): its first letter is the
    // main one, which is what decides the convention.
    let main = |s: &str| s.chars().next().map(|c| c.to_ascii_uppercase());
    let flips = Flips {
        horizontal: main(row) == Some('R'),
        vertical: main(column) == Some('H'),
    };
    let known = |c: Option<char>| matches!(c, Some('L' | 'R' | 'A' | 'P' | 'H' | 'F'));
    if known(main(row)) && known(main(column)) {
        let orientation = match main(row) {
            Some('A' | 'P') => Orientation::Lateral,
            _ => Orientation::FromDicom,
        };
        (orientation, flips)
    } else {
        (Orientation::Assumed, Flips::default())
    }
}

/// Applies `flips` to a row-major `width x height` picture in place.
pub fn apply(pixels: &mut [f32], width: usize, height: usize, flips: Flips) {
    if width == 0 || pixels.len() != width * height {
        return;
    }
    if flips.horizontal {
        for row in pixels.chunks_exact_mut(width) {
            row.reverse();
        }
    }
    if flips.vertical {
        for y in 0..height / 2 {
            let (top, bottom) = pixels.split_at_mut((height - 1 - y) * width);
            top[y * width..(y + 1) * width].swap_with_slice(&mut bottom[..width]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_convention_needs_no_flip() {
        let (o, f) = from_patient_orientation(Some("L\\F"));
        assert_eq!((o, f), (Orientation::FromDicom, Flips::default()));
        // Oblique and lateral directions: their main letter decides.
        assert_eq!(from_patient_orientation(Some("L\\PF")).1, Flips::default());
        // Rows front to back: a lateral film, no right or left in it.
        assert_eq!(
            from_patient_orientation(Some("P\\F")),
            (Orientation::Lateral, Flips::default())
        );
        assert!(!Orientation::Lateral.is_frontal() && Orientation::Assumed.is_frontal());
    }

    #[test]
    fn rows_towards_the_right_or_columns_towards_the_head_are_flipped() {
        let (o, f) = from_patient_orientation(Some("R\\F"));
        assert_eq!(o, Orientation::FromDicom);
        assert!(f.horizontal && !f.vertical);
        let (_, f) = from_patient_orientation(Some("r\\H"));
        assert!(f.horizontal && f.vertical);
    }

    #[test]
    fn nothing_or_nonsense_is_assumed() {
        for value in [None, Some(""), Some("L"), Some("X\\Y"), Some("\\")] {
            assert_eq!(
                from_patient_orientation(value),
                (Orientation::Assumed, Flips::default()),
                "{value:?}"
            );
        }
    }

    #[test]
    fn flips_mirror_the_picture() {
        // 3 x 2: 0 1 2 / 3 4 5
        let mut p: Vec<f32> = (0..6).map(|v| v as f32).collect();
        apply(
            &mut p,
            3,
            2,
            Flips {
                horizontal: true,
                vertical: false,
            },
        );
        assert_eq!(p, [2.0, 1.0, 0.0, 5.0, 4.0, 3.0]);
        apply(
            &mut p,
            3,
            2,
            Flips {
                horizontal: false,
                vertical: true,
            },
        );
        assert_eq!(p, [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
        // Odd height: the middle row stays.
        let mut q: Vec<f32> = (0..3).map(|v| v as f32).collect();
        apply(
            &mut q,
            1,
            3,
            Flips {
                horizontal: false,
                vertical: true,
            },
        );
        assert_eq!(q, [2.0, 1.0, 0.0]);
    }
}
