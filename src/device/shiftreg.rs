//! Solenoid pin arrays on chains of 74HC595 / TPIC6B595 shift registers,
//! one bit per pin, through an embedded-hal 1.0 [`SpiDevice`] plus a latch
//! (RCLK) and an active-low output-enable (/OE) pin.
//!
//! Bit order (see board/shiftreg.md for the wiring): pin `i` (row-major,
//! top-left first) is output `Q(i mod 8)` of register `i / 8`, register 0
//! being the one whose serial input is wired to the controller's MOSI.
//! Bytes go out MSB first (SPI mode 0), farthest register first, so that
//! after the last clock every byte sits in its register; then the latch
//! rises and all pins change at once.

use embedded_hal::digital::OutputPin;
use embedded_hal::spi::SpiDevice;

use super::{check_geometry, DeviceError, PinDisplay};
use crate::tactile::{Geometry, PinFrame};

/// A chain of shift registers driving one solenoid per pin.
#[derive(Debug)]
pub struct ShiftRegisterArray<S, P> {
    spi: S,
    latch: P,
    output_enable: P,
    geometry: Geometry,
}

fn hw(what: &str, e: impl std::fmt::Debug) -> DeviceError {
    DeviceError::hardware(format!("shift registers: {what}"), e)
}

/// The bytes clocked out for `frame`, in sending order: farthest register
/// first, bit `j` of register `k`'s byte = pin `8k + j` raised.
pub fn chain_bytes(frame: &PinFrame) -> Vec<u8> {
    let registers = frame.geometry().pins().div_ceil(8);
    let mut bytes = vec![0u8; registers];
    for (i, &h) in frame.heights().iter().enumerate() {
        if h > 0 {
            bytes[i / 8] |= 1 << (i % 8);
        }
    }
    bytes.reverse();
    bytes
}

impl<S: SpiDevice, P: OutputPin> ShiftRegisterArray<S, P> {
    /// A chain for a binary display of `width x height` pins. Outputs stay
    /// disabled until the registers hold a cleared frame, so no solenoid
    /// fires on the random power-up state of the registers.
    pub fn new(
        spi: S,
        mut latch: P,
        mut output_enable: P,
        width: u32,
        height: u32,
    ) -> Result<Self, DeviceError> {
        let geometry =
            Geometry::new(width, height, 2).map_err(|e| DeviceError::Config(e.to_string()))?;
        output_enable.set_high().map_err(|e| hw("/OE", e))?;
        latch.set_low().map_err(|e| hw("latch", e))?;
        let mut array = ShiftRegisterArray {
            spi,
            latch,
            output_enable,
            geometry,
        };
        array.clock_out(&PinFrame::flat(geometry))?;
        array.output_enable.set_low().map_err(|e| hw("/OE", e))?;
        Ok(array)
    }

    fn clock_out(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        self.spi
            .write(&chain_bytes(frame))
            .map_err(|e| hw("SPI write", e))?;
        self.latch.set_high().map_err(|e| hw("latch", e))?;
        self.latch.set_low().map_err(|e| hw("latch", e))
    }

    /// Gives the bus and pins back, outputs disabled.
    pub fn release(mut self) -> (S, P, P) {
        let _ = self.output_enable.set_high();
        (self.spi, self.latch, self.output_enable)
    }
}

impl<S: SpiDevice, P: OutputPin> PinDisplay for ShiftRegisterArray<S, P> {
    fn geometry(&self) -> Geometry {
        self.geometry
    }

    fn show(&mut self, frame: &PinFrame) -> Result<(), DeviceError> {
        check_geometry(self.geometry, frame)?;
        self.clock_out(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::prelude::Point;
    use embedded_hal::spi::{ErrorType, Operation};
    use std::cell::RefCell;
    use std::convert::Infallible;
    use std::rc::Rc;

    /// A model of a 595 chain: bits shift in at register 0's serial input,
    /// MSB first; Q7 of each register feeds the next register's input; a
    /// rising latch copies the shift stages to the outputs.
    #[derive(Default)]
    struct Chain {
        shift: Vec<bool>,
        outputs: Vec<bool>,
        enabled: bool,
        latched_while_disabled: usize,
    }

    #[derive(Clone)]
    struct Bus(Rc<RefCell<Chain>>);
    #[derive(Clone)]
    struct Pin(Rc<RefCell<Chain>>, bool, bool);

    impl ErrorType for Bus {
        type Error = Infallible;
    }
    impl SpiDevice for Bus {
        fn transaction(&mut self, ops: &mut [Operation<'_, u8>]) -> Result<(), Infallible> {
            let mut chain = self.0.borrow_mut();
            for op in ops {
                if let Operation::Write(bytes) = op {
                    for &byte in bytes.iter() {
                        for bit in (0..8).rev() {
                            // Stage 0 is Q0 of register 0; a clock moves every
                            // stage one place along the chain.
                            chain.shift.pop();
                            chain.shift.insert(0, byte & (1 << bit) != 0);
                        }
                    }
                }
            }
            Ok(())
        }
    }
    impl embedded_hal::digital::ErrorType for Pin {
        type Error = Infallible;
    }
    impl OutputPin for Pin {
        fn set_low(&mut self) -> Result<(), Infallible> {
            let mut chain = self.0.borrow_mut();
            if !self.1 {
                chain.enabled = true; // /OE is active low
            }
            self.2 = false;
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            let mut chain = self.0.borrow_mut();
            if self.1 && !self.2 {
                // Latch rising edge.
                chain.outputs = chain.shift.clone();
                if !chain.enabled {
                    chain.latched_while_disabled += 1;
                }
            } else if !self.1 {
                chain.enabled = false;
            }
            self.2 = true;
            Ok(())
        }
    }

    /// A 595's serial input feeds its Q0 stage and each clock moves Q0 ->
    /// Q1 .. Q7 -> the next register's Q0, so model stage `s` is output
    /// `Q(s mod 8)` of register `s / 8`: exactly pin `s` if the driver
    /// keeps its documented order.
    fn pins(chain: &Chain) -> Vec<bool> {
        chain.outputs.clone()
    }

    #[test]
    fn the_chain_rebuilds_the_frame_from_clocked_bits() {
        let g = Geometry::new(12, 6, 2).unwrap(); // 72 pins, 9 registers
        let state = Rc::new(RefCell::new(Chain {
            shift: vec![true; 72], // power-up garbage
            ..Chain::default()
        }));
        let mut array = ShiftRegisterArray::new(
            Bus(state.clone()),
            Pin(state.clone(), true, false),
            Pin(state.clone(), false, true),
            12,
            6,
        )
        .unwrap();
        assert!(state.borrow().enabled);
        assert_eq!(
            state.borrow().latched_while_disabled,
            1,
            "cleared before enabling"
        );
        assert!(pins(&state.borrow()).iter().all(|&p| !p));

        let mut frame = PinFrame::flat(g);
        for (x, y) in [(0, 0), (7, 0), (8, 0), (11, 5), (3, 2)] {
            frame.set(Point::new(x, y), 1);
        }
        array.show(&frame).unwrap();
        let want: Vec<bool> = frame.heights().iter().map(|&h| h > 0).collect();
        assert_eq!(pins(&state.borrow()), want);
        let (_, _, _) = array.release();
        assert!(!state.borrow().enabled, "outputs off when released");
    }
}
