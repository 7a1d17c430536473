//! The `touchray` command line: parse, call the library, print.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use touchray::bench::{bench, bench_wire, peak_rss_kib, text_report};
use touchray::device::emulator::{self, Emulator};
use touchray::device::link::RetryPolicy;
use touchray::device::open::{list_ports, open_display, DisplaySpec};
use touchray::device::preview::terminal_text;
use touchray::eval::{
    evaluate, features_csv, predictions_csv, reliability_image, roc_image, roc_points, Extras,
    Progress,
};
use touchray::infer::classifier::Classifier;
use touchray::infer::depth::{DepthChoice, DepthNet};
use touchray::output::{write_outputs, FeaturesReport, RenderReport};
use touchray::pipeline::{load_depth, make_relief, render_with, Networks};
use touchray::tactile::{Features, Geometry};

/// Exit status for input touchray refuses (bad scan, bad flags).
const EXIT_BAD_INPUT: u8 = 2;
/// Exit status for failures writing results.
const EXIT_OUTPUT: u8 = 1;
/// Exit status for a display or device that failed.
const EXIT_DEVICE: u8 = 3;

#[derive(Parser)]
#[command(
    name = "touchray",
    version,
    about = "Feel a chest radiograph on a pin display"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    Run(touchray::appliance::Options),
}

#[derive(Args)]
struct DisplayArgs {
    /// Display size in pins, WIDTHxHEIGHT.
    #[arg(long, default_value = "60x40", value_parser = parse_size)]
    size: (u32, u32),
    /// Height states per pin, flat included.
    #[arg(long, default_value_t = 5)]
    levels: u8,
}

impl DisplayArgs {
    fn geometry(&self) -> Result<Geometry, String> {
        Geometry::new(self.size.0, self.size.1, self.levels).map_err(|e| e.to_string())
    }
}

#[derive(Args)]
struct ModelArgs {
    /// Folder with manifest.toml and the models. Without one there: no
    /// verdict, density relief.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Relief source: midas, density, or auto (MiDaS when a real MiDaS
    /// model is installed, else density).
    #[arg(long, default_value = "auto", value_parser = clap::value_parser!(DepthChoice))]
    depth: DepthChoice,
    /// Also use models marked `fixture` (random weights, for tests).
    #[arg(long)]
    allow_fixture: bool,
}

impl ModelArgs {
    /// The networks, warnings printed; a depth network asked for and not
    /// usable is an error.
    fn networks(&self) -> Result<Networks, Failure> {
        let (networks, warnings) = Networks::load(&self.models, self.depth, self.allow_fixture)
            .map_err(|e| (EXIT_BAD_INPUT, e.to_string()))?;
        warn(&warnings);
        Ok(networks)
    }

    /// The depth network alone, likewise.
    fn depth_net(&self) -> Result<Option<DepthNet>, Failure> {
        let mut warnings = Vec::new();
        let net = load_depth(&self.models, self.depth, self.allow_fixture, &mut warnings)
            .map_err(|e| (EXIT_BAD_INPUT, e.to_string()))?;
        warn(&warnings);
        Ok(net)
    }
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("touchray: {w}");
    }
}

#[derive(Args)]
struct FeaturesArgs {
    /// The scan file.
    scan: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    models: ModelArgs,
}

#[derive(Args)]
struct RenderArgs {
    /// The scan file.
    scan: PathBuf,
    /// Write grayscale.png, contour.png, heightmap.png, pins.png and relief.npy here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Print the pins as text.
    #[arg(long)]
    preview: bool,
    /// Show the frame on a display: graphiti:PATH, dotpad:PATH,
    /// pinarray:PATH, shiftreg:SPIDEV,latch=LINE,oe=LINE,size=WxH,
    /// png:FILE or term. Serial displays report their own size.
    #[arg(long, value_parser = clap::value_parser!(DisplaySpec))]
    display: Option<DisplaySpec>,
    #[command(flatten)]
    models: ModelArgs,
    #[command(flatten)]
    size: DisplayArgs,
}

#[derive(Args)]
struct EvalArgs {
    /// Folder with NORMAL/ and PNEUMONIA/ subfolders (any case).
    dir: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Write roc.png and predictions.csv here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write each image's texture features (and its label) to this CSV.
    #[arg(long, value_name = "FILE.csv")]
    features: Option<PathBuf>,
    #[command(flatten)]
    models: ModelArgs,
}

