//! Naming a display on the command line (`graphiti:/dev/ttyACM0`,
//! `png:pins.png`, ...), opening it, and finding the serial displays
//! plugged in.

use std::path::{Path, PathBuf};

use super::dotpad::DotPadLink;
use super::graphiti::GraphitiLink;
use super::link::{open_serial, RetryPolicy};
use super::pinarray::PinArrayLink;
use super::preview::{PngPreview, TerminalPreview};
use super::{dotpad, graphiti, pinarray, DeviceError, DisplayKind, PinDisplay, SpecError};
use crate::tactile::Geometry;

/// A display named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplaySpec {
    /// `graphiti:PATH`
    Graphiti(PathBuf),
    /// `dotpad:PATH`
    DotPad(PathBuf),
    /// `pinarray:PATH`
    PinArray(PathBuf),
    /// `shiftreg:SPIDEV,latch=LINE,oe=LINE,size=WxH[,hz=N]`
    ShiftRegister(ShiftRegisterSpec),
    /// `png:FILE`
    Png(PathBuf),
    /// `term`
    Terminal,
}

/// Where a shift-register chain is wired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRegisterSpec {
    /// The spidev device, e.g. `/dev/spidev0.0`.
    pub spi: String,
    /// The latch (RCLK) line.
    pub latch: super::hal::LineSpec,
    /// The output-enable (/OE) line.
    pub output_enable: super::hal::LineSpec,
    /// Pins across and down.
    pub size: (u32, u32),
    /// SPI clock.
    pub hz: u32,
}

impl DisplaySpec {
    /// The serial display of `kind` at `path`.
    pub fn serial(kind: DisplayKind, path: PathBuf) -> DisplaySpec {
        match kind {
            DisplayKind::Graphiti => DisplaySpec::Graphiti(path),
            DisplayKind::DotPad => DisplaySpec::DotPad(path),
            DisplayKind::PinArray => DisplaySpec::PinArray(path),
        }
    }
}

impl std::str::FromStr for DisplaySpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        let path = || {
            if rest.is_empty() {
                Err(SpecError(format!(
                    "display {s:?}: give a path, e.g. {kind}:/dev/ttyACM0"
                )))
            } else {
                Ok(PathBuf::from(rest))
            }
        };
        if let Ok(serial) = kind.parse::<DisplayKind>() {
            return Ok(DisplaySpec::serial(serial, path()?));
        }
        match kind {
            "png" => Ok(DisplaySpec::Png(path()?)),
            "term" if rest.is_empty() => Ok(DisplaySpec::Terminal),
            "shiftreg" => parse_shiftreg(rest).map(DisplaySpec::ShiftRegister),
            _ => Err(SpecError(format!(
                "display {s:?}: expected graphiti:PATH, dotpad:PATH, pinarray:PATH, \
                 shiftreg:SPIDEV,latch=..,oe=..,size=WxH, png:FILE or term"
            ))),
        }
    }
}

/// The fields of a `shiftreg:` spec; the error quotes the part at fault.
fn parse_shiftreg(rest: &str) -> Result<ShiftRegisterSpec, SpecError> {
    let mut parts = rest.split(',');
    let spi = parts.next().filter(|p| !p.is_empty() && !p.contains('='));
    let spi = spi.ok_or_else(|| {
        SpecError("shiftreg: start with the spidev path, e.g. shiftreg:/dev/spidev0.0,...".into())
    })?;
    let (mut latch, mut oe, mut size, mut hz) = (None, None, None, 1_000_000);
    for part in parts {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| SpecError(format!("shiftreg: {part:?} is not KEY=VALUE")))?;
        match key {
            "latch" => latch = Some(value.parse()?),
            "oe" => oe = Some(value.parse()?),
            "size" => {
                let (w, h) = value
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| SpecError(format!("shiftreg: size {value:?} is not WxH")))?;
                size = Some((w, h));
            }
            "hz" => {
                hz = value
                    .parse()
                    .map_err(|_| SpecError(format!("shiftreg: hz {value:?} is not a number")))?
            }
            _ => {
                return Err(SpecError(format!(
                    "shiftreg: unknown key {key:?} (latch, oe, size, hz)"
                )))
            }
        }
    }
    Ok(ShiftRegisterSpec {
        spi: spi.to_string(),
        latch: latch.ok_or_else(|| SpecError("shiftreg: latch=LINE is missing".into()))?,
        output_enable: oe.ok_or_else(|| SpecError("shiftreg: oe=LINE is missing".into()))?,
        size: size.ok_or_else(|| SpecError("shiftreg: size=WxH is missing".into()))?,
        hz,
    })
}

/// Opens the display. `geometry` sizes the previews; devices report their own.
pub fn open_display(
    spec: &DisplaySpec,
    geometry: Geometry,
    policy: RetryPolicy,
) -> Result<Box<dyn PinDisplay>, DeviceError> {
    Ok(match spec {
        DisplaySpec::Graphiti(path) => Box::new(GraphitiLink::connect(
            open_serial(path, graphiti::BAUD)?,
            policy,
        )?),
        DisplaySpec::DotPad(path) => Box::new(DotPadLink::connect(
            open_serial(path, dotpad::BAUD)?,
            policy,
        )?),
        DisplaySpec::PinArray(path) => Box::new(PinArrayLink::connect(
            open_serial(path, pinarray::BAUD)?,
            policy,
        )?),
        DisplaySpec::Png(path) => Box::new(PngPreview::new(path, geometry)),
        DisplaySpec::Terminal => Box::new(TerminalPreview::new(std::io::stdout(), geometry)),
        DisplaySpec::ShiftRegister(spec) => open_shift_register(spec)?,
    })
}

