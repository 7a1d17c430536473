//! The Graphiti's firmware as the API specification describes it; with
//! `library_checksum`, one that checks checksums the way Orbit's own host
//! library computes them (the two disagree for frames with a 0x1B data
//! byte, and which one a real Graphiti checks is unknown); with `plus`, a
//! Graphiti Plus (spec v1.2): its name, its braille line (0x80) and its
//! 0x33 key reports.

use embedded_graphics::prelude::Point;

use super::{Context, Firmware};
use crate::device::graphiti::codec::{encode, Convention, Decoded, Decoder, Direction};
use crate::device::graphiti::{id, MAX_BLINK};
use crate::tactile::{Geometry, PinFrame};

const NAME: &str = "Graphiti (touchray emulator)";
/// Graphiti Plus firmware answers its name as "Graphiti Plus".
const PLUS_NAME: &str = "Graphiti Plus (touchray emulator)";
/// `GraphitiFirmware::press` on a Graphiti Plus: this bit in the key
/// code makes the press long (press type 0x04).
pub const PLUS_LONG: u8 = 0x40;
const TOP: u8 = 4;

pub(crate) struct GraphitiFirmware {
    convention: Convention,
    plus: bool,
    decoder: Decoder,
    /// The last reply, resent on a NACK until ACKed.
    unacked: Option<Vec<u8>>,
}

impl GraphitiFirmware {
    pub(crate) fn new(library_checksum: bool, plus: bool) -> Self {
        let convention = if library_checksum {
            Convention::Library
        } else {
            Convention::Spec
        };
        GraphitiFirmware {
            convention,
            plus,
            decoder: Decoder::checking(Direction::ToDevice, convention),
            unacked: None,
        }
    }

    fn send(&mut self, cx: &mut Context, bytes: Vec<u8>) {
        self.unacked = Some(bytes.clone());
        cx.reply(bytes);
    }

    fn status(&mut self, cx: &mut Context, code: u8) {
        if code != 0 {
            cx.record().refused += 1;
        }
        self.send(cx, encode(id::STATUS, &[code]));
    }

