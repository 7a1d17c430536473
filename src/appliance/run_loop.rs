//! The loop itself: a state machine (idle, loading, showing, error) over
//! button events, finished loads, media changes and the display coming and
//! going. Every press is ticked at once, acted on, queued while a scan
//! loads, or reported as ignored; none is dropped without a word.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::buttons::{Button, ButtonEvent, Buttons, KeyMap};
use super::display::ReconnectingDisplay;
use super::events::{Event, EventLog, State, Summary};
use super::inputs::{Keyboard, Script};
use super::loader::{FinishedLoad, Loader, PreparedScan};
use super::press::{Press, PressKind, PressTracker};
use super::scans::{ScanShelf, ShelfChange};
use super::signals::Signal;
use super::speaker::Speaker;
use super::Parts;
use crate::device::{HapticPlayer, Keys, Vibrator};
use crate::speech::{self, Fault};
use crate::tactile::cursor::Cursor;
use crate::tactile::layout::{Pan, View, Viewport};

/// Presses kept while a scan loads; more are reported as ignored.
pub const QUEUE_LIMIT: usize = 32;
/// How often the scan folder is listed again.
pub const MEDIA_POLL: Duration = Duration::from_millis(500);
/// Longest wait for input in one turn of the loop.
const TURN: Duration = Duration::from_millis(5);

/// A load under way: where it started and which way it skips bad files.
#[derive(Debug, Clone, Copy)]
struct Loading {
    index: usize,
    direction: isize,
    tried: usize,
}

/// The appliance between start-up and the end of its input.
pub struct Appliance {
    pub(super) display: ReconnectingDisplay,
    pub(super) motor: Option<Box<dyn Vibrator>>,
    pub(super) gpio: Option<Box<dyn Keys>>,
    pub(super) keymap: KeyMap,
    pub(super) script: Option<Script>,
    pub(super) keyboard: Option<Keyboard>,
    pub(super) tracker: PressTracker,
    pub(super) player: HapticPlayer,
    pub(super) shelf: ScanShelf,
    pub(super) loader: Loader,
    pub(super) events: EventLog,
    pub(super) state: State,
    loading: Option<Loading>,
    queue: VecDeque<Press>,
    pub(super) shown: Option<PreparedScan>,
    pub(super) view: View,
    pub(super) viewport: Viewport,
    next_media_poll: Instant,
    /// The signal last started.
    pub(super) playing: Option<Signal>,
    pub(super) speaker: Option<Speaker>,
    /// What was said about the scan shown, for the repeat press.
    pub(super) described: Option<String>,
    /// The cursor, where the user has put it out.
    pub(super) cursor: Option<Cursor>,
    pub(super) summary: Summary,
}

impl Appliance {
    /// An appliance in the idle state around its parts.
    pub(super) fn new(parts: Parts) -> Appliance {
        let Parts {
            display,
            motor,
            gpio,
            keymap,
            script,
            keyboard,
            tracker,
            shelf,
            loader,
            events,
            speaker,
        } = parts;
        Appliance {
            display,
            motor,
            gpio,
            keymap,
            script,
            keyboard,
            tracker,
            player: HapticPlayer::new(),
            shelf,
            loader,
            events,
            state: State::Idle,
            loading: None,
            queue: VecDeque::new(),
            shown: None,
            view: View::default(),
            viewport: Viewport::default(),
            next_media_poll: Instant::now() + MEDIA_POLL,
            playing: None,
            speaker,
            described: None,
            cursor: None,
            summary: Summary::default(),
        }
    }

    /// Runs until the script or keyboard is finished and everything asked
    /// has been done (forever with GPIO buttons alone).
    pub fn run(&mut self) -> Summary {
        loop {
            let now = Instant::now();
            for event in self.read_inputs(now) {
                self.button_event(event);
            }
            for press in self.tracker.poll(Instant::now()) {
                self.press(press);
            }
            while let Some(loaded) = self.loader.try_result() {
                self.load_finished(loaded);
            }
            if now >= self.next_media_poll {
                self.next_media_poll = now + MEDIA_POLL;
                self.check_media();
            }
            self.reconnect(now);
            let _ = self.haptics();
            if self.done() {
                break;
            }
        }
        self.events.emit(Event::Stopped);
        self.summary.clone()
    }

    fn idle(&self) -> bool {
        self.state != State::Loading && self.queue.is_empty()
    }

    fn done(&self) -> bool {
        let input_over = match (&self.script, &self.keyboard) {
            (Some(s), _) => s.finished(),
            (None, Some(k)) => k.finished(),
            (None, None) => false,
        };
        input_over && self.idle() && self.player.next_due().is_none()
    }

