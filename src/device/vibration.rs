//! A vibration motor (through a transistor) on one GPIO pin, as a
//! [`Haptic`] (timed by a delay) and a [`Vibrator`] (timed by its caller).

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;

use std::time::Duration;

use super::{DeviceError, Haptic, Pattern, Vibrator};

/// A motor that runs while its pin is high.
#[derive(Debug)]
pub struct VibrationMotor<P, D> {
    pin: P,
    delay: D,
}

impl<P: OutputPin, D: DelayNs> VibrationMotor<P, D> {
    /// A motor on `pin`, timed by `delay`; the motor starts off.
    pub fn new(mut pin: P, delay: D) -> Result<Self, DeviceError> {
        pin.set_low().map_err(motor_error)?;
        Ok(VibrationMotor { pin, delay })
    }
}

fn motor_error(e: impl std::fmt::Debug) -> DeviceError {
    DeviceError::hardware("vibration motor pin", e)
}

impl<P: OutputPin, D: DelayNs> Haptic for VibrationMotor<P, D> {
    fn play(&mut self, pattern: &Pattern) -> Result<(), DeviceError> {
        for pulse in &pattern.pulses {
            self.start(pulse.on)?;
            self.delay.delay_ms(pulse.on.as_millis() as u32);
            // Off even if the delay misbehaved: a motor left running is worse
            // than a short pulse.
            self.stop()?;
            self.delay.delay_ms(pulse.off.as_millis() as u32);
        }
        Ok(())
    }
}

impl<P: OutputPin, D> Vibrator for VibrationMotor<P, D> {
    fn start(&mut self, _on: Duration) -> Result<(), DeviceError> {
        self.pin.set_high().map_err(motor_error)
    }
    fn stop(&mut self) -> Result<(), DeviceError> {
        self.pin.set_low().map_err(motor_error)
    }
}

/// A [`DelayNs`] that sleeps the thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadDelay;

impl DelayNs for ThreadDelay {
    fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(std::time::Duration::from_nanos(u64::from(ns)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::convert::Infallible;
    use std::rc::Rc;

    /// Milliseconds since the start, and the pin's edges as (ms, level).
    type Edges = (u32, Vec<(u32, bool)>);

    /// A pin and a clock that write a timeline of edges.
    #[derive(Clone, Default)]
    struct Timeline(Rc<RefCell<Edges>>);

    impl embedded_hal::digital::ErrorType for Timeline {
        type Error = Infallible;
    }
    impl OutputPin for Timeline {
        fn set_low(&mut self) -> Result<(), Infallible> {
            let mut t = self.0.borrow_mut();
            let now = t.0;
            t.1.push((now, false));
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            let mut t = self.0.borrow_mut();
            let now = t.0;
            t.1.push((now, true));
            Ok(())
        }
    }
    impl DelayNs for Timeline {
        fn delay_ns(&mut self, ns: u32) {
            self.0.borrow_mut().0 += ns / 1_000_000;
        }
        fn delay_ms(&mut self, ms: u32) {
            self.0.borrow_mut().0 += ms;
        }
    }

    #[test]
    fn three_long_pulses_are_three_long_edges_on_the_pin() {
        let t = Timeline::default();
        let mut motor = VibrationMotor::new(t.clone(), t.clone()).unwrap();
        motor
            .play(&Pattern::from_millis(&[(400, 200), (400, 200), (400, 0)]))
            .unwrap();
        let edges: Vec<(u32, bool)> = t.0.borrow().1.clone();
        assert_eq!(
            edges,
            vec![
                (0, false),
                (0, true),
                (400, false),
                (600, true),
                (1000, false),
                (1200, true),
                (1600, false),
            ]
        );
    }
}
