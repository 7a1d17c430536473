//! Orbit Research Graphiti over serial (USB VCP or Bluetooth SPP), as the
//! Graphiti API Specification v1.2 documents it: `1B`, command id, data,
//! checksum; data bytes equal to `1B` are doubled; the host ACKs
//! (`1B 51 AF`) or NACKs (`1B 52 AE`) every reply.
//!
//! The spec does not count a doubled `1B` in the checksum; Orbit's own host
//! library does. Which one a firmware checks is unknown, so the driver
//! never depends on it: it sends no `1B` data byte where it has a choice
//! (a changed row 27 goes in a full-display update, blink 27 becomes 28, a
//! vibration of 283/539/795 ms one ms longer), and where a frame must carry
//! one it answers a checksum-error status by re-sending under the other
//! convention, and keeps the one the device accepted.
//!
//! [`codec`] is the byte layer (shared with the emulator); [`GraphitiLink`]
//! is the driver: a [`PinDisplay`], the device's vibrator as a [`Haptic`],
//! and its keys and gestures as [`Keys`].

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use super::link::{transact, Link, RetryPolicy};
use super::{
    check_geometry, play_blocking, BrailleLine, DeviceError, DisplayKind, Haptic, KeyEvent, Keys,
    Pattern, PinDisplay, Vibrator,
};
use crate::tactile::{Geometry, PinFrame};

/// Serial speed of the USB VCP link.
pub const BAUD: u32 = 115_200;
/// USB vendor:product ids of the Graphiti and the Graphiti Plus.
pub const USB_IDS: [(u16, u16); 2] = [(0x1FC9, 0x8217), (0x0483, 0xA366)];
/// Cells of a Graphiti Plus's braille line.
pub const BRAILLE_CELLS: usize = 40;
/// The name a Graphiti Plus answers with (then padding).
pub const PLUS_NAME: &str = "Graphiti Plus";
/// A Graphiti Plus reports a long press once it has ended; its events are
/// dated this far apart, so that a reader's long-press threshold under
/// it sees a long press.
pub const PLUS_LONG_HOLD: Duration = Duration::from_millis(1500);
/// Largest blink period the device takes, in 100 ms steps.
pub const MAX_BLINK: u8 = 50;

/// Command and reply ids.
pub mod id {
    /// Software version (reply: 15 ASCII bytes).
    pub const SOFTWARE_VERSION: u8 = 0x01;
    /// Resolution (reply: ASCII "60|40").
    pub const RESOLUTION: u8 = 0x07;
    /// Height levels (reply: one ASCII digit, the top level).
    pub const HEIGHT_LEVELS: u8 = 0x09;
    /// Device name (reply: 30 ASCII bytes).
    pub const DEVICE_NAME: u8 = 0x0A;
    /// Whole display: 2400 x (height, blink).
    pub const UPDATE_DISPLAY: u8 = 0x15;
    /// All pins up (data 2) or down (data 3).
    pub const SET_ALL: u8 = 0x16;
    /// One pin: row, column, height, blink.
    pub const ONE_PIN: u8 = 0x17;
    /// One row: row, then 60 x (height, blink).
    pub const ONE_ROW: u8 = 0x18;
    /// Key events on (1) or off (0).
    pub const KEY_EVENTS: u8 = 0x31;
    /// A key report from a Graphiti (3 bytes).
    pub const KEY_REPORT: u8 = 0x32;
    /// A key report from a Graphiti Plus (8 key bytes, then the press
    /// type: 0x02 short, 0x04 long).
    pub const KEY_REPORT_PLUS: u8 = 0x33;
    /// Graphiti Plus: the braille line, a length byte (40) and 40 cells.
    pub const UPDATE_BRAILLE: u8 = 0x80;
    /// Touch events on (1) or off (0).
    pub const TOUCH_EVENTS: u8 = 0x41;
    /// A gesture (1 byte).
    pub const GESTURE: u8 = 0x42;
    /// Host acknowledges a reply.
    pub const ACK: u8 = 0x51;
    /// Host asks for a reply again.
    pub const NACK: u8 = 0x52;
    /// Status reply (1 byte code).
    pub const STATUS: u8 = 0x53;
    /// Vibrate: frequency, duty %, duration ms (2 bytes big-endian).
    pub const VIBRATE: u8 = 0x61;
}

pub mod codec;
mod command;
mod keys;

pub use command::{Attempt, Command};
pub use keys::{keys_in_plus_report, keys_in_report, Gesture, Key, Panning, PlusPress};

use codec::{Convention, Decoded, Decoder, Direction, START};

/// The status codes of a `1B 53` reply.
pub fn status_text(code: u8) -> &'static str {
    match code {
        0 => "ok",
        1 => "command error",
        2 => "communication error",
        3 => "checksum error",
        4 => "invalid image call",
        5 => "image time-out",
        _ => "unknown status",
    }
}

/// What the host waits for after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A `1B 53` status reply.
    Status,
    /// A reply frame with this id.
    Reply(u8),
}

