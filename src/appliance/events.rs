//! What the appliance does, as events: each is logged (through `log`) and,
//! with `--json-events`, written as one JSON line. Scans are named by
//! their position on the medium, never by file name: names on a clinic's
//! stick often carry the patient's.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Instant;

use serde::Serialize;

use super::buttons::Button;
use super::press::PressKind;
use super::signals::Signal;
use crate::finding::Verdict;
use crate::tactile::place::Place;

/// The loop's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Nothing shown yet, or nothing to show.
    Idle,
    /// A scan is being read and analysed.
    Loading,
    /// A scan is on the display.
    Showing,
    /// A message about a fault is on the display.
    Error,
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A start-up check, passed or failed.
    SelfTest {
        /// `models`, `display` or `haptic`.
        check: &'static str,
        /// Whether it passed.
        ok: bool,
        /// What was found.
        detail: String,
    },
    /// The loop moved to another state.
    State {
        /// The new state.
        state: State,
    },
    /// A button went down (the tick is played at once).
    Down {
        /// The button that went down.
        button: Button,
    },
    /// A press counted.
    Press {
        /// The button pressed.
        button: Button,
        /// Short, long, or a repeat while held.
        kind: PressKind,
    },
    /// A press arrived while a scan was loading; it is acted on afterwards.
    Queued {
        /// The button pressed.
        button: Button,
    },
    /// A press that was not acted on, and why.
    Ignored {
        /// The button pressed.
        button: Button,
        /// Why nothing was done, in words.
        reason: &'static str,
    },
    /// Loading scan `index` (from 1) of `of` began.
    Loading {
        /// Position on the medium, from 1.
        index: usize,
        /// Scans on the medium.
        of: usize,
    },
    /// A frame went to the display.
    Shown {
        /// Position of the scan, from 1.
        index: usize,
        /// Scans on the medium.
        of: usize,
        /// The braille label on the frame.
        label: String,
        /// The classifier's call, if it gave one.
        verdict: Option<Verdict>,
    },
    /// A scan could not be loaded; it was announced and skipped.
    BadScan {
        /// Position on the medium, from 1.
        index: usize,
        /// Scans on the medium.
        of: usize,
        /// What was wrong with it (no file name).
        problem: String,
    },
    /// A braille message went to the display.
    Message {
        /// Its text.
        text: String,
    },
    /// A haptic pattern started.
    Haptic {
        /// The signal played.
        pattern: Signal,
    },
    /// The scan list changed.
    Media {
        /// Scans on the medium now.
        scans: usize,
    },
    /// The display stopped answering.
    DisplayLost {
        /// The error that lost it.
        error: String,
        /// Seconds to the next try.
        retry_in_s: f64,
    },
    /// The display is back and shows the current frame again.
    DisplayBack,
    /// The display reported an error of its own and carried on (Dot Pad
    /// error notification 0x9902); the frame was still shown.
    DisplayError {
        /// The device's code.
        code: u8,
        /// What the code means.
        meaning: &'static str,
    },
    /// The classifier failed on a scan: relief without verdict.
    NoVerdict {
        /// The classifier's error.
        reason: String,
    },
    /// Words went to the voice.
    Speech {
        /// What was said.
        text: String,
    },
    /// A press or newer words cut speech short (barge-in).
    SpeechCut {
        /// What was being said.
        text: String,
    },
    /// A query: where the cursor is and what lies under it.
    Query {
        /// The cursor's pin column on the display, from 0.
        column: i32,
        /// Its pin row, from 0.
        row: i32,
        /// What lies there.
        place: Place,
    },
    /// The cursor was put away.
    CursorAway,
    /// The loop ended (the script or keyboard finished).
    Stopped,
}

impl Event {
    fn level(&self) -> log::Level {
        match self {
            Event::SelfTest { ok: false, .. }
            | Event::BadScan { .. }
            | Event::DisplayLost { .. }
            | Event::DisplayError { .. }
            | Event::NoVerdict { .. } => log::Level::Warn,
            Event::Down { .. } | Event::Haptic { .. } | Event::State { .. } => log::Level::Debug,
            _ => log::Level::Info,
        }
    }
}

/// Where events go.
pub struct EventLog {
    json: Option<Box<dyn Write + Send>>,
    started: Instant,
    written: u64,
}

impl EventLog {
    /// Logs events, and writes them as JSON lines to `json` if given.
    pub fn new(json: Option<Box<dyn Write + Send>>) -> EventLog {
        EventLog {
            json,
            started: Instant::now(),
            written: 0,
        }
    }

    /// Records `event`. A JSON sink that fails is dropped with a warning:
    /// debugging output must never stop the appliance.
    pub fn emit(&mut self, event: Event) {
        let text = serde_json::to_string(&event).unwrap_or_default();
        log::log!(event.level(), "{text}");
        if let Some(out) = self.json.as_mut() {
            let line = serde_json::json!({
                "t_ms": self.started.elapsed().as_millis() as u64,
                "n": self.written,
            });
            let mut line = line.to_string();
            // {"t_ms":..,"n":..} + the event's own fields, one object.
            line.pop();
            line.push(',');
            line.push_str(text.trim_start_matches('{'));
            let result = writeln!(out, "{line}").and_then(|()| out.flush());
            if let Err(e) = result {
                log::warn!("--json-events: {e}; no more events written");
                self.json = None;
            }
        }
        self.written += 1;
    }
}

/// What a run did, for the closing line and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Presses that counted (short, long and repeat).
    pub presses: u64,
    /// Positions (from 1) of the scans shown.
    pub shown: BTreeSet<usize>,
    /// Positions (from 1) of the scans announced as bad.
    pub bad: BTreeSet<usize>,
    /// Times the display was lost.
    pub display_lost: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped after {} presses: {} scans shown, {} announced as bad, display lost {} times",
            self.presses,
            self.shown.len(),
            self.bad.len(),
            self.display_lost
        )
    }
}
