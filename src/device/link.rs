//! Serial links: opening a port, reading bytes against a deadline, and the
//! retry policy every serial driver shares.

use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{DeviceError, DisplayKind};

/// How long a read may block before the driver looks at its deadline again.
const POLL: Duration = Duration::from_millis(20);

/// How hard a driver tries before it reports an error. Every wait is
/// bounded, so a silent or vanished device ends in an error, never a hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Times a command is sent before giving up.
    pub attempts: u32,
    /// Wait for a reply to a query or an acknowledgement.
    pub reply_timeout: Duration,
    /// Wait for a reply that comes only after the pins have moved.
    pub move_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            reply_timeout: Duration::from_millis(500),
            move_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens the serial port at `path` (8N1, no flow control), exclusively.
///
/// A pseudo-terminal (an emulator's end, `/dev/pts/N`) has no baud rate and
/// is already raw, so it is opened as it is: setting a rate goes through the
/// `termios2` ioctls, which qemu-user does not implement.
pub fn open_serial(path: &Path, baud: u32) -> Result<serialport::TTYPort, DeviceError> {
    let failed = |source: std::io::Error| DeviceError::io(path.display(), source);
    let real = path.canonicalize().map_err(failed)?;
    if real.starts_with("/dev/pts") {
        use std::os::fd::IntoRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&real)
            .map_err(failed)?;
        // SAFETY: the descriptor was just opened and is handed over whole.
        let mut port = unsafe {
            <serialport::TTYPort as std::os::fd::FromRawFd>::from_raw_fd(file.into_raw_fd())
        };
        serialport::SerialPort::set_timeout(&mut port, POLL).map_err(|e| failed(e.into()))?;
        return Ok(port);
    }
    serialport::new(path.to_string_lossy(), baud)
        .timeout(POLL)
        .open_native()
        .map_err(|e| failed(e.into()))
}

/// A link with a receive buffer, read byte by byte against deadlines.
#[derive(Debug)]
pub struct Link<L> {
    device: DisplayKind,
    io: L,
    buf: Vec<u8>,
    at: usize,
}

impl<L: Read + Write> Link<L> {
    /// Wraps `io`, naming `device` in errors.
    pub fn new(device: DisplayKind, io: L) -> Self {
        Link {
            device,
            io,
            buf: Vec::with_capacity(512),
            at: 0,
        }
    }

    /// The next byte, or `None` once `deadline` has passed.
    pub fn byte_before(&mut self, deadline: Instant) -> Result<Option<u8>, DeviceError> {
        loop {
            if self.at < self.buf.len() {
                self.at += 1;
                return Ok(Some(self.buf[self.at - 1]));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            self.buf.resize(512, 0);
            self.at = 0;
            match self.io.read(&mut self.buf) {
                Ok(0) => {
                    self.buf.clear();
                    return Err(self.gone(io::ErrorKind::UnexpectedEof.into()));
                }
                Ok(n) => self.buf.truncate(n),
                Err(e) => {
                    self.buf.clear();
                    match e.kind() {
                        io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted => {}
                        _ => return Err(self.gone(e)),
                    }
                }
            }
        }
    }

    /// Drops whatever has been received and not read yet.
    pub fn discard_input(&mut self) {
        self.buf.clear();
        self.at = 0;
    }

    /// Sends `bytes` in full.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.io
            .write_all(bytes)
            .and_then(|()| self.io.flush())
            .map_err(|e| self.gone(e))
    }

    /// The device's name, for errors.
    pub fn device(&self) -> DisplayKind {
        self.device
    }

    fn gone(&self, source: io::Error) -> DeviceError {
        DeviceError::Disconnected {
            device: self.device,
            source,
        }
    }
}

/// What a driver makes of what it read while it waits for the answer to
/// a request.
#[derive(Debug)]
pub enum Step<T> {
    /// Nothing yet (a partial frame, an event, a late reply to an earlier
    /// attempt): keep reading.
    Wait,
    /// Keep reading, now until this deadline (acknowledged; the pins move).
    WaitUntil(Instant),
    /// The answer.
    Done(T),
    /// The request must go again, as another attempt, after this pause.
    Resend(Duration),
    /// The device is busy: send again after this pause, not counted as an
    /// attempt (the driver bounds how long it accepts being busy).
    Busy(Duration),
}

/// A serial protocol as [`transact`] runs it: the driver encodes each
/// attempt of a request and judges the bytes that come back.
pub trait Exchange {
    /// The link's transport.
    type Io: Read + Write;
    /// One request of the protocol (its typed command).
    type Request;
    /// What a request waits for.
    type Answer;
    /// What a driver keeps about one request across its bytes (fresh for
    /// each attempt).
    type Attempt: Default;
    /// The link.
    fn link(&mut self) -> &mut Link<Self::Io>;
    /// The bytes of the next attempt.
    fn encode(&mut self, request: &mut Self::Request) -> Vec<u8>;
    /// How long to wait for the answer after sending.
    fn wait(&self, request: &Self::Request) -> Duration;
    /// Reads one byte of the device's answer.
    fn judge(
        &mut self,
        request: &mut Self::Request,
        attempt: &mut Self::Attempt,
        byte: u8,
    ) -> Result<Step<Self::Answer>, DeviceError>;
    /// What silence until the deadline means; by default, send again at once.
    fn silence(
        &mut self,
        _request: &Self::Request,
        _attempt: &mut Self::Attempt,
    ) -> Step<Self::Answer> {
        Step::Resend(Duration::ZERO)
    }
}

/// The send / wait / judge / retry loop of every serial driver: sends
/// `request` up to `attempts` times (busy answers aside) and returns the
/// answer, the driver's own error, or [`DeviceError::NoReply`] naming
/// `what`. Every wait is bounded by a deadline.
pub fn transact<E: Exchange>(
    driver: &mut E,
    attempts: u32,
    request: &mut E::Request,
    what: &str,
) -> Result<E::Answer, DeviceError> {
    let mut tried = 0;
    while tried < attempts {
        tried += 1;
        let bytes = driver.encode(request);
        driver.link().send(&bytes)?;
        let mut deadline = Instant::now() + driver.wait(request);
        let mut attempt = E::Attempt::default();
        let step = loop {
            let Some(byte) = driver.link().byte_before(deadline)? else {
                break driver.silence(request, &mut attempt);
            };
            match driver.judge(request, &mut attempt, byte)? {
                Step::Wait => {}
                Step::WaitUntil(later) => deadline = later,
                other => break other,
            }
        };
        match step {
            Step::Done(answer) => return Ok(answer),
            Step::Resend(pause) => std::thread::sleep(pause),
            Step::Busy(pause) => {
                tried -= 1;
                std::thread::sleep(pause);
            }
            Step::Wait | Step::WaitUntil(_) => {}
        }
    }
    let device = driver.link().device();
    Err(DeviceError::NoReply {
        device,
        what: what.to_string(),
        attempts,
    })
}