/// A Graphiti on a serial link.
#[derive(Debug)]
pub struct GraphitiLink<L> {
    link: Link<L>,
    decoder: Decoder,
    policy: RetryPolicy,
    geometry: Geometry,
    name: String,
    shown: Option<PinFrame>,
    events: VecDeque<KeyEvent>,
    bytes_sent: u64,
    convention: Convention,
}

impl<L: Read + Write> GraphitiLink<L> {
    /// Connects over `io`: asks the device's name, resolution and height
    /// levels, and turns key and touch events on.
    pub fn connect(io: L, policy: RetryPolicy) -> Result<Self, DeviceError> {
        let mut g = GraphitiLink {
            link: Link::new(DisplayKind::Graphiti, io),
            decoder: Decoder::new(Direction::ToHost),
            policy,
            geometry: Geometry::GRAPHITI,
            name: String::new(),
            shown: None,
            events: VecDeque::new(),
            bytes_sent: 0,
            convention: Convention::Spec,
        };
        g.name = ascii(&g.send(Command::DeviceName)?);
        let resolution = ascii(&g.send(Command::Resolution)?);
        let levels = ascii(&g.send(Command::HeightLevels)?);
        g.geometry = parse_geometry(&resolution, &levels).ok_or_else(|| DeviceError::Protocol {
            device: DisplayKind::Graphiti,
            message: format!(
                "resolution {resolution:?} / height levels {levels:?} make no display"
            ),
        })?;
        g.send(Command::KeyEvents(true))?;
        g.send(Command::TouchEvents(true))?;
        Ok(g)
    }

    /// The name the device reported.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the device is a Graphiti Plus (it answers its name as
    /// "Graphiti Plus"), with a braille line and 0x33 key reports.
    pub fn is_plus(&self) -> bool {
        self.name
            .trim_end_matches(['\0', ' '])
            .starts_with(PLUS_NAME)
    }

    /// The checksum convention the device accepted last (the spec's until
    /// a frame with a 0x1B data byte showed otherwise).
    pub fn convention(&self) -> Convention {
        self.convention
    }

    /// Raises one pin (0x17): `row` 1..=40, `column` 1..=60, as the spec
    /// numbers them. Row or column 27 is a 0x1B data byte that cannot be
    /// avoided here: a checksum-error reply makes the driver try the other
    /// checksum convention.
    pub fn set_pin(&mut self, row: u8, column: u8, height: u8) -> Result<(), DeviceError> {
        self.send(Command::OnePin {
            row,
            column,
            height,
        })?;
        if let Some(shown) = self.shown.as_mut() {
            let at =
                embedded_graphics::prelude::Point::new(i32::from(column) - 1, i32::from(row) - 1);
            shown.set(at, height);
            shown.set_blink(at, 0);
        }
        Ok(())
    }

    /// Bytes written to the link so far.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Sends a command and waits for its reply: ACKs good replies, NACKs
    /// ones with a bad checksum (the device resends), resends the command
    /// after a communication/checksum error status or a time-out, all
    /// bounded by the policy. Key and gesture reports that arrive meanwhile
    /// are ACKed and queued.
    fn send(&mut self, mut command: Command) -> Result<Vec<u8>, DeviceError> {
        let what = command.to_string();
        transact(self, self.policy.attempts, &mut command, &what)
    }

    fn reply_control(&mut self, command: u8) -> Result<(), DeviceError> {
        let frame = codec::encode(command, &[]);
        self.bytes_sent += frame.len() as u64;
        self.link.send(&frame)
    }

    /// Queues key and gesture reports as key presses; true if it was one.
    fn take_event(&mut self, command: u8, data: &[u8]) -> bool {
        let (keys, long) = match command {
            id::KEY_REPORT => (keys_in_report(data), false),
            id::KEY_REPORT_PLUS => {
                let (keys, press) = keys_in_plus_report(data);
                (keys, press == PlusPress::Long)
            }
            id::GESTURE => (
                Gesture::from_id(data[0])
                    .map(Key::Gesture)
                    .into_iter()
                    .collect(),
                false,
            ),
            _ => return false,
        };
        let released = Instant::now();
        let pressed_at = if long {
            released.checked_sub(PLUS_LONG_HOLD).unwrap_or(released)
        } else {
            released
        };
        for key in keys {
            for (pressed, at) in [(true, pressed_at), (false, released)] {
                self.events.push_back(KeyEvent {
                    key: super::Key::Graphiti(key),
                    pressed,
                    at,
                });
            }
        }
        true
    }
}

impl<L: Read + Write> BrailleLine for GraphitiLink<L> {
    fn cells(&self) -> usize {
        BRAILLE_CELLS
    }

    /// Sends the whole line (0x80: the device has no per-cell update). A
    /// cell with dots 1-2-4-5 is the byte 0x1B, escaped on the wire; the
    /// driver's checksum fallback covers a firmware that counts it.
    fn show_cells(&mut self, cells: &[u8]) -> Result<(), DeviceError> {
        let mut line = cells.to_vec();
        line.resize(BRAILLE_CELLS, 0);
        self.send(Command::UpdateBraille(line)).map(|_| ())
    }
}

