//! Button sources for simulation and testing: a [`Script`] of presses and
//! the [`Keyboard`]. (GPIO buttons are [`crate::device::hal`]'s; a
//! display's own keys come with its driver.)

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use super::buttons::{Button, ButtonEvent};

/// How long a scripted or typed press is held unless it says otherwise.
const TAP: Duration = Duration::from_millis(60);

/// When a scripted press is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// Once the appliance is idle: nothing loading, nothing queued, no
    /// haptic signal playing.
    Idle,
    /// This long after the previous press was released, whatever the state.
    After(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    when: When,
    button: Button,
    hold: Duration,
}

/// A scripted button source, one press per line:
///
/// ```text
/// # comment
/// next                 pressed once the appliance is idle and quiet
/// zoom-in hold 1200    held 1.2 s (a long press, then repeats)
/// +40 next             pressed 40 ms after the previous release, busy or not
/// ```
#[derive(Debug, Clone)]
pub struct Script {
    steps: VecDeque<Step>,
    /// The press under way: its button and when it is released.
    releasing: Option<(Button, Instant)>,
    last_release: Option<Instant>,
}

/// A script that cannot be used, as one line naming the file (and line).
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The script file.
        path: std::path::PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A line is not a press.
    #[error("{}line {line}: {message}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Line {
        /// The script file, once known.
        path: Option<std::path::PathBuf>,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

impl Script {
    /// Reads a script file; the error names the file and line.
    pub fn read(path: &Path) -> Result<Script, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Script::parse(&text).map_err(|e| match e {
            ScriptError::Line { line, message, .. } => ScriptError::Line {
                path: Some(path.to_path_buf()),
                line,
                message,
            },
            io => io,
        })
    }

    /// Parses a script.
    pub fn parse(text: &str) -> Result<Script, ScriptError> {
        let mut steps = VecDeque::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fail = |e: &dyn std::fmt::Display| ScriptError::Line {
                path: None,
                line: n + 1,
                message: e.to_string(),
            };
            let mut words = line.split_whitespace().peekable();
            let mut when = When::Idle;
            if let Some(delay) = words.peek().and_then(|w| w.strip_prefix('+')) {
                let ms: u64 = delay
                    .parse()
                    .map_err(|_| fail(&format!("+{delay} is not a delay in ms")))?;
                when = When::After(Duration::from_millis(ms));
                words.next();
            }
            let button: Button = words
                .next()
                .ok_or_else(|| fail(&"no button"))?
                .parse()
                .map_err(|e| fail(&e))?;
            let hold = match (words.next(), words.next(), words.next()) {
                (None, _, _) => TAP,
                (Some("hold"), Some(ms), None) => Duration::from_millis(
                    ms.parse()
                        .map_err(|_| fail(&format!("hold {ms:?} is not a time in ms")))?,
                ),
                _ => return Err(fail(&format!("{line:?}: expected BUTTON [hold MS]"))),
            };
            steps.push_back(Step { when, button, hold });
        }
        Ok(Script {
            steps,
            releasing: None,
            last_release: None,
        })
    }

    /// Presses in the script.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True for a script without presses.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The next down or up event due at `now`; `idle` says whether the
    /// appliance can take a press that waits for it.
    pub fn next_event(&mut self, now: Instant, idle: bool) -> Option<ButtonEvent> {
        if let Some((button, up)) = self.releasing {
            if now < up {
                return None;
            }
            self.releasing = None;
            self.last_release = Some(now);
            return Some(ButtonEvent {
                button,
                pressed: false,
                at: now,
                along: None,
            });
        }
        let step = *self.steps.front()?;
        let due = match step.when {
            When::Idle => idle,
            When::After(d) => self.last_release.is_none_or(|t| now >= t + d),
        };
        if !due {
            return None;
        }
        self.steps.pop_front();
        self.releasing = Some((step.button, now + step.hold));
        Some(ButtonEvent {
            button: step.button,
            pressed: true,
            at: now,
            along: None,
        })
    }

    /// True once every press has been made and released.
    pub fn finished(&self) -> bool {
        self.steps.is_empty() && self.releasing.is_none()
    }
}

/// The keyboard in simulation: `n`/space next, `p` previous, `+`/`-` zoom,
/// arrows or `w a s d` pan, `c` cycle, `r` repeat, `q` quit. A capital
/// letter holds the key for a long press.
pub struct Keyboard {
    keys: Receiver<(Button, Duration)>,
    pending: VecDeque<ButtonEvent>,
    finished: bool,
    _raw: Option<RawMode>,
}

