//! Haptic rhythms: a [`Pattern`] is a sequence of vibration pulses, played
//! by whatever [`Haptic`] the board has (a motor on a GPIO pin, or the
//! display's own vibrator). What a rhythm means is the appliance's business
//! (`appliance::signals`); here it is only pulses.

use std::time::{Duration, Instant};

use super::DeviceError;

/// One buzz and the quiet after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pulse {
    /// Motor on.
    pub on: Duration,
    /// Motor off afterwards.
    pub off: Duration,
}

/// A rhythm of pulses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pulses, in order.
    pub pulses: Vec<Pulse>,
}

impl Pattern {
    /// A pattern from (on, off) pairs in milliseconds.
    pub fn from_millis(pulses: &[(u64, u64)]) -> Pattern {
        Pattern {
            pulses: pulses
                .iter()
                .map(|&(on, off)| Pulse {
                    on: Duration::from_millis(on),
                    off: Duration::from_millis(off),
                })
                .collect(),
        }
    }

    /// How long the pattern takes.
    pub fn duration(&self) -> Duration {
        self.pulses.iter().map(|p| p.on + p.off).sum()
    }
}

/// Something that can vibrate.
pub trait Haptic {
    /// Plays `pattern`; returns when it has finished.
    fn play(&mut self, pattern: &Pattern) -> Result<(), DeviceError>;
}

/// A vibrator switched on and off by its caller, so that an event loop can
/// play a pattern pulse by pulse without waiting through it.
pub trait Vibrator {
    /// The longest buzz one [`Vibrator::start`] can give, for devices that
    /// time the buzz themselves; `None` when it runs until [`Vibrator::stop`].
    fn longest(&self) -> Option<Duration> {
        None
    }
    /// Starts a buzz meant to last `on`.
    fn start(&mut self, on: Duration) -> Result<(), DeviceError>;
    /// Ends the buzz (nothing to do where the device times it).
    fn stop(&mut self) -> Result<(), DeviceError>;
}

/// Plays patterns on a [`Vibrator`] from an event loop: [`HapticPlayer::play`]
/// schedules a pattern (cutting short the one playing), and
/// [`HapticPlayer::poll`] switches the vibrator whenever a step falls due.
#[derive(Debug, Default)]
pub struct HapticPlayer {
    /// Steps still to do: when, and a buzz length (start) or `None` (stop).
    steps: std::collections::VecDeque<(Instant, Option<Duration>)>,
    buzzing: bool,
}

impl HapticPlayer {
    /// An idle player.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `pattern` from `now`, pulses longer than the vibrator's
    /// longest buzz split into back-to-back buzzes.
    pub fn play(&mut self, pattern: &Pattern, now: Instant, longest: Option<Duration>) {
        self.steps.clear();
        let mut at = now;
        for pulse in &pattern.pulses {
            let mut left = pulse.on;
            while !left.is_zero() {
                let on = longest.map_or(left, |l| left.min(l));
                self.steps.push_back((at, Some(on)));
                at += on;
                left -= on;
            }
            self.steps.push_back((at, None));
            at += pulse.off;
        }
    }

    /// Does every step due by `now`, in order, however late the call.
    pub fn poll(&mut self, now: Instant, vibrator: &mut dyn Vibrator) -> Result<(), DeviceError> {
        while let Some(&(at, step)) = self.steps.front() {
            if at > now {
                break;
            }
            self.steps.pop_front();
            match step {
                Some(on) => {
                    self.buzzing = true;
                    vibrator.start(on)?;
                }
                None if self.buzzing => {
                    self.buzzing = false;
                    vibrator.stop()?;
                }
                None => {}
            }
        }
        Ok(())
    }

    /// When the next step falls due, if any is left.
    pub fn next_due(&self) -> Option<Instant> {
        self.steps.front().map(|s| s.0)
    }

    /// Drops what is left (after the vibrator went away).
    pub fn clear(&mut self) {
        self.steps.clear();
        self.buzzing = false;
    }
}

/// Plays `pattern` on `vibrator`, returning when it has finished: the
/// [`Haptic`] of every [`Vibrator`].
pub fn play_blocking(vibrator: &mut dyn Vibrator, pattern: &Pattern) -> Result<(), DeviceError> {
    let mut player = HapticPlayer::new();
    let longest = vibrator.longest();
    player.play(pattern, Instant::now(), longest);
    while let Some(due) = player.next_due() {
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        player.poll(Instant::now(), vibrator)?;
    }
    // The quiet after the last pulse belongs to the pattern too.
    std::thread::sleep(pattern.pulses.last().map_or(Duration::ZERO, |p| p.off));
    Ok(())
}

impl<T: Haptic + ?Sized> Haptic for Box<T> {
    fn play(&mut self, pattern: &Pattern) -> Result<(), DeviceError> {
        (**self).play(pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records (ms since start, buzz length or stop).
    #[derive(Default)]
    struct Log(Vec<(u64, Option<u64>)>, Option<Instant>);
    impl Vibrator for Log {
        fn longest(&self) -> Option<Duration> {
            Some(Duration::from_millis(1000))
        }
        fn start(&mut self, on: Duration) -> Result<(), DeviceError> {
            let t = self.1.unwrap().elapsed().as_millis() as u64;
            self.0.push((t, Some(on.as_millis() as u64)));
            Ok(())
        }
        fn stop(&mut self) -> Result<(), DeviceError> {
            let t = self.1.unwrap().elapsed().as_millis() as u64;
            self.0.push((t, None));
            Ok(())
        }
    }

    #[test]
    fn the_player_steps_through_a_pattern_and_splits_long_buzzes() {
        let t0 = Instant::now();
        let mut log = Log(Vec::new(), Some(t0));
        let mut player = HapticPlayer::new();
        player.play(&Pattern::from_millis(&[(1500, 0)]), t0, log.longest());
        // Polled as if time jumped: steps keep their order, none is lost.
        let ms = |m| t0 + Duration::from_millis(m);
        player.poll(ms(0), &mut log).unwrap();
        assert_eq!(log.0.len(), 1);
        assert_eq!(log.0[0].1, Some(1000));
        player.poll(ms(1000), &mut log).unwrap();
        assert_eq!(log.0[1].1, Some(500));
        assert_eq!(player.next_due(), Some(ms(1500)));
        player.poll(ms(1500), &mut log).unwrap();
        assert_eq!(log.0[2].1, None);
        assert_eq!(player.next_due(), None);
        // A new pattern cuts the old one short; the motor is stopped first.
        player.play(
            &Pattern::from_millis(&[(400, 200), (400, 0)]),
            ms(2000),
            None,
        );
        player.poll(ms(2000), &mut log).unwrap();
        player.play(&Pattern::from_millis(&[(40, 0)]), ms(2100), None);
        player.poll(ms(2200), &mut log).unwrap();
        let tail: Vec<Option<u64>> = log.0[3..].iter().map(|e| e.1).collect();
        assert_eq!(tail, vec![Some(400), Some(40), None]);
    }
}
