//! Dot Inc. Dot Pad (DotPad320 family) over serial, as the BRLTTY driver
//! (Drivers/Braille/DotPad), NVDA's driver and Dot Inc.'s SDK guide speak
//! it; [`packet`] is the byte layer (shared with the emulator).
//!
//! Where the references differ, the driver is robust to each:
//! - the mode byte is 0x00 on every packet (BRLTTY; NVDA and the SDK agree
//!   for graphic lines), and text cells go in the device's dot order;
//! - "line finished" (0x0202) is accepted once the line is acknowledged,
//!   whatever its destination (no reference checks it); an acknowledged line
//!   whose 0x0202 never comes is taken as shown, as BRLTTY takes it;
//! - "wait", NACK and checksum-error replies re-send the line after the
//!   SDK's retry interval (BRLTTY moves on after "wait", which could leave
//!   the line unshown); no idle wait for an ack that will not come;
//! - an error notification (0x9902) is logged and kept for the caller, as
//!   BRLTTY logs it and carries on;
//! - the first graphic destination comes from the board information.
//!
//! Pins are binary: frames must come already binarised (the renderer
//! chooses how); the driver raises every pin whose height is above 0.

pub mod packet;

use std::collections::{HashSet, VecDeque};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

pub use packet::Key;
use packet::{cmd, keys_down, BoardInfo, Decoded, Decoder, LineReply, Packet};

use super::link::{transact, Exchange, Link, RetryPolicy, Step};
use super::{
    check_geometry, BrailleLine, DeviceError, DisplayFault, DisplayKind, KeyEvent, Keys, PinDisplay,
};
use crate::tactile::{Geometry, PinFrame};

/// Serial speed of the FTDI link.
pub const BAUD: u32 = 115_200;
/// USB vendor:product id (FTDI FT2232).
pub const USB_IDS: [(u16, u16); 1] = [(0x0403, 0x6010)];
/// The SDK's pause before re-sending an unconfirmed line.
const RESEND_PAUSE: Duration = Duration::from_millis(500);
/// BRLTTY's wait for an acknowledgement beyond the refresh time.
const ACK_MARGIN: Duration = Duration::from_millis(1000);

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

/// The packet that shows `cells` from cell 0 on line `destination`.
pub fn line_packet(destination: u8, cells: &[u8]) -> Packet {
    let mut data = Vec::with_capacity(cells.len() + 1);
    data.push(0);
    data.extend(cells);
    Packet::new(destination, cmd::DISPLAY_LINE, data)
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
    held: HashSet<Key>,
    events: VecDeque<KeyEvent>,
    errors: Vec<u8>,
}

impl<L: Read + Write> DotPadLink<L> {
    /// Connects over `io` and reads the board information.
    pub fn connect(io: L, policy: RetryPolicy) -> Result<Self, DeviceError> {
        let mut pad = DotPadLink {
            link: Link::new(DisplayKind::DotPad, io),
            decoder: Decoder::default(),
            policy,
            board: BoardInfo {
                features: 0,
                text_rows: 0,
                text_cells: 0,
                lines: 10,
                cells: 30,
                refresh: Duration::ZERO,
            },
            geometry: Geometry::new(60, 40, 2).expect("valid"),
            shown: Vec::new(),
            held: HashSet::new(),
            events: VecDeque::new(),
            errors: Vec::new(),
        };
        let info = pad.query(cmd::BOARD_INFO, cmd::BOARD_INFO_REPLY, "board information")?;
        pad.board = BoardInfo::parse(&info).ok_or_else(|| DeviceError::Protocol {
            device: DisplayKind::DotPad,
            message: format!("board information {info:02X?} describes no graphic area"),
        })?;
        pad.geometry = Geometry::new(
            u32::from(pad.board.cells) * 2,
            u32::from(pad.board.lines) * 4,
            2,
        )
        .map_err(|e| DeviceError::Protocol {
            device: DisplayKind::DotPad,
            message: format!("board information: {e}"),
        })?;
        pad.shown = vec![None; usize::from(pad.board.lines)];
        Ok(pad)
    }

    /// The board information the device reported.
    pub fn board(&self) -> BoardInfo {
        self.board
    }

