//! A mutational fuzzer for everything touchray reads from outside: scan
//! files, the three displays' replies, board files and model manifests.
//!
//! Stable Rust, in process: cargo-fuzz needs a nightly toolchain, which the
//! boards' and CI's toolchain is not. No coverage feedback, so it finds less
//! per execution than libFuzzer would; it makes up with mutations that know
//! the formats (DICOM element lengths and VRs, interesting sizes).
//!
//! For each input it checks what a user relies on: no panic escapes (the
//! scan loader's own panic guard turns third-party decoder panics into an
//! error; those are counted, listed and kept, not failures), no input of up to
//! 1 MiB makes the process hold more than 256 MiB above what it held before,
//! and no input takes longer than 10 s. A failing input is written to
//! target/fuzz/TARGET/ and the run exits 1.
//!
//!     cargo run --example fuzz -- all --seconds 10 --max-seed-kb 64   (CI)
//!     cargo run --release --example fuzz -- all --seconds 60
//!     cargo run --release --example fuzz -- scan --seconds 3600 --seed 7
//!
//! Targets: scan, graphiti, dotpad, pinarray, board, manifest, all.

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use touchray::appliance::board::Board;
use touchray::device::dotpad::packet::{self as dotpad, BoardInfo};
use touchray::device::graphiti::codec::{self as graphiti, Convention, Direction};
use touchray::device::graphiti::id;
use touchray::device::pinarray::{kind, wire, Hello};
use touchray::infer::manifest::Manifest;
use touchray::scan::{self, ScanProblem};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only arithmetic beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MAX_INPUT: usize = 1 << 20;
const MEMORY_BUDGET: usize = 256 << 20;
const SLOW: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Scan,
    Graphiti,
    DotPad,
    PinArray,
    Board,
    Manifest,
}

const TARGETS: [Target; 6] = [
    Target::Scan,
    Target::Graphiti,
    Target::DotPad,
    Target::PinArray,
    Target::Board,
    Target::Manifest,
];

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Scan => "scan",
            Target::Graphiti => "graphiti",
            Target::DotPad => "dotpad",
            Target::PinArray => "pinarray",
            Target::Board => "board",
            Target::Manifest => "manifest",
        }
    }

    fn is_text(self) -> bool {
        matches!(self, Target::Board | Target::Manifest)
    }

    /// Runs one input; `Some(message)` for a decoder panic the scan
    /// loader's guard caught.
    fn run(self, input: &[u8]) -> Option<String> {
        match self {
            Target::Scan => match scan::decode(input) {
                Err(ScanProblem::Corrupt {
                    format: "file",
                    detail,
                }) => return Some(detail),
                Ok(s) => assert_eq!(s.pixels.len(), s.width as usize * s.height as usize),
                Err(_) => {}
            },
            Target::Graphiti => {
                for convention in [Convention::Spec, Convention::Library] {
                    let mut decoder = graphiti::Decoder::checking(Direction::ToHost, convention);
                    for &b in input {
                        if let Some(graphiti::Decoded::Frame { command, data }) = decoder.push(b) {
                            if command == id::RESOLUTION {
                                let text = String::from_utf8_lossy(&data);
                                touchray::device::graphiti::parse_geometry(&text, "4");
                            }
                            if matches!(command, id::KEY_REPORT | id::KEY_REPORT_PLUS) {
                                touchray::device::graphiti::keys_in_report(&data);
                            }
                        }
                    }
                }
            }
            Target::DotPad => {
                let mut decoder = dotpad::Decoder::default();
                for &b in input {
                    if let Some(dotpad::Decoded::Packet(p)) = decoder.push(b) {
                        BoardInfo::parse(&p.data);
                    }
                }
            }
            Target::PinArray => {
                let mut decoder = wire::Decoder::default();
                for &b in input {
                    if let Some(wire::Decoded::Message(m)) = decoder.push(b) {
                        Hello::parse(&m.payload);
                    }
                }
                wire::cobs_decode(input);
            }
            Target::Board => {
                let _ = Board::parse(&String::from_utf8_lossy(input));
            }
            Target::Manifest => {
                let _ = Manifest::parse(
                    &String::from_utf8_lossy(input),
                    Path::new("models/manifest.toml"),
                );
            }
        }
        None
    }

    fn seeds(self, root: &Path, max_seed: usize) -> Vec<Vec<u8>> {
        let files = |dirs: &[&str], ext: &[&str]| -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            for dir in dirs {
                let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                    continue;
                };
                let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                paths.sort();
                for path in paths {
                    let wanted = path
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| ext.contains(&e.to_ascii_lowercase().as_str()));
                    if let (true, Ok(bytes)) = (wanted, std::fs::read(&path)) {
                        if bytes.len() <= max_seed.min(MAX_INPUT) {
                            out.push(bytes);
                        }
                    }
                }
            }
            out
        };
        match self {
            Target::Scan => files(
                &["samples", "tests/fixtures/pydicom", "../shared/data/dicom"],
                &["dcm", "png", "jpg", "jpeg", "tif", "tiff", "bmp"],
            ),
            Target::Graphiti => vec![
                [
                    graphiti::encode(id::RESOLUTION, b"60|40"),
                    graphiti::encode(id::HEIGHT_LEVELS, b"4"),
                    graphiti::encode(id::KEY_REPORT_PLUS, &[0x01, 0x00, 0x02]),
                    graphiti::encode(id::STATUS, &[0]),
                ]
                .concat(),
                graphiti::encode(id::SOFTWARE_VERSION, b"1.2.3.4.5.6.7.8"),
                graphiti::encode(id::GESTURE, &[0x1B]),
            ],
            Target::DotPad => vec![
                dotpad::Packet::new(0, 0x0101, vec![0x11, 0x22, 0x33, 0x44]).encode(),
                [
                    dotpad::Packet::new(1, 0x0201, vec![0; 30]).encode(),
                    dotpad::Packet::new(2, 0x0300, vec![0]).encode(),
                ]
                .concat(),
            ],
            Target::PinArray => vec![
                wire::Message {
                    kind: kind::HELLO_REPLY,
                    seq: 1,
                    payload: vec![1, 0, 60, 0, 40, 5, 0, 200],
                }
                .encode(),
                [
                    wire::Message {
                        kind: kind::NAK,
                        seq: 2,
                        payload: vec![5],
                    }
                    .encode(),
                    wire::Message {
                        kind: kind::KEY,
                        seq: 0,
                        payload: vec![3, 1],
                    }
                    .encode(),
                ]
                .concat(),
            ],
            Target::Board => files(&["board"], &["toml"]),
            Target::Manifest => {
                let mut seeds = files(&["models"], &["toml"]);
                for dir in [
                    "tests/fixtures/baseline",
                    "tests/fixtures/midas",
                    "tests/fixtures/ood",
                ] {
                    seeds.extend(files(&[dir], &["toml"]));
                }
                seeds
            }
        }
    }
}

