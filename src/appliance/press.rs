//! Short, long and repeated presses from raw down/up events, by their
//! timestamps alone: the same machine serves GPIO buttons (kernel-timed
//! edges), a display's keys and a script, and is tested with synthetic
//! events.
//!
//! A release before [`PressTimings::long`] is a short press. Holding past
//! it gives one long press, then a repeat every [`PressTimings::repeat_every`]
//! until release (the release itself then gives nothing).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::buttons::{Button, ButtonEvent};

/// When a hold becomes a long press, and how fast a held button repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PressTimings {
    /// Hold this long for a long press.
    pub long: Duration,
    /// After the long press, one repeat per this much holding.
    pub repeat_every: Duration,
}

impl Default for PressTimings {
    fn default() -> Self {
        PressTimings {
            long: Duration::from_millis(800),
            repeat_every: Duration::from_millis(250),
        }
    }
}

/// How a button was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PressKind {
    /// Down and up within the long-press time.
    Short,
    /// Held for the long-press time.
    Long,
    /// Still held, one repeat period later.
    Repeat,
}

/// One press, as the appliance acts on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Press {
    /// Which button.
    pub button: Button,
    /// Short, long or repeat.
    pub kind: PressKind,
    /// When the press counted (release for short, hold time for the others).
    pub at: Instant,
    /// Where along the display the key lies, for a row of keys (see
    /// [`ButtonEvent::along`]).
    pub along: Option<f32>,
}

/// The press state machine: [`PressTracker::event`] for each raw event,
/// [`PressTracker::poll`] as time passes.
#[derive(Debug, Default)]
pub struct PressTracker {
    timings: PressTimings,
    /// Buttons down: when the next long/repeat press falls due, whether
    /// the long press has been given, and where along the display the key is.
    held: HashMap<Button, (Instant, bool, Option<f32>)>,
}

impl PressTracker {
    /// A tracker with `timings`.
    pub fn new(timings: PressTimings) -> Self {
        PressTracker {
            timings,
            held: HashMap::new(),
        }
    }

    /// Takes a raw event; a release within the long-press time gives the
    /// short press. A second down without an up, or an up without a down
    /// (bounce the kernel let through, a lost event), gives nothing.
    pub fn event(&mut self, event: ButtonEvent) -> Option<Press> {
        if event.pressed {
            self.held.entry(event.button).or_insert((
                event.at + self.timings.long,
                false,
                event.along,
            ));
            return None;
        }
        let (_, long_given, along) = self.held.remove(&event.button)?;
        (!long_given).then_some(Press {
            button: event.button,
            kind: PressKind::Short,
            at: event.at,
            along: along.or(event.along),
        })
    }

    /// The long and repeat presses due by `now`, oldest first.
    pub fn poll(&mut self, now: Instant) -> Vec<Press> {
        let mut due = Vec::new();
        for (&button, (next, long_given, along)) in self.held.iter_mut() {
            while *next <= now {
                let kind = if *long_given {
                    PressKind::Repeat
                } else {
                    PressKind::Long
                };
                due.push(Press {
                    button,
                    kind,
                    at: *next,
                    along: *along,
                });
                *long_given = true;
                *next += self.timings.repeat_every;
            }
        }
        due.sort_by_key(|p| p.at);
        due
    }

    /// When the next long or repeat press falls due, if a button is down.
    pub fn next_due(&self) -> Option<Instant> {
        self.held.values().map(|h| h.0).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    fn ev(t0: Instant, button: Button, pressed: bool, ms: u64) -> ButtonEvent {
        ButtonEvent {
            button,
            pressed,
            at: at(t0, ms),
            along: None,
        }
    }

    fn kinds(presses: &[Press]) -> Vec<PressKind> {
        presses.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn a_quick_press_is_short() {
        let t0 = Instant::now();
        let mut t = PressTracker::new(PressTimings::default());
        assert_eq!(t.event(ev(t0, Button::Next, true, 0)), None);
        assert!(t.poll(at(t0, 100)).is_empty());
        let p = t.event(ev(t0, Button::Next, false, 120)).unwrap();
        assert_eq!(
            (p.button, p.kind, p.at),
            (Button::Next, PressKind::Short, at(t0, 120))
        );
        assert!(t.poll(at(t0, 5000)).is_empty(), "nothing after release");
        assert_eq!(t.next_due(), None);
    }

    #[test]
    fn a_hold_is_long_then_repeats_and_the_release_adds_nothing() {
        let t0 = Instant::now();
        let mut t = PressTracker::new(PressTimings {
            long: Duration::from_millis(800),
            repeat_every: Duration::from_millis(250),
        });
        t.event(ev(t0, Button::ZoomIn, true, 0));
        assert_eq!(t.next_due(), Some(at(t0, 800)));
        assert!(t.poll(at(t0, 799)).is_empty());
        assert_eq!(kinds(&t.poll(at(t0, 800))), vec![PressKind::Long]);
        // Polled late: every repeat that fell due, each at its own time.
        let late = t.poll(at(t0, 1560));
        assert_eq!(kinds(&late), vec![PressKind::Repeat; 3]);
        assert_eq!(late[2].at, at(t0, 1550));
        assert_eq!(t.event(ev(t0, Button::ZoomIn, false, 1600)), None);
        assert!(t.poll(at(t0, 9000)).is_empty());
    }

    #[test]
    fn buttons_are_tracked_apart_and_stray_edges_ignored() {
        let t0 = Instant::now();
        let mut t = PressTracker::new(PressTimings::default());
        assert_eq!(
            t.event(ev(t0, Button::Cycle, false, 0)),
            None,
            "up without down"
        );
        t.event(ev(t0, Button::PanLeft, true, 0));
        t.event(ev(t0, Button::Cycle, true, 700));
        // A repeated down does not restart the hold.
        t.event(ev(t0, Button::PanLeft, true, 400));
        let due = t.poll(at(t0, 800));
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].button, due[0].kind),
            (Button::PanLeft, PressKind::Long)
        );
        let p = t.event(ev(t0, Button::Cycle, false, 900)).unwrap();
        assert_eq!((p.button, p.kind), (Button::Cycle, PressKind::Short));
    }
}