/// A blink period the device takes, never the byte 0x1B: 2.7 s becomes
/// 2.8 s, which no finger can tell apart.
pub fn blink_byte(blink: u8) -> u8 {
    match blink.min(MAX_BLINK) {
        START => START + 1,
        b => b,
    }
}

/// The row id that would be a 0x1B data byte in a row command.
const ROW_27: usize = START as usize - 1;

/// The bytes of each way of sending `frame` over `shown`: one full-display
/// command, or one row command per changed row, whichever is fewer bytes.
/// A changed row 27 (id 0x1B) always goes in a full-display command, so no
/// frame carries a 0x1B data byte.
pub fn frame_commands(frame: &PinFrame, shown: Option<&PinFrame>) -> Vec<Command> {
    let width = frame.geometry().width as usize;
    let pairs = |from: usize, to: usize| -> Vec<u8> {
        (from..to)
            .flat_map(|i| [frame.heights()[i], blink_byte(frame.blink()[i])])
            .collect()
    };
    let full = vec![Command::UpdateDisplay(pairs(0, frame.geometry().pins()))];
    let Some(shown) = shown else {
        return full;
    };
    let changed: Vec<usize> = (0..frame.geometry().height as usize)
        .filter(|&r| {
            let span = r * width..(r + 1) * width;
            frame.heights()[span.clone()] != shown.heights()[span.clone()]
                || frame.blink()[span.clone()] != shown.blink()[span]
        })
        .collect();
    if changed.contains(&ROW_27) {
        return full;
    }
    let rows: Vec<Command> = changed
        .into_iter()
        .map(|r| Command::UpdateRow(r as u8 + 1, pairs(r * width, (r + 1) * width)))
        .collect();
    let wire = |cmds: &[Command]| -> usize {
        cmds.iter()
            .map(|c| codec::encode(c.id(), &c.data()).len())
            .sum()
    };
    if wire(&rows) < wire(&full) {
        rows
    } else {
        full
    }
}

impl<L: Read + Write> PinDisplay for GraphitiLink<L> {
    fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Sends the whole display (0x15) or only the changed rows (0x18),
    /// whichever is fewer bytes, each answered once the pins have moved.
    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        check_geometry(self.geometry, frame)?;
        let commands = frame_commands(frame, self.shown.as_ref());
        // Until every command is confirmed the device shows something in
        // between: forget what it shows so that a retry sends everything.
        self.shown = None;
        for command in commands {
            self.send(command)?;
        }
        self.shown = Some(frame.clone());
        Ok(())
    }

    fn keys(&mut self) -> Option<&mut dyn Keys> {
        Some(self)
    }

    fn braille_line(&mut self) -> Option<&mut dyn BrailleLine> {
        if self.is_plus() {
            Some(self)
        } else {
            None
        }
    }

    fn vibrator(&mut self) -> Option<&mut dyn Vibrator> {
        Some(self)
    }
}

impl<L: Read + Write> Vibrator for GraphitiLink<L> {
    /// The device times each buzz itself, up to one second.
    fn longest(&self) -> Option<Duration> {
        Some(Duration::from_millis(1000))
    }

    /// One vibrate command; the device takes 100..1000 ms, so shorter
    /// buzzes are lengthened to 100 ms.
    fn start(&mut self, on: Duration) -> Result<(), DeviceError> {
        let mut ms = on.as_millis().clamp(100, 1000) as u16;
        if ms.to_be_bytes()[1] == START {
            ms += 1; // 283, 539 or 795 ms: no 0x1B data byte
        }
        self.send(Command::Vibrate(ms)).map(drop)
    }

    fn stop(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
}

impl<L: Read + Write> Haptic for GraphitiLink<L> {
    fn play(&mut self, pattern: &Pattern) -> Result<(), DeviceError> {
        play_blocking(self, pattern)
    }
}

impl<L: Read + Write> Keys for GraphitiLink<L> {
    fn next_key(&mut self, timeout: Duration) -> Result<Option<KeyEvent>, DeviceError> {
        let deadline = Instant::now() + timeout;
        while self.events.is_empty() {
            let Some(byte) = self.link.byte_before(deadline)? else {
                break;
            };
            match self.decoder.push(byte) {
                Some(Decoded::Frame { command, data }) => {
                    self.reply_control(id::ACK)?;
                    self.take_event(command, &data);
                }
                Some(Decoded::BadChecksum { .. }) => self.reply_control(id::NACK)?,
                _ => {}
            }
        }
        Ok(self.events.pop_front())
    }
}

fn ascii(data: &[u8]) -> String {
    data.iter()
        .filter(|&&b| b != 0)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// "60|40" and "4" (the top level) as a geometry.
pub fn parse_geometry(resolution: &str, levels: &str) -> Option<Geometry> {
    let (w, h) = resolution.split_once('|')?;
    let top: u8 = levels.trim().parse().ok()?;
    Geometry::new(
        w.trim().parse().ok()?,
        h.trim().parse().ok()?,
        top.checked_add(1)?,
    )
    .ok()
}

#[cfg(test)]
mod tests;
