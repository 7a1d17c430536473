//! The board's hardware as embedded-hal 1.0 parts: GPIO lines and SPI
//! buses, and push buttons on GPIO lines as [`crate::device::Keys`]. The
//! `cdev` backend (Linux GPIO character device + spidev) works on the
//! Raspberry Pi, the Jetson and any Linux board; it is a cargo feature, and
//! without it the opening functions say so. (An rppal backend was dropped:
//! nothing used it, and the character device does all the Pi needs here.)

/// Where a GPIO line is: a chip and an offset, or a line name to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineSpec {
    /// `gpiochipN:OFFSET` (or a chip path).
    Chip {
        /// Chip name or path, e.g. `gpiochip0` or `/dev/gpiochip4`.
        chip: String,
        /// Line offset on the chip.
        offset: u32,
    },
    /// A line name from the device tree, e.g. `GPIO25`.
    Named(String),
}

impl std::str::FromStr for LineSpec {
    type Err = super::SpecError;
    fn from_str(s: &str) -> Result<Self, super::SpecError> {
        use super::SpecError;
        match s.rsplit_once(':') {
            Some((chip, offset)) => Ok(LineSpec::Chip {
                chip: chip.to_string(),
                offset: offset.parse().map_err(|_| {
                    SpecError(format!(
                        "GPIO line {s:?}: offset {offset:?} is not a number"
                    ))
                })?,
            }),
            None if !s.is_empty() => Ok(LineSpec::Named(s.to_string())),
            None => Err(SpecError("empty GPIO line".to_string())),
        }
    }
}

/// As a board file or display spec spells it (`gpiochip0:25`, `GPIO25`).
impl std::fmt::Display for LineSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineSpec::Chip { chip, offset } => write!(f, "{chip}:{offset}"),
            LineSpec::Named(name) => f.write_str(name),
        }
    }
}

/// The Linux GPIO character device and spidev.
#[cfg(feature = "cdev")]
pub mod cdev {
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use gpiocdev::line::{Bias, EdgeDetection, EdgeKind, Value};
    use gpiocdev::Request;

    use super::LineSpec;
    use crate::device::{DeviceError, Key, KeyEvent, Keys};

    fn error(what: String, e: impl std::fmt::Display) -> DeviceError {
        DeviceError::io(what, std::io::Error::other(e.to_string()))
    }

    /// One output line, requested for touchray alone.
    #[derive(Debug)]
    pub struct CdevOutput {
        request: Request,
        offset: u32,
    }

    /// The chip device and offset of `line`.
    fn locate(line: &LineSpec) -> Result<(PathBuf, u32), DeviceError> {
        Ok(match line {
            LineSpec::Chip { chip, offset } => {
                let path = if chip.starts_with('/') {
                    PathBuf::from(chip)
                } else {
                    PathBuf::from("/dev").join(chip)
                };
                (path, *offset)
            }
            LineSpec::Named(name) => {
                let found = gpiocdev::find_named_line(name)
                    .ok_or_else(|| DeviceError::Config(format!("no GPIO line named {name:?}")))?;
                (found.chip, found.info.offset)
            }
        })
    }

    /// Requests `line` as an output, initially low.
    pub fn output(line: &LineSpec) -> Result<CdevOutput, DeviceError> {
        let (chip, offset) = locate(line)?;
        let request = Request::builder()
            .on_chip(&chip)
            .with_consumer("touchray")
            .with_line(offset)
            .as_output(Value::Inactive)
            .request()
            .map_err(|e| error(format!("{}:{offset}", chip.display()), e))?;
        Ok(CdevOutput { request, offset })
    }

    /// A failed line update.
    #[derive(Debug)]
    pub struct CdevError(pub gpiocdev::Error);

    impl embedded_hal::digital::Error for CdevError {
        fn kind(&self) -> embedded_hal::digital::ErrorKind {
            embedded_hal::digital::ErrorKind::Other
        }
    }

    impl embedded_hal::digital::ErrorType for CdevOutput {
        type Error = CdevError;
    }

    impl embedded_hal::digital::OutputPin for CdevOutput {
        fn set_low(&mut self) -> Result<(), CdevError> {
            self.request
                .set_value(self.offset, Value::Inactive)
                .map(drop)
                .map_err(CdevError)
        }
        fn set_high(&mut self) -> Result<(), CdevError> {
            self.request
                .set_value(self.offset, Value::Active)
                .map(drop)
                .map_err(CdevError)
        }
    }

