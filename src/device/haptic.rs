//! Haptic signals: a [`Pattern`] is a rhythm of vibration pulses, played by
//! whatever [`Haptic`] the board has (a motor on a GPIO pin, or the
//! display's own vibrator).
//!
//! The four signals differ in rhythm, not strength, so they stay distinct
//! on weak motors and through gloves:
//!
//! | signal    | rhythm                              | reads as          |
//! |-----------|-------------------------------------|-------------------|
//! | pneumonia | three long (400 ms), 200 ms apart   | "— — —"           |
//! | normal    | one short (150 ms)                  | "·"               |
//! | uncertain | short, short, long                  | "· · —"           |
//! | error     | one continuous buzz (1.5 s)         | "━━━━"            |
//! | tick      | one 40 ms tap: a press was heard    |                   |

use std::time::Duration;

use super::DeviceError;
use crate::infer::Verdict;

/// One buzz and the quiet after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pulse {
    /// Motor on.
    pub on: Duration,
    /// Motor off afterwards.
    pub off: Duration,
}

const fn pulse(on_ms: u64, off_ms: u64) -> Pulse {
    Pulse {
        on: Duration::from_millis(on_ms),
        off: Duration::from_millis(off_ms),
    }
}

/// A rhythm of pulses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// What the pattern means, for logs.
    pub name: &'static str,
    /// The pulses, in order.
    pub pulses: Vec<Pulse>,
}

impl Pattern {
    /// Three long pulses.
    pub fn pneumonia() -> Pattern {
        Pattern {
            name: "pneumonia",
            pulses: vec![pulse(400, 200), pulse(400, 200), pulse(400, 0)],
        }
    }

    /// One short pulse.
    pub fn normal() -> Pattern {
        Pattern {
            name: "normal",
            pulses: vec![pulse(150, 0)],
        }
    }

    /// Short, short, long.
    pub fn uncertain() -> Pattern {
        Pattern {
            name: "uncertain",
            pulses: vec![pulse(120, 150), pulse(120, 150), pulse(450, 0)],
        }
    }

    /// One continuous buzz.
    pub fn error() -> Pattern {
        Pattern {
            name: "error",
            pulses: vec![pulse(1500, 0)],
        }
    }

    /// A short tap acknowledging a press.
    pub fn tick() -> Pattern {
        Pattern {
            name: "tick",
            pulses: vec![pulse(40, 0)],
        }
    }

    /// The signal for a verdict.
    pub fn for_verdict(verdict: Verdict) -> Pattern {
        match verdict {
            Verdict::Pneumonia => Pattern::pneumonia(),
            Verdict::Normal => Pattern::normal(),
            Verdict::Uncertain => Pattern::uncertain(),
        }
    }

    /// How long the pattern takes.
    pub fn duration(&self) -> Duration {
        self.pulses.iter().map(|p| p.on + p.off).sum()
    }
}

/// Something that can vibrate.
pub trait Haptic {
    /// Plays `pattern`; returns when it has finished.
    fn play(&mut self, pattern: &Pattern) -> Result<(), DeviceError>;
}

impl<T: Haptic + ?Sized> Haptic for Box<T> {
    fn play(&mut self, pattern: &Pattern) -> Result<(), DeviceError> {
        (**self).play(pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_signals_have_different_rhythms() {
        let rhythm = |p: Pattern| -> Vec<(u128, u128)> {
            p.pulses
                .iter()
                .map(|x| (x.on.as_millis(), x.off.as_millis()))
                .collect()
        };
        let all = [
            rhythm(Pattern::pneumonia()),
            rhythm(Pattern::normal()),
            rhythm(Pattern::uncertain()),
            rhythm(Pattern::error()),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(Pattern::pneumonia().pulses.len(), 3);
        assert_eq!(Pattern::pneumonia().duration(), Duration::from_millis(1600));
    }
}
