//! The one error of the command line: every room's typed error, kept as it
//! is, and the exit status each one means. Defined once, here:
//!
//! | status | meaning |
//! |---|---|
//! | 1 | results could not be written |
//! | 2 | input touchray refuses (a bad scan, bad flags, a bad board file) |
//! | 3 | a display or device failed (absent, silent, refusing) |

use crate::appliance::ApplianceError;
use crate::bench::WireBenchError;
use crate::device::{DeviceError, SpecError};
use crate::eval::EvalError;
use crate::infer::manifest::ModelError;
use crate::output::OutputError;
use crate::scan::ScanError;
use crate::tactile::GeometryError;

/// What the command line reports, as one line, and its exit status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scan that cannot be read.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// Models that cannot be used.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A display size out of range.
    #[error(transparent)]
    Geometry(#[from] GeometryError),
    /// A folder that cannot be evaluated.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// A display or line named wrongly.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A result file that could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A display or device that failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The wire benchmark failed.
    #[error(transparent)]
    WireBench(#[from] WireBenchError),
    /// The appliance could not start.
    #[error(transparent)]
    Appliance(#[from] ApplianceError),
}

/// The exit statuses, by what went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Results could not be written.
    Output = 1,
    /// Input touchray refuses.
    BadInput = 2,
    /// A display or device failed.
    Device = 3,
}

impl Error {
    /// The exit status this error means.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Scan(_)
            | Error::Model(_)
            | Error::Geometry(_)
            | Error::Eval(_)
            | Error::Spec(_) => ExitStatus::BadInput,
            Error::Output(_) => ExitStatus::Output,
            Error::Device(_) | Error::WireBench(_) => ExitStatus::Device,
            Error::Appliance(e) => match e {
                ApplianceError::Board(_) | ApplianceError::Script(_) => ExitStatus::BadInput,
                ApplianceError::EventLog { .. } | ApplianceError::Thread(_) => ExitStatus::Output,
                ApplianceError::Device(_) => ExitStatus::Device,
            },
        }
    }
}