    fn command(&mut self, command: u8, data: &[u8], cx: &mut Context) {
        match command {
            id::ACK => {
                self.unacked = None;
                return;
            }
            id::NACK => {
                if let Some(reply) = self.unacked.clone() {
                    cx.reply(reply);
                }
                return;
            }
            _ => {}
        }
        if cx.refuse_injected() {
            // As after line noise: a checksum error, nothing done.
            return self.send(cx, encode(id::STATUS, &[3]));
        }
        let padded = |text: &str, len: usize| {
            let mut b = text.as_bytes().to_vec();
            b.resize(len, 0);
            b
        };
        match command {
            id::DEVICE_NAME => {
                let name = if self.plus { PLUS_NAME } else { NAME };
                self.send(cx, encode(command, &padded(name, 30)))
            }
            id::UPDATE_BRAILLE if self.plus => {
                // A length byte of 40, then the whole line (spec 4.3.14).
                let ok = data.first() == Some(&40) && data.len() == 41;
                if ok {
                    cx.record().text_line = data[1..].to_vec();
                    cx.record().updates += 1;
                    cx.record().line_updates += 1;
                }
                self.status(cx, if ok { 0 } else { 1 });
            }
            id::RESOLUTION => self.send(cx, encode(command, b"60|40")),
            id::HEIGHT_LEVELS => self.send(cx, encode(command, b"4")),
            0x01 | 0x02 | 0x04 | 0x05 => self.send(cx, encode(command, &padded("1.2", 15))),
            id::KEY_EVENTS | id::TOUCH_EVENTS if data[0] <= 1 => {
                self.send(cx, encode(command, data))
            }
            id::UPDATE_DISPLAY => {
                let ok = data
                    .chunks_exact(2)
                    .all(|p| p[0] <= TOP && p[1] <= MAX_BLINK);
                if ok {
                    let frame = &mut cx.record().frame;
                    for (i, p) in data.chunks_exact(2).enumerate() {
                        let at = Point::new(i as i32 % 60, i as i32 / 60);
                        frame.set(at, p[0]);
                        frame.set_blink(at, p[1]);
                    }
                    cx.record().updates += 1;
                }
                self.status(cx, if ok { 0 } else { 1 });
            }
            id::ONE_ROW => {
                let row = data[0];
                let pins = &data[1..];
                let ok = (1..=40).contains(&row)
                    && pins
                        .chunks_exact(2)
                        .all(|p| p[0] <= TOP && p[1] <= MAX_BLINK);
                if ok {
                    let frame = &mut cx.record().frame;
                    for (x, p) in pins.chunks_exact(2).enumerate() {
                        let at = Point::new(x as i32, i32::from(row) - 1);
                        frame.set(at, p[0]);
                        frame.set_blink(at, p[1]);
                    }
                    cx.record().updates += 1;
                }
                self.status(cx, if ok { 0 } else { 1 });
            }
            id::ONE_PIN => {
                let [row, col, h, blink] = [data[0], data[1], data[2], data[3]];
                let ok = (1..=40).contains(&row)
                    && (1..=60).contains(&col)
                    && h <= TOP
                    && blink <= MAX_BLINK;
                if ok {
                    let at = Point::new(i32::from(col) - 1, i32::from(row) - 1);
                    cx.record().frame.set(at, h);
                    cx.record().frame.set_blink(at, blink);
                    cx.record().updates += 1;
                }
                self.status(cx, if ok { 0 } else { 1 });
            }
            id::SET_ALL if matches!(data[0], 2 | 3) => {
                let h = if data[0] == 2 { TOP } else { 0 };
                let mut frame = PinFrame::flat(Geometry::GRAPHITI);
                for y in 0..40 {
                    for x in 0..60 {
                        frame.set(Point::new(x, y), h);
                    }
                }
                cx.record().frame = frame;
                cx.record().updates += 1;
                self.status(cx, 0);
            }
            id::VIBRATE => {
                let ms = u16::from_be_bytes([data[2], data[3]]);
                let ok = (40..=100).contains(&data[1]) && (100..=1000).contains(&ms);
                if ok {
                    cx.vibrate(u32::from(ms));
                }
                self.status(cx, if ok { 0 } else { 1 });
            }
            _ => self.status(cx, 1),
        }
    }
}

impl Firmware for GraphitiFirmware {
    fn blank(&self) -> PinFrame {
        PinFrame::flat(Geometry::GRAPHITI)
    }

    fn receive(&mut self, byte: u8, cx: &mut Context) {
        match self.decoder.push(byte) {
            None => {}
            Some(Decoded::Frame { command, data }) => self.command(command, &data, cx),
            Some(Decoded::BadChecksum { .. }) => self.status(cx, 3),
            Some(Decoded::Broken) => self.status(cx, 2),
        }
    }

    fn corrupt(&self, reply: &mut Vec<u8>) {
        // The checksum is the last byte (doubled if 1B: spoil both halves).
        let n = reply.len();
        if n >= 2 && reply[n - 1] == 0x1B && reply[n - 2] == 0x1B && n > 4 {
            reply.truncate(n - 1);
        }
        if let Some(last) = reply.last_mut() {
            *last = if *last == 0x1A { 0x1C } else { *last ^ 0x01 };
        }
    }

    fn reset(&mut self) {
        self.decoder = Decoder::checking(Direction::ToDevice, self.convention);
        self.unacked = None;
    }

    fn press(&mut self, key: u8, cx: &mut Context) -> bool {
        if self.plus {
            // `key`: the bit (0..64) of the 8 key bytes of a 0x33 report,
            // plus PLUS_LONG for a long press.
            let bit = usize::from(key & 0x3F);
            let mut report = [0u8; 9];
            report[bit / 8] |= 1 << (bit % 8);
            report[8] = if key & PLUS_LONG != 0 { 0x04 } else { 0x02 };
            cx.reply(encode(id::KEY_REPORT_PLUS, &report));
        } else {
            // `key` is the second key-report byte: arrows, Select, Space.
            cx.reply(encode(id::KEY_REPORT, &[0, key, 0]));
        }
        true
    }
}