#[derive(Args)]
struct EmulateArgs {
    /// graphiti, dotpad or pinarray.
    device: emulator::Kind,
    /// Also reach the terminal through this symbolic link (kept across --vanish-after).
    #[arg(long)]
    link: Option<PathBuf>,
    /// Write the pins shown as PNG after every change.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Refuse every Nth command as after line noise.
    #[arg(long, value_name = "N")]
    refuse_every: Option<u32>,
    /// Corrupt the checksum of every Nth reply.
    #[arg(long, value_name = "N")]
    corrupt_every: Option<u32>,
    /// Stop answering after N replies.
    #[arg(long, value_name = "N")]
    silent_after: Option<u32>,
    /// Vanish (as if unplugged) after N replies...
    #[arg(long, value_name = "N")]
    vanish_after: Option<u32>,
    /// ...for this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    vanish_ms: u64,
    /// Dot Pad: answer "wait" to every Nth line, without acting on it.
    #[arg(long, value_name = "N")]
    wait_every: Option<u32>,
    /// Dot Pad: an error notification before every Nth line's reply.
    #[arg(long, value_name = "N")]
    error_every: Option<u32>,
    /// Dot Pad: "line finished" under another line's destination.
    #[arg(long)]
    finished_elsewhere: bool,
    /// Graphiti: check checksums as Orbit's host library computes them.
    #[arg(long)]
    library_checksum: bool,
    /// Pin array: busy (NAK 5) for this many ms after the first commit.
    #[arg(long, value_name = "MS")]
    busy_ms: Option<u64>,
    /// Pin array: remember a previous session's last request, seq N.
    #[arg(long, value_name = "N")]
    stale_seq: Option<u8>,
}

#[derive(Args)]
struct DevicesArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BenchArgs {
    /// Scan files to time.
    #[arg(required = true)]
    scans: Vec<PathBuf>,
    /// Timed runs per file (after one warm-up).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also measure bytes and wire time per display (emulated) for the
    /// first scan: its first frame and one zoom step.
    #[arg(long)]
    wire: bool,
    /// Time the networks described by DIR/manifest.toml too (fixtures
    /// included).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// With --models: the relief source, midas, density or auto.
    #[arg(long, default_value = "auto", value_parser = clap::value_parser!(DepthChoice))]
    depth: DepthChoice,
    #[command(flatten)]
    display: DisplayArgs,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, got {text:?}"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("expected WIDTHxHEIGHT, got {text:?}"))
    };
    Ok((number(w)?, number(h)?))
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err((EXIT_OUTPUT, format!("stdout: {e}")))
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Render(args) => run_render(&args),
        Command::Bench(args) => run_bench(&args),
        Command::Eval(args) => run_eval(&args),
        Command::Features(args) => run_features(&args),
        Command::Emulate(args) => run_emulate(&args),
        Command::Devices(args) => run_devices(&args),
        Command::Run(options) => run_appliance(options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("touchray: {message}");
            ExitCode::from(code)
        }
    }
}

type Failure = (u8, String);

fn run_appliance(options: touchray::appliance::Options) -> Result<(), Failure> {
    let env = env_logger::Env::default().default_filter_or("info");
    env_logger::Builder::from_env(env).init();
    let summary =
        touchray::appliance::run(&options).map_err(|e| (e.exit_code() as u8, e.to_string()))?;
    log::info!("{summary}");
    Ok(())
}

