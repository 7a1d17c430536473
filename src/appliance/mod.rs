//! `touchray run`: the bedside appliance. A [`board`] file says what is
//! wired where; the [`run_loop`] turns button presses into frames on the
//! display and haptic signals, with scans read off the medium by the
//! [`loader`] thread and listed by [`scans`].
//!
//! Start-up: the networks are loaded once and their checksums checked, the
//! display must answer with its geometry, and the vibrator gives a test
//! pulse. A failed check is announced by touch (error buzz, braille
//! message) and logged; the appliance then runs with what it has: a
//! damaged classifier means reliefs without verdicts, a missing display is
//! retried with backoff.

pub mod board;
pub mod buttons;
pub mod display;
pub mod events;
mod feedback;
pub mod inputs;
pub mod loader;
mod pointing;
pub mod press;
pub mod run_loop;
pub mod scans;
mod showing;
pub mod signals;
pub mod speaker;

use std::io::Write;
use std::path::PathBuf;

pub use board::{Board, BoardError, BoardProblem};
pub use events::{Event, EventLog, State, Summary};
pub use run_loop::Appliance;

use crate::device::link::RetryPolicy;
use crate::device::open::DisplaySpec;
use crate::device::{DeviceError, Keys, Vibrator};
use crate::infer::depth::DepthChoice;
use crate::infer::{Loading, Threads};
use crate::pipeline::{ModelWarning, Networks};
use crate::speech::{self, Fault};
use crate::tactile::Geometry;
use buttons::KeyMap;
use display::ReconnectingDisplay;
use inputs::{Keyboard, Script, ScriptError};
use loader::Loader;
use press::PressTracker;
use scans::ScanShelf;
use signals::Signal;

/// What an [`Appliance`] is made of, opened and checked by its caller.
pub(crate) struct Parts {
    /// The display, connected or to be reconnected.
    pub display: ReconnectingDisplay,
    /// The board's vibration motor, if it has one.
    pub motor: Option<Box<dyn Vibrator>>,
    /// The board's GPIO buttons, if they are read.
    pub gpio: Option<Box<dyn Keys>>,
    /// What the board lines and display keys mean.
    pub keymap: KeyMap,
    /// Scripted presses (tests, simulation).
    pub script: Option<Script>,
    /// Presses from the keyboard (simulation).
    pub keyboard: Option<Keyboard>,
    /// Short, long and repeat presses from down and up edges.
    pub tracker: PressTracker,
    /// The scans on the medium.
    pub shelf: ScanShelf,
    /// The thread that reads and analyses scans.
    pub loader: Loader,
    /// Where events go.
    pub events: EventLog,
    /// The voice, where the board has one.
    pub speaker: Option<speaker::Speaker>,
}

/// How `touchray run` was asked to run (its command-line arguments).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The board file, e.g. board/rpi4.toml.
    pub board: PathBuf,
    /// Read scans from here instead of the board's scan folder.
    pub scans: Option<PathBuf>,
    /// Use this display instead of the board's (e.g. an emulator's terminal).
    pub display: Option<DisplaySpec>,
    /// Read models from here instead of the board's model folder.
    pub models: Option<PathBuf>,
    /// Take presses from a script file (see the README) instead of GPIO.
    pub script: Option<PathBuf>,
    /// Take presses from the keyboard instead of GPIO.
    pub keyboard: bool,
    /// Write one JSON line per event to this file (`-` for standard output).
    pub json_events: Option<PathBuf>,
    /// Accept test fixtures in the manifest (tests only).
    pub allow_fixture: bool,
}

