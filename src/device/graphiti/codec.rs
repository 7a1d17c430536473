//! The Graphiti byte layer: framing, escaping, checksums, and a decoder
//! that resynchronises after garbage. Shared by the driver and the emulator.

use super::id;

/// First byte of every frame.
pub const START: u8 = 0x1B;

/// Which way a frame travels; data lengths depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Host to device: commands.
    ToDevice,
    /// Device to host: replies and events.
    ToHost,
}

/// Which bytes a checksum sums. The two differ only for a frame with a
/// 0x1B data byte, and which one a given firmware checks is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convention {
    /// The specification (section 3): the doubled 0x1B is not counted.
    #[default]
    Spec,
    /// Orbit's host library (lib/src/API.cpp): the escaped stream is
    /// summed, so each doubled 0x1B counts twice.
    Library,
}

impl Convention {
    /// The other one.
    pub fn other(self) -> Convention {
        match self {
            Convention::Spec => Convention::Library,
            Convention::Library => Convention::Spec,
        }
    }
}

/// The spec's checksum: the two's complement of the sum of the command
/// id and the (unescaped) data bytes.
pub fn checksum(command: u8, data: &[u8]) -> u8 {
    checksum_with(Convention::Spec, command, data)
}

/// The checksum of `command` and `data` under `convention`.
pub fn checksum_with(convention: Convention, command: u8, data: &[u8]) -> u8 {
    let sum = data.iter().fold(command, |s, &b| {
        let s = s.wrapping_add(b);
        match (convention, b) {
            (Convention::Library, START) => s.wrapping_add(START),
            _ => s,
        }
    });
    sum.wrapping_neg()
}

/// One frame on the wire: start, command, escaped data, escaped checksum.
pub fn encode(command: u8, data: &[u8]) -> Vec<u8> {
    encode_with(Convention::Spec, command, data)
}

/// [`encode`] with the checksum of `convention`.
pub fn encode_with(convention: Convention, command: u8, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 4);
    out.push(START);
    out.push(command);
    for &b in data
        .iter()
        .chain(&[checksum_with(convention, command, data)])
    {
        out.push(b);
        if b == START {
            out.push(START);
        }
    }
    out
}

/// Data bytes a frame with `command` carries, or `None` for a command
/// that cannot travel this way.
pub fn data_len(command: u8, direction: Direction) -> Option<usize> {
    use Direction::*;
    Some(match (command, direction) {
        (id::UPDATE_DISPLAY, ToDevice) => 4800,
        (id::SET_ALL, ToDevice) => 1,
        (id::ONE_PIN, ToDevice) => 4,
        (id::ONE_ROW, ToDevice) => 121,
        (0x19, ToDevice) => 81,
        (id::VIBRATE, ToDevice) => 4,
        (id::KEY_EVENTS | id::TOUCH_EVENTS, _) => 1,
        (id::ACK | id::NACK, ToDevice) => 0,
        (0x01 | 0x02 | 0x04 | 0x05 | id::RESOLUTION | id::HEIGHT_LEVELS, ToDevice) => 0,
        (id::DEVICE_NAME | 0x20, ToDevice) => 0,
        (0x01 | 0x02 | 0x04 | 0x05, ToHost) => 15,
        (id::RESOLUTION, ToHost) => 5,
        (id::HEIGHT_LEVELS, ToHost) => 1,
        (id::DEVICE_NAME, ToHost) => 30,
        (0x20, ToHost) => 2400,
        (id::KEY_REPORT, ToHost) => 3,
        (id::KEY_REPORT_PLUS, ToHost) => 9,
        (id::UPDATE_BRAILLE, ToDevice) => 1 + super::BRAILLE_CELLS,
        (id::GESTURE | id::STATUS, ToHost) => 1,
        _ => return None,
    })
}

/// What the decoder made of the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame with a correct checksum.
    Frame {
        /// Command id.
        command: u8,
        /// Unescaped data.
        data: Vec<u8>,
    },
    /// A whole frame whose checksum is wrong.
    BadChecksum {
        /// Command id.
        command: u8,
    },
    /// A frame cut short by a new start byte, a lone `1B` in the data, or
    /// an unknown command: the decoder has resynchronised.
    Broken,
}

#[derive(Debug, Clone)]
enum State {
    Idle,
    Command,
    Data {
        command: u8,
        need: usize,
        escaped: bool,
    },
    Checksum {
        command: u8,
        escaped: bool,
    },
}

/// A streaming decoder: feed it bytes, get frames.
#[derive(Debug, Clone)]
pub struct Decoder {
    direction: Direction,
    convention: Convention,
    state: State,
    data: Vec<u8>,
}

impl Decoder {
    /// A decoder for frames travelling `direction`, checking the spec's
    /// checksum.
    pub fn new(direction: Direction) -> Self {
        Self::checking(direction, Convention::Spec)
    }

    /// A decoder that checks checksums under `convention`.
    pub fn checking(direction: Direction, convention: Convention) -> Self {
        Decoder {
            direction,
            convention,
            state: State::Idle,
            data: Vec::new(),
        }
    }