fn run_render(args: &RenderArgs) -> Result<(), Failure> {
    let mut geometry = args.size.geometry().map_err(|e| (EXIT_BAD_INPUT, e))?;
    let mut display = match &args.display {
        Some(spec) => {
            let display = open_display(spec, geometry, RetryPolicy::default())
                .map_err(|e| (EXIT_DEVICE, e.to_string()))?;
            geometry = display.geometry();
            Some(display)
        }
        None => None,
    };
    let networks = args.models.networks()?;
    let rendering = render_with(&args.scan, geometry, &networks)
        .map_err(|e| (EXIT_BAD_INPUT, e.to_string()))?;
    if let Some(Err(e)) = &rendering.analysis {
        eprintln!("touchray: {e}; no verdict");
    }
    if let Some(e) = &rendering.depth_error {
        eprintln!("touchray: {e}; density relief instead");
    }
    if let Some(display) = display.as_mut() {
        display
            .show(&rendering.frame)
            .map_err(|e| (EXIT_DEVICE, e.to_string()))?;
    }
    if let Some(dir) = &args.out {
        write_outputs(dir, &rendering).map_err(|e| (EXIT_OUTPUT, e.to_string()))?;
    }
    if args.json {
        let json = serde_json::to_string(&RenderReport::from(&rendering))
            .map_err(|e| (EXIT_OUTPUT, e.to_string()))?;
        print(&format!("{json}\n"))?;
    } else {
        let s = &rendering.scan;
        print(&format!(
            "{}: {} {}x{} -> {}x{} pins, {} levels, {:?} relief, {:.1} ms\n",
            args.scan.display(),
            s.source.format,
            s.width,
            s.height,
            geometry.width,
            geometry.height,
            geometry.levels,
            rendering.relief.source,
            rendering.timings.total
        ))?;
    }
    if args.preview {
        print(&terminal_text(&rendering.frame))?;
    }
    Ok(())
}

fn run_features(args: &FeaturesArgs) -> Result<(), Failure> {
    let depth = args.models.depth_net()?;
    let scan = touchray::scan::load(&args.scan).map_err(|e| (EXIT_BAD_INPUT, e.to_string()))?;
    let (relief, depth_error) = make_relief(&scan, depth.as_ref());
    if let Some(e) = depth_error {
        eprintln!("touchray: {e}; density relief instead");
    }
    let report = FeaturesReport {
        depth_source: relief.source,
        features: Features::of(&relief),
    };
    if args.json {
        let json = serde_json::to_string(&report).map_err(|e| (EXIT_OUTPUT, e.to_string()))?;
        return print(&format!("{json}\n"));
    }
    let f = &report.features;
    print(&format!(
        "{}: {:?} relief: depth_std {:.6}, depth_entropy {:.6} bits, edge_total {:.3}, lbp_hist {:.4?}\n",
        args.scan.display(),
        report.depth_source,
        f.depth_std,
        f.depth_entropy,
        f.edge_total,
        f.lbp_hist
    ))
}

fn run_eval(args: &EvalArgs) -> Result<(), Failure> {
    use std::io::IsTerminal;
    let models = &args.models;
    let classifier = Classifier::load(&models.models.join("manifest.toml"), models.allow_fixture)
        .map_err(|e| (EXIT_BAD_INPUT, e.to_string()))?;
    let depth = match &args.features {
        Some(_) => models.depth_net()?,
        None => None,
    };
    let extras = Extras {
        features: args.features.is_some(),
        depth: depth.as_ref(),
    };
    let bar = std::io::stderr().is_terminal();
    let (metrics, predictions) = evaluate(&args.dir, &classifier, extras, |p| match p {
        Progress::Step { done, total } if bar => {
            let width = 40 * done / total.max(1);
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(width),
                " ".repeat(40 - width)
            );
            if done == total {
                eprintln!();
            }
        }
        Progress::Step { .. } => {}
        Progress::Skipped { file, reason } => {
            if bar {
                eprintln!();
            }
            eprintln!("touchray: skipping {}: {reason}", file.display());
        }
    })
    .map_err(|e| (EXIT_BAD_INPUT, e))?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out)
            .map_err(|e| (EXIT_OUTPUT, format!("{}: {e}", out.display())))?;
        let roc = out.join("roc.png");
        roc_image(
            &roc_points(
                &predictions
                    .iter()
                    .map(|p| (p.pneumonia, p.p_pneumonia))
                    .collect::<Vec<_>>(),
            ),
            metrics.auc,
            &format!("ROC, {} on {} images", classifier.spec().name, metrics.n),
        )
        .save(&roc)
        .map_err(|e| (EXIT_OUTPUT, format!("{}: {e}", roc.display())))?;
        let reliability = out.join("reliability.png");
        reliability_image(
            &predictions
                .iter()
                .map(|p| (p.pneumonia, p.p_pneumonia))
                .collect::<Vec<_>>(),
            &format!(
                "Reliability, {} on {} images",
                classifier.spec().name,
                metrics.n
            ),
        )
        .save(&reliability)
        .map_err(|e| (EXIT_OUTPUT, format!("{}: {e}", reliability.display())))?;
        let csv = out.join("predictions.csv");
        std::fs::write(&csv, predictions_csv(&predictions))
            .map_err(|e| (EXIT_OUTPUT, format!("{}: {e}", csv.display())))?;
    }
    if let Some(csv) = &args.features {
        std::fs::write(csv, features_csv(&predictions))
            .map_err(|e| (EXIT_OUTPUT, format!("{}: {e}", csv.display())))?;
    }
    if args.json {
        let json = serde_json::to_string(&metrics).map_err(|e| (EXIT_OUTPUT, e.to_string()))?;
        return print(&format!("{json}\n"));
    }
    let c = metrics.confusion;
    print(&format!(
        "{} images ({} skipped): accuracy {:.4}, AUC {:.4} at threshold {}\n\
         confusion (pneumonia positive): tp {} fp {} tn {} fn {}\n\
         in the uncertain band {:?}: {}\n",
        metrics.n,
        metrics.skipped,
        metrics.accuracy,
        metrics.auc,
        metrics.threshold,
        c.tp,
        c.fp,
        c.tn,
        c.fn_,
        metrics.uncertain_band,
        metrics.uncertain
    ))
}

