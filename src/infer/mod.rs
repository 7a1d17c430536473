//! What the networks say about a scan: the pneumonia [`classifier`] and the
//! MiDaS [`depth`] network through tract, each described by a [`manifest`]
//! entry and run as a [`network`], and the verdict types the rest of the
//! flow reads.

pub mod classifier;
pub mod depth;
pub mod manifest;
pub mod network;
pub mod ood;
pub mod zone;

use serde::Serialize;

pub use zone::{Level, Side, Zone};

/// The classifier's call on one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Below the uncertain band.
    Normal,
    /// Above the uncertain band.
    Pneumonia,
    /// Inside the uncertain band: the device says so rather than reassure.
    Uncertain,
    /// The film is unlike the films the model learned from (another
    /// modality, a photograph, an upside-down film...): the model abstains,
    /// whatever its probability says.
    OutOfRange,
}

impl Verdict {
    /// The word in JSON, CSV and events.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Normal => "normal",
            Verdict::Pneumonia => "pneumonia",
            Verdict::Uncertain => "uncertain",
            Verdict::OutOfRange => "out_of_range",
        }
    }
}

/// A verdict with the probability it came from and where the model looked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Finding {
    /// The call.
    pub verdict: Verdict,
    /// The model's calibrated probability of pneumonia, in [0, 1].
    pub p_pneumonia: f32,
    /// The lung zone of the model's attention, for pneumonia and uncertain
    /// calls where the model has a class-activation map.
    pub zone: Option<Zone>,
}

impl Finding {
    /// How sure the model is of the call it made, in whole percent: the
    /// probability of pneumonia for a pneumonia or uncertain call, of normal
    /// for a normal one; `None` when it abstained (out of range).
    pub fn confidence_percent(&self) -> Option<u8> {
        let p = match self.verdict {
            Verdict::Normal => 1.0 - self.p_pneumonia,
            Verdict::Pneumonia | Verdict::Uncertain => self.p_pneumonia,
            Verdict::OutOfRange => return None,
        };
        Some((p.clamp(0.0, 1.0) * 100.0).round() as u8)
    }
}
