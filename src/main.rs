//! The `touchray` command line: parse, call the library, print. Every
//! failure is one line on stderr and the exit status of its
//! [`touchray::Error`].

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use touchray::appliance;
use touchray::bench::{bench, bench_passes, bench_wire, peak_rss_kib, text_report};
use touchray::device::emulator::Emulator;
use touchray::device::link::RetryPolicy;
use touchray::device::open::{list_ports, open_display, ports_table};
use touchray::device::preview::terminal_text;
use touchray::eval::{evaluate, features_csv, write_eval_files, Extras, Progress};
use touchray::infer::classifier::Classifier;
use touchray::output::{write_outputs, FeaturesReport, OutputError, RenderReport, RenderSummary};
use touchray::pipeline::{make_relief, render, Networks, Wanted};
use touchray::speech::describe_rendering;
use touchray::tactile::braille::line_bytes;
use touchray::tactile::cursor::Cursor;
use touchray::tactile::{Features, Geometry};
use touchray::{Error, ExitStatus};

use cli::{
    BenchArgs, Cli, Command, DescribeArgs, DevicesArgs, EmulateArgs, EvalArgs, FeaturesArgs,
    ModelArgs, RenderArgs, RunArgs,
};

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn print(text: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match write!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::from(OutputError::new("stdout".as_ref(), e)).into())
        }
        _ => Ok(()),
    }
}

/// One JSON line on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let json = serde_json::to_string(value).context("JSON")?;
    print(format_args!("{json}\n"))
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Render(args) => run_render(&args),
        Command::Bench(args) => run_bench(&args),
        Command::Eval(args) => run_eval(&args),
        Command::Features(args) => run_features(&args),
        Command::Emulate(args) => run_emulate(&args),
        Command::Devices(args) => run_devices(&args),
        Command::Describe(args) => run_describe(&args),
        Command::Run(args) => run_appliance(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A library error is already one line naming the file; its
            // sources are in that line, so the chain is not printed again.
            let (line, status) = match e.downcast_ref::<Error>() {
                Some(error) => (error.to_string(), error.exit_status()),
                None => (format!("{e:#}"), ExitStatus::Output),
            };
            eprintln!("touchray: {line}");
            ExitCode::from(status as u8)
        }
    }
}

fn run_appliance(args: RunArgs) -> anyhow::Result<()> {
    let env = env_logger::Env::default().default_filter_or("info");
    env_logger::Builder::from_env(env).init();
    let summary = appliance::run(&args.options()).map_err(Error::from)?;
    log::info!("{summary}");
    Ok(())
}

fn run_render(args: &RenderArgs) -> anyhow::Result<()> {
    let mut geometry = args.size.geometry()?;
    let mut display = match &args.display {
        Some(spec) => {
            let display =
                open_display(spec, geometry, RetryPolicy::default()).map_err(Error::from)?;
            geometry = display.geometry();
            Some(display)
        }
        None => None,
    };
    let networks = args.models.networks()?;
    let label_on_line = display.as_mut().is_some_and(|d| d.braille_line().is_some());
    let wanted = Wanted {
        label_on_line,
        ..Wanted::all(geometry).in_view(args.view)
    };
    let rendering = render(&args.scan, &networks, wanted).map_err(Error::from)?;
    if let Some(Err(e)) = &rendering.analysis {
        eprintln!("touchray: {e}; no verdict");
    }
    if let Some(e) = &rendering.depth_error {
        eprintln!("touchray: {e}; density relief instead");
    }
    if let (Some(display), Some(frame)) = (display.as_mut(), &rendering.frame) {
        display.show(frame).map_err(Error::from)?;
        if let Some(line) = display.braille_line() {
            line.show_cells(&line_bytes(&rendering.screen.label()))
                .map_err(Error::from)?;
        }
    }
    if let Some(dir) = &args.out {
        write_outputs(dir, &rendering).map_err(Error::from)?;
    }
    if args.json {
        print_json(&RenderReport::from(&rendering))?;
    } else {
        let summary = RenderSummary(&rendering);
        print(format_args!("{}: {summary}\n", args.scan.display()))?;
    }
    if let (true, Some(frame)) = (args.preview, &rendering.frame) {
        print(terminal_text(frame))?;
    }
    Ok(())
}

