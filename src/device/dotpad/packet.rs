//! The Dot Pad byte layer, shared by the driver and the emulator: packets,
//! board information, cell bits and key notifications, as BRLTTY
//! (Drivers/Braille/DotPad), NVDA and Dot Inc.'s SDK guide speak them.

use std::time::Duration;

/// The two sync bytes.
pub const SYNC: [u8; 2] = [0xAA, 0x55];
/// Longest length field accepted (a 30-cell line is far below it).
pub const MAX_LENGTH: usize = 512;

/// The byte after the command: the display mode, not a sequence number.
/// Every reference sends 0x00 for graphic lines and requests; NVDA and the
/// SDK send 0x80 only for a text line whose cells are in standard braille
/// dot order. touchray sends 0x00 always (as BRLTTY does) and puts text
/// cells in the device's own dot order ([`text_cell`]).
pub const MODE_GRAPHIC: u8 = 0x00;
/// The mode of a text line in standard braille dot order (NVDA, SDK).
pub const MODE_TEXT_BRAILLE: u8 = 0x80;

/// Commands.
pub mod cmd {
    /// Firmware version request.
    pub const FIRMWARE: u16 = 0x0000;
    /// Device name request.
    pub const NAME: u16 = 0x0100;
    /// Device name reply.
    pub const NAME_REPLY: u16 = 0x0101;
    /// Board information request.
    pub const BOARD_INFO: u16 = 0x0110;
    /// Board information reply.
    pub const BOARD_INFO_REPLY: u16 = 0x0111;
    /// Display a line: data = start cell, then cell bytes.
    pub const DISPLAY_LINE: u16 = 0x0200;
    /// Reply to a line: one of [`super::LineReply`].
    pub const DISPLAY_LINE_REPLY: u16 = 0x0201;
    /// The line's pins have moved (one data byte; no reference checks its
    /// destination).
    pub const LINE_FINISHED: u16 = 0x0202;
    /// Perkins keyboard, panning and navigation keys.
    pub const KEYS_PERKINS: u16 = 0x0312;
    /// Function keys.
    pub const KEYS_FUNCTION: u16 = 0x0332;
    /// Error notification (one code byte): logged, not fatal.
    pub const ERROR: u16 = 0x9902;
}

/// The code of a 0x0201 reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineReply {
    /// Accepted.
    Ack,
    /// Refused.
    Nack,
    /// Busy: BRLTTY moves on, the SDK re-sends after its retry interval.
    Wait,
    /// The packet's checksum was wrong.
    ChecksumError,
    /// A code no reference defines.
    Other(u8),
}

impl LineReply {
    /// The wire code's meaning.
    pub fn from_code(code: u8) -> LineReply {
        match code {
            0 => LineReply::Ack,
            1 => LineReply::Nack,
            2 => LineReply::Wait,
            3 => LineReply::ChecksumError,
            other => LineReply::Other(other),
        }
    }

    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            LineReply::Ack => 0,
            LineReply::Nack => 1,
            LineReply::Wait => 2,
            LineReply::ChecksumError => 3,
            LineReply::Other(code) => code,
        }
    }
}

/// What a 0x9902 error notification's code means (BRLTTY's table).
pub fn error_text(code: u8) -> &'static str {
    match code {
        1 => "unexpected length",
        2 => "unrecognized command",
        3 => "incorrect checksum",
        4 => "invalid parameter",
        5 => "read timed out",
        _ => "unknown problem",
    }
}

/// One packet's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Line number: 0 = text line; graphic lines from
    /// [`BoardInfo::first_graphic_line`].
    pub destination: u8,
    /// Command.
    pub command: u16,
    /// The display mode ([`MODE_GRAPHIC`] or [`MODE_TEXT_BRAILLE`]).
    pub mode: u8,
    /// Data.
    pub data: Vec<u8>,
}

/// `0xA5` XOR every byte from the destination through the last data byte.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0xA5, |c, &b| c ^ b)
}

impl Packet {
    /// A request or graphic line: mode 0x00.
    pub fn new(destination: u8, command: u16, data: Vec<u8>) -> Packet {
        Packet {
            destination,
            command,
            mode: MODE_GRAPHIC,
            data,
        }
    }

    /// The packet on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = vec![self.destination];
        body.extend(self.command.to_be_bytes());
        body.push(self.mode);
        body.extend(&self.data);
        let length = (body.len() + 1) as u16;
        let mut out = SYNC.to_vec();
        out.extend(length.to_be_bytes());
        out.extend(&body);
        out.push(checksum(&body));
        out
    }
}

/// What the decoder made of the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A packet with a correct checksum.
    Packet(Packet),
    /// A whole packet whose checksum is wrong.
    BadChecksum {
        /// Its destination.
        destination: u8,
        /// Its command.
        command: u16,
    },
}

