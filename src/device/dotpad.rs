//! Dot Inc. Dot Pad (DotPad320 family) over serial, as the BRLTTY and NVDA
//! drivers and Dot Inc.'s SDK guide document it: packets `AA 55`, a
//! big-endian length, destination (0 = text line, graphic lines from 1),
//! a 2-byte command, a sequence byte, data, and a checksum `0xA5 ^ ...`.
//!
//! Pins are binary: frames must come already binarised (the renderer
//! chooses how, see `tactile::layout::Binarisation`); the driver raises
//! every pin whose height is above 0.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use super::link::{Link, RetryPolicy};
use super::{check_geometry, DeviceError, PinDisplay};
use crate::tactile::{Geometry, PinFrame};

/// Serial speed of the FTDI link.
pub const BAUD: u32 = 115_200;
/// "Wait" replies accepted for one line before it counts as unanswered.
const MAX_WAITS: u32 = 10;

/// USB vendor:product id (FTDI FT2232).
pub const USB_IDS: [(u16, u16); 1] = [(0x0403, 0x6010)];

/// Commands.
pub mod cmd {
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
    /// Reply to a line: 0 ACK, 1 NACK, 2 wait, 3 checksum error.
    pub const DISPLAY_LINE_REPLY: u16 = 0x0201;
    /// The line's pins have moved.
    pub const LINE_FINISHED: u16 = 0x0202;
    /// Error notification.
    pub const ERROR: u16 = 0x9902;
}

/// Packet layer.
pub mod packet {
    /// The two sync bytes.
    pub const SYNC: [u8; 2] = [0xAA, 0x55];
    /// Longest length field accepted (a 30-cell line is far below it).
    pub const MAX_LENGTH: usize = 512;

    /// One packet's content.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Packet {
        /// Line number: 0 = text line, graphic lines from 1.
        pub destination: u8,
        /// Command.
        pub command: u16,
        /// Sequence byte (0x80 = braille text mode).
        pub seq: u8,
        /// Data.
        pub data: Vec<u8>,
    }

    /// `0xA5` XOR every byte from the destination through the last data byte.
    pub fn checksum(body: &[u8]) -> u8 {
        body.iter().fold(0xA5, |c, &b| c ^ b)
    }

    impl Packet {
        /// The packet on the wire.
        pub fn encode(&self) -> Vec<u8> {
            let mut body = vec![self.destination];
            body.extend(self.command.to_be_bytes());
            body.push(self.seq);
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
                                seq: body[3],
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
}

use packet::{Decoded, Decoder, Packet};

/// The graphic area as the board describes it (command 0x0111): byte 0
/// features, 1 dots per cell (1 = 8), 2 pin pitch (0.1 mm), 3 function
/// keys, 4..8 the text line and 8..12 the graphic area, each as rows,
/// columns, divided line, refresh time (x 100 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardInfo {
    /// Graphic lines (cell rows of 4 dots).
    pub lines: u8,
    /// Cells per line (2 dots wide).
    pub cells: u8,
    /// Time the pins take to move.
    pub refresh: Duration,
}

impl BoardInfo {
    /// Reads a 0x0111 reply.
    pub fn parse(data: &[u8]) -> Option<BoardInfo> {
        let graphic = data.get(8..12)?;
        let eight_dots = *data.get(1)? == 1;
        (graphic[0] > 0 && graphic[1] > 0 && eight_dots).then(|| BoardInfo {
            lines: graphic[0],
            cells: graphic[1],
            refresh: Duration::from_millis(u64::from(graphic[3]) * 100),
        })
    }

    /// The pins of the graphic area, binary.
    pub fn geometry(&self) -> Result<Geometry, DeviceError> {
        Geometry::new(u32::from(self.cells) * 2, u32::from(self.lines) * 4, 2).map_err(|e| {
            DeviceError::Protocol {
                device: "dotpad",
                message: format!("board information: {e}"),
            }
        })
    }
}

