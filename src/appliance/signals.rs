//! What the appliance says by vibration: each [`Signal`] is a rhythm, and
//! the rhythms differ in timing, not strength, so they stay distinct on
//! weak motors and through gloves:
//!
//! | signal    | rhythm                              | reads as          |
//! |-----------|-------------------------------------|-------------------|
//! | pneumonia | three long (400 ms), 200 ms apart   | "— — —"           |
//! | normal    | one short (150 ms)                  | "·"               |
//! | uncertain | short, short, long                  | "· · —"           |
//! | out of range | four short (100 ms), 150 ms apart | "· · · ·"         |
//! | error     | one continuous buzz (1.5 s)         | "━━━━"            |
//! | tick      | one 40 ms tap: a press was heard    |                   |

use serde::Serialize;

use crate::device::Pattern;
use crate::finding::Verdict;

/// A haptic signal and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The classifier sees pneumonia.
    Pneumonia,
    /// The classifier sees a normal film.
    Normal,
    /// The probability lies in the uncertain band.
    Uncertain,
    /// The model abstains: the film is unlike its training films. Unlike
    /// "uncertain", no long pulse: no lean either way.
    OutOfRange,
    /// Something failed (bad file, fault at start-up, no scans).
    Error,
    /// A press was heard.
    Tick,
}

impl Signal {
    /// The signal for a verdict.
    pub fn for_verdict(verdict: Verdict) -> Signal {
        match verdict {
            Verdict::Pneumonia => Signal::Pneumonia,
            Verdict::Normal => Signal::Normal,
            Verdict::Uncertain => Signal::Uncertain,
            Verdict::OutOfRange => Signal::OutOfRange,
        }
    }

    /// Its rhythm, as (on, off) milliseconds.
    pub fn pattern(self) -> Pattern {
        Pattern::from_millis(match self {
            Signal::Pneumonia => &[(400, 200), (400, 200), (400, 0)],
            Signal::Normal => &[(150, 0)],
            Signal::Uncertain => &[(120, 150), (120, 150), (450, 0)],
            Signal::OutOfRange => &[(100, 150), (100, 150), (100, 150), (100, 0)],
            Signal::Error => &[(1500, 0)],
            Signal::Tick => &[(40, 0)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_signals_have_different_rhythms() {
        let all = [
            Signal::Pneumonia,
            Signal::Normal,
            Signal::Uncertain,
            Signal::OutOfRange,
            Signal::Error,
            Signal::Tick,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.pattern(), b.pattern(), "{a:?} and {b:?}");
            }
        }
        assert_eq!(Signal::Pneumonia.pattern().pulses.len(), 3);
        assert_eq!(
            Signal::Pneumonia.pattern().duration(),
            Duration::from_millis(1600)
        );
    }
}
