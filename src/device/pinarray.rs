//! The touchray pin-array protocol, for DIY arrays driven by a
//! microcontroller. The wire format is specified in
//! `docs/pinarray-protocol.md`; [`wire`] is its byte layer (shared with the
//! emulator) and [`PinArrayLink`] the host side.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use super::link::{transact, Exchange, Link, RetryPolicy, Step};
use super::{check_geometry, DeviceError, DisplayKind, PinDisplay};
use crate::tactile::{Geometry, PinFrame};

/// Default serial speed.
pub const BAUD: u32 = 115_200;
/// Protocol version spoken here.
pub const VERSION: u8 = 1;
/// Shortest wait before re-sending after a busy NAK, for a device that
/// reports a move time of 0.
const BUSY_PAUSE: Duration = Duration::from_millis(20);
/// Silence after which the host asks whether the device lowered its pins
/// (the device's own limit is 10 s; section 6 of the protocol document).
const SILENCE_CHECK: Duration = Duration::from_secs(8);

/// Message types.
pub mod kind {
    /// Host: who are you? Answered by [`HELLO_REPLY`].
    pub const HELLO: u8 = 0x01;
    /// Host: buffer one row (row u16 BE, then one height byte per pin).
    pub const SET_ROW: u8 = 0x02;
    /// Host: move all pins to the buffered rows.
    pub const COMMIT: u8 = 0x03;
    /// Host: are the motors busy? Answered by [`STATUS_REPLY`].
    pub const STATUS: u8 = 0x04;
    /// Device: accepted (payload: the type accepted).
    pub const ACK: u8 = 0x80;
    /// Device: version, width u16, height u16, levels, move time ms u16.
    pub const HELLO_REPLY: u8 = 0x81;
    /// Device: the pins of a commit have moved (payload: commit count u16).
    pub const DONE: u8 = 0x83;
    /// Device: busy flag, commit count u16.
    pub const STATUS_REPLY: u8 = 0x84;
    /// Device: a key went down or up (key id, 1 = down).
    pub const KEY: u8 = 0x90;
    /// Device: refused (payload: reason, see [`super::nak_reason`]).
    pub const NAK: u8 = 0xEE;
}

/// What a NAK's reason byte means.
pub fn nak_reason(code: u8) -> &'static str {
    match code {
        1 => "CRC or framing error",
        2 => "bad length",
        3 => "value out of range",
        4 => "unknown message type",
        5 => "busy",
        _ => "unknown reason",
    }
}

/// Framing: COBS with a 0x00 delimiter, CRC-16/CCITT-FALSE.
pub mod wire {
    /// Longest payload.
    pub const MAX_PAYLOAD: usize = 250;

