//! The command line's arguments (clap): one struct per subcommand.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use touchray::device::emulator;
use touchray::device::open::DisplaySpec;
use touchray::device::speech::Voice;
use touchray::device::DisplayKind;
use touchray::infer::depth::{DepthChoice, DepthNet};
use touchray::infer::{Loading, Threads};
use touchray::pipeline::{load_depth, ModelWarning, Networks};
use touchray::tactile::layout::View;
use touchray::tactile::Geometry;
use touchray::Error;

#[derive(Parser)]
#[command(
    name = "touchray",
    version,
    about = "Feel a chest radiograph on a pin display"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Render a scan (DICOM, PNG, JPEG, TIFF, BMP) to a pin frame.
    Render(RenderArgs),
    /// Time scan -> pin frame on real scans, stage by stage.
    Bench(BenchArgs),
    /// Evaluate the classifier on a folder with NORMAL/ and PNEUMONIA/.
    Eval(EvalArgs),
    /// The texture features of a scan's relief.
    Features(FeaturesArgs),
    /// Emulate a display's firmware on a pseudo-terminal (prints its path).
    Emulate(EmulateArgs),
    /// List serial ports and recognise Graphiti and Dot Pad displays.
    Devices(DevicesArgs),
    /// The bedside appliance: buttons to pins, as the board file wires it.
    Run(RunArgs),
    /// The sentences the appliance would speak for a scan (and their audio).
    Describe(DescribeArgs),
}

#[derive(Args)]
pub struct DisplayArgs {
    /// Display size in pins, WIDTHxHEIGHT.
    #[arg(long, default_value = "60x40", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Height states per pin, flat included.
    #[arg(long, default_value_t = 5)]
    pub levels: u8,
}

impl DisplayArgs {
    pub fn geometry(&self) -> Result<Geometry, Error> {
        Ok(Geometry::new(self.size.0, self.size.1, self.levels)?)
    }
}

#[derive(Args)]
pub struct ModelArgs {
    /// Folder with manifest.toml and the models. Without one there: no
    /// verdict, density relief.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Relief source: midas, density, or auto (MiDaS when a real MiDaS
    /// model is installed, else density).
    #[arg(long, default_value = "auto")]
    pub depth: DepthChoice,
    /// Also use models marked `fixture` (random weights, for tests).
    #[arg(long)]
    pub allow_fixture: bool,
    /// Compute threads for the networks (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
}

impl ModelArgs {
    /// How the flags say to load the networks.
    pub fn loading(&self) -> Loading {
        Loading {
            allow_fixture: self.allow_fixture,
            threads: Threads::or_all_cores(self.threads),
        }
    }

    /// The networks, warnings printed; a depth network asked for and not
    /// usable is an error.
    pub fn networks(&self) -> Result<Networks, Error> {
        let (networks, warnings) = Networks::load(&self.models, self.depth, &self.loading())?;
        warn(&warnings);
        Ok(networks)
    }

    /// The depth network alone, likewise, loaded as `loading` says (pass
    /// the loading of the other networks, so that they share one pool).
    pub fn depth_net(&self, loading: &Loading) -> Result<Option<DepthNet>, Error> {
        let mut warnings = Vec::new();
        let manifest = self.models.join("manifest.toml");
        let net = load_depth(&manifest, None, self.depth, loading, &mut warnings)?;
        warn(&warnings);
        Ok(net)
    }
}

pub fn warn(warnings: &[ModelWarning]) {
    for w in warnings {
        eprintln!("touchray: {w}");
    }
}

#[derive(Args)]
pub struct FeaturesArgs {
    /// The scan file.
    pub scan: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub models: ModelArgs,
}

#[derive(Args)]
pub struct RenderArgs {
    /// The scan file.
    pub scan: PathBuf,
    /// Write grayscale.png, contour.png, heightmap.png, pins.png and relief.npy here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Print the pins as text.
    #[arg(long)]
    pub preview: bool,
    /// The view of the frame: anatomy, opacity, relief, contour, grayscale or cam.
    #[arg(long, default_value = "anatomy")]
    pub view: View,
    /// Show the frame on a display: graphiti:PATH, dotpad:PATH,
    /// pinarray:PATH, shiftreg:SPIDEV,latch=LINE,oe=LINE,size=WxH,
    /// png:FILE or term. Serial displays report their own size.
    #[arg(long)]
    pub display: Option<DisplaySpec>,
    #[command(flatten)]
    pub models: ModelArgs,
    #[command(flatten)]
    pub size: DisplayArgs,
}

#[derive(Args)]
pub struct EvalArgs {
    /// Folder with NORMAL/ and PNEUMONIA/ subfolders (any case).
    pub dir: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write roc.png and predictions.csv here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write each image's texture features (and its label) to this CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub features: Option<PathBuf>,
    #[command(flatten)]
    pub models: ModelArgs,
}