/// Values that break size arithmetic.
const INTERESTING: [u32; 12] = [
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0x7FFF,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0xFFFF_FFF0,
    0xFFFF_FFFF,
];
const TOKENS: [&str; 12] = [
    "=",
    "[",
    "]",
    "\"",
    "\n",
    "[[model]]",
    "0",
    "-1",
    "1e309",
    "99999999999999999999",
    "\\u0000",
    "'''",
];
/// DICOM tags whose values size things: Rows, Columns, Bits Allocated,
/// Bits Stored, Samples per Pixel, Number of Frames, Pixel Data, and the
/// Transfer Syntax UID.
const SIZING_TAGS: [[u8; 4]; 8] = [
    [0x28, 0x00, 0x10, 0x00],
    [0x28, 0x00, 0x11, 0x00],
    [0x28, 0x00, 0x00, 0x01],
    [0x28, 0x00, 0x01, 0x01],
    [0x28, 0x00, 0x02, 0x00],
    [0x28, 0x00, 0x08, 0x00],
    [0xE0, 0x7F, 0x10, 0x00],
    [0x02, 0x00, 0x10, 0x00],
];
const VRS: [&[u8; 2]; 8] = [b"OB", b"OW", b"UN", b"SQ", b"US", b"UL", b"CS", b"UT"];