    /// CRC-16/CCITT-FALSE (the `crc` catalogue's CRC-16/IBM-3740):
    /// polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR
    /// ("123456789" gives 0x29B1).
    const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740);

    /// The CRC-16/CCITT-FALSE of `bytes`.
    pub fn crc16(bytes: &[u8]) -> u16 {
        CRC16.checksum(bytes)
    }

    /// Consistent Overhead Byte Stuffing: no 0x00 in the output (the
    /// delimiter is not included).
    pub fn cobs_encode(data: &[u8]) -> Vec<u8> {
        cobs::encode_vec(data)
    }

    /// Undoes [`cobs_encode`]; `None` for a malformed block.
    pub fn cobs_decode(data: &[u8]) -> Option<Vec<u8>> {
        cobs::decode_vec(data).ok()
    }

    /// A message: type, sequence number, payload.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Message {
        /// Message type.
        pub kind: u8,
        /// Sequence number; answers carry the request's.
        pub seq: u8,
        /// Payload.
        pub payload: Vec<u8>,
    }

    impl Message {
        /// The message on the wire: COBS(type, seq, payload, CRC big-endian), 0x00.
        pub fn encode(&self) -> Vec<u8> {
            let mut packet = vec![self.kind, self.seq];
            packet.extend(&self.payload);
            packet.extend(crc16(&packet).to_be_bytes());
            let mut out = cobs_encode(&packet);
            out.push(0);
            out
        }
    }

    /// What arrived.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Decoded {
        /// A message with a correct CRC.
        Message(Message),
        /// A frame that failed COBS, length or CRC checks, with the
        /// sequence byte if one could be read.
        Bad(Option<u8>),
    }

    /// Collects bytes up to each 0x00 delimiter.
    #[derive(Debug, Clone, Default)]
    pub struct Decoder {
        frame: Vec<u8>,
    }

    impl Decoder {
        /// Feeds one byte.
        pub fn push(&mut self, byte: u8) -> Option<Decoded> {
            if byte != 0 {
                if self.frame.len() <= MAX_PAYLOAD + 8 {
                    self.frame.push(byte);
                }
                return None;
            }
            let frame = std::mem::take(&mut self.frame);
            if frame.is_empty() {
                return None;
            }
            let Some(packet) =
                cobs_decode(&frame).filter(|p| (4..=MAX_PAYLOAD + 4).contains(&p.len()))
            else {
                return Some(Decoded::Bad(None));
            };
            let (body, crc) = packet.split_at(packet.len() - 2);
            if crc16(body).to_be_bytes() != crc {
                return Some(Decoded::Bad(Some(body[1])));
            }
            Some(Decoded::Message(Message {
                kind: body[0],
                seq: body[1],
                payload: body[2..].to_vec(),
            }))
        }

        /// Forgets a half-received frame.
        pub fn reset(&mut self) {
            self.frame.clear();
        }
    }
}

use wire::{Decoded, Decoder, Message};

/// The device's description, from its HELLO reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// Protocol version.
    pub version: u8,
    /// Pins and levels.
    pub geometry: Geometry,
    /// Time the pins take to move, ms.
    pub move_ms: u16,
}

impl Hello {
    /// Reads a HELLO reply's payload.
    pub fn parse(p: &[u8]) -> Option<Hello> {
        let [version, w0, w1, h0, h1, levels, m0, m1] = *p else {
            return None;
        };
        let geometry = Geometry::new(
            u32::from(u16::from_be_bytes([w0, w1])),
            u32::from(u16::from_be_bytes([h0, h1])),
            levels,
        )
        .ok()?;
        (geometry.width as usize + 2 <= wire::MAX_PAYLOAD).then_some(Hello {
            version,
            geometry,
            move_ms: u16::from_be_bytes([m0, m1]),
        })
    }

    /// The payload of a HELLO reply.
    pub fn payload(&self) -> Vec<u8> {
        let mut p = vec![self.version];
        p.extend((self.geometry.width as u16).to_be_bytes());
        p.extend((self.geometry.height as u16).to_be_bytes());
        p.push(self.geometry.levels);
        p.extend(self.move_ms.to_be_bytes());
        p
    }
}

/// A pin array on a serial link.
#[derive(Debug)]
pub struct PinArrayLink<L> {
    link: Link<L>,
    decoder: Decoder,
    policy: RetryPolicy,
    hello: Hello,
    seq: u8,
    commits: u16,
    shown: Option<PinFrame>,
    keys: VecDeque<(u8, bool)>,
    last_heard: Instant,
}