    /// Events from every source; waits up to one turn on the display's keys
    /// or the GPIO lines.
    fn read_inputs(&mut self, now: Instant) -> Vec<ButtonEvent> {
        let mut events = Vec::new();
        // A scripted person waits for the signal to end, too.
        let idle = self.idle() && self.player.next_due().is_none();
        if let Some(e) = self.script.as_mut().and_then(|s| s.next_event(now, idle)) {
            events.push(e);
        }
        if let Some(e) = self.keyboard.as_mut().and_then(|k| k.next_event(now)) {
            events.push(e);
        }
        let mut waited = false;
        if let Some(keys) = self.display.keys() {
            waited = true;
            match self.keymap.buttons(keys).next_event(TURN) {
                Ok(e) => events.extend(e),
                Err(e) => self.display_lost(e),
            }
        }
        if let Some(gpio) = self.gpio.as_mut() {
            let wait = if waited { Duration::ZERO } else { TURN };
            waited = true;
            match self.keymap.buttons(gpio.as_mut()).next_event(wait) {
                Ok(e) => events.extend(e),
                Err(e) => log::warn!("GPIO buttons: {e}"),
            }
        }
        if !waited && events.is_empty() {
            std::thread::sleep(TURN);
        }
        events
    }

    fn button_event(&mut self, event: ButtonEvent) {
        if event.pressed {
            // Heard, at once, whatever the press turns out to be.
            self.events.emit(Event::Down {
                button: event.button,
            });
            // Barge-in: whatever is being said is about to be stale.
            if let Some(speaker) = self.speaker.as_mut() {
                speaker.cut(&mut self.events);
            }
            // A verdict or error still playing is the answer already on
            // its way; a tick must not cut it short.
            if self.player.next_due().is_none() || self.playing == Some(Signal::Tick) {
                self.signal(Signal::Tick);
            }
        }
        if let Some(press) = self.tracker.event(event) {
            self.press(press);
        }
    }

    fn press(&mut self, press: Press) {
        let repeats = matches!(
            press.button,
            Button::ZoomIn
                | Button::ZoomOut
                | Button::PanUp
                | Button::PanDown
                | Button::PanLeft
                | Button::PanRight
        );
        if press.kind == PressKind::Repeat && !repeats {
            // Holding Next must not race through the stick.
            return;
        }
        self.summary.presses += 1;
        self.events.emit(Event::Press {
            button: press.button,
            kind: press.kind,
        });
        if self.state == State::Loading {
            let button = press.button;
            if self.queue.len() < QUEUE_LIMIT {
                self.queue.push_back(press);
                self.events.emit(Event::Queued { button });
            } else {
                self.events.emit(Event::Ignored {
                    button,
                    reason: "too many presses while loading",
                });
            }
            return;
        }
        self.act_on(press);
    }

    fn act_on(&mut self, press: Press) {
        let long = press.kind == PressKind::Long;
        match press.button {
            Button::Next if long => self.go_to_scan(self.shelf.len().checked_sub(1), -1),
            Button::Next => self.go_to_scan(self.shelf.step(1), 1),
            Button::Previous if long => self.go_to_scan((!self.shelf.is_empty()).then_some(0), 1),
            Button::Previous => self.go_to_scan(self.shelf.step(-1), -1),
            button => {
                if self.state != State::Showing {
                    self.events.emit(Event::Ignored {
                        button,
                        reason: "no scan shown",
                    });
                    return;
                }
                let has_cam = self.shown.as_ref().is_some_and(PreparedScan::has_cam);
                match button {
                    Button::ZoomIn => {
                        self.viewport.zoom_in();
                        self.follow_cursor(true);
                        self.say(&speech::zoom(self.viewport.zoom()));
                    }
                    Button::ZoomOut => {
                        self.viewport.zoom_out();
                        self.follow_cursor(false);
                        self.say(&speech::zoom(self.viewport.zoom()));
                    }
                    Button::PanUp => self.pan(Pan::Up),
                    Button::PanDown => self.pan(Pan::Down),
                    Button::PanLeft => self.pan(Pan::Left),
                    Button::PanRight => self.pan(Pan::Right),
                    Button::Cycle if long => {
                        self.view = View::default();
                        self.viewport = Viewport::default();
                        self.follow_cursor(false);
                        self.say_view();
                    }
                    Button::Cycle => {
                        self.view = self.view.next(has_cam);
                        self.say_view();
                    }
                    Button::Query if long => self.cursor_away(),
                    Button::Query => self.query(press.along),
                    // Held, repeat describes: for displays with few keys.
                    Button::Describe | Button::Repeat if long => self.describe(),
                    Button::Describe => self.describe(),
                    _ => {
                        let verdict = self.shown.as_ref().and_then(|s| s.finding);
                        if let Some(f) = verdict {
                            self.signal(Signal::for_verdict(f.verdict));
                        }
                        // Repeat says again what was said when the scan came up.
                        if let Some(text) = self.described.clone() {
                            self.say(&text);
                        }
                    }
                }
                self.show_current();
            }
        }
    }

