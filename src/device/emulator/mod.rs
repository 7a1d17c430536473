//! Firmware emulators for the serial displays, on the far side of a
//! pseudo-terminal. Each checks every frame exactly as the device does,
//! answers as the device does, refuses what the device refuses, keeps the
//! pins it shows, and can inject the faults a bedside device meets:
//! refusals ("NACK every Nth command"), corrupted replies, silence, and
//! unplugging (the terminal vanishes and comes back under the same link).

mod dotpad;
pub use dotpad::FUNCTION_KEYS as DOTPAD_FUNCTION_KEYS;
pub use graphiti::PLUS_LONG as GRAPHITI_PLUS_LONG;
mod graphiti;
mod pinarray;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use super::preview::pins_image;
use super::DeviceError;
use crate::tactile::PinFrame;

/// Which firmware to emulate.
pub use super::DisplayKind as Kind;

/// Faults to inject. Counts start at 1: `refuse_every: Some(3)` refuses
/// the 3rd, 6th, ... command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Refuse every Nth command as the device does after line noise
    /// (Graphiti: status "checksum error"; Dot Pad: NACK; pin array: NAK),
    /// without acting on it.
    pub refuse_every: Option<u32>,
    /// Corrupt the checksum of every Nth reply.
    pub corrupt_every: Option<u32>,
    /// Stop answering after N replies.
    pub silent_after: Option<u32>,
    /// Vanish (close the terminal, as when unplugged) after N replies...
    pub vanish_after: Option<u32>,
    /// ...and come back this much later, under the same link path.
    pub vanish_for: Duration,
    /// Dot Pad: answer "wait" to every Nth display line, without acting.
    pub wait_every: Option<u32>,
    /// Dot Pad: send an error notification (0x9902) before every Nth
    /// display line's reply (the line is still carried out).
    pub error_every: Option<u32>,
    /// Dot Pad: send "line finished" under another line's destination.
    pub finished_elsewhere: bool,
    /// Graphiti: check checksums as Orbit's host library computes them
    /// (over the escaped stream, each doubled 0x1B counted twice), not as
    /// the specification says.
    pub library_checksum: bool,
    /// Pin array: answer COMMIT with NAK 5 (busy) for this long after the
    /// first COMMIT arrives.
    pub busy_for: Option<Duration>,
    /// Pin array: start up remembering a previous session's last request,
    /// a COMMIT with this sequence number, and its answers.
    pub stale_seq: Option<u8>,
}

/// How the emulator runs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Faults to inject.
    pub faults: Faults,
    /// A symbolic link to the terminal, kept pointing at it across vanishing.
    pub link: Option<PathBuf>,
    /// Write the pins shown here as PNG after every change.
    pub png: Option<PathBuf>,
    /// Graphiti: be a Graphiti Plus (its name, braille line and 0x33 key
    /// reports).
    pub graphiti_plus: bool,
}

/// What the emulated device has done, for tests and the command line.
#[derive(Debug, Clone)]
pub struct Record {
    /// The pins raised now.
    pub frame: PinFrame,
    /// Display commands carried out.
    pub updates: u64,
    /// Commands refused (invalid, or by fault injection).
    pub refused: u64,
    /// Vibrations played, in order.
    pub vibrations: Vec<Vibration>,
    /// The pins after each display command, oldest first, the last [`HISTORY`].
    pub history: std::collections::VecDeque<PinFrame>,
    /// Replies sent (resends included).
    pub replies: u64,
    /// Times the terminal vanished.
    pub vanished: u64,
    /// The cells of a braille text line (Dot Pad: in the device's dot
    /// order; Graphiti Plus: bits 0-7 = dots 1-8), empty where none was
    /// shown.
    pub text_line: Vec<u8>,
    /// Text line commands carried out (Graphiti Plus `0x80`, Dot Pad text
    /// line packets); also counted in [`Record::updates`] on a Graphiti.
    pub line_updates: u64,
}

/// Display states [`Record::history`] keeps: one per display command
/// carried out (a frame sent row by row passes through several).
pub const HISTORY: usize = 512;

/// One vibrate command carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vibration {
    /// When, in milliseconds since the emulator started.
    pub at_ms: u64,
    /// How long, in milliseconds.
    pub ms: u32,
}

/// What a firmware needs from the emulator around it.
pub(crate) struct Context<'a> {
    record: &'a mut Record,
    started: Instant,
    faults: Faults,
    commands: &'a mut u32,
    replies: Vec<Vec<u8>>,
}