impl<L: Read + Write> PinArrayLink<L> {
    /// Connects over `io`: HELLO, and checks the protocol version.
    pub fn connect(io: L, policy: RetryPolicy) -> Result<Self, DeviceError> {
        let mut array = PinArrayLink {
            link: Link::new(DisplayKind::PinArray, io),
            decoder: Decoder::default(),
            policy,
            hello: Hello {
                version: VERSION,
                geometry: Geometry::GRAPHITI,
                move_ms: 0,
            },
            seq: 0,
            commits: 0,
            shown: None,
            keys: VecDeque::new(),
            last_heard: Instant::now(),
        };
        let reply = array.request(kind::HELLO, Vec::new(), kind::HELLO_REPLY, "hello")?;
        array.hello = Hello::parse(&reply).ok_or_else(|| DeviceError::Protocol {
            device: DisplayKind::PinArray,
            message: format!("hello reply {reply:02X?} describes no display"),
        })?;
        if array.hello.version != VERSION {
            return Err(DeviceError::Protocol {
                device: DisplayKind::PinArray,
                message: format!(
                    "protocol version {} (touchray speaks {VERSION})",
                    array.hello.version
                ),
            });
        }
        let status = array.request(kind::STATUS, Vec::new(), kind::STATUS_REPLY, "status")?;
        array.commits = status
            .get(1..3)
            .map_or(0, |c| u16::from_be_bytes([c[0], c[1]]));
        Ok(array)
    }

    /// What the device said about itself.
    pub fn hello(&self) -> Hello {
        self.hello
    }

    /// Key events received so far (key id, down), oldest first.
    pub fn take_keys(&mut self) -> Vec<(u8, bool)> {
        self.keys.drain(..).collect()
    }

    /// Sends one message and waits for its answer (`answer`, or an ACK of
    /// this message's type); re-sends it unchanged, same sequence number,
    /// after a time-out or a CRC NAK, at most `attempts` times. A busy NAK
    /// waits the device's move time and re-sends without using an attempt,
    /// for at most `move_ms` + `move_timeout`. An answer under this sequence
    /// number that cannot answer this request was stored by the device
    /// from an earlier session (section 3 of the protocol document): the
    /// request goes again under the next number.
    fn request(
        &mut self,
        kind: u8,
        payload: Vec<u8>,
        answer: u8,
        what: &str,
    ) -> Result<Vec<u8>, DeviceError> {
        let mut request = Request {
            kind,
            payload,
            answer,
            what: what.to_string(),
            busy_until: Instant::now() + self.policy.move_timeout + self.move_time(),
            message: None,
        };
        transact(self, self.policy.attempts, &mut request, what)
    }

    fn next_message(&mut self, kind: u8, payload: &[u8]) -> Vec<u8> {
        self.seq = self.seq.wrapping_add(1);
        Message {
            kind,
            seq: self.seq,
            payload: payload.to_vec(),
        }
        .encode()
    }

    fn move_time(&self) -> Duration {
        Duration::from_millis(u64::from(self.hello.move_ms))
    }

    fn take_key(&mut self, payload: &[u8]) {
        if let [key, down] = *payload {
            self.keys.push_back((key, down == 1));
        }
    }

    /// Waits for DONE of commit number `commit`; if it does not come (lost
    /// on the line), asks STATUS whether the commit went through.
    fn wait_done(&mut self, commit: u16) -> Result<(), DeviceError> {
        let deadline = Instant::now() + self.policy.move_timeout + self.move_time();
        while let Some(byte) = self.link.byte_before(deadline)? {
            match self.decoder.push(byte) {
                Some(Decoded::Message(m))
                    if m.kind == kind::DONE && m.payload == commit.to_be_bytes() =>
                {
                    self.last_heard = Instant::now();
                    return Ok(());
                }
                Some(Decoded::Message(m)) if m.kind == kind::KEY => self.take_key(&m.payload),
                _ => {}
            }
        }
        let status = self.request(kind::STATUS, Vec::new(), kind::STATUS_REPLY, "status")?;
        match status.as_slice() {
            [0, hi, lo] if u16::from_be_bytes([*hi, *lo]) == commit => Ok(()),
            _ => Err(DeviceError::NoReply {
                device: DisplayKind::PinArray,
                what: format!("pins of commit {commit}"),
                attempts: 1,
            }),
        }
    }
}