    /// Starts loading scan `index`, skipping bad files in `direction`.
    fn go_to_scan(&mut self, index: Option<usize>, direction: isize) {
        match index {
            Some(index) => self.start_load(Loading {
                index,
                direction,
                tried: 0,
            }),
            None => self.no_scans(),
        }
    }

    fn start_load(&mut self, loading: Loading) {
        let Some(path) = self.shelf.path(loading.index) else {
            return self.no_scans();
        };
        self.loader.load(loading.index, path.to_path_buf());
        self.loading = Some(loading);
        self.set_state(State::Loading);
        self.events.emit(Event::Loading {
            index: loading.index + 1,
            of: self.shelf.len(),
        });
    }

    fn load_finished(&mut self, loaded: FinishedLoad) {
        let Some(loading) = self.loading.take() else {
            return;
        };
        let of = self.shelf.len();
        match loaded.result {
            Ok(prepared) => {
                self.shelf.set_current(loaded.index);
                if let Some(reason) = &prepared.no_verdict {
                    self.events.emit(Event::NoVerdict {
                        reason: reason.to_string(),
                    });
                }
                let verdict = prepared.finding.map(|f| f.verdict);
                let analysis = match (&prepared.finding, &prepared.no_verdict) {
                    (Some(f), _) => Some(Ok(*f)),
                    (None, Some(e)) => Some(Err(e)),
                    (None, None) => None,
                };
                let mut described = speech::describe(Some((loaded.index + 1, of)), analysis).text;
                // A scan that comes up without its anatomy says so (the
                // user asked for one picture and feels another), and one
                // with a lung's outline estimated says that.
                let screen = prepared.screen(self.view, Viewport::default());
                if screen.no_anatomy.is_some() || screen.estimated.is_some() {
                    described = format!("{described}; {}", speech::view(&screen));
                }
                self.shown = Some(prepared);
                self.viewport = Viewport::default();
                // A new film: the cursor pointed at the last one.
                self.cursor = None;
                self.set_state(State::Showing);
                self.show_current();
                if let Some(verdict) = verdict {
                    self.signal(Signal::for_verdict(verdict));
                }
                self.say(&described);
                self.described = Some(described);
            }
            Err(problem) => {
                self.summary.bad.insert(loaded.index + 1);
                self.events.emit(Event::BadScan {
                    index: loaded.index + 1,
                    of,
                    problem: problem.to_string(),
                });
                self.message(&format!("bad file {} of {of}", loaded.index + 1));
                self.say(&speech::fault(Fault::BadFile {
                    index: loaded.index + 1,
                    of,
                }));
                self.signal(Signal::Error);
                self.shown = None;
                self.shelf.set_current(loaded.index);
                let tried = loading.tried + 1;
                match self.shelf.step(loading.direction) {
                    Some(next) if tried < of => self.start_load(Loading {
                        index: next,
                        direction: loading.direction,
                        tried,
                    }),
                    _ => {
                        self.message("no readable scans");
                        self.set_state(State::Error);
                    }
                }
            }
        }
        while !self.queue.is_empty() && self.state != State::Loading {
            if let Some(press) = self.queue.pop_front() {
                self.act_on(press);
            }
        }
    }

    fn no_scans(&mut self) {
        self.shown = None;
        self.described = None;
        self.message("no scans");
        self.say(&speech::fault(Fault::NoScans));
        self.signal(Signal::Error);
        self.set_state(State::Error);
    }

    fn check_media(&mut self) {
        let change = self.shelf.refresh();
        if change == ShelfChange::Same {
            return;
        }
        self.events.emit(Event::Media {
            scans: self.shelf.len(),
        });
        match change {
            ShelfChange::Gone if self.state != State::Loading => self.no_scans(),
            ShelfChange::Arrived if self.state != State::Loading => self.go_to_scan(Some(0), 1),
            _ => {}
        }
    }

    fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state;
            self.events.emit(Event::State { state });
        }
    }
}
