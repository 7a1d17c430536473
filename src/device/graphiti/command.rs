//! The Graphiti's host commands as a typed enum, and how the driver runs
//! one through the shared transaction loop ([`crate::device::link::transact`]):
//! what it waits for, and what each reply means.

use std::io::{Read, Write};
use std::time::Duration;

use super::codec::{self, Decoded, START};
use super::{id, status_text, Expect, GraphitiLink};
use crate::device::link::{Exchange, Link, Step};
use crate::device::{DeviceError, DisplayKind};

/// A host command of the Graphiti API, as the driver sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// 0x0A: the device's name.
    DeviceName,
    /// 0x07: the resolution, "60|40".
    Resolution,
    /// 0x09: the top height level.
    HeightLevels,
    /// 0x31: key reports on or off.
    KeyEvents(bool),
    /// 0x41: touch gestures on or off.
    TouchEvents(bool),
    /// 0x15: every pin, 2400 (height, blink) pairs.
    UpdateDisplay(Vec<u8>),
    /// 0x18: one row (1..=40) and its 60 (height, blink) pairs.
    UpdateRow(u8, Vec<u8>),
    /// 0x17: one pin, as the spec numbers rows and columns, not blinking.
    OnePin {
        /// 1..=40.
        row: u8,
        /// 1..=60.
        column: u8,
        /// 0..=4.
        height: u8,
    },
    /// 0x61: a buzz at 200 Hz, 80 % duty, for this many ms.
    Vibrate(u16),
    /// 0x80, Graphiti Plus: the braille line's 40 cells (bit 0-7 = dots
    /// 1-8).
    UpdateBraille(Vec<u8>),
}

impl Command {
    /// The command id.
    pub fn id(&self) -> u8 {
        match self {
            Command::DeviceName => id::DEVICE_NAME,
            Command::Resolution => id::RESOLUTION,
            Command::HeightLevels => id::HEIGHT_LEVELS,
            Command::KeyEvents(_) => id::KEY_EVENTS,
            Command::TouchEvents(_) => id::TOUCH_EVENTS,
            Command::UpdateDisplay(_) => id::UPDATE_DISPLAY,
            Command::UpdateRow(..) => id::ONE_ROW,
            Command::OnePin { .. } => id::ONE_PIN,
            Command::Vibrate(_) => id::VIBRATE,
            Command::UpdateBraille(_) => id::UPDATE_BRAILLE,
        }
    }

    /// Its data bytes, before escaping.
    pub fn data(&self) -> Vec<u8> {
        match self {
            Command::DeviceName | Command::Resolution | Command::HeightLevels => Vec::new(),
            Command::KeyEvents(on) | Command::TouchEvents(on) => vec![u8::from(*on)],
            Command::UpdateDisplay(pairs) => pairs.clone(),
            Command::UpdateRow(row, pairs) => [&[*row], pairs.as_slice()].concat(),
            Command::OnePin {
                row,
                column,
                height,
            } => vec![*row, *column, *height, 0],
            Command::Vibrate(ms) => {
                let [hi, lo] = ms.to_be_bytes();
                vec![200, 80, hi, lo]
            }
            Command::UpdateBraille(cells) => [&[cells.len() as u8], cells.as_slice()].concat(),
        }
    }

    /// What the device answers: a status once the pins have moved, or a
    /// reply frame of the same id (the on/off switches echo the command).
    fn expect(&self) -> Expect {
        match self {
            Command::DeviceName
            | Command::Resolution
            | Command::HeightLevels
            | Command::KeyEvents(_)
            | Command::TouchEvents(_) => Expect::Reply(self.id()),
            Command::UpdateDisplay(_)
            | Command::UpdateRow(..)
            | Command::OnePin { .. }
            | Command::Vibrate(_)
            | Command::UpdateBraille(_) => Expect::Status,
        }
    }
}

impl std::fmt::Display for Command {
    /// The command in errors and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = |b: &bool| if *b { "on" } else { "off" };
        match self {
            Command::DeviceName => write!(f, "device name"),
            Command::Resolution => write!(f, "resolution"),
            Command::HeightLevels => write!(f, "height levels"),
            Command::KeyEvents(b) => write!(f, "key events {}", on(b)),
            Command::TouchEvents(b) => write!(f, "touch events {}", on(b)),
            Command::UpdateDisplay(_) => write!(f, "update display"),
            Command::UpdateRow(row, _) => write!(f, "update row {row}"),
            Command::OnePin { row, column, .. } => write!(f, "pin {row},{column}"),
            Command::Vibrate(_) => write!(f, "vibrate"),
            Command::UpdateBraille(_) => write!(f, "update braille line"),
        }
    }
}

/// What one attempt of a [`Command`] has seen.
#[derive(Debug, Default)]
pub struct Attempt {
    /// Replies with a bad checksum, each NACKed.
    nacks: u32,
}

impl<L: Read + Write> Exchange for GraphitiLink<L> {
    type Io = L;
    type Request = Command;
    type Answer = Vec<u8>;
    type Attempt = Attempt;

    fn link(&mut self) -> &mut Link<L> {
        &mut self.link
    }

    fn encode(&mut self, c: &mut Command) -> Vec<u8> {
        let frame = codec::encode_with(self.convention, c.id(), &c.data());
        self.bytes_sent += frame.len() as u64;
        frame
    }

    fn wait(&self, c: &Command) -> Duration {
        match c.expect() {
            Expect::Status => self.policy.move_timeout,
            Expect::Reply(_) => self.policy.reply_timeout,
        }
    }

    fn judge(
        &mut self,
        c: &mut Command,
        attempt: &mut Attempt,
        byte: u8,
    ) -> Result<Step<Vec<u8>>, DeviceError> {
        let (command, data) = match self.decoder.push(byte) {
            None | Some(Decoded::Broken) => return Ok(Step::Wait),
            Some(Decoded::BadChecksum { .. }) => {
                attempt.nacks += 1;
                if attempt.nacks > self.policy.attempts {
                    return Ok(Step::Resend(Duration::ZERO));
                }
                self.reply_control(id::NACK)?;
                return Ok(Step::Wait);
            }
            Some(Decoded::Frame { command, data }) => (command, data),
        };
        self.reply_control(id::ACK)?;
        if self.take_event(command, &data) {
            return Ok(Step::Wait);
        }
        let ambiguous = c.data().contains(&START);
        Ok(match (command, c.expect()) {
            (id::STATUS, Expect::Status) if data[0] == 0 => Step::Done(data),
            (id::STATUS, _) if data[0] == 3 && ambiguous => {
                // Perhaps the other checksum convention: the next attempt
                // uses it, and it stays if the device accepts it.
                self.convention = self.convention.other();
                log::debug!(
                    "graphiti: {c}: checksum error, trying {:?}",
                    self.convention
                );
                Step::Resend(Duration::ZERO)
            }
            (id::STATUS, _) if matches!(data[0], 2 | 3) => Step::Resend(Duration::ZERO),
            // A late "ok" to an earlier command: already ACKed.
            (id::STATUS, _) if data[0] == 0 => Step::Wait,
            (id::STATUS, _) => {
                return Err(DeviceError::Refused {
                    device: DisplayKind::Graphiti,
                    what: c.to_string(),
                    reason: status_text(data[0]).to_string(),
                })
            }
            (c, Expect::Reply(want)) if c == want => Step::Done(data),
            // A late reply to an earlier attempt: already ACKed.
            _ => Step::Wait,
        })
    }
}
