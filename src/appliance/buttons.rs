//! The appliance's controls: every source of presses (GPIO buttons, a
//! display's own keys and gestures through the [`KeyMap`], a keyboard or a
//! script in simulation) becomes one [`ButtonEvent`] stream.

use std::time::{Duration, Instant};

use crate::device::{dotpad, graphiti, DeviceError, Key, KeyEvent, Keys};

/// What a button asks for. Board lines and display keys are mapped onto
/// these by the [`KeyMap`]. Serialised (in events) by [`Button::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
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
    /// Play the verdict again (held: describe).
    Repeat,
    /// Say what is under the cursor, putting it out first where it is not
    /// (held: put the cursor away).
    Query,
    /// Say everything about the scan shown: position, verdict, zone, view,
    /// zoom, and what is under the cursor.
    Describe,
}

impl Button {
    /// Every button, in the order boards and scripts list them.
    pub const ALL: [Button; 12] = [
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
        Button::Query,
        Button::Describe,
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
            Button::Query => "query",
            Button::Describe => "describe",
        }
    }
}

/// A name that is no [`Button`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown button {name:?} ({})", Button::ALL.map(Button::name).join(", "))]
pub struct UnknownButton {
    /// The name given.
    pub name: String,
}

impl std::str::FromStr for Button {
    type Err = UnknownButton;
    fn from_str(s: &str) -> Result<Self, UnknownButton> {
        Button::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownButton { name: s.into() })
    }
}

/// A button going down or up at a moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ButtonEvent {
    /// Which button.
    pub button: Button,
    /// True when pressed, false when released. Displays that only report
    /// presses (Graphiti keys and gestures) send a press and, at once, a release.
    pub pressed: bool,
    /// When it happened.
    pub at: Instant,
    /// Where along the display's width the key lies, from 0 (left edge) to
    /// 1 (right edge), for a key of a row under the pins (a Graphiti Plus's
    /// routing keys): a query there points at that column.
    pub along: Option<f32>,
}

/// A source of button events.
pub trait Buttons {
    /// The next event, waiting at most `timeout`; `None` if none came.
    fn next_event(&mut self, timeout: Duration) -> Result<Option<ButtonEvent>, DeviceError>;
}

/// What each device key means to the appliance. Board lines mean what the
/// board file wires them to; the displays' keys have fixed meanings,
/// chosen so that the same hand positions do the same things on both:
///
/// - Graphiti: arrows pan (or move the cursor, when it is out), Select
///   loads the next scan, Space repeats the verdict; dot 1 previous, dot 4
///   next, dots 2/5 zoom out/in, dot 3 cycles the view, dot 6 queries
///   the cursor, dot 7 describes (dot 8 is left alone: the device keeps
///   its chords for itself). Gestures: swipes left/right step through
///   scans, up/down zoom, a double tap repeats the verdict. A Graphiti
///   Plus's routing keys query the column above them.
/// - Dot Pad: the panning keys step through scans, F1 cycles the view,
///   F2/F3 zoom out/in, F4 repeats the verdict (held: describes), the
///   navigation keys pan (or move the cursor) and their centre queries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    /// The button of each board line, in the order the lines were opened.
    pub lines: Vec<Button>,
}

impl KeyMap {
    /// The button `key` stands for, if any.
    pub fn button(&self, key: Key) -> Option<Button> {
        match key {
            Key::Line(index) => self.lines.get(index).copied(),
            Key::Graphiti(key) => graphiti_button(key),
            Key::DotPad(key) => dot_pad_button(key),
        }
    }

    /// `keys` as a source of button events; keys that mean nothing are
    /// passed over.
    pub fn buttons<'a>(&'a self, keys: &'a mut dyn Keys) -> MappedKeys<'a> {
        MappedKeys { map: self, keys }
    }
}

/// A device's keys read through a [`KeyMap`].
pub struct MappedKeys<'a> {
    map: &'a KeyMap,
    keys: &'a mut dyn Keys,
}

impl Buttons for MappedKeys<'_> {
    fn next_event(&mut self, timeout: Duration) -> Result<Option<ButtonEvent>, DeviceError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(KeyEvent { key, pressed, at }) = self.keys.next_key(left)? else {
                return Ok(None);
            };
            if let Some(button) = self.map.button(key) {
                return Ok(Some(ButtonEvent {
                    button,
                    pressed,
                    at,
                    along: along(key),
                }));
            }
            if left.is_zero() {
                return Ok(None);
            }
        }
    }
}

