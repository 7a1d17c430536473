//! Everything that receives a finished [`PinFrame`] or plays a haptic
//! [`Pattern`]: pin displays (Graphiti, Dot Pad, the touchray pin-array
//! protocol, shift-register chains), vibration motors, and previews.
//! Drivers know bytes and pins; they never look at images or models.
//!
//! Serial drivers are written against `std::io::Read + Write` and GPIO/SPI
//! drivers against embedded-hal 1.0, so that the same code drives real
//! hardware, the emulators in [`emulator`] and the test models.

pub mod dotpad;
pub mod emulator;
pub mod graphiti;
pub mod hal;
pub mod haptic;
pub mod keys;
pub mod link;
pub mod open;
pub mod pinarray;
pub mod preview;
pub mod shiftreg;
pub mod speech;
pub mod vibration;
pub mod wire;

pub use haptic::{play_blocking, Haptic, HapticPlayer, Pattern, Pulse, Vibrator};
pub use keys::{Key, KeyEvent, Keys};

use crate::tactile::{Geometry, PinFrame};

/// The serial pin displays touchray speaks to, by protocol: one name for
/// the display spec, the emulator and USB recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DisplayKind {
    /// Orbit Research Graphiti (and Graphiti Plus).
    Graphiti,
    /// Dot Inc. Dot Pad 320.
    DotPad,
    /// A board speaking the touchray pin-array protocol.
    PinArray,
}

impl DisplayKind {
    /// Every kind.
    pub const ALL: [DisplayKind; 3] = [
        DisplayKind::Graphiti,
        DisplayKind::DotPad,
        DisplayKind::PinArray,
    ];

    /// Its name in display specs, emulator arguments and JSON.
    pub fn name(self) -> &'static str {
        match self {
            DisplayKind::Graphiti => "graphiti",
            DisplayKind::DotPad => "dotpad",
            DisplayKind::PinArray => "pinarray",
        }
    }
}

impl std::fmt::Display for DisplayKind {
    /// Its name, padded as the format asks (tables line up).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl std::str::FromStr for DisplayKind {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, SpecError> {
        DisplayKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                SpecError(format!(
                    "unknown device {s:?} (graphiti, dotpad or pinarray)"
                ))
            })
    }
}

/// A display, device or GPIO line named wrongly (on the command line or in
/// a board file): what is wrong, in words that quote the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

/// Why a device could not do what was asked. Each renders as one line
/// naming the device.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The frame was made for another layout.
    #[error("frame is {frame:?}, display is {display:?}")]
    GeometryMismatch {
        /// The frame's geometry.
        frame: Geometry,
        /// The display's geometry.
        display: Geometry,
    },
    /// Reading or writing the device or file failed.
    #[error("{target}: {source}")]
    Io {
        /// What was being read or written.
        target: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The device stopped answering.
    #[error("{device}: no valid reply to {what} after {attempts} attempts")]
    NoReply {
        /// The device.
        device: DisplayKind,
        /// The command.
        what: String,
        /// How many times it was sent.
        attempts: u32,
    },
    /// The device answered that it will not do it.
    #[error("{device}: refused {what}: {reason}")]
    Refused {
        /// The device.
        device: DisplayKind,
        /// The command.
        what: String,
        /// The device's reason.
        reason: String,
    },
    /// The device said something that makes no sense for it.
    #[error("{device}: {message}")]
    Protocol {
        /// The device.
        device: DisplayKind,
        /// What was wrong.
        message: String,
    },
    /// The link went away (unplugged, powered off).
    #[error("{device}: disconnected ({source})")]
    Disconnected {
        /// The device.
        device: DisplayKind,
        /// What the system said.
        source: std::io::Error,
    },
    /// The display spec or board cannot be used as given.
    #[error("{0}")]
    Config(String),
}

impl DeviceError {
    /// Reading or writing `target` failed.
    pub(crate) fn io(target: impl std::fmt::Display, source: impl Into<std::io::Error>) -> Self {
        DeviceError::Io {
            target: target.to_string(),
            source: source.into(),
        }
    }

    /// A GPIO or SPI part (whose error is only `Debug`) failed.
    pub(crate) fn hardware(target: impl std::fmt::Display, e: impl std::fmt::Debug) -> Self {
        Self::io(target, std::io::Error::other(format!("{e:?}")))
    }
}

/// A fault a display reported of its own and carried on after (a Dot Pad
/// error notification): the frame was still shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayFault {
    /// The device's code.
    pub code: u8,
    /// What the code means, in the device's documentation.
    pub meaning: &'static str,
}

/// A braille text line beside the pins: a Graphiti Plus has 40 cells, a
/// Dot Pad 20. It carries the label, so the pins carry only the picture.
pub trait BrailleLine {
    /// Cells on the line.
    fn cells(&self) -> usize;
    /// Shows `cells` in standard braille dot order (bit n - 1 = dot n,
    /// dots 1-8), padded with blank cells or cut to the line's length.
    fn show_cells(&mut self, cells: &[u8]) -> Result<(), DeviceError>;
}

/// A display that raises pins: real hardware, an emulator, or a preview.
/// Beyond pins, a display may offer keys and a vibrator of its own; the
/// defaults say it has neither.
pub trait PinDisplay {
    /// The pin layout frames must have.
    fn geometry(&self) -> Geometry;
    /// Raises the pins of `frame`; returns once the display has it.
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError>;
    /// The display's own keys, where it has them.
    fn keys(&mut self) -> Option<&mut dyn Keys> {
        None
    }
    /// The display's own vibrator, where it has one.
    fn vibrator(&mut self) -> Option<&mut dyn Vibrator> {
        None
    }
    /// Faults the display reported since the last call, oldest first.
    fn take_faults(&mut self) -> Vec<DisplayFault> {
        Vec::new()
    }
    /// The display's braille text line, where it has one.
    fn braille_line(&mut self) -> Option<&mut dyn BrailleLine> {
        None
    }
}

impl<T: PinDisplay + ?Sized> PinDisplay for Box<T> {
    fn geometry(&self) -> Geometry {
        (**self).geometry()
    }
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        (**self).show(frame)
    }
    fn keys(&mut self) -> Option<&mut dyn Keys> {
        (**self).keys()
    }
    fn vibrator(&mut self) -> Option<&mut dyn Vibrator> {
        (**self).vibrator()
    }
    fn take_faults(&mut self) -> Vec<DisplayFault> {
        (**self).take_faults()
    }
    fn braille_line(&mut self) -> Option<&mut dyn BrailleLine> {
        (**self).braille_line()
    }
}

/// Refuses a frame made for another layout.
pub fn check_geometry(display: Geometry, frame: &PinFrame) -> Result<(), DeviceError> {
    if frame.geometry() == display {
        Ok(())
    } else {
        Err(DeviceError::GeometryMismatch {
            frame: frame.geometry(),
            display,
        })
    }
}