fn run_features(args: &FeaturesArgs) -> anyhow::Result<()> {
    let depth = args.models.depth_net(&args.models.loading())?;
    let scan = touchray::scan::load(&args.scan).map_err(Error::from)?;
    let (relief, depth_error) = make_relief(&scan, depth.as_ref());
    if let Some(e) = depth_error {
        eprintln!("touchray: {e}; density relief instead");
    }
    let report = FeaturesReport {
        depth_source: relief.source,
        features: Features::of(&relief),
    };
    if args.json {
        return print_json(&report);
    }
    print(format_args!("{}: {report}\n", args.scan.display()))
}

fn run_eval(args: &EvalArgs) -> anyhow::Result<()> {
    let models = &args.models;
    // One loading, so the classifier and the depth network share one pool.
    let loading = models.loading();
    let classifier =
        Classifier::load(&models.models.join("manifest.toml"), &loading).map_err(Error::from)?;
    let depth = match &args.features {
        Some(_) => models.depth_net(&loading)?,
        None => None,
    };
    let extras = Extras {
        features: args.features.is_some(),
        depth: depth.as_ref(),
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template("[{bar:40}] {pos}/{len}")
                .context("progress bar")?
                .progress_chars("## "),
        )
    } else {
        ProgressBar::hidden()
    };
    let (metrics, predictions) = evaluate(&args.dir, &classifier, extras, |p| match p {
        Progress::Step { done, total } => {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        Progress::Skipped { file, reason } => bar.suspend(|| {
            eprintln!("touchray: skipping {}: {reason}", file.display());
        }),
    })
    .map_err(Error::from)?;
    bar.finish();
    if let Some(out) = &args.out {
        write_eval_files(out, &classifier.spec().name, &metrics, &predictions)
            .map_err(Error::from)?;
    }
    if let Some(csv) = &args.features {
        std::fs::write(csv, features_csv(&predictions))
            .map_err(|e| Error::from(OutputError::new(csv, e)))?;
    }
    if args.json {
        return print_json(&metrics);
    }
    print(&metrics)
}

fn run_emulate(args: &EmulateArgs) -> anyhow::Result<()> {
    let emulator = Emulator::start(args.device, args.options()).map_err(Error::from)?;
    print(format_args!("{}\n", emulator.path().display()))?;
    Ok(emulator.wait().map_err(Error::from)?)
}

fn run_describe(args: &DescribeArgs) -> anyhow::Result<()> {
    let networks = args.models.networks()?;
    let rendering = render(&args.scan, &networks, Wanted::analysis()).map_err(Error::from)?;
    let cursor = args.at.map(|(x, y)| Cursor::at(x, y));
    let description = describe_rendering(&rendering, cursor, Geometry::GRAPHITI);
    if let Some(wav) = &args.wav {
        args.voice()
            .render_wav(&description.text, wav)
            .map_err(Error::from)?;
    }
    if args.json {
        return print_json(&description);
    }
    print(format_args!("{}\n", description.text))
}

fn run_devices(args: &DevicesArgs) -> anyhow::Result<()> {
    let ports = list_ports().map_err(Error::from)?;
    if args.json {
        return print_json(&ports);
    }
    print(ports_table(&ports))
}

fn run_bench(args: &BenchArgs) -> anyhow::Result<()> {
    let geometry = args.display.geometry()?;
    let networks = match &args.models {
        Some(dir) => ModelArgs {
            models: dir.clone(),
            depth: args.depth,
            allow_fixture: true,
            threads: args.threads,
        }
        .networks()?,
        None => Networks::default(),
    };
    let mut results = Vec::new();
    for path in &args.scans {
        results.push(bench(path, geometry, args.runs, &networks).map_err(Error::from)?);
    }
    let passes = if networks.classifier.is_some() || networks.depth.is_some() {
        let first = touchray::scan::load(&args.scans[0]).map_err(Error::from)?;
        bench_passes(&first, args.runs, &networks).map_err(Error::from)?
    } else {
        Vec::new()
    };
    let peak_rss_kib = peak_rss_kib();
    let wire = if args.wire {
        bench_wire(&args.scans[0]).map_err(Error::from)?
    } else {
        Vec::new()
    };
    if args.json {
        let json = serde_json::json!({ "results": results, "passes": passes, "peak_rss_kib": peak_rss_kib, "wire": wire });
        return print(format_args!("{json}\n"));
    }
    print(text_report(&results, &passes, peak_rss_kib, &wire))
}
