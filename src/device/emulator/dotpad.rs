//! The Dot Pad 320's firmware as BRLTTY, NVDA and the SDK guide describe it.

use embedded_graphics::prelude::Point;

use super::{Context, Firmware};
use crate::device::dotpad::cmd;
use crate::device::dotpad::packet::{Decoded, Decoder, Packet};
use crate::tactile::{Geometry, PinFrame};

const LINES: u8 = 10;
const CELLS: u8 = 30;
/// Refresh time in 100 ms steps, as reported in the board information.
const REFRESH: u8 = 1;

pub(crate) struct DotPadFirmware {
    decoder: Decoder,
}

impl DotPadFirmware {
    pub(crate) fn new() -> Self {
        DotPadFirmware {
            decoder: Decoder::default(),
        }
    }

    fn line_reply(cx: &mut Context, line: u8, seq: u8, code: u8) {
        if code != 0 {
            cx.record().refused += 1;
        }
        cx.reply(
            Packet {
                destination: line,
                command: cmd::DISPLAY_LINE_REPLY,
                seq,
                data: vec![code],
            }
            .encode(),
        );
    }

    fn packet(&mut self, p: Packet, cx: &mut Context) {
        let reply = |command, data: Vec<u8>| Packet {
            destination: p.destination,
            command,
            seq: p.seq,
            data,
        };
        if cx.refuse_injected() {
            return Self::line_reply(cx, p.destination, p.seq, 1);
        }
        match p.command {
            cmd::BOARD_INFO => {
                let info = vec![0xC0, 1, 25, 0, 1, 20, 0, REFRESH, LINES, CELLS, 0, REFRESH];
                cx.reply(reply(cmd::BOARD_INFO_REPLY, info).encode());
            }
            cmd::NAME => cx.reply(reply(cmd::NAME_REPLY, b"DotPad320A".to_vec()).encode()),
            cmd::DISPLAY_LINE if p.destination == 0 => {
                // The braille text line: accepted, not modelled.
                Self::line_reply(cx, 0, p.seq, 0);
            }
            cmd::DISPLAY_LINE => {
                let Some((&start, cells)) = p.data.split_first() else {
                    return Self::line_reply(cx, p.destination, p.seq, 1);
                };
                let fits = p.destination <= LINES
                    && usize::from(start) + cells.len() <= usize::from(CELLS);
                if !fits {
                    return Self::line_reply(cx, p.destination, p.seq, 1);
                }
                let top = i32::from(p.destination - 1) * 4;
                let frame = &mut cx.record().frame;
                for (i, &bits) in cells.iter().enumerate() {
                    let x0 = (usize::from(start) + i) as i32 * 2;
                    for bit in 0..8 {
                        let at = Point::new(x0 + bit / 4, top + bit % 4);
                        frame.set(at, (bits >> bit) & 1);
                    }
                }
                cx.record().updates += 1;
                Self::line_reply(cx, p.destination, p.seq, 0);
                cx.reply(reply(cmd::LINE_FINISHED, vec![]).encode());
            }
            _ => cx.reply(reply(cmd::ERROR, vec![2]).encode()),
        }
    }
}

impl Firmware for DotPadFirmware {
    fn blank(&self) -> PinFrame {
        PinFrame::flat(Geometry::new(u32::from(CELLS) * 2, u32::from(LINES) * 4, 2).expect("valid"))
    }

    fn receive(&mut self, byte: u8, cx: &mut Context) {
        match self.decoder.push(byte) {
            None => {}
            Some(Decoded::Packet(p)) => self.packet(p, cx),
            Some(Decoded::BadChecksum { destination, .. }) => {
                Self::line_reply(cx, destination, 0, 3)
            }
        }
    }

    fn corrupt(&self, reply: &mut Vec<u8>) {
        if let Some(last) = reply.last_mut() {
            *last ^= 0xFF;
        }
    }

    fn reset(&mut self) {
        self.decoder.reset();
    }

    fn press(&mut self, _key: u8, _cx: &mut Context) -> bool {
        false
    }
}