impl Context<'_> {
    /// Counts a command; true when fault injection refuses it.
    pub(crate) fn refuse_injected(&mut self) -> bool {
        *self.commands += 1;
        let refuse = every(self.faults.refuse_every, *self.commands);
        if refuse {
            self.record.refused += 1;
        }
        refuse
    }

    /// The faults to inject.
    pub(crate) fn faults(&self) -> Faults {
        self.faults
    }

    /// Milliseconds since the emulator started.
    pub(crate) fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Queues bytes to send.
    pub(crate) fn reply(&mut self, bytes: Vec<u8>) {
        self.replies.push(bytes);
    }

    /// The device's state.
    pub(crate) fn record(&mut self) -> &mut Record {
        self.record
    }

    /// Notes a vibration of `ms` starting now.
    pub(crate) fn vibrate(&mut self, ms: u32) {
        let at_ms = self.started.elapsed().as_millis() as u64;
        self.record.vibrations.push(Vibration { at_ms, ms });
    }
}

pub(crate) fn every(n: Option<u32>, count: u32) -> bool {
    matches!(n, Some(n) if n > 0 && count.is_multiple_of(n))
}

/// A device's firmware: a byte-at-a-time protocol machine.
pub(crate) trait Firmware: Send {
    /// Pins shown before anything is sent.
    fn blank(&self) -> PinFrame;
    /// Takes one byte from the host.
    fn receive(&mut self, byte: u8, cx: &mut Context);
    /// Spoils a reply's checksum the way line noise would.
    fn corrupt(&self, reply: &mut Vec<u8>);
    /// Forgets a half-received frame (after vanishing).
    fn reset(&mut self);
    /// Queues a key press report; false where the device has no keys.
    fn press(&mut self, key: u8, cx: &mut Context) -> bool;
}

fn firmware(kind: Kind, options: &Options) -> Box<dyn Firmware> {
    let faults = &options.faults;
    match kind {
        Kind::Graphiti => Box::new(graphiti::GraphitiFirmware::new(
            faults.library_checksum,
            options.graphiti_plus,
        )),
        Kind::DotPad => Box::new(dotpad::DotPadFirmware::new()),
        Kind::PinArray => Box::new(pinarray::PinArrayFirmware::new(faults.stale_seq)),
    }
}

struct Shared {
    record: Mutex<Record>,
    path: Mutex<PathBuf>,
    presses: Mutex<Vec<u8>>,
    stop: AtomicBool,
}

/// A running emulator.
pub struct Emulator {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Result<(), DeviceError>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not hide what the device showed.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Terminal {
    master: TTYPort,
    // Held open so that the host closing its end does not hang up ours.
    _slave: TTYPort,
}

fn open_terminal(link: Option<&Path>) -> Result<(Terminal, PathBuf), DeviceError> {
    let (mut master, slave) = TTYPort::pair().map_err(|e| DeviceError::io("pseudo-terminal", e))?;
    master
        .set_timeout(Duration::from_millis(20))
        .map_err(|e| DeviceError::io("pseudo-terminal", e))?;
    let name = slave
        .name()
        .ok_or_else(|| DeviceError::Config("pseudo-terminal has no name".into()))?;
    let path = match link {
        Some(link) => {
            // Only ever replace our own kind of file: a symlink.
            match std::fs::symlink_metadata(link) {
                Ok(m) if m.file_type().is_symlink() => {
                    let _ = std::fs::remove_file(link);
                }
                Ok(_) => {
                    return Err(DeviceError::Config(format!(
                        "{}: exists and is not a symbolic link; not replacing it",
                        link.display()
                    )))
                }
                Err(_) => {}
            }
            std::os::unix::fs::symlink(&name, link)
                .map_err(|e| DeviceError::io(link.display(), e))?;
            link.to_path_buf()
        }
        None => PathBuf::from(name),
    };
    Ok((
        Terminal {
            master,
            _slave: slave,
        },
        path,
    ))
}

impl Emulator {
    /// Opens a pseudo-terminal and starts the firmware of `kind` on it.
    pub fn start(kind: Kind, options: Options) -> Result<Emulator, DeviceError> {
        let fw = firmware(kind, &options);
        let (terminal, path) = open_terminal(options.link.as_deref())?;
        let shared = Arc::new(Shared {
            record: Mutex::new(Record {
                frame: fw.blank(),
                updates: 0,
                refused: 0,
                vibrations: Vec::new(),
                history: std::collections::VecDeque::new(),
                replies: 0,
                vanished: 0,
                text_line: Vec::new(),
                line_updates: 0,
            }),
            path: Mutex::new(path),
            presses: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("{kind:?} emulator"))
            .spawn(move || serve(fw, terminal, options, &worker))
            .map_err(|e| DeviceError::io("emulator thread", e))?;
        Ok(Emulator {
            shared,
            thread: Some(thread),
        })
    }

    /// The terminal's path (the link, if one was asked for).
    pub fn path(&self) -> PathBuf {
        lock(&self.shared.path).clone()
    }

    /// What the device has done so far.
    pub fn record(&self) -> Record {
        lock(&self.shared.record).clone()
    }

    /// Presses a key on the device (Graphiti key bits, pin-array key id).
    pub fn press(&self, key: u8) {
        lock(&self.shared.presses).push(key);
    }

    /// Stops the firmware; returns the error that stopped it early, if any.
    pub fn stop(mut self) -> Result<(), DeviceError> {
        self.shared.stop.store(true, Ordering::SeqCst);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(DeviceError::Config("emulator thread panicked".into())),
            None => Ok(()),
        }
    }

