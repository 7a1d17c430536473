//! What showing a frame costs on the wire: bytes each way through a real
//! driver talking to its emulator, and the time those bytes take at the
//! device's baud rate (8N1: 10 bits per byte). Pin movement time is the
//! device's own and comes on top.

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Instant;

use serde::Serialize;

use super::dotpad::DotPadLink;
use super::emulator::{Emulator, Kind, Options};
use super::graphiti::GraphitiLink;
use super::link::{open_serial, RetryPolicy};
use super::pinarray::PinArrayLink;
use super::{dotpad, graphiti, pinarray, DeviceError, DisplayKind, PinDisplay};
use crate::tactile::{Geometry, PinFrame};

/// Counts the bytes through a link.
#[derive(Debug)]
pub struct Counted<L> {
    inner: L,
    sent: Rc<Cell<u64>>,
    received: Rc<Cell<u64>>,
}

impl<L: Read> Read for Counted<L> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.received.set(self.received.get() + n as u64);
        Ok(n)
    }
}

impl<L: Write> Write for Counted<L> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sent.set(self.sent.get() + n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The cost of one `show`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WireCost {
    /// Bytes host to device.
    pub sent: u64,
    /// Bytes device to host (replies, acknowledgements).
    pub received: u64,
    /// Both ways at the device's baud rate, in milliseconds.
    pub wire_ms: f64,
    /// Measured over the emulator's pseudo-terminal (no baud limit, no pin
    /// movement): the driver's own overhead, in milliseconds.
    pub pty_ms: f64,
}

/// A device's costs for a full frame and the zoom step after it.
#[derive(Debug, Clone, Serialize)]
pub struct WireReport {
    /// The device.
    pub device: DisplayKind,
    /// Its baud rate.
    pub baud: u32,
    /// Its pins.
    pub geometry: (u32, u32, u8),
    /// The first frame (nothing shown before).
    pub full_frame: WireCost,
    /// The next frame, after zooming in.
    pub zoom_step: WireCost,
}

/// Shows `frames(geometry)` (a first frame and a zoom step) on an emulated
/// `kind` and measures each.
pub fn measure(
    kind: Kind,
    frames: impl Fn(Geometry) -> (PinFrame, PinFrame),
) -> Result<WireReport, DeviceError> {
    let emulator = Emulator::start(kind, Options::default())?;
    let sent = Rc::new(Cell::new(0));
    let received = Rc::new(Cell::new(0));
    let io = Counted {
        inner: open_serial(&emulator.path(), 115_200)?,
        sent: Rc::clone(&sent),
        received: Rc::clone(&received),
    };
    let policy = RetryPolicy::default();
    let device = kind;
    let (baud, mut display): (_, Box<dyn PinDisplay>) = match kind {
        Kind::Graphiti => (graphiti::BAUD, Box::new(GraphitiLink::connect(io, policy)?)),
        Kind::DotPad => (dotpad::BAUD, Box::new(DotPadLink::connect(io, policy)?)),
        Kind::PinArray => (pinarray::BAUD, Box::new(PinArrayLink::connect(io, policy)?)),
    };
    let g = display.geometry();
    let (first, second) = frames(g);
    let mut cost = |frame: &PinFrame| -> Result<WireCost, DeviceError> {
        let (s0, r0) = (sent.get(), received.get());
        let t = Instant::now();
        display.show(frame)?;
        let pty_ms = t.elapsed().as_secs_f64() * 1e3;
        let (s, r) = (sent.get() - s0, received.get() - r0);
        Ok(WireCost {
            sent: s,
            received: r,
            wire_ms: (s + r) as f64 * 10.0 / f64::from(baud) * 1e3,
            pty_ms,
        })
    };
    let full_frame = cost(&first)?;
    let zoom_step = cost(&second)?;
    Ok(WireReport {
        device,
        baud,
        geometry: (g.width, g.height, g.levels),
        full_frame,
        zoom_step,
    })
}