/// The Graphiti's keys (and a Graphiti Plus's panning and routing keys:
/// left pair back / forward through the scans, as a braille display's
/// panning keys move through text; right pair zoom; a routing key asks
/// what is in the column above it).
fn graphiti_button(key: graphiti::Key) -> Option<Button> {
    use graphiti::{Gesture, Key, Panning};
    Some(match key {
        Key::Dot(1) => Button::Previous,
        Key::Dot(2) => Button::ZoomOut,
        Key::Dot(3) => Button::Cycle,
        Key::Dot(4) | Key::Select => Button::Next,
        Key::Dot(5) => Button::ZoomIn,
        Key::Dot(6) => Button::Query,
        Key::Dot(7) => Button::Describe,
        Key::Up => Button::PanUp,
        Key::Left => Button::PanLeft,
        Key::Down => Button::PanDown,
        Key::Right => Button::PanRight,
        Key::Space => Button::Repeat,
        Key::Gesture(Gesture::DoubleTap) => Button::Repeat,
        Key::Gesture(Gesture::SwipeDown) => Button::ZoomOut,
        Key::Gesture(Gesture::SwipeUp) => Button::ZoomIn,
        Key::Gesture(Gesture::SwipeRight) => Button::Previous,
        Key::Gesture(Gesture::SwipeLeft) => Button::Next,
        Key::Panning(Panning::LeftBack) => Button::Previous,
        Key::Panning(Panning::LeftForward) => Button::Next,
        Key::Panning(Panning::RightBack) => Button::ZoomOut,
        Key::Panning(Panning::RightForward) => Button::ZoomIn,
        Key::Routing(_) => Button::Query,
        Key::Dot(_) => return None,
    })
}

/// Where a key of a row along the display lies: a Graphiti Plus routing
/// key over the middle of its cell, the 40 cells spread across the width.
fn along(key: Key) -> Option<f32> {
    match key {
        Key::Graphiti(graphiti::Key::Routing(cell)) => {
            let cells = graphiti::BRAILLE_CELLS as f32;
            Some(((f32::from(cell) - 0.5) / cells).clamp(0.0, 1.0))
        }
        _ => None,
    }
}

fn dot_pad_button(key: dotpad::Key) -> Option<Button> {
    use dotpad::packet::{PAN_LEFT, PAN_RIGHT};
    use dotpad::Key;
    Some(match key {
        Key::Perkins(PAN_LEFT) => Button::Previous,
        Key::Perkins(PAN_RIGHT) => Button::Next,
        Key::Perkins(16) => Button::Query,
        Key::Perkins(17) => Button::PanUp,
        Key::Perkins(18) => Button::PanRight,
        Key::Perkins(19) => Button::PanDown,
        Key::Perkins(20) => Button::PanLeft,
        Key::Function(0) => Button::Cycle,
        Key::Function(1) => Button::ZoomOut,
        Key::Function(2) => Button::ZoomIn,
        Key::Function(3) => Button::Repeat,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{dotpad, graphiti};

    #[test]
    fn display_keys_map_onto_buttons() {
        let map = KeyMap::default();
        let dot_pad = |k| map.button(Key::DotPad(k));
        assert_eq!(
            dot_pad(dotpad::Key::Perkins(dotpad::packet::PAN_RIGHT)),
            Some(Button::Next)
        );
        assert_eq!(dot_pad(dotpad::Key::Function(0)), Some(Button::Cycle));
        assert_eq!(dot_pad(dotpad::Key::Perkins(3)), None);
        let graphiti = |k| map.button(Key::Graphiti(k));
        assert_eq!(graphiti(graphiti::Key::Dot(1)), Some(Button::Previous));
        assert_eq!(graphiti(graphiti::Key::Right), Some(Button::PanRight));
        assert_eq!(graphiti(graphiti::Key::Select), Some(Button::Next));
        assert_eq!(graphiti(graphiti::Key::Space), Some(Button::Repeat));
        assert_eq!(graphiti(graphiti::Key::Dot(6)), Some(Button::Query));
        assert_eq!(graphiti(graphiti::Key::Dot(8)), None);
        assert_eq!(graphiti(graphiti::Key::Routing(40)), Some(Button::Query));
        assert_eq!(
            along(Key::Graphiti(graphiti::Key::Routing(1))),
            Some(0.0125)
        );
        assert_eq!(
            along(Key::Graphiti(graphiti::Key::Routing(40))),
            Some(0.9875)
        );
        assert_eq!(along(Key::Graphiti(graphiti::Key::Dot(6))), None);
        assert_eq!(
            graphiti(graphiti::Key::Gesture(graphiti::Gesture::SwipeLeft)),
            Some(Button::Next)
        );
    }

    #[test]
    fn buttons_serialise_by_their_names() {
        for b in Button::ALL {
            assert_eq!(serde_json::to_value(b).unwrap(), b.name());
            assert_eq!(b.name().parse::<Button>(), Ok(b));
        }
        let err = "nxet".parse::<Button>().unwrap_err().to_string();
        assert!(
            err.starts_with("unknown button \"nxet\" (next, previous,"),
            "{err}"
        );
    }

    #[test]
    fn board_lines_mean_what_the_board_wires() {
        let map = KeyMap {
            lines: vec![Button::Next, Button::Cycle],
        };
        assert_eq!(map.button(Key::Line(1)), Some(Button::Cycle));
        assert_eq!(map.button(Key::Line(2)), None);
    }
}