/// A streaming decoder that hunts for `AA 55` and skips anything else.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    bytes: Vec<u8>,
}

impl Decoder {
    /// Feeds one byte.
    pub fn push(&mut self, byte: u8) -> Option<Decoded> {
        self.bytes.push(byte);
        loop {
            match self.bytes.as_slice() {
                [] => return None,
                [a, ..] if *a != SYNC[0] => {
                    self.bytes.remove(0);
                }
                [_, b, ..] if *b != SYNC[1] => {
                    self.bytes.remove(0);
                }
                [_, _, hi, lo, ..] => {
                    let length = usize::from(u16::from_be_bytes([*hi, *lo]));
                    if !(5..=MAX_LENGTH).contains(&length) {
                        self.bytes.remove(0);
                        continue;
                    }
                    if self.bytes.len() < 4 + length {
                        return None;
                    }
                    let all: Vec<u8> = self.bytes.drain(..4 + length).collect();
                    let body = &all[4..all.len() - 1];
                    let command = u16::from_be_bytes([body[1], body[2]]);
                    return Some(if checksum(body) == all[all.len() - 1] {
                        Decoded::Packet(Packet {
                            destination: body[0],
                            command,
                            mode: body[3],
                            data: body[4..].to_vec(),
                        })
                    } else {
                        Decoded::BadChecksum {
                            destination: body[0],
                            command,
                        }
                    });
                }
                _ => return None,
            }
        }
    }

    /// Forgets a half-received packet.
    pub fn reset(&mut self) {
        self.bytes.clear();
    }
}

/// Board information feature bits (BRLTTY's `DP_Features`).
pub mod feature {
    /// Has a graphic area.
    pub const GRAPHIC: u8 = 0x80;
    /// Has a braille text line.
    pub const TEXT: u8 = 0x40;
    /// Has panning keys.
    pub const PANNING_KEYS: u8 = 0x04;
    /// Has function keys.
    pub const FUNCTION_KEYS: u8 = 0x02;
}

/// The board as it describes itself (command 0x0111): byte 0 features, 1
/// dots per cell (1 = 8), 2 pin pitch (0.1 mm), 3 function keys, 4..8 the
/// text line and 8..12 the graphic area, each as rows, columns, divided
/// line, refresh time (x 100 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardInfo {
    /// Feature bits ([`feature`]).
    pub features: u8,
    /// Rows of the text area (its line numbers come before the graphic's).
    pub text_rows: u8,
    /// Cells of the text line.
    pub text_cells: u8,
    /// Graphic lines (cell rows of 4 dots).
    pub lines: u8,
    /// Cells per graphic line (2 dots wide).
    pub cells: u8,
    /// Time the graphic pins take to move.
    pub refresh: Duration,
}

impl BoardInfo {
    /// Reads a 0x0111 reply.
    pub fn parse(data: &[u8]) -> Option<BoardInfo> {
        let graphic = data.get(8..12)?;
        let eight_dots = *data.get(1)? == 1;
        (graphic[0] > 0 && graphic[1] > 0 && eight_dots).then(|| BoardInfo {
            features: data[0],
            text_rows: data[4],
            text_cells: data[5],
            lines: graphic[0],
            cells: graphic[1],
            refresh: Duration::from_millis(u64::from(graphic[3]) * 100),
        })
    }

    /// The destination of the first graphic line. As BRLTTY derives it:
    /// the text area's row count where the board has a text area, else 1.
    /// A board that claims a text area of 0 rows still gets 1: line 0 is
    /// the text line on every Dot Pad.
    pub fn first_graphic_line(&self) -> u8 {
        if self.features & feature::TEXT != 0 {
            self.text_rows.max(1)
        } else {
            1
        }
    }

    /// Whether the board has a braille text line.
    pub fn has_text_line(&self) -> bool {
        self.features & feature::TEXT != 0 && self.text_cells > 0
    }
}

/// A cell in standard braille dot order (dot n = bit n - 1) in the Dot
/// Pad's own order, the graphic area's: dots 1-3 = bits 0-2, dot 7 = bit 3,
/// dots 4-6 = bits 4-6, dot 8 = bit 7 (BRLTTY's `DP_DSP_DOT*`).
pub fn text_cell(standard: u8) -> u8 {
    const DEVICE_BIT: [u8; 8] = [0x01, 0x02, 0x04, 0x10, 0x20, 0x40, 0x08, 0x80];
    (0..8)
        .filter(|dot| standard & (1 << dot) != 0)
        .fold(0, |cell, dot| cell | DEVICE_BIT[dot])
}

