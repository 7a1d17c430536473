//! What the networks say about a scan: the pneumonia [`classifier`] and the
//! MiDaS [`depth`] network through tract, each described by a [`manifest`]
//! entry and run as a [`network`]. What they conclude is said in the words
//! of [`crate::finding`].

pub mod classifier;
pub mod depth;
pub mod manifest;
pub mod network;
pub mod ood;
pub mod threads;
pub mod zone;

pub use threads::{Loading, Threads};
