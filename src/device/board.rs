//! Board backends: GPIO lines and SPI buses of a real board as embedded-hal
//! 1.0 parts. `cdev` (Linux GPIO character device + spidev) works on the
//! Raspberry Pi, the Jetson and any Linux board; `rpi` (rppal) is the
//! Raspberry Pi's own peripheral access. Both are cargo features; without
//! them the opening functions say so.

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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.rsplit_once(':') {
            Some((chip, offset)) => Ok(LineSpec::Chip {
                chip: chip.to_string(),
                offset: offset
                    .parse()
                    .map_err(|_| format!("GPIO line {s:?}: offset {offset:?} is not a number"))?,
            }),
            None if !s.is_empty() => Ok(LineSpec::Named(s.to_string())),
            None => Err("empty GPIO line".to_string()),
        }
    }
}

/// The Linux GPIO character device and spidev.
#[cfg(feature = "cdev")]
pub mod cdev {
    use std::path::PathBuf;

    use gpiocdev::line::Value;
    use gpiocdev::Request;

    use super::LineSpec;
    use crate::device::DeviceError;

    fn error(what: String, e: impl std::fmt::Display) -> DeviceError {
        DeviceError::io(what, std::io::Error::other(e.to_string()))
    }

    /// One output line, requested for touchray alone.
    #[derive(Debug)]
    pub struct CdevOutput {
        request: Request,
        offset: u32,
    }

    /// Requests `line` as an output, initially low.
    pub fn output(line: &LineSpec) -> Result<CdevOutput, DeviceError> {
        let (chip, offset) = match line {
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
        };
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

/// The Raspberry Pi's GPIO and SPI through rppal.
#[cfg(feature = "rpi")]
pub mod rpi {
    use crate::device::DeviceError;

    /// BCM GPIO `pin` as an output, initially low.
    pub fn output(pin: u8) -> Result<rppal::gpio::OutputPin, DeviceError> {
        rppal::gpio::Gpio::new()
            .and_then(|g| g.get(pin))
            .map(|p| p.into_output_low())
            .map_err(|e| DeviceError::io(format!("BCM GPIO {pin}"), std::io::Error::other(e)))
    }

    /// SPI0 with chip select `ss` in mode 0 at `hz`, as an embedded-hal `SpiDevice`.
    pub fn spi(ss: u8, hz: u32) -> Result<rppal::spi::SimpleHalSpiDevice, DeviceError> {
        use rppal::spi::{Bus, Mode, SlaveSelect, Spi};
        let ss = match ss {
            0 => SlaveSelect::Ss0,
            1 => SlaveSelect::Ss1,
            _ => return Err(DeviceError::Config(format!("SPI0 has no chip select {ss}"))),
        };
        Spi::new(Bus::Spi0, ss, hz, Mode::Mode0)
            .map(rppal::spi::SimpleHalSpiDevice::new)
            .map_err(|e| DeviceError::io("SPI0", std::io::Error::other(e)))
    }
}