/// One request as the pin-array host sends it.
#[derive(Debug)]
pub struct Request {
    kind: u8,
    payload: Vec<u8>,
    /// The message type that answers it (an ACK must name `kind`).
    answer: u8,
    what: String,
    /// Until when a busy NAK is waited out.
    busy_until: Instant,
    /// The message as sent, under its sequence number; `None` until the
    /// first attempt, and again when a stale answer calls for a new number.
    message: Option<Vec<u8>>,
}

impl<L: Read + Write> Exchange for PinArrayLink<L> {
    type Io = L;
    type Request = Request;
    type Answer = Vec<u8>;
    type Attempt = ();

    fn link(&mut self) -> &mut Link<L> {
        &mut self.link
    }

    /// The same message (same sequence number) on every attempt, unless a
    /// stale answer asked for the next number.
    fn encode(&mut self, r: &mut Request) -> Vec<u8> {
        let (kind, payload) = (r.kind, &r.payload);
        r.message
            .get_or_insert_with(|| self.next_message(kind, payload))
            .clone()
    }

    fn wait(&self, _: &Request) -> Duration {
        self.policy.reply_timeout
    }

    fn judge(
        &mut self,
        r: &mut Request,
        _: &mut (),
        byte: u8,
    ) -> Result<Step<Vec<u8>>, DeviceError> {
        let Some(Decoded::Message(m)) = self.decoder.push(byte) else {
            return Ok(Step::Wait);
        };
        if m.kind == kind::KEY {
            self.take_key(&m.payload);
            return Ok(Step::Wait);
        }
        if m.seq != self.seq {
            return Ok(Step::Wait);
        }
        let reason = m.payload.first().copied().unwrap_or(0);
        Ok(match m.kind {
            k if k == r.answer && (k != kind::ACK || reason == r.kind) => {
                self.last_heard = Instant::now();
                Step::Done(m.payload)
            }
            kind::NAK if reason == 1 => Step::Resend(Duration::ZERO),
            // Pins are moving: wait their move time, try again.
            kind::NAK if reason == 5 && Instant::now() < r.busy_until => {
                Step::Busy(self.move_time().max(BUSY_PAUSE))
            }
            kind::NAK => {
                return Err(DeviceError::Refused {
                    device: DisplayKind::PinArray,
                    what: r.what.clone(),
                    reason: nak_reason(reason).into(),
                })
            }
            kind::DONE if r.kind == kind::COMMIT => Step::Wait,
            _ => {
                log::debug!(
                    "pinarray: {}: a stored answer from an earlier session; new seq",
                    r.what
                );
                r.message = None;
                Step::Resend(Duration::ZERO)
            }
        })
    }
}

impl<L: Read + Write> PinDisplay for PinArrayLink<L> {
    fn geometry(&self) -> Geometry {
        self.hello.geometry
    }

    /// Sends the rows that changed, commits, and waits until the pins moved.
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        check_geometry(self.hello.geometry, frame)?;
        if self.shown.is_some() && self.last_heard.elapsed() > SILENCE_CHECK {
            let status = self.request(kind::STATUS, Vec::new(), kind::STATUS_REPLY, "status")?;
            if status.first() == Some(&2) {
                log::info!("pinarray: the device lowered its pins after silence; sending all rows");
                self.shown = None;
            }
        }
        let shown = self.shown.take();
        for (r, row) in frame.rows().enumerate() {
            if shown.as_ref().is_some_and(|s| s.rows().nth(r) == Some(row)) {
                continue;
            }
            let mut payload = (r as u16).to_be_bytes().to_vec();
            payload.extend(row);
            self.request(kind::SET_ROW, payload, kind::ACK, &format!("row {r}"))?;
        }
        self.request(kind::COMMIT, Vec::new(), kind::ACK, "commit")?;
        self.commits = self.commits.wrapping_add(1);
        self.wait_done(self.commits)?;
        self.shown = Some(frame.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests;
