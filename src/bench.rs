//! `touchray bench`: repeated renders of real scans, per-stage latency
//! statistics, and the process's peak resident memory. Runs on the board
//! itself, so the numbers in the README can be checked where they matter.

use std::path::Path;

use serde::Serialize;

use crate::device::emulator::Kind;
use crate::device::wire::{measure, WireReport};
use crate::infer::manifest::ModelError;
use crate::pipeline::{render, Networks, ScanInfo, Timings, Wanted};
use crate::scan::{Scan, ScanError};
use crate::tactile::layout::{compose, Screen};
use crate::tactile::Geometry;

/// Latency of one stage over all runs, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stage {
    /// Fastest run.
    pub min: f64,
    /// Middle run.
    pub median: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
}

impl Stage {
    /// Statistics of `samples` (milliseconds); all zeros when empty.
    pub fn of(mut samples: Vec<f64>) -> Stage {
        if samples.is_empty() {
            return Stage {
                min: 0.0,
                median: 0.0,
                p95: 0.0,
            };
        }
        samples.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Stage {
            min: samples[0],
            median: rank(0.5),
            p95: rank(0.95),
        }
    }
}

/// Per-stage statistics for one scan file.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// The file name (no directories).
    pub file: String,
    /// What was loaded.
    pub scan: ScanInfo,
    /// Number of timed runs.
    pub runs: usize,
    /// Read and decode.
    pub load: Stage,
    /// The classifier (zeros without one).
    pub classify: Stage,
    /// The relief: the depth network, or resize and density relief.
    pub relief: Stage,
    /// The texture features.
    pub features: Stage,
    /// The three representation images.
    pub representations: Stage,
    /// Pins.
    pub frame: Stage,
    /// The whole scan -> PinFrame path.
    pub total: Stage,
}

/// Renders `path` once to warm up, then `runs` timed times, with the
/// networks given.
pub fn bench(
    path: &Path,
    geometry: Geometry,
    runs: usize,
    networks: &Networks,
) -> Result<BenchResult, ScanError> {
    let wanted = Wanted::all(geometry);
    let first = render(path, networks, wanted)?;
    let mut timings: Vec<Timings> = Vec::with_capacity(runs);
    for _ in 0..runs {
        timings.push(render(path, networks, wanted)?.timings);
    }
    let stage = |pick: fn(&Timings) -> f64| Stage::of(timings.iter().map(pick).collect());
    Ok(BenchResult {
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        scan: first.scan,
        runs,
        load: stage(|t| t.load),
        classify: stage(|t| t.classify),
        relief: stage(|t| t.relief),
        features: stage(|t| t.features),
        representations: stage(|t| t.representations),
        frame: stage(|t| t.frame),
        total: stage(|t| t.total),
    })
}

/// One forward pass of one network alone, as timed by [`bench_passes`]:
/// the number to hold against another runtime on the same model file.
#[derive(Debug, Clone, Serialize)]
pub struct PassResult {
    /// The manifest entry's name.
    pub name: String,
    /// The model file.
    pub model: String,
    /// The input shape, NCHW.
    pub input: [usize; 4],
    /// Compute threads it was loaded for.
    pub threads: usize,
    /// Timed passes (after one warm-up).
    pub runs: usize,
    /// Milliseconds a pass.
    pub pass: Stage,
}

/// Times `runs` forward passes of each loaded network alone, on the
/// input it makes from `scan` (preprocessing not timed).
pub fn bench_passes(
    scan: &Scan,
    runs: usize,
    networks: &Networks,
) -> Result<Vec<PassResult>, ModelError> {
    let loaded = [
        networks.classifier.as_ref().map(|c| c.network()),
        networks.depth.as_ref().map(|d| d.network()),
    ];
    let mut results = Vec::new();
    for network in loaded.into_iter().flatten() {
        let input = network.input(scan)?;
        network.run_input(input.clone())?;
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = std::time::Instant::now();
            network.run_input(input.clone())?;
            samples.push(start.elapsed().as_secs_f64() * 1e3);
        }
        results.push(PassResult {
            name: network.spec.name.clone(),
            model: network.path.display().to_string(),
            input: network.spec.input,
            threads: network.threads(),
            runs,
            pass: Stage::of(samples),
        });
    }
    Ok(results)
}