fn mutate(rng: &mut fastrand::Rng, seeds: &[Vec<u8>], target: Target) -> Vec<u8> {
    let mut data = seeds[rng.usize(..seeds.len())].clone();
    for _ in 0..rng.usize(1..=4) {
        let len = data.len().max(1);
        match rng.u8(..11) {
            0 if !data.is_empty() => {
                let i = rng.usize(..data.len());
                data[i] ^= 1 << rng.u8(..8);
            }
            1 if !data.is_empty() => {
                let i = rng.usize(..data.len());
                data[i] = rng.u8(..);
            }
            2 if data.len() >= 4 => {
                let i = rng.usize(..data.len() - 3);
                let v = INTERESTING[rng.usize(..INTERESTING.len())];
                let bytes = if rng.bool() {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                let width = if rng.bool() { 4 } else { 2 };
                data[i..i + width].copy_from_slice(&bytes[..width]);
            }
            3 => data.truncate(rng.usize(..len)),
            4 if data.len() > 1 => {
                let a = rng.usize(..data.len());
                let b = (a + rng.usize(1..=64)).min(data.len());
                data.drain(a..b);
            }
            5 if data.len() > 1 => {
                let a = rng.usize(..data.len());
                let b = (a + rng.usize(1..=64)).min(data.len());
                let chunk = data[a..b].to_vec();
                data.splice(a..a, chunk);
            }
            6 => {
                let at = rng.usize(..=data.len());
                let noise: Vec<u8> = if target.is_text() {
                    TOKENS[rng.usize(..TOKENS.len())].as_bytes().to_vec()
                } else {
                    (0..rng.usize(1..16)).map(|_| rng.u8(..)).collect()
                };
                data.splice(at..at, noise);
            }
            7 => {
                let other = &seeds[rng.usize(..seeds.len())];
                let cut = rng.usize(..=data.len());
                let from = rng.usize(..=other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            8 | 9 if target == Target::Scan => dicom_edit(rng, &mut data),
            _ => {}
        }
    }
    data.truncate(MAX_INPUT);
    data
}

/// Edits one sizing element of a DICOM file: its VR, its length, or its
/// value, as a damaged or hostile writer would.
fn dicom_edit(rng: &mut fastrand::Rng, data: &mut [u8]) {
    let tag = SIZING_TAGS[rng.usize(..SIZING_TAGS.len())];
    let Some(at) = data.windows(4).position(|w| w == tag) else {
        return;
    };
    let v = INTERESTING[rng.usize(..INTERESTING.len())];
    match rng.u8(..3) {
        0 if at + 6 <= data.len() => {
            data[at + 4..at + 6].copy_from_slice(VRS[rng.usize(..VRS.len())]);
        }
        // An explicit VR's 2-byte length, or a long VR's 4-byte one.
        1 if at + 12 <= data.len() => {
            if rng.bool() {
                data[at + 6..at + 8].copy_from_slice(&(v as u16).to_le_bytes());
            } else {
                data[at + 8..at + 12].copy_from_slice(&v.to_le_bytes());
            }
        }
        _ if at + 10 <= data.len() => {
            data[at + 8..at + 10].copy_from_slice(&(v as u16).to_le_bytes());
        }
        _ => {}
    }
}

struct Report {
    executions: u64,
    caught: Vec<String>,
    failures: Vec<String>,
}

fn campaign(target: Target, root: &Path, seconds: f64, seed: u64, max_seed: usize) -> Report {
    let seeds = target.seeds(root, max_seed);
    let mut report = Report {
        executions: 0,
        caught: Vec::new(),
        failures: Vec::new(),
    };
    if seeds.is_empty() {
        report.failures.push(format!(
            "no seeds for {} under {}",
            target.name(),
            root.display()
        ));
        return report;
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let out_dir = root.join("target/fuzz").join(target.name());
    // Seeds first, unmutated, then mutants until the deadline.
    let mut pending: Vec<Vec<u8>> = seeds.clone();
    while Instant::now() < deadline {
        let input = pending
            .pop()
            .unwrap_or_else(|| mutate(&mut rng, &seeds, target));
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| target.run(&input)));
        let took = started.elapsed();
        let grew = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        report.executions += 1;
        let failure = match outcome {
            Err(panic) => Some(format!(
                "panic: {}",
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
            Ok(_) if grew > MEMORY_BUDGET => Some(format!("{} MiB held", grew >> 20)),
            Ok(_) if took > SLOW => Some(format!("{:.1} s", took.as_secs_f64())),
            Ok(Some(caught)) => {
                if !report.caught.contains(&caught) {
                    // Kept, to find where the decoder panicked.
                    let _ = std::fs::create_dir_all(&out_dir);
                    let file = format!("seed{seed}-caught{}.bin", report.caught.len());
                    let _ = std::fs::write(out_dir.join(file), &input);
                    report.caught.push(caught);
                }
                None
            }
            Ok(None) => None,
        };
        if let Some(what) = failure {
            let _ = std::fs::create_dir_all(&out_dir);
            let file = out_dir.join(format!("seed{seed}-failure{}.bin", report.failures.len()));
            let _ = std::fs::write(&file, &input);
            report.failures.push(format!(
                "{what} ({} bytes, {})",
                input.len(),
                file.display()
            ));
        }
    }
    report
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seconds: f64 = value("--seconds").map_or(10.0, |s| s.parse().expect("--seconds N"));
    let seed: u64 = value("--seed").map_or(1, |s| s.parse().expect("--seed N"));
    // Seed files above this size are left out (a short run gets more
    // executions from small files).
    let max_seed: usize = value("--max-seed-kb").map_or(MAX_INPUT, |s| {
        s.parse::<usize>().expect("--max-seed-kb N") << 10
    });
    let which = args.first().map(String::as_str).unwrap_or("all");
    let targets: Vec<Target> = match which {
        "all" => TARGETS.to_vec(),
        name => match TARGETS.iter().find(|t| t.name() == name) {
            Some(&t) => vec![t],
            None => {
                eprintln!("fuzz: unknown target {name:?} (scan, graphiti, dotpad, pinarray, board, manifest, all)");
                return std::process::ExitCode::from(2);
            }
        },
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failed = false;
    for target in targets {
        let report = campaign(target, root, seconds, seed, max_seed);
        println!(
            "{:<9} {:>8} executions in {seconds} s, {} distinct decoder panics caught, {} failures",
            target.name(),
            report.executions,
            report.caught.len(),
            report.failures.len()
        );
        for caught in &report.caught {
            println!("  caught: {}", caught.replace('\n', " "));
        }
        for failure in &report.failures {
            println!("  FAILURE: {failure}");
        }
        failed |= !report.failures.is_empty();
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