/// Why the appliance could not start, as one line.
#[derive(Debug, thiserror::Error)]
pub enum ApplianceError {
    /// The board file is unusable.
    #[error(transparent)]
    Board(#[from] BoardError),
    /// The press script is unusable.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// The event log could not be created.
    #[error("{}: {source}", path.display())]
    EventLog {
        /// The file asked for.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The loader thread could not be started.
    #[error("scan loader thread: {0}")]
    Thread(std::io::Error),
    /// A device the board names could not be opened.
    #[error("{0}")]
    Device(#[from] DeviceError),
}

/// Starts the appliance as `options` say, runs the self-test, and loops
/// until the script or keyboard input is over (with GPIO buttons alone:
/// until the process is stopped).
pub fn run(options: &Options) -> Result<Summary, ApplianceError> {
    let board = Board::read(&options.board)?;
    let script = match &options.script {
        Some(path) => Some(Script::read(path)?),
        None => None,
    };
    let json: Option<Box<dyn Write + Send>> = match &options.json_events {
        Some(p) if p.as_os_str() == "-" => Some(Box::new(std::io::stdout())),
        Some(p) => Some(Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|source| ApplianceError::EventLog {
                path: p.clone(),
                source,
            })?,
        ))),
        None => None,
    };
    let mut events = EventLog::new(json);
    log::info!("board {:?}", board.name);
    let motor = match &board.vibration {
        Some(line) => Some(open_motor(line)?),
        None => None,
    };
    let gpio = if board.buttons.is_empty() || script.is_some() || options.keyboard {
        None
    } else {
        Some(open_buttons(&board)?)
    };
    let keyboard = options
        .keyboard
        .then(|| Keyboard::stdin(board.presses.long));

    let models = options.models.clone().unwrap_or(board.models.clone());
    let loading = Loading {
        allow_fixture: options.allow_fixture,
        threads: Threads::or_all_cores(board.threads),
    };
    let (networks, model_ok) = self_test_models(&models, board.depth, &loading, &mut events);
    let loader = Loader::start(networks).map_err(ApplianceError::Thread)?;
    let spec = options.display.clone().unwrap_or(board.display.clone());
    let display = ReconnectingDisplay::new(spec, Geometry::GRAPHITI, RetryPolicy::default());
    let shelf = ScanShelf::new(options.scans.as_ref().unwrap_or(&board.scans));
    let mut appliance = Appliance::new(Parts {
        display,
        motor,
        gpio,
        keymap: KeyMap {
            lines: board.buttons.iter().map(|(button, _)| *button).collect(),
        },
        script,
        keyboard,
        tracker: PressTracker::new(board.presses),
        shelf,
        loader,
        events,
        speaker: board.speech.clone().map(speaker::Speaker::new),
    });
    self_test_devices(&mut appliance, model_ok);
    Ok(appliance.run())
}

/// Loads the networks once; a classifier that is missing or fails its
/// checksum means no verdicts, a depth network that fails means the
/// density relief. Returns the networks and whether the models passed.
fn self_test_models(
    models: &std::path::Path,
    depth: DepthChoice,
    loading: &Loading,
    events: &mut EventLog,
) -> (Networks, bool) {
    let (networks, warnings) = match Networks::load(models, depth, loading) {
        Ok(loaded) => loaded,
        Err(e) => {
            let mut warnings = vec![ModelWarning::DensityRelief(e)];
            let (networks, more) =
                Networks::load(models, DepthChoice::Density, loading).unwrap_or_default();
            warnings.extend(more);
            (networks, warnings)
        }
    };
    let mut problems: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    if networks.classifier.is_none() && problems.is_empty() {
        problems.push(format!(
            "{}: no classifier listed; no verdicts",
            models.join("manifest.toml").display()
        ));
    }
    let ok = problems.is_empty();
    let detail = if ok {
        let depth = networks
            .depth
            .as_ref()
            .map_or("density relief", |d| d.name());
        format!(
            "classifier and {depth} loaded, checksums match, {} compute threads",
            loading.threads.count()
        )
    } else {
        problems.join("; ")
    };
    events.emit(Event::SelfTest {
        check: "models",
        ok,
        detail,
    });
    (networks, ok)
}

