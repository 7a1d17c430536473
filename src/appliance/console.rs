//! The display as the loop keeps it: connected or being reconnected with
//! backoff, remembering the frame it should show so that a display that
//! comes back (replugged, powered on) shows it again at once.

use std::time::{Duration, Instant};

use crate::device::dotpad::{self, DotPadLink};
use crate::device::graphiti::{self, GraphitiLink};
use crate::device::link::{open_serial, RetryPolicy};
use crate::device::open::{open_display, DisplaySpec};
use crate::device::{Buttons, DeviceError, PinDisplay, Vibrator};
use crate::tactile::{Geometry, PinFrame};

/// First wait before reconnecting; doubled after each failure up to
/// [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// A connected display: the Graphiti also brings keys and a vibrator, the
/// Dot Pad its keys.
enum Connected {
    Graphiti(Box<GraphitiLink<serialport::TTYPort>>),
    DotPad(Box<DotPadLink<serialport::TTYPort>>),
    Plain(Box<dyn PinDisplay>),
}

/// What [`Console::poll`] did.
#[derive(Debug)]
pub enum Reconnect {
    /// Nothing was due.
    Nothing,
    /// The display is back and shows the wanted frame.
    Back,
    /// Another attempt failed; the next is this much later.
    Failed(DeviceError, Duration),
}

/// The display end of the appliance.
pub struct Console {
    spec: DisplaySpec,
    policy: RetryPolicy,
    connected: Option<Connected>,
    geometry: Geometry,
    wanted: Option<PinFrame>,
    backoff: Duration,
    retry_at: Instant,
    device_errors: Vec<u8>,
}

impl Console {
    /// A console for `spec`, not yet connected; `geometry` is assumed until
    /// the display reports its own.
    pub fn new(spec: DisplaySpec, geometry: Geometry, policy: RetryPolicy) -> Console {
        Console {
            spec,
            policy,
            connected: None,
            geometry,
            wanted: None,
            backoff: FIRST_BACKOFF,
            retry_at: Instant::now(),
            device_errors: Vec::new(),
        }
    }

    /// Connects (the start-up check): the display must answer with its
    /// geometry. On failure the console retries by itself from
    /// [`Console::poll`].
    pub fn connect(&mut self) -> Result<Geometry, DeviceError> {
        let connected = match &self.spec {
            DisplaySpec::Graphiti(path) => Connected::Graphiti(Box::new(GraphitiLink::connect(
                open_serial(path, graphiti::BAUD)?,
                self.policy,
            )?)),
            DisplaySpec::DotPad(path) => Connected::DotPad(Box::new(DotPadLink::connect(
                open_serial(path, dotpad::BAUD)?,
                self.policy,
            )?)),
            spec => Connected::Plain(open_display(spec, self.geometry, self.policy)?),
        };
        self.geometry = match &connected {
            Connected::Graphiti(g) => g.geometry(),
            Connected::DotPad(d) => d.geometry(),
            Connected::Plain(d) => d.geometry(),
        };
        self.connected = Some(connected);
        self.backoff = FIRST_BACKOFF;
        Ok(self.geometry)
    }

    /// The display's geometry (as last reported).
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Whether the display is connected.
    pub fn is_connected(&self) -> bool {
        self.connected.is_some()
    }

    /// Shows `frame`, or keeps it to show once the display is back. An
    /// error means the display was lost: the caller hands it to
    /// [`Console::lose`], which schedules the reconnection.
    pub fn show(&mut self, frame: PinFrame) -> Result<(), DeviceError> {
        self.wanted = Some(frame);
        self.show_wanted()
    }

    fn show_wanted(&mut self) -> Result<(), DeviceError> {
        let (Some(frame), Some(display)) = (&self.wanted, self.connected.as_mut()) else {
            return Ok(());
        };
        match display {
            Connected::Graphiti(g) => g.show(frame),
            Connected::DotPad(d) => {
                let shown = d.show(frame);
                self.device_errors.extend(d.take_errors());
                shown
            }
            Connected::Plain(d) => d.show(frame),
        }
    }

    /// Error codes the display reported of its own since the last call
    /// (Dot Pad error notifications), oldest first; none stopped a frame.
    pub fn take_device_errors(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.device_errors)
    }

    /// Marks the display lost after `error` and schedules a reconnection.
    pub fn lose(&mut self, error: DeviceError) -> DeviceError {
        if self.connected.take().is_some() {
            self.backoff = FIRST_BACKOFF;
        }
        self.retry_at = Instant::now() + self.backoff;
        error
    }

    /// Seconds to the next reconnection attempt.
    pub fn retry_in(&self) -> Duration {
        self.retry_at.saturating_duration_since(Instant::now())
    }

    /// Tries to reconnect when an attempt is due; a display that answers
    /// is shown the wanted frame again.
    pub fn poll(&mut self, now: Instant) -> Reconnect {
        if self.connected.is_some() || now < self.retry_at {
            return Reconnect::Nothing;
        }
        let result = self.connect().and_then(|_| self.show_wanted());
        match result {
            Ok(()) => Reconnect::Back,
            Err(e) => {
                self.connected = None;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                self.retry_at = now + self.backoff;
                Reconnect::Failed(e, self.backoff)
            }
        }
    }

    /// The display's vibrator, where it has one and is connected.
    pub fn vibrator(&mut self) -> Option<&mut dyn Vibrator> {
        match self.connected.as_mut()? {
            Connected::Graphiti(g) => Some(g.as_mut()),
            Connected::DotPad(_) | Connected::Plain(_) => None,
        }
    }

    /// The display's keys, where it has them and is connected.
    pub fn buttons(&mut self) -> Option<&mut dyn Buttons> {
        match self.connected.as_mut()? {
            Connected::Graphiti(g) => Some(g.as_mut()),
            Connected::DotPad(d) => Some(d.as_mut()),
            Connected::Plain(_) => None,
        }
    }
}