impl Keyboard {
    /// Reads standard input on a thread of its own; a terminal is put in
    /// raw mode (restored when the keyboard is dropped) so that keys count
    /// without Enter.
    pub fn stdin(long: Duration) -> Keyboard {
        let raw = RawMode::enable();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin().lock();
            let mut byte = [0u8; 1];
            let mut escape = 0u8;
            while let Ok(1) = stdin.read(&mut byte) {
                let b = byte[0];
                // Arrow keys arrive as ESC [ A..D.
                let key = match (escape, b) {
                    (0, 0x1B) => {
                        escape = 1;
                        continue;
                    }
                    (1, b'[') => {
                        escape = 2;
                        continue;
                    }
                    (2, b'A') => Some(Button::PanUp),
                    (2, b'B') => Some(Button::PanDown),
                    (2, b'C') => Some(Button::PanRight),
                    (2, b'D') => Some(Button::PanLeft),
                    (_, b'q' | b'Q' | 0x03 | 0x04) => break,
                    (_, b) => key_button(b),
                };
                escape = 0;
                let Some(button) = key else { continue };
                let hold = if b.is_ascii_uppercase() {
                    long + TAP
                } else {
                    TAP
                };
                if tx.send((button, hold)).is_err() {
                    break;
                }
            }
        });
        Keyboard {
            keys: rx,
            pending: VecDeque::new(),
            finished: false,
            _raw: raw,
        }
    }

    /// The next event due at `now`.
    pub fn next_event(&mut self, now: Instant) -> Option<ButtonEvent> {
        if self.pending.front().is_some_and(|e| e.at <= now) {
            return self.pending.pop_front();
        }
        if !self.pending.is_empty() {
            return None;
        }
        match self.keys.try_recv() {
            Ok((button, hold)) => {
                self.pending.push_back(ButtonEvent {
                    button,
                    pressed: false,
                    at: now + hold,
                    along: None,
                });
                Some(ButtonEvent {
                    button,
                    pressed: true,
                    at: now,
                    along: None,
                })
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.finished = true;
                None
            }
        }
    }

    /// True once `q` was typed or input ended.
    pub fn finished(&self) -> bool {
        self.finished && self.pending.is_empty()
    }
}

fn key_button(b: u8) -> Option<Button> {
    Some(match b.to_ascii_lowercase() {
        b'n' | b' ' | b'\r' | b'\n' => Button::Next,
        b'p' => Button::Previous,
        b'+' | b'=' => Button::ZoomIn,
        b'-' | b'_' => Button::ZoomOut,
        b'w' => Button::PanUp,
        b's' => Button::PanDown,
        b'a' => Button::PanLeft,
        b'd' => Button::PanRight,
        b'c' => Button::Cycle,
        b'r' => Button::Repeat,
        b'h' => Button::Query,
        b'i' => Button::Describe,
        _ => return None,
    })
}

/// A terminal on standard input switched to raw input, restored on drop.
struct RawMode(libc::termios);

impl RawMode {
    fn enable() -> Option<RawMode> {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios we own; a
        // non-terminal makes tcgetattr fail and nothing is changed.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::isatty(0) != 1 || libc::tcgetattr(0, &mut saved) != 0 {
                return None;
            }
            let mut raw = saved;
            raw.c_lflag &= !(libc::ICANON | libc::ECHO);
            raw.c_cc[libc::VMIN] = 1;
            raw.c_cc[libc::VTIME] = 0;
            (libc::tcsetattr(0, libc::TCSANOW, &raw) == 0).then_some(RawMode(saved))
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enable`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_wait_for_idle_or_a_delay() {
        let mut s = Script::parse("# demo\nnext\n+30 zoom-in hold 900\n").unwrap();
        assert_eq!(s.len(), 2);
        let t0 = Instant::now();
        let ms = |m| t0 + Duration::from_millis(m);
        assert_eq!(s.next_event(ms(0), false), None, "waits for idle");
        let down = s.next_event(ms(0), true).unwrap();
        assert!(down.pressed && down.button == Button::Next);
        assert_eq!(s.next_event(ms(10), true), None, "still held");
        let up = s.next_event(ms(60), false).unwrap();
        assert!(!up.pressed);
        assert_eq!(s.next_event(ms(80), false), None, "30 ms after release");
        let down = s.next_event(ms(90), false).unwrap();
        assert_eq!(down.button, Button::ZoomIn);
        assert_eq!(s.next_event(ms(900), false), None);
        assert!(!s.next_event(ms(990), false).unwrap().pressed);
        assert!(s.finished());
    }

    #[test]
    fn bad_script_lines_are_named() {
        assert!(Script::parse("next\nzoom\n")
            .unwrap_err()
            .to_string()
            .starts_with("line 2:"));
        assert!(Script::parse("+x next")
            .unwrap_err()
            .to_string()
            .contains("+x"));
        assert!(Script::parse("next hold")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
    }
}
