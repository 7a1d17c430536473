//! The display as the loop keeps it: connected or being reconnected with
//! backoff, remembering the frame it should show so that a display that
//! comes back (replugged, powered on) shows it again at once.

use std::time::{Duration, Instant};

use crate::device::link::RetryPolicy;
use crate::device::open::{open_display, DisplaySpec};
use crate::device::{DeviceError, DisplayFault, Keys, PinDisplay, Vibrator};
use crate::tactile::{Geometry, PinFrame};

/// First wait before reconnecting; doubled after each failure up to
/// [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// What [`ReconnectingDisplay::poll`] did.
#[derive(Debug)]
pub enum Reconnect {
    /// Nothing was due.
    Nothing,
    /// The display is back and shows the wanted frame.
    Back,
    /// Another attempt failed; the next is this much later.
    Failed(DeviceError, Duration),
}

/// The display end of the appliance: one display object whatever the
/// device, reconnected when it goes away.
pub struct ReconnectingDisplay {
    spec: DisplaySpec,
    policy: RetryPolicy,
    connected: Option<Box<dyn PinDisplay>>,
    geometry: Geometry,
    /// The frame, and the cells for the display's braille line (if it
    /// has one).
    wanted: Option<(PinFrame, Vec<u8>)>,
    /// The braille line the connected display last took: an unchanged line
    /// is not sent again with every frame (a Graphiti Plus takes the whole
    /// line each time). Forgotten when the display goes or comes back.
    line_shown: Option<Vec<u8>>,
    backoff: Duration,
    retry_at: Instant,
    faults: Vec<DisplayFault>,
}

impl ReconnectingDisplay {
    /// A display for `spec`, not yet connected; `geometry` is assumed until
    /// the display reports its own.
    pub fn new(spec: DisplaySpec, geometry: Geometry, policy: RetryPolicy) -> ReconnectingDisplay {
        ReconnectingDisplay {
            spec,
            policy,
            connected: None,
            geometry,
            wanted: None,
            line_shown: None,
            backoff: FIRST_BACKOFF,
            retry_at: Instant::now(),
            faults: Vec::new(),
        }
    }

    /// Connects (the start-up check): the display must answer with its
    /// geometry. On failure it retries by itself from
    /// [`ReconnectingDisplay::poll`].
    pub fn connect(&mut self) -> Result<Geometry, DeviceError> {
        let display = open_display(&self.spec, self.geometry, self.policy)?;
        self.geometry = display.geometry();
        self.connected = Some(display);
        self.line_shown = None;
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

    /// Shows `frame`, and `line` (braille cells, standard dot order) on
    /// the display's braille line where it has one; or keeps both to show
    /// once the display is back. An error means the display was lost: the
    /// caller hands it to [`ReconnectingDisplay::lose`], which schedules
    /// the reconnection.
    pub fn show(&mut self, frame: PinFrame, line: Vec<u8>) -> Result<(), DeviceError> {
        self.wanted = Some((frame, line));
        self.show_wanted()
    }

    /// Whether the display connected now has a braille line of its own.
    pub fn has_braille_line(&mut self) -> bool {
        self.connected
            .as_mut()
            .is_some_and(|d| d.braille_line().is_some())
    }

    fn show_wanted(&mut self) -> Result<(), DeviceError> {
        let (Some((frame, line)), Some(display)) = (&self.wanted, self.connected.as_mut()) else {
            return Ok(());
        };
        let mut shown = display.show(frame);
        if let (Ok(()), Some(braille)) = (&shown, display.braille_line()) {
            if self.line_shown.as_ref() != Some(line) {
                shown = braille.show_cells(line);
                self.line_shown = shown.is_ok().then(|| line.clone());
            }
        }
        self.faults.extend(display.take_faults());
        shown
    }

    /// Faults the display reported of its own since the last call (Dot Pad
    /// error notifications), oldest first; none stopped a frame.
    pub fn take_faults(&mut self) -> Vec<DisplayFault> {
        std::mem::take(&mut self.faults)
    }

    /// Marks the display lost after `error` and schedules a reconnection.
    pub fn lose(&mut self, error: DeviceError) -> DeviceError {
        if self.connected.take().is_some() {
            self.backoff = FIRST_BACKOFF;
        }
        self.line_shown = None;
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
        self.connected.as_mut()?.vibrator()
    }

    /// The display's keys, where it has them and is connected.
    pub fn keys(&mut self) -> Option<&mut dyn Keys> {
        self.connected.as_mut()?.keys()
    }
}