    /// Push buttons on GPIO lines, each wired from the line to ground: the
    /// lines are requested active-low with the pull-up on, both edges
    /// reported, and the kernel debouncing them. Each reports as
    /// [`Key::Line`] with its index in the list opened.
    #[derive(Debug)]
    pub struct ButtonLines {
        /// One request per chip, and the index of the line on each offset.
        requests: Vec<(Request, Vec<(u32, usize)>)>,
    }

    impl ButtonLines {
        /// Requests `lines`, debounced by `debounce`.
        pub fn open(lines: &[LineSpec], debounce: Duration) -> Result<ButtonLines, DeviceError> {
            let mut by_chip: Vec<(PathBuf, Vec<(u32, usize)>)> = Vec::new();
            for (index, line) in lines.iter().enumerate() {
                let (chip, offset) = locate(line)?;
                match by_chip.iter_mut().find(|(c, _)| *c == chip) {
                    Some((_, lines)) => lines.push((offset, index)),
                    None => by_chip.push((chip, vec![(offset, index)])),
                }
            }
            let mut requests = Vec::new();
            for (chip, lines) in by_chip {
                let offsets: Vec<u32> = lines.iter().map(|l| l.0).collect();
                let request = Request::builder()
                    .on_chip(&chip)
                    .with_consumer("touchray")
                    .with_lines(&offsets)
                    .as_input()
                    .as_active_low()
                    .with_bias(Bias::PullUp)
                    .with_edge_detection(EdgeDetection::BothEdges)
                    .with_debounce_period(debounce)
                    .request()
                    .map_err(|e| error(format!("{} buttons", chip.display()), e))?;
                requests.push((request, lines));
            }
            Ok(ButtonLines { requests })
        }
    }

    impl Keys for ButtonLines {
        fn next_key(&mut self, timeout: Duration) -> Result<Option<KeyEvent>, DeviceError> {
            use std::os::fd::AsRawFd;
            let mut fds: Vec<libc::pollfd> = self
                .requests
                .iter()
                .map(|(r, _)| libc::pollfd {
                    fd: r.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: `fds` is a live array of `fds.len()` pollfd structs.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if n <= 0 {
                return Ok(None);
            }
            for (fd, (request, lines)) in fds.iter().zip(&self.requests) {
                if fd.revents & libc::POLLIN == 0 {
                    continue;
                }
                let event = request
                    .read_edge_event()
                    .map_err(|e| error("GPIO buttons".to_string(), e))?;
                let Some(&(_, index)) = lines.iter().find(|l| l.0 == event.offset) else {
                    continue;
                };
                return Ok(Some(KeyEvent {
                    key: Key::Line(index),
                    pressed: event.kind == EdgeKind::Rising,
                    at: kernel_instant(event.timestamp_ns),
                }));
            }
            Ok(None)
        }
    }

    /// The [`Instant`] of a kernel CLOCK_MONOTONIC timestamp (the edge
    /// events' clock, and `Instant`'s on Linux), so that press lengths are
    /// measured from the edges, not from when they were read.
    fn kernel_instant(timestamp_ns: u64) -> Instant {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec to write into.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        let now_ns = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
        let now = Instant::now();
        now.checked_sub(Duration::from_nanos(now_ns.saturating_sub(timestamp_ns)))
            .unwrap_or(now)
    }

    /// Opens `/dev/spidevB.C` in mode 0 at `hz`.
    pub fn spi(path: &str, hz: u32) -> Result<linux_embedded_hal::SpidevDevice, DeviceError> {
        use linux_embedded_hal::spidev::{SpiModeFlags, SpidevOptions};
        let mut dev = linux_embedded_hal::SpidevDevice::open(path)
            .map_err(|e| error(path.to_string(), format!("{e:?}")))?;
        dev.configure(
            &SpidevOptions::new()
                .bits_per_word(8)
                .max_speed_hz(hz)
                .mode(SpiModeFlags::SPI_MODE_0)
                .build(),
        )
        .map_err(|e| error(path.to_string(), e))?;
        Ok(dev)
    }
}
