//! What the networks say about a scan: the pneumonia [`classifier`] and the
//! MiDaS [`depth`] network through tract, each described by a [`manifest`]
//! entry and run as a [`network`], and the verdict types the rest of the
//! flow reads.

pub mod classifier;
pub mod depth;
pub mod manifest;
pub mod network;

use serde::Serialize;

/// The classifier's call on one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Below the uncertain band.
    Normal,
    /// Above the uncertain band.
    Pneumonia,
    /// Inside the uncertain band: the device says so rather than reassure.
    Uncertain,
}

/// A verdict with the probability it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Finding {
    /// The call.
    pub verdict: Verdict,
    /// The model's probability of pneumonia, in [0, 1].
    pub p_pneumonia: f32,
}

impl Finding {
    /// How sure the model is of the call it made, in whole percent: the
    /// probability of pneumonia for a pneumonia or uncertain call, of normal
    /// for a normal one.
    pub fn confidence_percent(&self) -> u8 {
        let p = match self.verdict {
            Verdict::Normal => 1.0 - self.p_pneumonia,
            Verdict::Pneumonia | Verdict::Uncertain => self.p_pneumonia,
        };
        (p.clamp(0.0, 1.0) * 100.0).round() as u8
    }
}
