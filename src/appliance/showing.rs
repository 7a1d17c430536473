//! What the appliance puts on the display, and the display going away
//! and coming back: the scan on show, braille messages, the display's own
//! faults, reconnection.

use std::time::Instant;

use super::display::Reconnect;
use super::events::Event;
use super::run_loop::Appliance;
use crate::device::DeviceError;
use crate::speech::{self, Fault};
use crate::tactile::braille::{line_bytes, message_frame};

impl Appliance {
    /// Shows the scan on show as the screen stands: its frame, and its
    /// label or the place under the cursor on the braille line.
    pub(super) fn show_current(&mut self) {
        let Some(screen) = self.current_screen() else {
            return;
        };
        let Some(prepared) = &self.shown else { return };
        let frame = prepared.frame_of(&screen, self.display.geometry());
        let label = screen.label();
        let line = line_bytes(&self.line_text(&screen));
        let verdict = prepared.finding.map(|f| f.verdict);
        let index = self.shelf.current().map_or(0, |i| i + 1);
        let shown = self.display.show(frame, line);
        self.report_display_faults();
        match shown {
            Ok(()) => {
                self.summary.shown.insert(index);
                self.events.emit(Event::Shown {
                    index,
                    of: self.shelf.len(),
                    label,
                    verdict,
                });
            }
            Err(e) => self.display_lost(e),
        }
    }

    /// Emits the errors the display reported of its own while showing.
    fn report_display_faults(&mut self) {
        for fault in self.display.take_faults() {
            self.events.emit(Event::DisplayError {
                code: fault.code,
                meaning: fault.meaning,
            });
        }
    }

    /// Puts a braille message on the display.
    pub(super) fn message(&mut self, text: &str) {
        self.events.emit(Event::Message { text: text.into() });
        let frame = message_frame(text, self.display.geometry());
        // The message on the braille line too, where there is one.
        let line = line_bytes(text);
        if let Err(e) = self.display.show(frame, line) {
            self.display_lost(e);
        }
    }

    /// Takes the display for lost: counts it, says so, and starts
    /// reconnecting.
    pub(super) fn display_lost(&mut self, error: DeviceError) {
        self.summary.display_lost += 1;
        let error = self.display.lose(error);
        self.events.emit(Event::DisplayLost {
            error: error.to_string(),
            retry_in_s: self.display.retry_in().as_secs_f64(),
        });
        self.say(&speech::fault(Fault::DisplayLost));
    }

    /// Tries the display again when it is away and a try is due.
    pub(super) fn reconnect(&mut self, now: Instant) {
        match self.display.poll(now) {
            Reconnect::Nothing => {}
            Reconnect::Back => {
                self.events.emit(Event::DisplayBack);
                self.say(&speech::fault(Fault::DisplayBack));
            }
            Reconnect::Failed(e, wait) => log::debug!(
                "display still away ({e}); next try in {:.1} s",
                wait.as_secs_f64()
            ),
        }
    }
}