#[derive(Args)]
pub struct EmulateArgs {
    /// graphiti, dotpad or pinarray.
    pub device: DisplayKind,
    /// Also reach the terminal through this symbolic link (kept across --vanish-after).
    #[arg(long)]
    pub link: Option<PathBuf>,
    /// Write the pins shown as PNG after every change.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Refuse every Nth command as after line noise.
    #[arg(long, value_name = "N")]
    pub refuse_every: Option<u32>,
    /// Corrupt the checksum of every Nth reply.
    #[arg(long, value_name = "N")]
    pub corrupt_every: Option<u32>,
    /// Stop answering after N replies.
    #[arg(long, value_name = "N")]
    pub silent_after: Option<u32>,
    /// Vanish (as if unplugged) after N replies...
    #[arg(long, value_name = "N")]
    pub vanish_after: Option<u32>,
    /// ...for this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub vanish_ms: u64,
    /// Dot Pad: answer "wait" to every Nth line, without acting on it.
    #[arg(long, value_name = "N")]
    pub wait_every: Option<u32>,
    /// Dot Pad: an error notification before every Nth line's reply.
    #[arg(long, value_name = "N")]
    pub error_every: Option<u32>,
    /// Dot Pad: "line finished" under another line's destination.
    #[arg(long)]
    pub finished_elsewhere: bool,
    /// Graphiti: check checksums as Orbit's host library computes them.
    #[arg(long)]
    pub library_checksum: bool,
    /// Graphiti: be a Graphiti Plus (braille line, 0x33 key reports).
    #[arg(long)]
    pub plus: bool,
    /// Pin array: busy (NAK 5) for this many ms after the first commit.
    #[arg(long, value_name = "MS")]
    pub busy_ms: Option<u64>,
    /// Pin array: remember a previous session's last request, seq N.
    #[arg(long, value_name = "N")]
    pub stale_seq: Option<u8>,
}

impl EmulateArgs {
    /// The emulator's options from the flags.
    pub fn options(&self) -> emulator::Options {
        emulator::Options {
            faults: emulator::Faults {
                refuse_every: self.refuse_every,
                corrupt_every: self.corrupt_every,
                silent_after: self.silent_after,
                vanish_after: self.vanish_after,
                vanish_for: std::time::Duration::from_millis(self.vanish_ms),
                wait_every: self.wait_every,
                error_every: self.error_every,
                finished_elsewhere: self.finished_elsewhere,
                library_checksum: self.library_checksum,
                busy_for: self.busy_ms.map(std::time::Duration::from_millis),
                stale_seq: self.stale_seq,
            },
            link: self.link.clone(),
            png: self.png.clone(),
            graphiti_plus: self.plus,
        }
    }
}

#[derive(Args)]
pub struct DescribeArgs {
    /// The scan file.
    pub scan: PathBuf,
    /// Print {"text": ..., "parts": [...]} as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also render the text to this WAV file through espeak-ng.
    #[arg(long, value_name = "FILE.wav")]
    pub wav: Option<PathBuf>,
    /// Also say what lies under a cursor at X,Y: fractions of the film's
    /// width and height from its top-left corner (the patient's right on a
    /// frontal film), e.g. 0.3,0.6; on a Graphiti's whole view.
    #[arg(long, value_name = "X,Y", value_parser = parse_point)]
    pub at: Option<(f32, f32)>,
    /// espeak-ng voice or language.
    #[arg(long, default_value = "en")]
    pub voice: String,
    /// Words per minute.
    #[arg(long, default_value_t = 165)]
    pub rate: u32,
    /// The espeak-ng program.
    #[arg(long, default_value = "espeak-ng")]
    pub espeak: PathBuf,
    #[command(flatten)]
    pub models: ModelArgs,
}

impl DescribeArgs {
    /// The voice asked for.
    pub fn voice(&self) -> Voice {
        Voice {
            command: self.espeak.clone(),
            voice: self.voice.clone(),
            rate: self.rate,
            ..Voice::default()
        }
    }
}

#[derive(Args)]
pub struct DevicesArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Scan files to time.
    #[arg(required = true)]
    pub scans: Vec<PathBuf>,
    /// Timed runs per file (after one warm-up).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also measure bytes and wire time per display (emulated) for the
    /// first scan: its first frame and one zoom step.
    #[arg(long)]
    pub wire: bool,
    /// Time the networks described by DIR/manifest.toml too (fixtures
    /// included).
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// With --models: the relief source, midas, density or auto.
    #[arg(long, default_value = "auto")]
    pub depth: DepthChoice,
    /// With --models: compute threads for the networks (default: one per
    /// core).
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
    #[command(flatten)]
    pub display: DisplayArgs,
}

#[derive(Args)]
pub struct RunArgs {
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

impl RunArgs {
    /// The appliance's options from the flags.
    pub fn options(self) -> touchray::appliance::Options {
        touchray::appliance::Options {
            board: self.board,
            scans: self.scans,
            display: self.display,
            models: self.models,
            script: self.script,
            keyboard: self.keyboard,
            json_events: self.json_events,
            allow_fixture: self.allow_fixture,
        }
    }
}

/// A `--size` that is not WIDTHxHEIGHT.
#[derive(Debug, thiserror::Error)]
#[error("expected WIDTHxHEIGHT, got {0:?}")]
pub struct SizeError(String);

/// A point given as "X,Y" is not two fractions in [0, 1].
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not X,Y with both in 0..1, e.g. 0.3,0.6")]
pub struct PointError(String);

fn parse_point(text: &str) -> Result<(f32, f32), PointError> {
    let bad = || PointError(text.to_string());
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    let fraction = |s: &str| {
        s.trim()
            .parse::<f32>()
            .ok()
            .filter(|v| (0.0..=1.0).contains(v))
            .ok_or_else(bad)
    };
    Ok((fraction(x)?, fraction(y)?))
}

fn parse_size(text: &str) -> Result<(u32, u32), SizeError> {
    let bad = || SizeError(text.to_string());
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
    Ok((number(w)?, number(h)?))
}
