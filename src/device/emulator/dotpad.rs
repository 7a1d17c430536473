//! The Dot Pad 320's firmware as BRLTTY, NVDA and the SDK guide describe
//! it, strict where they are: a graphic line must come in mode 0x00 (a
//! firmware that took another mode for text would scramble each cell's
//! dots), and "line finished" carries its data byte. Faults the references
//! meet: "wait" without acting, spontaneous error notifications, and "line
//! finished" under another destination.

use embedded_graphics::prelude::Point;

use super::{every, Context, Firmware};
use crate::device::dotpad::packet::{
    cmd, feature, keys_data, Decoded, Decoder, LineReply, Packet, MODE_GRAPHIC, MODE_TEXT_BRAILLE,
};
use crate::tactile::{Geometry, PinFrame};

const TEXT_ROWS: u8 = 1;
const TEXT_CELLS: u8 = 20;
const LINES: u8 = 10;
const CELLS: u8 = 30;
/// Refresh time in 100 ms steps, as reported in the board information.
const REFRESH: u8 = 1;
/// Key ids for [`super::Emulator::press`] from this one on are function
/// keys (`FUNCTION_KEYS + n` = F(n+1)); below it, Perkins-group keys.
pub const FUNCTION_KEYS: u8 = 32;

pub(crate) struct DotPadFirmware {
    decoder: Decoder,
    lines: u32,
}

impl DotPadFirmware {
    pub(crate) fn new() -> Self {
        DotPadFirmware {
            decoder: Decoder::default(),
            lines: 0,
        }
    }

    fn line_reply(cx: &mut Context, line: u8, reply: LineReply) {
        if reply != LineReply::Ack {
            cx.record().refused += 1;
        }
        cx.reply(Packet::new(line, cmd::DISPLAY_LINE_REPLY, vec![reply.code()]).encode());
    }

    fn packet(&mut self, p: Packet, cx: &mut Context) {
        let reply = |command, data: Vec<u8>| Packet::new(p.destination, command, data).encode();
        if cx.refuse_injected() {
            return Self::line_reply(cx, p.destination, LineReply::Nack);
        }
        match p.command {
            cmd::BOARD_INFO => {
                let features = feature::GRAPHIC
                    | feature::TEXT
                    | feature::PANNING_KEYS
                    | feature::FUNCTION_KEYS;
                let info = vec![
                    features, 1, 25, 4, TEXT_ROWS, TEXT_CELLS, 0, REFRESH, LINES, CELLS, 0, REFRESH,
                ];
                cx.reply(reply(cmd::BOARD_INFO_REPLY, info));
            }
            cmd::NAME => cx.reply(reply(cmd::NAME_REPLY, b"DotPad320A".to_vec())),
            cmd::DISPLAY_LINE => self.display_line(&p, cx),
            // The references' error codes: 2 = unrecognized command.
            _ => cx.reply(reply(cmd::ERROR, vec![2])),
        }
    }

    fn display_line(&mut self, p: &Packet, cx: &mut Context) {
        self.lines += 1;
        let faults = cx.faults();
        if every(faults.error_every, self.lines) {
            // A spontaneous error notification; the line is still carried out.
            cx.reply(Packet::new(0, cmd::ERROR, vec![5]).encode());
        }
        let text = p.destination < TEXT_ROWS;
        let mode_ok = p.mode == MODE_GRAPHIC || (text && p.mode == MODE_TEXT_BRAILLE);
        let Some((&start, cells)) = p.data.split_first() else {
            return Self::line_reply(cx, p.destination, LineReply::Nack);
        };
        let (width, line) = if text {
            (TEXT_CELLS, 0)
        } else {
            (CELLS, p.destination - TEXT_ROWS)
        };
        let fits = line < LINES && usize::from(start) + cells.len() <= usize::from(width);
        if !mode_ok || !fits {
            return Self::line_reply(cx, p.destination, LineReply::Nack);
        }
        if every(faults.wait_every, self.lines) {
            // Busy: nothing done, the host must send the line again.
            return Self::line_reply(cx, p.destination, LineReply::Wait);
        }
        if text {
            let record = cx.record();
            record.line_updates += 1;
            let shown = &mut record.text_line;
            shown.resize(usize::from(TEXT_CELLS), 0);
            shown[usize::from(start)..usize::from(start) + cells.len()].copy_from_slice(cells);
        } else {
            let top = i32::from(line) * 4;
            let frame = &mut cx.record().frame;
            for (i, &bits) in cells.iter().enumerate() {
                let x0 = (usize::from(start) + i) as i32 * 2;
                for bit in 0..8 {
                    frame.set(Point::new(x0 + bit / 4, top + bit % 4), (bits >> bit) & 1);
                }
            }
        }
        cx.record().updates += 1;
        Self::line_reply(cx, p.destination, LineReply::Ack);
        let finished_at = if faults.finished_elsewhere {
            p.destination.wrapping_add(1)
        } else {
            p.destination
        };
        cx.reply(Packet::new(finished_at, cmd::LINE_FINISHED, vec![0]).encode());
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
                Self::line_reply(cx, destination, LineReply::ChecksumError)
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

    /// A press and release of Perkins-group key `key`, or of function key
    /// `key - FUNCTION_KEYS`.
    fn press(&mut self, key: u8, cx: &mut Context) -> bool {
        let (command, n) = if key >= FUNCTION_KEYS {
            (cmd::KEYS_FUNCTION, key - FUNCTION_KEYS)
        } else {
            (cmd::KEYS_PERKINS, key)
        };
        cx.reply(Packet::new(0, command, keys_data(&[n])).encode());
        cx.reply(Packet::new(0, command, keys_data(&[])).encode());
        true
    }
}
