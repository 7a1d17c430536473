//! A pin-array board's firmware, written from docs/pinarray-protocol.md.
//! Faults: busy for a while after the first commit, and (as firmware
//! written to the document before HELLO cleared the stored request) a
//! previous session's last request remembered at start-up.

use embedded_graphics::prelude::Point;

use super::{Context, Firmware};
use crate::device::pinarray::wire::{Decoded, Decoder, Message};
use crate::device::pinarray::{kind, Hello, VERSION};
use crate::tactile::{Geometry, PinFrame};

/// The emulated board: 32 x 24 pins, flat plus 3 heights.
const GEOMETRY: Geometry = Geometry {
    width: 32,
    height: 24,
    levels: 4,
};

pub(crate) struct PinArrayFirmware {
    decoder: Decoder,
    buffer: PinFrame,
    commits: u16,
    /// Sequence number and answer of the last request, for retransmissions.
    last: Option<(u8, Vec<Vec<u8>>)>,
    /// The previous session's last request is answered from memory, even
    /// for HELLO (the fault).
    stale: bool,
    /// Until when (ms since start) COMMIT is answered "busy".
    busy_until: Option<u64>,
    key_seq: u8,
}

impl PinArrayFirmware {
    pub(crate) fn new(stale_seq: Option<u8>) -> Self {
        // A previous session's COMMIT under `stale_seq`: its ACK and DONE.
        let last = stale_seq.map(|seq| {
            let answer = |kind, payload| Message { kind, seq, payload }.encode();
            (
                seq,
                vec![
                    answer(kind::ACK, vec![kind::COMMIT]),
                    answer(kind::DONE, vec![0, 0]),
                ],
            )
        });
        PinArrayFirmware {
            decoder: Decoder::default(),
            buffer: PinFrame::flat(GEOMETRY),
            commits: 0,
            stale: last.is_some(),
            last,
            busy_until: None,
            key_seq: 0,
        }
    }

    fn answer(&self, m: &Message, kind: u8, payload: Vec<u8>) -> Vec<u8> {
        Message {
            kind,
            seq: m.seq,
            payload,
        }
        .encode()
    }

    fn handle(&mut self, m: &Message, cx: &mut Context) -> Vec<Vec<u8>> {
        let nak = |this: &Self, reason: u8| vec![this.answer(m, kind::NAK, vec![reason])];
        match (m.kind, m.payload.len()) {
            (kind::HELLO, 0) => {
                let hello = Hello {
                    version: VERSION,
                    geometry: GEOMETRY,
                    move_ms: 100,
                };
                vec![self.answer(m, kind::HELLO_REPLY, hello.payload())]
            }
            (kind::STATUS, 0) => {
                let mut p = vec![0];
                p.extend(self.commits.to_be_bytes());
                vec![self.answer(m, kind::STATUS_REPLY, p)]
            }
            (kind::SET_ROW, n) if n == GEOMETRY.width as usize + 2 => {
                let row = u16::from_be_bytes([m.payload[0], m.payload[1]]);
                let heights = &m.payload[2..];
                if u32::from(row) >= GEOMETRY.height
                    || heights.iter().any(|&h| h >= GEOMETRY.levels)
                {
                    cx.record().refused += 1;
                    return nak(self, 3);
                }
                for (x, &h) in heights.iter().enumerate() {
                    self.buffer.set(Point::new(x as i32, i32::from(row)), h);
                }
                vec![self.answer(m, kind::ACK, vec![m.kind])]
            }
            (kind::COMMIT, 0) if self.busy(cx) => {
                cx.record().refused += 1;
                nak(self, 5)
            }
            (kind::COMMIT, 0) => {
                cx.record().frame = self.buffer.clone();
                cx.record().updates += 1;
                self.commits = self.commits.wrapping_add(1);
                // The emulated motors move at once.
                vec![
                    self.answer(m, kind::ACK, vec![m.kind]),
                    self.answer(m, kind::DONE, self.commits.to_be_bytes().to_vec()),
                ]
            }
            (kind::HELLO | kind::STATUS | kind::SET_ROW | kind::COMMIT, _) => {
                cx.record().refused += 1;
                nak(self, 2)
            }
            _ => {
                cx.record().refused += 1;
                nak(self, 4)
            }
        }
    }
}

impl PinArrayFirmware {
    /// Whether a COMMIT now finds the pins still moving (the busy fault:
    /// busy for `busy_for` from the first COMMIT on).
    fn busy(&mut self, cx: &Context) -> bool {
        let Some(busy_for) = cx.faults().busy_for else {
            return false;
        };
        let now = cx.now_ms();
        let until = *self
            .busy_until
            .get_or_insert(now + busy_for.as_millis() as u64);
        now < until
    }
}

impl Firmware for PinArrayFirmware {
    fn blank(&self) -> PinFrame {
        PinFrame::flat(GEOMETRY)
    }

    fn receive(&mut self, byte: u8, cx: &mut Context) {
        match self.decoder.push(byte) {
            None => {}
            Some(Decoded::Bad(seq)) => {
                cx.record().refused += 1;
                let m = Message {
                    kind: kind::NAK,
                    seq: seq.unwrap_or(0),
                    payload: vec![1],
                };
                cx.reply(m.encode());
            }
            Some(Decoded::Message(m)) => {
                // HELLO always starts afresh (section 3), except in firmware
                // that predates the rule (the stale fault).
                if m.kind == kind::HELLO && !self.stale {
                    self.last = None;
                }
                self.stale = false;
                if let Some((seq, answers)) = &self.last {
                    if *seq == m.seq {
                        // A retransmission: answer again, do not act twice.
                        for a in answers.clone() {
                            cx.reply(a);
                        }
                        return;
                    }
                }
                if cx.refuse_injected() {
                    // As after line noise; the host will retransmit.
                    cx.reply(self.answer(&m, kind::NAK, vec![1]));
                    return;
                }
                let answers = self.handle(&m, cx);
                for a in &answers {
                    cx.reply(a.clone());
                }
                // A busy NAK was not acted on: the retransmission must be.
                let busy =
                    answers.len() == 1 && *answers[0] == *self.answer(&m, kind::NAK, vec![5]);
                self.last = if busy { None } else { Some((m.seq, answers)) };
            }
        }
    }

    fn corrupt(&self, reply: &mut Vec<u8>) {
        // Flip a bit inside the frame, never the delimiter, never to 0x00.
        if reply.len() >= 3 {
            let i = reply.len() - 2;
            reply[i] = if reply[i] == 0x01 {
                0x03
            } else {
                reply[i] ^ 0x01
            };
        }
    }

    fn reset(&mut self) {
        self.decoder.reset();
        self.last = None;
    }

    fn press(&mut self, key: u8, cx: &mut Context) -> bool {
        self.key_seq = self.key_seq.wrapping_add(1);
        for down in [1, 0] {
            cx.reply(
                Message {
                    kind: kind::KEY,
                    seq: self.key_seq,
                    payload: vec![key, down],
                }
                .encode(),
            );
        }
        true
    }
}
