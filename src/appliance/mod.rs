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
pub mod console;
pub mod events;
pub mod inputs;
pub mod loader;
pub mod press;
pub mod run_loop;
pub mod scans;

use std::io::Write;
use std::path::PathBuf;

pub use board::{Board, BoardError};
pub use events::{Event, EventLog, State};
pub use run_loop::{Appliance, Summary};

use crate::device::link::RetryPolicy;
use crate::device::open::DisplaySpec;
use crate::device::{Buttons, DeviceError, Pattern, Vibrator};
use crate::infer::depth::DepthChoice;
use crate::pipeline::Networks;
use crate::tactile::Geometry;
use console::Console;
use inputs::{Keyboard, Script};
use loader::Loader;
use press::PressTracker;
use scans::ScanShelf;

/// How `touchray run` was asked to run (its command-line arguments).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Options {
    /// The board file, e.g. board/rpi4.toml.
    #[arg(long)]
    pub board: PathBuf,
    /// Read scans from here instead of the board's scan folder.
    #[arg(long)]
    pub scans: Option<PathBuf>,
    /// Use this display instead of the board's (e.g. an emulator's terminal).
    #[arg(long)]
    pub display: Option<DisplaySpec>,
    /// Read models from here instead of the board's model folder.
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Take presses from a script file (see the README) instead of GPIO.
    #[arg(long, conflicts_with = "keyboard")]
    pub script: Option<PathBuf>,
    /// Take presses from the keyboard instead of GPIO (n p + - c r, arrows, q).
    #[arg(long)]
    pub keyboard: bool,
    /// Write one JSON line per event to FILE (- for standard output).
    #[arg(long, value_name = "FILE")]
    pub json_events: Option<PathBuf>,
    /// Accept test fixtures in the manifest (tests only).
    #[arg(long, hide = true)]
    pub allow_fixture: bool,
}

/// Why the appliance could not start, as one line; [`ApplianceError::exit_code`]
/// follows the command line's convention.
#[derive(Debug, thiserror::Error)]
pub enum ApplianceError {
    /// The board file or another input is unusable.
    #[error("{0}")]
    Input(String),
    /// An output could not be written.
    #[error("{0}")]
    Output(String),
    /// A device the board names could not be opened.
    #[error("{0}")]
    Device(#[from] DeviceError),
}

impl ApplianceError {
    /// 2 for bad input, 1 for output, 3 for devices.
    pub fn exit_code(&self) -> i32 {
        match self {
            ApplianceError::Input(_) => 2,
            ApplianceError::Output(_) => 1,
            ApplianceError::Device(_) => 3,
        }
    }
}

/// Starts the appliance as `options` say, runs the self-test, and loops
/// until the script or keyboard input is over (with GPIO buttons alone:
/// until the process is stopped).
pub fn run(options: &Options) -> Result<Summary, ApplianceError> {
    let board = Board::read(&options.board).map_err(|e| ApplianceError::Input(e.to_string()))?;
    let script = match &options.script {
        Some(path) => Some(Script::read(path).map_err(ApplianceError::Input)?),
        None => None,
    };
    let json: Option<Box<dyn Write + Send>> = match &options.json_events {
        Some(p) if p.as_os_str() == "-" => Some(Box::new(std::io::stdout())),
        Some(p) => Some(Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .map_err(|e| ApplianceError::Output(format!("{}: {e}", p.display())))?,
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
    let (networks, model_ok) =
        self_test_models(&models, board.depth, options.allow_fixture, &mut events);
    let loader = Loader::start(networks)
        .map_err(|e| ApplianceError::Output(format!("scan loader thread: {e}")))?;
    let display = options.display.clone().unwrap_or(board.display.clone());
    let console = Console::new(display, Geometry::GRAPHITI, RetryPolicy::default());
    let shelf = ScanShelf::new(options.scans.as_ref().unwrap_or(&board.scans));
    let mut appliance = Appliance::new(
        console,
        motor,
        gpio,
        script,
        keyboard,
        PressTracker::new(board.presses),
        shelf,
        loader,
        events,
    );
    self_test_devices(&mut appliance, model_ok);
    Ok(appliance.run())
}

/// Loads the networks once; a classifier that is missing or fails its
/// checksum means no verdicts, a depth network that fails means the
/// density relief. Returns the networks and whether the models passed.
fn self_test_models(
    models: &std::path::Path,
    depth: DepthChoice,
    allow_fixture: bool,
    events: &mut EventLog,
) -> (Networks, bool) {
    let (networks, mut problems) = match Networks::load(models, depth, allow_fixture) {
        Ok(loaded) => loaded,
        Err(e) => {
            let mut problems = vec![format!("{e}; density relief instead")];
            let (networks, more) =
                Networks::load(models, DepthChoice::Density, allow_fixture).unwrap_or_default();
            problems.extend(more);
            (networks, problems)
        }
    };
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
        format!("classifier and {depth} loaded, checksums match")
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
    let display = appliance.console.connect();
    let display_ok = display.is_ok();
    let detail = match display {
        Ok(g) => format!("{}x{} pins, {} levels", g.width, g.height, g.levels),
        Err(e) => {
            let text = e.to_string();
            appliance.console.lose(e);
            text
        }
    };
    appliance.events.emit(Event::SelfTest {
        check: "display",
        ok: display_ok,
        detail,
    });
    let has_vibrator = appliance.motor.is_some() || appliance.console.vibrator().is_some();
    appliance.signal(Pattern::tick());
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
    appliance.shelf.refresh();
    let scans = appliance.shelf.len();
    let mut faults = Vec::new();
    if !model_ok {
        faults.push("model fault no verdicts");
    }
    if !haptic_ok {
        faults.push("no vibration");
    }
    if !display_ok {
        faults.push("display fault");
    }
    let status = match scans {
        0 => "no scans".to_string(),
        1 => "1 scan".to_string(),
        n => format!("{n} scans"),
    };
    let announce = !faults.is_empty();
    faults.push(&status);
    appliance.message(&faults.join(" "));
    if announce {
        appliance.signal(Pattern::error());
    }
}

#[cfg(feature = "cdev")]
fn open_motor(line: &crate::device::board::LineSpec) -> Result<Box<dyn Vibrator>, DeviceError> {
    use crate::device::board::cdev;
    use crate::device::vibration::{ThreadDelay, VibrationMotor};
    Ok(Box::new(VibrationMotor::new(
        cdev::output(line)?,
        ThreadDelay,
    )?))
}

#[cfg(feature = "cdev")]
fn open_buttons(board: &Board) -> Result<Box<dyn Buttons>, DeviceError> {
    let lines = crate::device::board::cdev::ButtonLines::open(&board.buttons, board.debounce)?;
    Ok(Box::new(lines))
}

#[cfg(not(feature = "cdev"))]
fn open_motor(_: &crate::device::board::LineSpec) -> Result<Box<dyn Vibrator>, DeviceError> {
    Err(without_cdev("[vibration] line"))
}

#[cfg(not(feature = "cdev"))]
fn open_buttons(_: &Board) -> Result<Box<dyn Buttons>, DeviceError> {
    Err(without_cdev("[buttons] lines"))
}

#[cfg(not(feature = "cdev"))]
fn without_cdev(what: &str) -> DeviceError {
    DeviceError::Config(format!(
        "{what}: this touchray was built without the `cdev` feature \
         (cargo build --release --features cdev), or give --script/--keyboard"
    ))
}
