//! The Graphiti's own keys and touch gestures, as its key (0x32) and
//! gesture (0x42) reports name them. What they mean is the appliance's
//! business.

/// A Graphiti key or touch gesture, as the spec names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// Braille dot key 1..=8.
    Dot(u8),
    /// Arrow up.
    Up,
    /// Arrow left.
    Left,
    /// Arrow down.
    Down,
    /// Arrow right.
    Right,
    /// The select key.
    Select,
    /// The space bar.
    Space,
    /// A touch gesture on the pin surface.
    Gesture(Gesture),
}

/// The touch gestures of a 0x42 report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gesture {
    /// Id 2.
    DoubleTap,
    /// Id 3.
    SwipeDown,
    /// Id 4.
    SwipeUp,
    /// Id 5.
    SwipeRight,
    /// Id 6.
    SwipeLeft,
}

impl Gesture {
    /// The gesture of a report's id byte.
    pub fn from_id(id: u8) -> Option<Gesture> {
        Some(match id {
            2 => Gesture::DoubleTap,
            3 => Gesture::SwipeDown,
            4 => Gesture::SwipeUp,
            5 => Gesture::SwipeRight,
            6 => Gesture::SwipeLeft,
            _ => return None,
        })
    }
}

/// The keys pressed in a 3-byte key report. The first two bytes hold
/// four nibbles, low bit first: dots 1, 2, 3, 7 | dots 4, 5, 6, 8 | Up,
/// Left, Down, Right | Select, Space.
pub fn keys_in_report(data: &[u8]) -> Vec<Key> {
    let nibbles = [data[0] >> 4, data[0] & 0xF, data[1] >> 4, data[1] & 0xF];
    let map: [[Option<Key>; 4]; 4] = [
        [
            Some(Key::Dot(1)),
            Some(Key::Dot(2)),
            Some(Key::Dot(3)),
            Some(Key::Dot(7)),
        ],
        [
            Some(Key::Dot(4)),
            Some(Key::Dot(5)),
            Some(Key::Dot(6)),
            Some(Key::Dot(8)),
        ],
        [
            Some(Key::Up),
            Some(Key::Left),
            Some(Key::Down),
            Some(Key::Right),
        ],
        [Some(Key::Select), Some(Key::Space), None, None],
    ];
    let mut keys = Vec::new();
    for (nibble, row) in nibbles.iter().zip(map) {
        for (bit, key) in row.iter().enumerate() {
            if nibble & (1 << bit) != 0 {
                if let Some(k) = key {
                    keys.push(*k);
                }
            }
        }
    }
    keys
}
