//! Board files (`board/NAME.toml`): which display, which buttons on which
//! GPIO lines, the vibration motor, where scans and models are, and the
//! press timings. Read once at start; any missing, unknown or unusable key
//! is refused with one line naming the file and the key.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::buttons::Button;
use super::press::PressTimings;
use crate::device::hal::LineSpec;
use crate::device::open::DisplaySpec;
use crate::device::speech::Voice;
use crate::infer::depth::DepthChoice;

/// A board file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    /// What the board is, for logs.
    pub name: String,
    /// The pin display.
    pub display: DisplaySpec,
    /// Where the scan medium is mounted (read only).
    pub scans: PathBuf,
    /// The folder with `manifest.toml`.
    pub models: PathBuf,
    /// Which relief to use.
    pub depth: DepthChoice,
    /// Compute threads for the networks (`None`: one per core).
    pub threads: Option<NonZeroUsize>,
    /// GPIO buttons: the line of each button wired.
    pub buttons: Vec<(Button, LineSpec)>,
    /// Kernel debounce period for the GPIO buttons.
    pub debounce: Duration,
    /// The vibration motor's line, if the board has one.
    pub vibration: Option<LineSpec>,
    /// When a hold becomes a long press, and how fast it repeats.
    pub presses: PressTimings,
    /// The voice, when the board has a `[speech]` table with speech on.
    pub speech: Option<Voice>,
}

/// A board file that cannot be used, as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct BoardError {
    /// The board file.
    pub path: String,
    /// What is wrong, naming the key.
    pub problem: BoardProblem,
}

/// What is wrong in a board file's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardProblem {
    /// Not TOML, or not the board file's shape (missing, unknown or
    /// mistyped key), with the line and key where toml can tell.
    #[error("{0}")]
    Syntax(String),
    /// A key whose value cannot be used.
    #[error("{key}: {message}")]
    Value {
        /// The key, with its table (`[buttons] debounce-ms`).
        key: String,
        /// What is wrong with its value.
        message: String,
    },
    /// The file could not be read.
    #[error("{0}")]
    Unreadable(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    display: DisplayTable,
    scans: ScansTable,
    models: ModelsTable,
    buttons: ButtonsTable,
    vibration: Option<VibrationTable>,
    thresholds: ThresholdsTable,
    speech: Option<SpeechTable>,
}

/// `[speech]`: espeak-ng's voice, speed and loudness, the program, and
/// where the sound goes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SpeechTable {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "english")]
    voice: String,
    #[serde(default = "words_per_minute")]
    rate: u32,
    #[serde(default = "full_volume")]
    volume: u32,
    #[serde(default = "espeak_ng")]
    command: PathBuf,
    audio_device: Option<String>,
}

