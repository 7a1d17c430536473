//! Everything that receives a finished [`PinFrame`] or plays a haptic
//! [`Pattern`]: pin displays (Graphiti, Dot Pad, the touchray pin-array
//! protocol, shift-register chains), vibration motors, and previews.
//! Drivers know bytes and pins; they never look at images or models.
//!
//! Serial drivers are written against `std::io::Read + Write` and GPIO/SPI
//! drivers against embedded-hal 1.0, so that the same code drives real
//! hardware, the emulators in [`emulator`] and the test models.

pub mod board;
pub mod buttons;
pub mod dotpad;
pub mod emulator;
pub mod graphiti;
pub mod haptic;
pub mod link;
pub mod open;
pub mod pinarray;
pub mod preview;
pub mod shiftreg;
pub mod vibration;
pub mod wire;

pub use buttons::{Button, ButtonEvent, Buttons};
pub use haptic::{play_blocking, Haptic, HapticPlayer, Pattern, Pulse, Vibrator};

use crate::tactile::{Geometry, PinFrame};

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
        device: &'static str,
        /// The command.
        what: String,
        /// How many times it was sent.
        attempts: u32,
    },
    /// The device answered that it will not do it.
    #[error("{device}: refused {what}: {reason}")]
    Refused {
        /// The device.
        device: &'static str,
        /// The command.
        what: String,
        /// The device's reason.
        reason: String,
    },
    /// The device said something that makes no sense for it.
    #[error("{device}: {message}")]
    Protocol {
        /// The device.
        device: &'static str,
        /// What was wrong.
        message: String,
    },
    /// The link went away (unplugged, powered off).
    #[error("{device}: disconnected ({source})")]
    Disconnected {
        /// The device.
        device: &'static str,
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

/// A display that raises pins: real hardware, an emulator, or a preview.
pub trait PinDisplay {
    /// The pin layout frames must have.
    fn geometry(&self) -> Geometry;
    /// Raises the pins of `frame`; returns once the display has it.
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError>;
}

impl<T: PinDisplay + ?Sized> PinDisplay for Box<T> {
    fn geometry(&self) -> Geometry {
        (**self).geometry()
    }
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        (**self).show(frame)
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
