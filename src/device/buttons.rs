//! Button presses, from GPIO buttons, a display's own keys and gestures, or
//! a keyboard in simulation, all as one [`ButtonEvent`] stream.

use std::time::{Duration, Instant};

use super::DeviceError;

/// What a button asks for. Boards and displays map their keys onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Button {
    /// Load the next scan.
    Next,
    /// Go back one scan.
    Previous,
    /// Zoom in.
    ZoomIn,
    /// Zoom out.
    ZoomOut,
    /// Pan towards the top.
    PanUp,
    /// Pan towards the bottom.
    PanDown,
    /// Pan left.
    PanLeft,
    /// Pan right.
    PanRight,
    /// Show the next representation.
    Cycle,
    /// Play the verdict again.
    Repeat,
}

/// A button going down or up at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonEvent {
    /// Which button.
    pub button: Button,
    /// True when pressed, false when released. Displays that only report
    /// presses (Graphiti keys and gestures) send a press and, at once, a release.
    pub pressed: bool,
    /// When it happened.
    pub at: Instant,
}

/// A source of button events.
pub trait Buttons {
    /// The next event, waiting at most `timeout`; `None` if none came.
    fn next_event(&mut self, timeout: Duration) -> Result<Option<ButtonEvent>, DeviceError>;
}