fn yes() -> bool {
    true
}
fn english() -> String {
    "en".into()
}
fn words_per_minute() -> u32 {
    165
}
fn full_volume() -> u32 {
    100
}
fn espeak_ng() -> PathBuf {
    "espeak-ng".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisplayTable {
    spec: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScansTable {
    dir: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsTable {
    dir: PathBuf,
    depth: String,
    threads: Option<NonZeroUsize>,
}

/// `debounce-ms` and one `NAME = "LINE"` per wired button (names as
/// [`Button::name`] spells them); other keys are refused by [`Board::parse`].
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ButtonsTable {
    debounce_ms: u64,
    #[serde(flatten)]
    lines: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VibrationTable {
    line: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ThresholdsTable {
    long_press_ms: u64,
    repeat_every_ms: u64,
}

impl Board {
    /// Reads and checks the board file at `path`.
    pub fn read(path: &Path) -> Result<Board, BoardError> {
        let fail = |problem: BoardProblem| BoardError {
            path: path.display().to_string(),
            problem,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(BoardProblem::Unreadable(e.to_string())))?;
        Board::parse(&text).map_err(fail)
    }

    /// Checks the text of a board file; the error names the key.
    pub fn parse(text: &str) -> Result<Board, BoardProblem> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let message = e.message().replace('\n', " ");
            // The key (or table) the error points at, so the line names it
            // even when toml's message does not ("invalid type").
            let at = line
                .and_then(|l| text.lines().nth(l - 1))
                .map(|t| t.split_once('=').map_or(t, |(key, _)| key).trim());
            BoardProblem::Syntax(match (line, at) {
                (Some(line), Some(at)) if !at.is_empty() => {
                    format!("line {line} ({at}): {message}")
                }
                (Some(line), _) => format!("line {line}: {message}"),
                _ => message,
            })
        })?;
        let key = |key: &str, e: &dyn std::fmt::Display| BoardProblem::Value {
            key: key.into(),
            message: e.to_string(),
        };
        let display = file
            .display
            .spec
            .parse()
            .map_err(|e| key("[display] spec", &e))?;
        let depth = file
            .models
            .depth
            .parse()
            .map_err(|e| key("[models] depth", &e))?;
        let b = &file.buttons;
        let mut buttons: Vec<(Button, LineSpec)> = Vec::new();
        for (name, line) in &b.lines {
            let button: Button = name.parse().map_err(|e| key("[buttons]", &e))?;
            let line: LineSpec = line
                .parse()
                .map_err(|e| key(&format!("[buttons] {name}"), &e))?;
            buttons.push((button, line));
        }
        // In the order of the controls, not of the file.
        buttons.sort_by_key(|(b, _)| Button::ALL.iter().position(|a| a == b));
        if b.debounce_ms > 1000 {
            return Err(key(
                "[buttons] debounce-ms",
                &format!("{} ms is not a debounce (0..=1000)", b.debounce_ms),
            ));
        }
        let vibration = match &file.vibration {
            Some(v) => Some(v.line.parse().map_err(|e| key("[vibration] line", &e))?),
            None => None,
        };
        one_role_per_line(&display, &buttons, vibration.as_ref())?;
        let t = &file.thresholds;
        if !(100..=10_000).contains(&t.long_press_ms) {
            return Err(key(
                "[thresholds] long-press-ms",
                &format!("{} ms is out of 100..=10000", t.long_press_ms),
            ));
        }
        if !(50..=5_000).contains(&t.repeat_every_ms) {
            return Err(key(
                "[thresholds] repeat-every-ms",
                &format!("{} ms is out of 50..=5000", t.repeat_every_ms),
            ));
        }
        let speech = match &file.speech {
            Some(t) if !(80..=450).contains(&t.rate) => {
                return Err(key(
                    "[speech] rate",
                    &format!("{} words a minute is out of 80..=450", t.rate),
                ))
            }
            Some(t) if t.volume > 200 => {
                return Err(key(
                    "[speech] volume",
                    &format!("{} is out of 0..=200", t.volume),
                ))
            }
            Some(t) if t.enabled => Some(Voice {
                command: t.command.clone(),
                voice: t.voice.clone(),
                rate: t.rate,
                volume: t.volume,
                audio_device: t.audio_device.clone(),
            }),
            _ => None,
        };
        if file.scans.dir.as_os_str().is_empty() {
            return Err(key("[scans] dir", &"is empty"));
        }
        Ok(Board {
            name: file.name,
            display,
            scans: file.scans.dir,
            models: file.models.dir,
            depth,
            threads: file.models.threads,
            buttons,
            debounce: Duration::from_millis(b.debounce_ms),
            vibration,
            speech,
            presses: PressTimings {
                long: Duration::from_millis(t.long_press_ms),
                repeat_every: Duration::from_millis(t.repeat_every_ms),
            },
        })
    }
}

/// Refuses a GPIO line given two roles (two buttons, a button and the
/// motor, a button and a shift-register control line): the kernel would
/// refuse the second request at start-up with a "busy" that names neither
/// role. Only lines spelled the same way are compared: whether `GPIO25` is
/// `gpiochip0:25` is known on the board alone, where the request fails.
fn one_role_per_line(
    display: &DisplaySpec,
    buttons: &[(Button, LineSpec)],
    vibration: Option<&LineSpec>,
) -> Result<(), BoardProblem> {
    // (the key an error names, the role a later claimant is told of, the line)
    let mut roles: Vec<(String, &str, &LineSpec)> = Vec::new();
    if let DisplaySpec::ShiftRegister(s) = display {
        roles.push((
            "[display] spec".into(),
            "the shift registers' latch",
            &s.latch,
        ));
        roles.push((
            "[display] spec".into(),
            "the shift registers' output enable",
            &s.output_enable,
        ));
    }
    for (button, line) in buttons {
        roles.push((format!("[buttons] {}", button.name()), button.name(), line));
    }
    if let Some(line) = vibration {
        roles.push(("[vibration] line".into(), "the vibration motor", line));
    }
    for (i, (key, _, line)) in roles.iter().enumerate() {
        if let Some((_, other, _)) = roles[..i].iter().find(|(_, _, l)| l == line) {
            return Err(BoardProblem::Value {
                key: key.clone(),
                message: format!("line \"{line}\" is already {other}"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "test board"
[display]
spec = "graphiti:/dev/touchray-display"
[scans]
dir = "/media/touchray"
[models]
dir = "models"
depth = "auto"
[buttons]
debounce-ms = 30
next = "GPIO17"
previous = "gpiochip0:27"
[vibration]
line = "GPIO18"
[thresholds]
long-press-ms = 800
repeat-every-ms = 250
"#;

    #[test]
    fn a_good_board_file_reads() {
        let board = Board::parse(GOOD).unwrap();
        assert_eq!(board.buttons.len(), 2);
        assert_eq!(
            board.buttons[0],
            (Button::Next, LineSpec::Named("GPIO17".into()))
        );
        assert_eq!(board.presses.long, Duration::from_millis(800));
        assert_eq!(board.vibration, Some(LineSpec::Named("GPIO18".into())));
        assert_eq!(board.threads, None);
        let four = Board::parse(&GOOD.replace("depth = \"auto\"", "depth = \"auto\"\nthreads = 4"));
        assert_eq!(four.unwrap().threads, NonZeroUsize::new(4));
    }

    #[test]
    fn every_fault_names_its_key() {
        let cases = [
            ("debounce-ms = 30\n", "", "debounce-ms"),
            ("dir = \"/media/touchray\"\n", "", "dir"),
            ("next = \"GPIO17\"", "nxet = \"GPIO17\"", "nxet"),
            (
                "graphiti:/dev/touchray-display",
                "braille:/dev/x",
                "[display] spec",
            ),
            ("depth = \"auto\"", "depth = \"deep\"", "[models] depth"),
            (
                "depth = \"auto\"",
                "depth = \"auto\"\nthreads = 0",
                "threads",
            ),
            ("\"gpiochip0:27\"", "\"gpiochip0:x\"", "[buttons] previous"),
            ("\"gpiochip0:27\"", "\"GPIO17\"", "already next"),
            (
                "line = \"GPIO18\"",
                "line = \"GPIO17\"",
                "[vibration] line: line \"GPIO17\" is already next",
            ),
            (
                "graphiti:/dev/touchray-display",
                "shiftreg:/dev/spidev0.0,latch=GPIO17,oe=GPIO24,size=16x8",
                "[buttons] next: line \"GPIO17\" is already the shift registers' latch",
            ),
            ("long-press-ms = 800", "long-press-ms = 5", "long-press-ms"),
            (
                "repeat-every-ms = 250",
                "repeat-every-ms = \"fast\"",
                "repeat-every-ms",
            ),
        ];
        for (from, to, named) in cases {
            let text = GOOD.replacen(from, to, 1);
            let err = Board::parse(&text).unwrap_err().to_string();
            assert!(err.contains(named), "{from:?} -> {to:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