#[cfg(feature = "cdev")]
fn open_shift_register(spec: &ShiftRegisterSpec) -> Result<Box<dyn PinDisplay>, DeviceError> {
    use super::hal::cdev;
    let array = super::shiftreg::ShiftRegisterArray::new(
        cdev::spi(&spec.spi, spec.hz)?,
        cdev::output(&spec.latch)?,
        cdev::output(&spec.output_enable)?,
        spec.size.0,
        spec.size.1,
    )?;
    Ok(Box::new(array))
}

#[cfg(not(feature = "cdev"))]
fn open_shift_register(_: &ShiftRegisterSpec) -> Result<Box<dyn PinDisplay>, DeviceError> {
    Err(DeviceError::Config(
        "shiftreg: this touchray was built without the `cdev` feature \
         (cargo build --release --features cdev)"
            .into(),
    ))
}

/// A serial port and what is known about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortInfo {
    /// Device path.
    pub path: String,
    /// USB vendor and product id, if it is a USB port.
    pub usb: Option<(u16, u16)>,
    /// The display recognised by its USB id.
    pub display: Option<DisplayKind>,
}

/// The display a USB id belongs to.
pub fn recognise(vid: u16, pid: u16) -> Option<DisplayKind> {
    if graphiti::USB_IDS.contains(&(vid, pid)) {
        Some(DisplayKind::Graphiti)
    } else if dotpad::USB_IDS.contains(&(vid, pid)) {
        Some(DisplayKind::DotPad)
    } else {
        None
    }
}

/// The table `touchray devices` prints: path, USB id and display, a port a
/// line.
pub fn ports_table(ports: &[PortInfo]) -> String {
    if ports.is_empty() {
        return "no serial ports\n".into();
    }
    let mut text = String::new();
    for p in ports {
        let usb = p
            .usb
            .map_or("-".to_string(), |(v, d)| format!("{v:04X}:{d:04X}"));
        let display = p.display.map_or("-", DisplayKind::name);
        text += &format!("{:<24} {:<10} {display}\n", p.path, usb);
    }
    text
}

/// The serial ports of this machine, USB displays recognised.
pub fn list_ports() -> Result<Vec<PortInfo>, DeviceError> {
    // serialport's sysfs scan panics when /sys/class/tty is missing
    // (containers); that is simply "no ports".
    if !Path::new("/sys/class/tty").is_dir() {
        return Ok(Vec::new());
    }
    let ports = serialport::available_ports().map_err(|e| DeviceError::io("/sys/class/tty", e))?;
    let mut out: Vec<PortInfo> = ports
        .into_iter()
        .map(|p| {
            let usb = match p.port_type {
                serialport::SerialPortType::UsbPort(u) => Some((u.vid, u.pid)),
                _ => None,
            };
            PortInfo {
                path: p.port_name,
                display: usb.and_then(|(v, p)| recognise(v, p)),
                usb,
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::hal::LineSpec;

    #[test]
    fn display_specs_parse() {
        assert_eq!(
            "graphiti:/dev/ttyACM0".parse(),
            Ok(DisplaySpec::Graphiti("/dev/ttyACM0".into()))
        );
        assert_eq!("term".parse(), Ok(DisplaySpec::Terminal));
        assert!("graphiti".parse::<DisplaySpec>().is_err());
        assert!("braille:/dev/x".parse::<DisplaySpec>().is_err());
        let spec: DisplaySpec = "shiftreg:/dev/spidev0.0,latch=gpiochip0:25,oe=GPIO24,size=16x8"
            .parse()
            .unwrap();
        assert_eq!(
            spec,
            DisplaySpec::ShiftRegister(ShiftRegisterSpec {
                spi: "/dev/spidev0.0".into(),
                latch: LineSpec::Chip {
                    chip: "gpiochip0".into(),
                    offset: 25
                },
                output_enable: LineSpec::Named("GPIO24".into()),
                size: (16, 8),
                hz: 1_000_000,
            })
        );
        let err = "shiftreg:/dev/spidev0.0,latch=gpiochip0:25,size=16x8"
            .parse::<DisplaySpec>()
            .unwrap_err();
        assert!(err.0.contains("oe=LINE is missing"), "{err}");
    }

    #[test]
    fn usb_ids_are_recognised() {
        assert_eq!(recognise(0x1FC9, 0x8217), Some(DisplayKind::Graphiti));
        assert_eq!(recognise(0x0483, 0xA366), Some(DisplayKind::Graphiti));
        assert_eq!(recognise(0x0403, 0x6010), Some(DisplayKind::DotPad));
        assert_eq!(recognise(0x0403, 0x6001), None);
    }
}