/// The display must answer with its geometry and the vibrator take a test
/// pulse; what failed is announced by touch. Then the appliance says how
/// many scans there are.
fn self_test_devices(appliance: &mut Appliance, model_ok: bool) {
    let display = appliance.display.connect();
    let display_ok = display.is_ok();
    let detail = match display {
        Ok(g) => format!("{}x{} pins, {} levels", g.width, g.height, g.levels),
        Err(e) => {
            let text = e.to_string();
            appliance.display.lose(e);
            text
        }
    };
    appliance.events.emit(Event::SelfTest {
        check: "display",
        ok: display_ok,
        detail,
    });
    let has_vibrator = appliance.motor.is_some() || appliance.display.vibrator().is_some();
    appliance.signal(Signal::Tick);
    let haptic = match appliance.haptics() {
        _ if !has_vibrator => Err("no vibrator: no motor on the board, none in the display".into()),
        Some(e) => Err(e),
        None => Ok("test pulse played".to_string()),
    };
    let haptic_ok = haptic.is_ok();
    appliance.events.emit(Event::SelfTest {
        check: "haptic",
        ok: haptic_ok,
        detail: haptic.unwrap_or_else(|e| e),
    });
    // Without espeak-ng the appliance says so by touch and carries on silent.
    let speech_ok = match appliance.speaker.as_ref().map(|s| s.voice().check()) {
        None => true,
        Some(check) => {
            let ok = check.is_ok();
            appliance.events.emit(Event::SelfTest {
                check: "speech",
                ok,
                detail: check.map_or_else(|e| e.to_string(), |()| "espeak-ng answers".into()),
            });
            if !ok {
                appliance.speaker = None;
            }
            ok
        }
    };
    appliance.shelf.refresh();
    let scans = appliance.shelf.len();
    // Each fault in braille (short, no commas) and in speech.
    let mut faults: Vec<(&str, String)> = Vec::new();
    if !model_ok {
        faults.push(("model fault no verdicts", speech::fault(Fault::ModelFault)));
    }
    if !haptic_ok {
        faults.push(("no vibration", "no vibration".into()));
    }
    if !display_ok {
        faults.push(("display fault", "display fault".into()));
    }
    if !speech_ok {
        faults.push(("no speech", "no speech".into()));
    }
    let status = match scans {
        0 => "no scans".to_string(),
        1 => "1 scan".to_string(),
        n => format!("{n} scans"),
    };
    let announce = !faults.is_empty();
    faults.push((&status, status.clone()));
    let braille: Vec<&str> = faults.iter().map(|f| f.0).collect();
    appliance.message(&braille.join(" "));
    if announce {
        appliance.signal(Signal::Error);
    }
    let spoken: Vec<&str> = faults.iter().map(|f| f.1.as_str()).collect();
    appliance.say(&spoken.join(", "));
}

#[cfg(feature = "cdev")]
fn open_motor(line: &crate::device::hal::LineSpec) -> Result<Box<dyn Vibrator>, DeviceError> {
    use crate::device::hal::cdev;
    use crate::device::vibration::{ThreadDelay, VibrationMotor};
    Ok(Box::new(VibrationMotor::new(
        cdev::output(line)?,
        ThreadDelay,
    )?))
}

#[cfg(feature = "cdev")]
fn open_buttons(board: &Board) -> Result<Box<dyn Keys>, DeviceError> {
    let wired: Vec<_> = board.buttons.iter().map(|(_, line)| line.clone()).collect();
    let lines = crate::device::hal::cdev::ButtonLines::open(&wired, board.debounce)?;
    Ok(Box::new(lines))
}

#[cfg(not(feature = "cdev"))]
fn open_motor(_: &crate::device::hal::LineSpec) -> Result<Box<dyn Vibrator>, DeviceError> {
    Err(without_cdev("[vibration] line"))
}

#[cfg(not(feature = "cdev"))]
fn open_buttons(_: &Board) -> Result<Box<dyn Keys>, DeviceError> {
    Err(without_cdev("[buttons] lines"))
}

#[cfg(not(feature = "cdev"))]
fn without_cdev(what: &str) -> DeviceError {
    DeviceError::Config(format!(
        "{what}: this touchray was built without the `cdev` feature \
         (cargo build --release --features cdev), or give --script/--keyboard"
    ))
}
