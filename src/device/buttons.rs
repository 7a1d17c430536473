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

impl Button {
    /// Every button, in the order boards and scripts list them.
    pub const ALL: [Button; 10] = [
        Button::Next,
        Button::Previous,
        Button::ZoomIn,
        Button::ZoomOut,
        Button::PanUp,
        Button::PanDown,
        Button::PanLeft,
        Button::PanRight,
        Button::Cycle,
        Button::Repeat,
    ];

    /// The button's name in board files, scripts and events.
    pub fn name(self) -> &'static str {
        match self {
            Button::Next => "next",
            Button::Previous => "previous",
            Button::ZoomIn => "zoom-in",
            Button::ZoomOut => "zoom-out",
            Button::PanUp => "pan-up",
            Button::PanDown => "pan-down",
            Button::PanLeft => "pan-left",
            Button::PanRight => "pan-right",
            Button::Cycle => "cycle",
            Button::Repeat => "repeat",
        }
    }
}

impl std::str::FromStr for Button {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Button::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Button::ALL.iter().map(|b| b.name()).collect();
                format!("unknown button {s:?} ({})", names.join(", "))
            })
    }
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
