//! Key events in each device's own terms: a GPIO line by its place in the
//! list the board opened, a Graphiti key or gesture, a Dot Pad key. What a
//! key means (next scan, zoom...) is decided above the drivers, by the
//! appliance's key map.

use std::time::{Duration, Instant};

use super::{dotpad, graphiti, DeviceError};

/// A key of some device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A push button on a GPIO line: its index in the lines opened.
    Line(usize),
    /// A Graphiti key or touch gesture.
    Graphiti(graphiti::Key),
    /// A Dot Pad key.
    DotPad(dotpad::Key),
}

/// A key going down or up at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvent {
    /// Which key.
    pub key: Key,
    /// True when pressed, false when released. Devices that only report
    /// presses (Graphiti keys and gestures) send a press and, at once, a
    /// release.
    pub pressed: bool,
    /// When it happened.
    pub at: Instant,
}

/// A source of key events.
pub trait Keys {
    /// The next event, waiting at most `timeout`; `None` if none came.
    fn next_key(&mut self, timeout: Duration) -> Result<Option<KeyEvent>, DeviceError>;
}

impl<T: Keys + ?Sized> Keys for Box<T> {
    fn next_key(&mut self, timeout: Duration) -> Result<Option<KeyEvent>, DeviceError> {
        (**self).next_key(timeout)
    }
}
