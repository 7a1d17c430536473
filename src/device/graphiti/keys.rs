//! The Graphiti's own keys and touch gestures, as its key (0x32; 0x33 on
//! a Graphiti Plus) and gesture (0x42) reports name them. What they mean
//! is the appliance's business.

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
    /// Graphiti Plus: a panning key.
    Panning(Panning),
    /// Graphiti Plus: the cursor routing key over braille cell 1..=40.
    Routing(u8),
}

/// The Graphiti Plus's four panning keys (spec section 4.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Panning {
    /// LPB: left panning key, back.
    LeftBack,
    /// LPF: left panning key, forward.
    LeftForward,
    /// RPB: right panning key, back.
    RightBack,
    /// RPF: right panning key, forward.
    RightForward,
}

/// How long a Graphiti Plus key was held, as its report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlusPress {
    /// Press type 0x02.
    Short,
    /// Press type 0x04.
    Long,
}

/// The keys of a Graphiti Plus key report (0x33, spec section 4.4.3) and
/// how long they were held: 8 key bytes, then the press type. Key byte 0:
/// dots 1-8 (bit 0 = dot 1); 1: Select, Space, Up, Down, Left, Right (bits
/// 0-5); 2: LPB, LPF, RPB, RPF (bits 0-3); 3-7: routing keys 1-40 (bit 0
/// of byte 3 = key 1). A press type other than long is taken as short.
pub fn keys_in_plus_report(data: &[u8]) -> (Vec<Key>, PlusPress) {
    let bit = |byte: usize, n: usize| data.get(byte).is_some_and(|b| b & (1 << n) != 0);
    let mut keys: Vec<Key> = (0..8)
        .filter(|&n| bit(0, n))
        .map(|n| Key::Dot(n as u8 + 1))
        .collect();
    let second = [
        Key::Select,
        Key::Space,
        Key::Up,
        Key::Down,
        Key::Left,
        Key::Right,
    ];
    keys.extend((0..6).filter(|&n| bit(1, n)).map(|n| second[n]));
    let panning = [
        Panning::LeftBack,
        Panning::LeftForward,
        Panning::RightBack,
        Panning::RightForward,
    ];
    keys.extend(
        (0..4)
            .filter(|&n| bit(2, n))
            .map(|n| Key::Panning(panning[n])),
    );
    keys.extend(
        (0..40)
            .filter(|&k| bit(3 + k / 8, k % 8))
            .map(|k| Key::Routing(k as u8 + 1)),
    );
    let press = if data.get(8) == Some(&0x04) {
        PlusPress::Long
    } else {
        PlusPress::Short
    };
    (keys, press)
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

/// The keys pressed in a Graphiti's 3-byte key report (0x32). The first two bytes hold
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plus_report_names_every_key_group_and_the_press_type() {
        // DOT1 and DOT8; Select and Right; LPB and RPF; CR1, CR9 and CR40;
        // long.
        let report = [0x81, 0x21, 0x09, 0x01, 0x01, 0, 0, 0x80, 0x04];
        let (keys, press) = keys_in_plus_report(&report);
        assert_eq!(
            keys,
            [
                Key::Dot(1),
                Key::Dot(8),
                Key::Select,
                Key::Right,
                Key::Panning(Panning::LeftBack),
                Key::Panning(Panning::RightForward),
                Key::Routing(1),
                Key::Routing(9),
                Key::Routing(40),
            ]
        );
        assert_eq!(press, PlusPress::Long);
        let (keys, press) = keys_in_plus_report(&[0, 0x04, 0, 0, 0, 0, 0, 0, 0x02]);
        assert_eq!((keys, press), (vec![Key::Up], PlusPress::Short));
        // A short report names what it holds and is not a panic.
        assert_eq!(keys_in_plus_report(&[0x02]).0, [Key::Dot(2)]);
    }
}
