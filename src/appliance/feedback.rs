//! How the appliance answers besides the pins: haptic signals on the
//! motor or the display's vibrator, and speech.

use std::time::Instant;

use super::events::Event;
use super::run_loop::Appliance;
use super::signals::Signal;
use crate::speech;

impl Appliance {
    /// Speaks `text` (cutting what was being said), where there is a voice.
    pub(super) fn say(&mut self, text: &str) {
        if let Some(speaker) = self.speaker.as_mut() {
            speaker.say(text, &mut self.events);
        }
    }

    /// Says the view now on show (and why the relief stands in for the
    /// anatomy, where it does).
    pub(super) fn say_view(&mut self) {
        let screen = match &self.shown {
            Some(prepared) => prepared.screen(self.view, self.viewport),
            None => return,
        };
        self.say(&speech::view(&screen));
    }

    /// Starts `signal` (cutting short the one playing) on the motor, or
    /// else the display's own vibrator.
    pub(super) fn signal(&mut self, signal: Signal) {
        self.events.emit(Event::Haptic { pattern: signal });
        let pattern = signal.pattern();
        let longest = match (&self.motor, self.display.vibrator()) {
            (Some(m), _) => m.longest(),
            (None, Some(v)) => v.longest(),
            (None, None) => None,
        };
        self.player.play(&pattern, Instant::now(), longest);
        self.playing = Some(signal);
        // Failures are logged and handled inside; the loop goes on.
        let _ = self.haptics();
    }

    /// Switches the vibrator for every step due; the error's text if the
    /// vibrator failed.
    pub(super) fn haptics(&mut self) -> Option<String> {
        let now = Instant::now();
        let result = match (self.motor.as_mut(), self.display.vibrator()) {
            (Some(motor), _) => self.player.poll(now, motor.as_mut()),
            (None, Some(v)) => self.player.poll(now, v),
            (None, None) => {
                self.player.clear();
                Ok(())
            }
        };
        let error = result.err()?;
        let text = error.to_string();
        if self.motor.is_some() {
            log::warn!("vibration motor: {text}");
            self.player.clear();
        } else {
            self.display_lost(error);
        }
        Some(text)
    }
}