    /// Codes of the error notifications (0x9902) received since the last
    /// call, oldest first. Each was logged when it came; none stops a frame.
    pub fn take_errors(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.errors)
    }

    fn query(&mut self, command: u16, reply: u16, what: &str) -> Result<Vec<u8>, DeviceError> {
        let mut request = Request::Query { command, reply };
        transact(self, self.policy.attempts, &mut request, what)
    }

    /// The pause before a line goes again (the SDK's 500 ms, shorter with a
    /// shorter reply timeout).
    fn resend_pause(&self) -> Duration {
        self.policy.reply_timeout.min(RESEND_PAUSE)
    }

    /// Takes key and error notifications; true if `p` was one.
    fn notification(&mut self, p: &Packet) -> bool {
        if p.command == cmd::ERROR {
            let code = p.data.first().copied().unwrap_or(0);
            log::warn!(
                "dotpad: error notification {code} ({})",
                packet::error_text(code)
            );
            self.errors.push(code);
            return true;
        }
        let Some(down) = keys_down(p.command, &p.data) else {
            return false;
        };
        let group = |k: &Key| matches!(k, Key::Function(_)) == (p.command == cmd::KEYS_FUNCTION);
        let down: HashSet<Key> = down.into_iter().collect();
        let at = Instant::now();
        let released: Vec<Key> = self
            .held
            .iter()
            .filter(|k| group(k) && !down.contains(k))
            .copied()
            .collect();
        for key in released {
            self.held.remove(&key);
            self.push_event(key, false, at);
        }
        for key in down {
            if self.held.insert(key) {
                self.push_event(key, true, at);
            }
        }
        true
    }

    fn push_event(&mut self, key: Key, pressed: bool, at: Instant) {
        self.events.push_back(KeyEvent {
            key: super::Key::DotPad(key),
            pressed,
            at,
        });
    }

    /// Sends one line and waits until it is shown; re-sends after "wait",
    /// a NACK, a checksum error or silence, bounded by the policy.
    fn send_line(&mut self, destination: u8, cells: &[u8], what: &str) -> Result<(), DeviceError> {
        let mut request = Request::Line {
            packet: line_packet(destination, cells).encode(),
            what: what.to_string(),
        };
        transact(self, self.policy.attempts, &mut request, what).map(drop)
    }

    /// Shows `cells` (standard braille dot order, dot n = bit n - 1) on the
    /// braille text line, padded with blanks or cut to its length.
    pub fn show_text(&mut self, cells: &[u8]) -> Result<(), DeviceError> {
        if !self.board.has_text_line() {
            return Err(DeviceError::Config(
                "dotpad: this board has no text line".into(),
            ));
        }
        let mut line: Vec<u8> = cells.iter().map(|&c| packet::text_cell(c)).collect();
        line.resize(usize::from(self.board.text_cells), 0);
        self.send_line(0, &line, "text line")
    }
}

impl<L: Read + Write> BrailleLine for DotPadLink<L> {
    fn cells(&self) -> usize {
        usize::from(self.board.text_cells)
    }

    fn show_cells(&mut self, cells: &[u8]) -> Result<(), DeviceError> {
        self.show_text(cells)
    }
}

/// One request as the Dot Pad driver sends it.
#[derive(Debug)]
pub enum Request {
    /// A query (board information...) answered by a packet of `reply`.
    Query {
        /// The command.
        command: u16,
        /// The answer's command.
        reply: u16,
    },
    /// A display line: acknowledged, then (BRLTTY) "line finished".
    Line {
        /// The encoded packet.
        packet: Vec<u8>,
        /// The line, for the log.
        what: String,
    },
}

/// Whether the line of this attempt was acknowledged yet.
#[derive(Debug, Default)]
pub struct Acked(bool);

impl<L: Read + Write> Exchange for DotPadLink<L> {
    type Io = L;
    type Request = Request;
    type Answer = Vec<u8>;
    type Attempt = Acked;

    fn link(&mut self) -> &mut Link<L> {
        &mut self.link
    }

    fn encode(&mut self, request: &mut Request) -> Vec<u8> {
        match request {
            Request::Query { command, .. } => Packet::new(0, *command, Vec::new()).encode(),
            Request::Line { packet, .. } => packet.clone(),
        }
    }

    fn wait(&self, _: &Request) -> Duration {
        self.policy.reply_timeout
    }

    fn judge(
        &mut self,
        request: &mut Request,
        acked: &mut Acked,
        byte: u8,
    ) -> Result<Step<Vec<u8>>, DeviceError> {
        let Some(Decoded::Packet(p)) = self.decoder.push(byte) else {
            return Ok(Step::Wait);
        };
        Ok(match request {
            Request::Query { reply, .. } if p.command == *reply => Step::Done(p.data),
            Request::Query { .. } => {
                self.notification(&p);
                Step::Wait
            }
            Request::Line { .. } if self.notification(&p) => Step::Wait,
            Request::Line { what, .. } => match (p.command, acked.0) {
                (cmd::DISPLAY_LINE_REPLY, false) => {
                    let reply = LineReply::from_code(p.data.first().copied().unwrap_or(u8::MAX));
                    if reply == LineReply::Ack {
                        acked.0 = true;
                        Step::WaitUntil(Instant::now() + self.board.refresh + ACK_MARGIN)
                    } else {
                        log::debug!("dotpad: {what}: {reply:?}, sending it again");
                        Step::Resend(self.resend_pause())
                    }
                }
                (cmd::LINE_FINISHED, true) => Step::Done(Vec::new()),
                _ => Step::Wait,
            },
        })
    }