/// The cell bytes of graphic line `line` (from 0): dot (x, y) of a cell is
/// bit `(y mod 4) + 4 * (x mod 2)`, so bits 0..3 are the left column top to
/// bottom and bits 4..7 the right column.
pub fn line_cells(frame: &PinFrame, line: usize) -> Vec<u8> {
    let g = frame.geometry();
    let width = g.width as usize;
    (0..width / 2)
        .map(|cell| {
            let mut byte = 0u8;
            for dx in 0..2 {
                for dy in 0..4 {
                    let i = (line * 4 + dy) * width + cell * 2 + dx;
                    if frame.heights()[i] > 0 {
                        byte |= 1 << (dy + 4 * dx);
                    }
                }
            }
            byte
        })
        .collect()
}

/// A Dot Pad on a serial link.
#[derive(Debug)]
pub struct DotPadLink<L> {
    link: Link<L>,
    decoder: Decoder,
    policy: RetryPolicy,
    board: BoardInfo,
    geometry: Geometry,
    shown: Vec<Option<Vec<u8>>>,
    seq: u8,
}

impl<L: Read + Write> DotPadLink<L> {
    /// Connects over `io` and reads the board information.
    pub fn connect(io: L, policy: RetryPolicy) -> Result<Self, DeviceError> {
        let mut pad = DotPadLink {
            link: Link::new("dotpad", io),
            decoder: Decoder::default(),
            policy,
            board: BoardInfo {
                lines: 10,
                cells: 30,
                refresh: Duration::ZERO,
            },
            geometry: Geometry::new(60, 40, 2).expect("valid"),
            shown: Vec::new(),
            seq: 0,
        };
        let info = pad.query(cmd::BOARD_INFO, cmd::BOARD_INFO_REPLY, "board information")?;
        pad.board = BoardInfo::parse(&info).ok_or_else(|| DeviceError::Protocol {
            device: "dotpad",
            message: format!("board information {info:02X?} describes no graphic area"),
        })?;
        pad.geometry = pad.board.geometry()?;
        pad.shown = vec![None; usize::from(pad.board.lines)];
        Ok(pad)
    }

    /// The board information the device reported.
    pub fn board(&self) -> BoardInfo {
        self.board
    }

    fn next_seq(&mut self) -> u8 {
        self.seq = (self.seq + 1) & 0x7F;
        self.seq
    }

    fn query(&mut self, command: u16, reply: u16, what: &str) -> Result<Vec<u8>, DeviceError> {
        for _ in 0..self.policy.attempts {
            let seq = self.next_seq();
            let packet = Packet {
                destination: 0,
                command,
                seq,
                data: Vec::new(),
            };
            self.link.send(&packet.encode())?;
            let deadline = Instant::now() + self.policy.reply_timeout;
            while let Some(byte) = self.link.byte_before(deadline)? {
                if let Some(Decoded::Packet(p)) = self.decoder.push(byte) {
                    if p.command == reply {
                        return Ok(p.data);
                    }
                }
            }
        }
        Err(self.no_reply(what))
    }

    fn no_reply(&self, what: &str) -> DeviceError {
        DeviceError::NoReply {
            device: "dotpad",
            what: what.to_string(),
            attempts: self.policy.attempts,
        }
    }

