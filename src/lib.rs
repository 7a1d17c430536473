//! touchray: feel a chest radiograph.
//!
//! The data flows one way: [`scan`] loads a radiograph into a [`scan::Scan`];
//! [`tactile`] turns it into a [`tactile::Relief`], the paper's
//! representations and a [`tactile::PinFrame`] (label, indicator, viewport);
//! [`device`] raises the pins on a Graphiti, Dot Pad, pin array or
//! shift-register chain and plays haptic patterns; [`infer`] holds what the
//! networks say.
//! [`pipeline`] strings the stages together and times them; [`output`] writes
//! what the command line shows; [`bench`] measures it.
//!
//! `scan` and `tactile` are pure: no hardware, no global state, no printing.
#![warn(missing_docs)]

pub mod appliance;
pub mod bench;
pub mod device;
pub mod eval;
pub mod infer;
pub mod output;
pub mod pipeline;
pub mod scan;
pub mod tactile;
