//! touchray: feel a chest radiograph.
//!
//! The data flows one way, lowest room first: [`scan`] loads a radiograph
//! into a [`scan::Scan`]; [`imaging`] holds the resampling and the
//! [`imaging::Relief`] both networks and touch read; [`infer`] says what the
//! networks see, in the words of [`finding`]; [`tactile`] turns the relief
//! into the paper's representations and a [`tactile::PinFrame`] (label,
//! indicator, viewport); [`device`] raises the pins on a Graphiti, Dot Pad,
//! pin array or shift-register chain and plays haptic rhythms.
//! [`pipeline`] strings the stages together and times them; [`output`]
//! writes what the command line shows; [`speech`] says it in words;
//! [`eval`] and [`bench`](mod@bench) measure;
//! [`appliance`] is the bedside loop on top; [`error`] gives the command
//! line one error type and its exit statuses.
//!
//! `scan`, `imaging`, `infer` and `tactile` are pure: no hardware, no global
//! state, no printing. `tests/layering.rs` checks that no room imports a
//! higher one.
#![warn(missing_docs)]

pub mod appliance;
pub mod bench;
pub mod device;
pub mod error;
pub mod eval;
pub mod finding;
pub mod imaging;
pub mod infer;
pub mod output;
pub mod pipeline;
pub mod scan;
pub mod speech;
pub mod tactile;

pub use error::{Error, ExitStatus};