    /// Sends one graphic line and waits for its ACK and "line finished";
    /// re-sends after a NACK, a checksum error or silence, bounded.
    fn send_line(&mut self, line: u8, cells: &[u8]) -> Result<(), DeviceError> {
        let what = format!("graphic line {line}");
        let mut data = vec![0];
        data.extend(cells);
        for _ in 0..self.policy.attempts {
            let seq = self.next_seq();
            let packet = Packet {
                destination: line,
                command: cmd::DISPLAY_LINE,
                seq,
                data: data.clone(),
            };
            self.link.send(&packet.encode())?;
            let mut deadline = Instant::now() + self.policy.reply_timeout;
            let mut acked = false;
            let mut waits = 0;
            while let Some(byte) = self.link.byte_before(deadline)? {
                let Some(Decoded::Packet(p)) = self.decoder.push(byte) else {
                    continue;
                };
                match (p.command, p.data.first()) {
                    (cmd::DISPLAY_LINE_REPLY, Some(0)) if p.destination == line => {
                        acked = true;
                        deadline = Instant::now() + self.board.refresh + self.policy.move_timeout;
                    }
                    // "Wait" extends the deadline, a bounded number of times:
                    // a pad that only ever says "wait" is not answering.
                    (cmd::DISPLAY_LINE_REPLY, Some(2))
                        if p.destination == line && waits < MAX_WAITS =>
                    {
                        waits += 1;
                        deadline = Instant::now() + self.board.refresh + self.policy.move_timeout;
                    }
                    (cmd::DISPLAY_LINE_REPLY, Some(_)) if p.destination == line => break,
                    (cmd::LINE_FINISHED, _) if acked && p.destination == line => return Ok(()),
                    (cmd::ERROR, code) => {
                        return Err(DeviceError::Refused {
                            device: "dotpad",
                            what,
                            reason: format!("error notification {code:?}"),
                        })
                    }
                    _ => {}
                }
            }
            // The SDK waits 500 ms between re-sends of an unconfirmed line.
            std::thread::sleep(self.policy.reply_timeout.min(Duration::from_millis(500)));
        }
        Err(self.no_reply(&what))
    }
}

impl<L: Read + Write> PinDisplay for DotPadLink<L> {
    fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Sends the graphic lines that differ from what the pad shows.
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        check_geometry(self.geometry, frame)?;
        for line in 0..usize::from(self.board.lines) {
            let cells = line_cells(frame, line);
            if self.shown[line].as_ref() == Some(&cells) {
                continue;
            }
            self.shown[line] = None;
            self.send_line(line as u8 + 1, &cells)?;
            self.shown[line] = Some(cells);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::prelude::Point;

    #[test]
    fn packets_carry_length_and_xor_checksum() {
        let p = Packet {
            destination: 0,
            command: cmd::BOARD_INFO,
            seq: 1,
            data: vec![],
        };
        // Length 5 = destination + command (2) + seq + checksum.
        // Checksum: A5 ^ 00 ^ 01 ^ 10 ^ 01 = B5.
        assert_eq!(
            p.encode(),
            [0xAA, 0x55, 0x00, 0x05, 0x00, 0x01, 0x10, 0x01, 0xB5]
        );
        let mut d = Decoder::default();
        let mut stream = vec![0x55, 0xAA, 0x00, 0xAA];
        stream.extend(p.encode());
        let out: Vec<_> = stream.into_iter().filter_map(|b| d.push(b)).collect();
        assert_eq!(out, vec![Decoded::Packet(p)]);
    }

    #[test]
    fn cell_bits_follow_the_documented_order() {
        let mut frame = PinFrame::flat(Geometry::new(60, 40, 2).unwrap());
        // Cell 0 of line 0: left column all up = bits 0..3.
        for y in 0..4 {
            frame.set(Point::new(0, y), 1);
        }
        // Cell 1: right column, third dot down = bit 4 + 2.
        frame.set(Point::new(3, 2), 1);
        // Line 1 (pins 4..8), cell 0: top-right dot = bit 4.
        frame.set(Point::new(1, 4), 1);
        let line0 = line_cells(&frame, 0);
        assert_eq!(line0.len(), 30);
        assert_eq!(line0[0], 0x0F);
        assert_eq!(line0[1], 1 << 6);
        assert_eq!(line_cells(&frame, 1)[0], 1 << 4);
    }

    #[test]
    fn board_information_gives_the_geometry() {
        let info = [0xC0, 1, 25, 0, 1, 20, 0, 1, 10, 30, 0, 12];
        let board = BoardInfo::parse(&info).unwrap();
        assert_eq!(board.geometry().unwrap(), Geometry::new(60, 40, 2).unwrap());
        assert_eq!(board.refresh, Duration::from_millis(1200));
        assert_eq!(BoardInfo::parse(&info[..8]), None);
    }
}
