//! Everything that receives a finished [`PinFrame`]: pin displays and
//! previews. Drivers know bytes and pins; they never look at images or models.

pub mod preview;

use crate::tactile::{Geometry, PinFrame};

/// Why a display could not show a frame.
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
    /// Writing to the device or file failed.
    #[error("{target}: {source}")]
    Io {
        /// What was being written.
        target: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// A display that raises pins: real hardware, an emulator, or a preview.
pub trait PinDisplay {
    /// The pin layout frames must have.
    fn geometry(&self) -> Geometry;
    /// Raises the pins of `frame`; returns once the display has it.
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError>;
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