    /// Runs until the process is stopped (the command line's use).
    pub fn wait(mut self) -> Result<(), DeviceError> {
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            _ => Err(DeviceError::Config("emulator thread panicked".into())),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    mut fw: Box<dyn Firmware>,
    terminal: Terminal,
    options: Options,
    shared: &Shared,
) -> Result<(), DeviceError> {
    let faults = options.faults;
    let mut terminal = Some(terminal);
    let mut commands = 0u32;
    let mut replies_sent = 0u32;
    let mut last_updates = 0u64;
    let mut buf = [0u8; 1024];
    let started = Instant::now();
    if let Some(png) = &options.png {
        write_png(png, &lock(&shared.record).frame)?;
    }
    while !shared.stop.load(Ordering::SeqCst) {
        let Some(term) = terminal.as_mut() else {
            break;
        };
        let n = match term.master.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                0
            }
            Err(e) => return Err(DeviceError::io("emulator terminal", e)),
        };
        let mut record = lock(&shared.record);
        let mut cx = Context {
            record: &mut record,
            started,
            faults,
            commands: &mut commands,
            replies: Vec::new(),
        };
        for key in std::mem::take(&mut *lock(&shared.presses)) {
            fw.press(key, &mut cx);
        }
        for &b in &buf[..n] {
            fw.receive(b, &mut cx);
        }
        let replies = std::mem::take(&mut cx.replies);
        // The picture is up to date before the host hears "done".
        if record.updates != last_updates {
            last_updates = record.updates;
            if record.history.len() == HISTORY {
                record.history.pop_front();
            }
            let shown = record.frame.clone();
            record.history.push_back(shown);
            if let Some(png) = &options.png {
                write_png(png, &record.frame)?;
            }
        }
        let mut vanish = false;
        for mut reply in replies {
            if faults.silent_after.is_some_and(|n| replies_sent >= n) {
                break;
            }
            replies_sent += 1;
            if every(faults.corrupt_every, replies_sent) {
                fw.corrupt(&mut reply);
            }
            record.replies += 1;
            term.master
                .write_all(&reply)
                .map_err(|e| DeviceError::io("emulator terminal", e))?;
            if faults.vanish_after == Some(replies_sent) {
                vanish = true;
                break;
            }
        }
        if vanish {
            record.vanished += 1;
            drop(record);
            let _ = term.master.flush();
            // Unplugged: both ends of the terminal close.
            drop(terminal.take());
            if let Some(link) = &options.link {
                let _ = std::fs::remove_file(link);
            }
            std::thread::sleep(faults.vanish_for);
            fw.reset();
            let (t, path) = open_terminal(options.link.as_deref())?;
            *lock(&shared.path) = path;
            terminal = Some(t);
        }
    }
    Ok(())
}

fn write_png(path: &Path, frame: &PinFrame) -> Result<(), DeviceError> {
    // Written beside and renamed, so a reader never sees half a file.
    let tmp = path.with_extension("png.part");
    pins_image(frame)
        .save_with_format(&tmp, image::ImageFormat::Png)
        .map_err(|e| DeviceError::io(tmp.display(), std::io::Error::other(e)))?;
    std::fs::rename(&tmp, path).map_err(|e| DeviceError::io(path.display(), e))
}