fn run_emulate(args: &EmulateArgs) -> Result<(), Failure> {
    let options = emulator::Options {
        faults: emulator::Faults {
            refuse_every: args.refuse_every,
            corrupt_every: args.corrupt_every,
            silent_after: args.silent_after,
            vanish_after: args.vanish_after,
            vanish_for: std::time::Duration::from_millis(args.vanish_ms),
            wait_every: args.wait_every,
            error_every: args.error_every,
            finished_elsewhere: args.finished_elsewhere,
            library_checksum: args.library_checksum,
            busy_for: args.busy_ms.map(std::time::Duration::from_millis),
            stale_seq: args.stale_seq,
        },
        link: args.link.clone(),
        png: args.png.clone(),
    };
    let emulator =
        Emulator::start(args.device, options).map_err(|e| (EXIT_DEVICE, e.to_string()))?;
    print(&format!("{}\n", emulator.path().display()))?;
    emulator.wait().map_err(|e| (EXIT_DEVICE, e.to_string()))
}

fn run_devices(args: &DevicesArgs) -> Result<(), Failure> {
    let ports = list_ports().map_err(|e| (EXIT_DEVICE, e.to_string()))?;
    if args.json {
        let json = serde_json::to_string(&ports).map_err(|e| (EXIT_OUTPUT, e.to_string()))?;
        return print(&format!("{json}\n"));
    }
    if ports.is_empty() {
        return print("no serial ports\n");
    }
    let mut text = String::new();
    for p in ports {
        let usb = p
            .usb
            .map_or("-".to_string(), |(v, d)| format!("{v:04X}:{d:04X}"));
        text += &format!("{:<24} {:<10} {}\n", p.path, usb, p.display.unwrap_or("-"));
    }
    print(&text)
}

fn run_bench(args: &BenchArgs) -> Result<(), Failure> {
    let geometry = args.display.geometry().map_err(|e| (EXIT_BAD_INPUT, e))?;
    let networks = match &args.models {
        Some(dir) => ModelArgs {
            models: dir.clone(),
            depth: args.depth,
            allow_fixture: true,
        }
        .networks()?,
        None => Networks::default(),
    };
    let mut results = Vec::new();
    for path in &args.scans {
        results.push(
            bench(path, geometry, args.runs, &networks)
                .map_err(|e| (EXIT_BAD_INPUT, e.to_string()))?,
        );
    }
    let peak_rss_kib = peak_rss_kib();
    let wire = if args.wire {
        bench_wire(&args.scans[0]).map_err(|e| (EXIT_DEVICE, e.to_string()))?
    } else {
        Vec::new()
    };
    if args.json {
        let json =
            serde_json::json!({ "results": results, "peak_rss_kib": peak_rss_kib, "wire": wire });
        return print(&format!("{json}\n"));
    }
    print(&text_report(&results, peak_rss_kib, &wire))
}