/// The table `touchray bench` prints: median milliseconds per stage and
/// file, the peak RSS, and the wire costs when measured.
pub fn text_report(
    results: &[BenchResult],
    passes: &[PassResult],
    peak_rss_kib: Option<u64>,
    wire: &[WireReport],
) -> String {
    let mut table = format!(
        "{:<40} {:>11} {:>6} | {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8}\n",
        "file",
        "size",
        "runs",
        "load",
        "classify",
        "relief",
        "features",
        "reps",
        "frame",
        "total",
        "p95"
    );
    for r in results {
        table += &format!(
            "{:<40} {:>11} {:>6} | {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} | {:>8.2} {:>8.2}\n",
            r.file,
            format!("{}x{}", r.scan.width, r.scan.height),
            r.runs,
            r.load.median,
            r.classify.median,
            r.relief.median,
            r.features.median,
            r.representations.median,
            r.frame.median,
            r.total.median,
            r.total.p95
        );
    }
    table += &format!(
        "medians in ms; peak RSS {} KiB\n",
        peak_rss_kib.map_or("?".into(), |k| k.to_string())
    );
    for p in passes {
        table += &format!(
            "one pass of {} ({}x{}, {} thread{}): min {:.2} median {:.2} p95 {:.2} ms\n",
            p.name,
            p.input[3],
            p.input[2],
            p.threads,
            if p.threads == 1 { "" } else { "s" },
            p.pass.min,
            p.pass.median,
            p.pass.p95
        );
    }
    if !wire.is_empty() {
        table += &format!(
            "\n{:<9} {:>6} {:>9} | {:>20} {:>9} {:>8} | {:>20} {:>9} {:>8}\n",
            "display",
            "baud",
            "pins",
            "full frame: out/in B",
            "wire ms",
            "pty ms",
            "zoom step: out/in B",
            "wire ms",
            "pty ms"
        );
        for w in wire {
            let (f, z) = (&w.full_frame, &w.zoom_step);
            table += &format!(
                "{:<9} {:>6} {:>9} | {:>20} {:>9.1} {:>8.1} | {:>20} {:>9.1} {:>8.1}\n",
                w.device,
                w.baud,
                format!("{}x{}x{}", w.geometry.0, w.geometry.1, w.geometry.2),
                format!("{}/{}", f.sent, f.received),
                f.wire_ms,
                f.pty_ms,
                format!("{}/{}", z.sent, z.received),
                z.wire_ms,
                z.pty_ms
            );
        }
        table +=
            "wire ms = bytes both ways at the baud rate (10 bits/byte), before the pins move\n";
    }
    table
}

/// Peak resident set size of this process in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_statistics_use_nearest_rank() {
        let s = Stage::of((1..=20).map(f64::from).collect());
        assert_eq!((s.min, s.median, s.p95), (1.0, 10.0, 19.0));
        assert_eq!(Stage::of(vec![]).median, 0.0);
    }
}

/// Why a wire benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum WireBenchError {
    /// The scan did not load.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// A driver or emulator failed.
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),
}

/// Bytes and wire time per emulated display for the scan at `path`: its
/// first frame, then one zoom step.
pub fn bench_wire(path: &Path) -> Result<Vec<WireReport>, WireBenchError> {
    let scan = crate::scan::load(path)?;
    let relief = crate::tactile::density_relief_of(&scan);
    let reps =
        crate::tactile::representations(&relief, crate::tactile::reading::Reading::of(&scan));
    let frames = |geometry: Geometry| {
        let mut screen = Screen::default();
        let first = compose(&relief, &reps, &screen, geometry);
        screen.viewport.zoom_in();
        (first, compose(&relief, &reps, &screen, geometry))
    };
    [Kind::Graphiti, Kind::DotPad, Kind::PinArray]
        .into_iter()
        .map(|kind| Ok(measure(kind, frames)?))
        .collect()
}