    /// An acknowledged line whose "line finished" never came is taken as
    /// shown (BRLTTY); a line never acknowledged goes again after a pause.
    fn silence(&mut self, request: &Request, acked: &mut Acked) -> Step<Vec<u8>> {
        match request {
            Request::Line { what, .. } if acked.0 => {
                log::debug!("dotpad: {what}: acknowledged, no line-finished notification");
                Step::Done(Vec::new())
            }
            Request::Line { .. } => Step::Resend(self.resend_pause()),
            Request::Query { .. } => Step::Resend(Duration::ZERO),
        }
    }
}

impl<L: Read + Write> PinDisplay for DotPadLink<L> {
    fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Sends the graphic lines that differ from what the pad shows.
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        check_geometry(self.geometry, frame)?;
        let first = self.board.first_graphic_line();
        for line in 0..usize::from(self.board.lines) {
            let cells = line_cells(frame, line);
            if self.shown[line].as_ref() == Some(&cells) {
                continue;
            }
            self.shown[line] = None;
            let what = format!("graphic line {}", line + 1);
            self.send_line(first + line as u8, &cells, &what)?;
            self.shown[line] = Some(cells);
        }
        Ok(())
    }

    fn braille_line(&mut self) -> Option<&mut dyn BrailleLine> {
        if self.board.has_text_line() {
            Some(self)
        } else {
            None
        }
    }

    fn keys(&mut self) -> Option<&mut dyn Keys> {
        Some(self)
    }

    fn take_faults(&mut self) -> Vec<DisplayFault> {
        self.take_errors()
            .into_iter()
            .map(|code| DisplayFault {
                code,
                meaning: packet::error_text(code),
            })
            .collect()
    }
}

impl<L: Read + Write> Keys for DotPadLink<L> {
    fn next_key(&mut self, timeout: Duration) -> Result<Option<KeyEvent>, DeviceError> {
        let deadline = Instant::now() + timeout;
        while self.events.is_empty() {
            let Some(byte) = self.link.byte_before(deadline)? else {
                break;
            };
            if let Some(Decoded::Packet(p)) = self.decoder.push(byte) {
                self.notification(&p);
            }
        }
        Ok(self.events.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::prelude::Point;

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
    fn a_graphic_line_is_byte_for_byte_what_brltty_sends() {
        // The first graphic line with the left column of cell 0 raised and
        // the rest flat: BRLTTY's writeCells(destination 1, ...) sends
        // AA 55 | 00 24 | 01 | 02 00 | 00 (mode) | 00 (start) | 0F 00 x 29 | ck,
        // ck = A5 ^ 01 ^ 02 ^ 00 ^ 00 ^ 00 ^ 0F = A9.
        let mut frame = PinFrame::flat(Geometry::new(60, 40, 2).unwrap());
        for y in 0..4 {
            frame.set(Point::new(0, y), 1);
        }
        let wire = line_packet(1, &line_cells(&frame, 0)).encode();
        let mut want = vec![0xAA, 0x55, 0x00, 0x24, 0x01, 0x02, 0x00, 0x00, 0x00, 0x0F];
        want.extend([0u8; 29]);
        want.push(0xA9);
        assert_eq!(wire, want);
    }

    #[test]
    fn the_text_line_goes_to_destination_0_in_mode_0_with_device_dot_order() {
        // Braille "r" = dots 1, 2, 3, 5 (standard bits 0, 1, 2, 4) is
        // 0x01 | 0x02 | 0x04 | 0x20 = 0x27 in the device's order.
        let cells = [packet::text_cell(0b0001_0111), 0, 0];
        let wire = line_packet(0, &cells).encode();
        // Length 9 = destination, command 2, mode, start, 3 cells, checksum;
        // ck = A5 ^ 00 ^ 02 ^ 00 ^ 00 ^ 00 ^ 27 = 80.
        assert_eq!(
            wire,
            [0xAA, 0x55, 0x00, 0x09, 0x00, 0x02, 0x00, 0x00, 0x00, 0x27, 0x00, 0x00, 0x80]
        );
    }
}
