//! From stored DICOM values to display intensities in [0, 1]
//! (DICOM PS3.3 C.11.1 Modality LUT and C.11.2 VOI LUT, linear forms).
//!
//! Order: Modality LUT (rescale slope/intercept), then the first VOI window
//! when the file has one, else the range of the rescaled values; finally
//! MONOCHROME1 is inverted so that dense tissue is always bright.
//! Table LUTs (Modality/VOI LUT Sequence) are not applied: a file that has
//! only those is shown with its value range, which is still faithful in
//! order, if not in contrast.

/// A VOI window, as the file describes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Window {
    center: f64,
    width: f64,
    function: WindowFunction,
}

/// VOI LUT Function (0028,1056).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WindowFunction {
    Linear,
    LinearExact,
    Sigmoid,
}

impl Window {
    /// A window from Window Center, Window Width and VOI LUT Function, or
    /// `None` when absent or unusable (the standard requires width >= 1 for
    /// LINEAR and > 0 otherwise).
    pub(super) fn from_attributes(
        center: Option<f64>,
        width: Option<f64>,
        function: Option<&str>,
    ) -> Option<Self> {
        let function = match function.map(|f| f.trim().to_ascii_uppercase()).as_deref() {
            Some("LINEAR_EXACT") => WindowFunction::LinearExact,
            Some("SIGMOID") => WindowFunction::Sigmoid,
            _ => WindowFunction::Linear,
        };
        let (center, width) = (center?, width?);
        let usable = match function {
            WindowFunction::Linear => width >= 1.0,
            _ => width > 0.0,
        };
        usable.then_some(Window {
            center,
            width,
            function,
        })
    }

    fn apply(&self, x: f64) -> f64 {
        let (c, w) = (self.center, self.width);
        match self.function {
            WindowFunction::Linear => {
                if w <= 1.0 {
                    return if x <= c - 0.5 { 0.0 } else { 1.0 };
                }
                ((x - (c - 0.5)) / (w - 1.0) + 0.5).clamp(0.0, 1.0)
            }
            WindowFunction::LinearExact => ((x - c) / w + 0.5).clamp(0.0, 1.0),
            WindowFunction::Sigmoid => 1.0 / (1.0 + (-4.0 * (x - c) / w).exp()),
        }
    }
}

/// Everything needed to map stored values to intensities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Mapping {
    pub slope: f64,
    pub intercept: f64,
    pub window: Option<Window>,
    /// MONOCHROME1: the lowest value is white.
    pub invert: bool,
}

/// Maps stored values to [0, 1]; also says which rule was used.
pub(super) fn to_unit_range(stored: &[f32], mapping: &Mapping) -> (Vec<f32>, &'static str) {
    let rescale = |s: f32| f64::from(s) * mapping.slope + mapping.intercept;
    let (mut out, rule): (Vec<f32>, _) = match mapping.window {
        Some(window) => (
            stored
                .iter()
                .map(|&s| window.apply(rescale(s)) as f32)
                .collect(),
            "voi-window",
        ),
        None => {
            let (lo, hi) = stored
                .iter()
                .map(|&s| rescale(s))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            let span = hi - lo;
            let unit = |v: f64| if span > 0.0 { (v - lo) / span } else { 0.0 };
            (
                stored.iter().map(|&s| unit(rescale(s)) as f32).collect(),
                "value-range",
            )
        }
    };
    if mapping.invert {
        out.iter_mut().for_each(|v| *v = 1.0 - *v);
    }
    (out, rule)
}

/// The bits that carry the sample, `bits_stored` wide from bit 0.
pub(super) fn stored_mask(bits_stored: u16) -> u32 {
    if bits_stored >= 32 {
        u32::MAX
    } else {
        (1u32 << bits_stored) - 1
    }
}

/// A masked stored value as a number, sign-extended from `bits_stored`.
pub(super) fn stored_to_value(raw: u32, bits_stored: u16, signed: bool) -> f32 {
    if signed && bits_stored > 0 && bits_stored < 32 && raw & (1 << (bits_stored - 1)) != 0 {
        (i64::from(raw) - (1i64 << bits_stored)) as f32
    } else if signed && bits_stored == 32 {
        raw as i32 as f32
    } else {
        raw as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear(center: f64, width: f64) -> Option<Window> {
        Window::from_attributes(Some(center), Some(width), None)
    }

    #[test]
    fn linear_window_follows_the_standard_formula() {
        // PS3.3 C.11.2.1.2.1 with c = 100, w = 21: x <= 89.5 -> 0, x > 109.5 -> 1.
        let w = linear(100.0, 21.0).unwrap();
        assert_eq!(w.apply(89.0), 0.0);
        assert_eq!(w.apply(110.0), 1.0);
        assert!((w.apply(99.5) - 0.5).abs() < 1e-12);
        assert!((w.apply(104.5) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn unusable_windows_are_ignored() {
        assert_eq!(linear(100.0, 0.5), None);
        assert_eq!(Window::from_attributes(Some(1.0), None, None), None);
        assert!(Window::from_attributes(Some(0.0), Some(0.5), Some("SIGMOID")).is_some());
    }

    #[test]
    fn sigmoid_and_linear_exact() {
        let s = Window::from_attributes(Some(10.0), Some(4.0), Some("SIGMOID")).unwrap();
        assert!((s.apply(10.0) - 0.5).abs() < 1e-12);
        let e = Window::from_attributes(Some(10.0), Some(4.0), Some("linear_exact")).unwrap();
        assert!((e.apply(11.0) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn rescale_then_range_then_invert() {
        let mapping = Mapping {
            slope: 2.0,
            intercept: -10.0,
            window: None,
            invert: true,
        };
        let (out, rule) = to_unit_range(&[5.0, 10.0, 15.0], &mapping);
        assert_eq!(rule, "value-range");
        assert_eq!(out, vec![1.0, 0.5, 0.0]);
    }

    #[test]
    fn window_applies_after_rescale() {
        let mapping = Mapping {
            slope: 1.0,
            intercept: -1024.0,
            window: linear(40.0, 401.0),
            invert: false,
        };
        let (out, rule) = to_unit_range(&[1064.0, 0.0, 4000.0], &mapping);
        assert_eq!(rule, "voi-window");
        assert!((out[0] - 0.50125).abs() < 1e-4, "{}", out[0]);
        assert_eq!(&out[1..], &[0.0, 1.0]);
    }

    #[test]
    fn signed_values_are_sign_extended_from_bits_stored() {
        assert_eq!(stored_to_value(0xFFF & stored_mask(12), 12, true), -1.0);
        assert_eq!(stored_to_value(0x7FF, 12, true), 2047.0);
        assert_eq!(stored_to_value(0xFFF, 12, false), 4095.0);
        assert_eq!(stored_mask(15), 0x7FFF);
    }
}