    /// Feeds one byte. Bytes outside a frame are ignored, as the
    /// device ignores a bad start byte.
    pub fn push(&mut self, byte: u8) -> Option<Decoded> {
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Idle => {
                if byte == START {
                    self.state = State::Command;
                }
                None
            }
            State::Command => match data_len(byte, self.direction) {
                Some(need) => {
                    self.data.clear();
                    self.state = if need == 0 {
                        State::Checksum {
                            command: byte,
                            escaped: false,
                        }
                    } else {
                        State::Data {
                            command: byte,
                            need,
                            escaped: false,
                        }
                    };
                    None
                }
                None if byte == START => {
                    self.state = State::Command;
                    None
                }
                None => Some(Decoded::Broken),
            },
            State::Data {
                command,
                need,
                escaped,
            } => {
                if escaped && byte != START {
                    // A lone 1B was a new frame's start: this one broke off.
                    return Some(self.restart(byte));
                }
                if byte == START && !escaped {
                    self.state = State::Data {
                        command,
                        need,
                        escaped: true,
                    };
                    return None;
                }
                self.data.push(byte);
                self.state = if self.data.len() == need {
                    State::Checksum {
                        command,
                        escaped: false,
                    }
                } else {
                    State::Data {
                        command,
                        need,
                        escaped: false,
                    }
                };
                None
            }
            State::Checksum { command, escaped } => {
                if escaped && byte != START {
                    return Some(self.restart(byte));
                }
                if byte == START && !escaped {
                    self.state = State::Checksum {
                        command,
                        escaped: true,
                    };
                    return None;
                }
                let data = std::mem::take(&mut self.data);
                Some(if checksum_with(self.convention, command, &data) == byte {
                    Decoded::Frame { command, data }
                } else {
                    Decoded::BadChecksum { command }
                })
            }
        }
    }

    fn restart(&mut self, command: u8) -> Decoded {
        self.state = State::Command;
        let _ = self.push(command);
        Decoded::Broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_match_the_specs_worked_examples() {
        assert_eq!(encode(0x01, &[]), [0x1B, 0x01, 0xFF]);
        assert_eq!(
            encode(id::ONE_PIN, &[10, 10, 4, 10]),
            [0x1B, 0x17, 0x0A, 0x0A, 0x04, 0x0A, 0xC7]
        );
        assert_eq!(encode(id::SET_ALL, &[3]), [0x1B, 0x16, 0x03, 0xE7]);
        assert_eq!(encode(id::STATUS, &[0]), [0x1B, 0x53, 0x00, 0xAD]);
        assert_eq!(encode(id::ACK, &[]), [0x1B, 0x51, 0xAF]);
        assert_eq!(encode(id::NACK, &[]), [0x1B, 0x52, 0xAE]);
    }

    #[test]
    fn a_1b_data_byte_is_doubled_and_summed_once() {
        // Row 27 (0x1B): the row byte is doubled on the wire.
        let mut data = vec![0x1B];
        data.extend([0u8; 120]);
        let wire = encode(id::ONE_ROW, &data);
        assert_eq!(&wire[..4], [0x1B, 0x18, 0x1B, 0x1B]);
        assert_eq!(wire.len(), 2 + 122 + 1);
        // 0x18 + 0x1B = 0x33; checksum 0xCD, counted once.
        assert_eq!(*wire.last().unwrap(), 0xCD);
        // A checksum of 0x1B is doubled too: 0x17 + data summing to 0xCE.
        let wire = encode(id::ONE_PIN, &[40, 60, 4, 0x66]);
        assert_eq!(checksum(id::ONE_PIN, &[40, 60, 4, 0x66]), 0x1B);
        assert_eq!(&wire[wire.len() - 2..], [0x1B, 0x1B]);
    }

    #[test]
    fn the_library_convention_counts_the_doubled_byte() {
        let mut data = vec![0x1B];
        data.extend([0u8; 120]);
        // 0x18 + 0x1B + 0x1B = 0x4E; checksum 0xB2.
        let wire = encode_with(Convention::Library, id::ONE_ROW, &data);
        assert_eq!(*wire.last().unwrap(), 0xB2);
        // Without a 0x1B data byte both conventions agree.
        assert_eq!(
            encode_with(Convention::Library, id::ONE_PIN, &[10, 10, 4, 10]),
            encode(id::ONE_PIN, &[10, 10, 4, 10])
        );
        let mut d = Decoder::checking(Direction::ToDevice, Convention::Library);
        let out: Vec<Decoded> = wire.iter().filter_map(|&b| d.push(b)).collect();
        assert_eq!(
            out,
            vec![Decoded::Frame {
                command: id::ONE_ROW,
                data: data.clone()
            }]
        );
        let out: Vec<Decoded> = encode(id::ONE_ROW, &data)
            .iter()
            .filter_map(|&b| d.push(b))
            .collect();
        assert_eq!(
            out,
            vec![Decoded::BadChecksum {
                command: id::ONE_ROW
            }]
        );
    }

    #[test]
    fn the_decoder_unescapes_and_resynchronises() {
        let mut d = Decoder::new(Direction::ToDevice);
        let mut data = vec![0x1B];
        data.extend([0x1Bu8; 120]);
        let mut stream = vec![0x00, 0xFF, 0x42];
        stream.extend(&encode(id::ONE_ROW, &data)[..50]);
        stream.extend(encode(id::ONE_ROW, &data));
        let mut bad = encode(id::ONE_PIN, &[1, 1, 4, 0]);
        *bad.last_mut().unwrap() ^= 0x01;
        stream.extend(bad);
        let out: Vec<Decoded> = stream.into_iter().filter_map(|b| d.push(b)).collect();
        assert_eq!(
            out,
            vec![
                Decoded::Broken,
                Decoded::Frame {
                    command: id::ONE_ROW,
                    data
                },
                Decoded::BadChecksum {
                    command: id::ONE_PIN
                }
            ]
        );
    }
}
