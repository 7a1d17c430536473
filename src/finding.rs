//! The words the flow shares about a scan's verdict: [`Verdict`], the lung
//! [`Zone`] the model looked at, and the [`Finding`] that carries them from
//! [`crate::infer`] (which makes them) to [`crate::tactile`] (which draws
//! them) and the appliance (which signals and speaks them). A leaf: it
//! imports nothing of the crate.

use serde::Serialize;

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
        // At most 99: no call is certain, and "100" would claim it.
        Some(((p.clamp(0.0, 1.0) * 100.0).round() as u8).min(99))
    }
}

/// The patient's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The patient's right (the viewer's left on a PA film).
    Right,
    /// The patient's left.
    Left,
    /// Both lungs.
    Both,
}

impl Side {
    /// The word in JSON, CSV and speech.
    pub fn name(self) -> &'static str {
        match self {
            Side::Right => "right",
            Side::Left => "left",
            Side::Both => "both",
        }
    }
}

/// Upper, middle or lower third of the lung span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Upper zone.
    Upper,
    /// Middle zone.
    Middle,
    /// Lower zone.
    Lower,
}

impl Level {
    /// The word in JSON, CSV and speech.
    pub fn name(self) -> &'static str {
        match self {
            Level::Upper => "upper",
            Level::Middle => "middle",
            Level::Lower => "lower",
        }
    }
}

/// A lung zone in the patient's frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Zone {
    /// Which side.
    pub side: Side,
    /// Which third.
    pub level: Level,
}

impl Zone {
    /// In words: "right lower zone", "both middle zones".
    pub fn words(&self) -> String {
        let (side, level) = (self.side.name(), self.level.name());
        match self.side {
            Side::Both => format!("{side} {level} zones"),
            Side::Right | Side::Left => format!("{side} {level} zone"),
        }
    }

    /// Two letters for the braille label: side (r, l, b) and level (u, m, l).
    pub fn abbreviation(&self) -> String {
        let first = |word: &str| word.chars().next().unwrap_or(' ');
        format!("{}{}", first(self.side.name()), first(self.level.name()))
    }
}