/// A Dot Pad key, as the key notifications number them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// Function key n (from 0; F1 = 0), from 0x0332.
    Function(u8),
    /// Perkins-group key n (BRLTTY's `DP_PerkinsKey`: 13 panning left, 14
    /// panning right, 16.. navigation), from 0x0312.
    Perkins(u8),
}

/// BRLTTY's panning-left key in the Perkins group.
pub const PAN_LEFT: u8 = 13;
/// BRLTTY's panning-right key in the Perkins group.
pub const PAN_RIGHT: u8 = 14;

/// The keys held down in a key notification's data: key n is bit
/// `7 - n % 8` of byte `n / 8` (F1 = `data[0] & 0x80`), per BRLTTY and the SDK.
pub fn keys_down(command: u16, data: &[u8]) -> Option<Vec<Key>> {
    let key: fn(u8) -> Key = match command {
        cmd::KEYS_FUNCTION => Key::Function,
        cmd::KEYS_PERKINS => Key::Perkins,
        _ => return None,
    };
    let mut down = Vec::new();
    for (i, byte) in data.iter().enumerate().take(8) {
        for bit in 0..8u8 {
            if byte & (0x80 >> bit) != 0 {
                down.push(key(i as u8 * 8 + bit));
            }
        }
    }
    Some(down)
}

/// The notification data with exactly `keys` of one group down.
pub fn keys_data(keys: &[u8]) -> Vec<u8> {
    let mut data = vec![0u8; 4];
    for &n in keys {
        if let Some(byte) = data.get_mut(usize::from(n / 8)) {
            *byte |= 0x80 >> (n % 8);
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_carry_length_mode_and_xor_checksum() {
        let p = Packet::new(0, cmd::BOARD_INFO, vec![]);
        // Length 5 = destination + command (2) + mode + checksum.
        // Checksum: A5 ^ 00 ^ 01 ^ 10 ^ 00 = B4.
        assert_eq!(
            p.encode(),
            [0xAA, 0x55, 0x00, 0x05, 0x00, 0x01, 0x10, 0x00, 0xB4]
        );
        let mut d = Decoder::default();
        let mut stream = vec![0x55, 0xAA, 0x00, 0xAA];
        stream.extend(p.encode());
        let out: Vec<_> = stream.into_iter().filter_map(|b| d.push(b)).collect();
        assert_eq!(out, vec![Decoded::Packet(p)]);
    }

    #[test]
    fn board_information_gives_the_first_graphic_line() {
        let info = [0xC6, 1, 25, 4, 1, 20, 0, 1, 10, 30, 0, 12];
        let board = BoardInfo::parse(&info).unwrap();
        assert_eq!((board.lines, board.cells), (10, 30));
        assert_eq!(board.refresh, Duration::from_millis(1200));
        assert_eq!(board.first_graphic_line(), 1);
        assert!(board.has_text_line());
        let two_text_rows = BoardInfo::parse(&[0xC6, 1, 25, 4, 2, 20, 0, 1, 10, 30, 0, 12]);
        assert_eq!(two_text_rows.unwrap().first_graphic_line(), 2);
        let no_text = BoardInfo::parse(&[0x80, 1, 25, 0, 0, 0, 0, 0, 10, 30, 0, 12]).unwrap();
        assert_eq!(no_text.first_graphic_line(), 1);
        assert!(!no_text.has_text_line());
        assert_eq!(BoardInfo::parse(&info[..8]), None);
    }

    #[test]
    fn text_cells_go_in_the_device_dot_order() {
        assert_eq!(text_cell(0b0000_0001), 0x01); // dot 1
        assert_eq!(text_cell(0b0000_1000), 0x10); // dot 4
        assert_eq!(text_cell(0b0100_0000), 0x08); // dot 7
        assert_eq!(text_cell(0b1000_0000), 0x80); // dot 8
        assert_eq!(text_cell(0xFF), 0xFF);
    }

    #[test]
    fn keys_are_numbered_as_brltty_numbers_them() {
        // F1 = data[0] & 0x80; panning left / right = data[1] & 0x04 / 0x02.
        assert_eq!(
            keys_down(cmd::KEYS_FUNCTION, &[0x80, 0, 0, 0]),
            Some(vec![Key::Function(0)])
        );
        assert_eq!(
            keys_down(cmd::KEYS_PERKINS, &[0, 0x04, 0, 0]),
            Some(vec![Key::Perkins(PAN_LEFT)])
        );
        assert_eq!(
            keys_down(cmd::KEYS_PERKINS, &[0, 0x02, 0, 0]),
            Some(vec![Key::Perkins(PAN_RIGHT)])
        );
        assert_eq!(keys_data(&[PAN_LEFT]), [0, 0x04, 0, 0]);
        assert_eq!(keys_data(&[0, 3]), [0x90, 0, 0, 0]);
        assert_eq!(keys_down(cmd::ERROR, &[1]), None);
    }
}
