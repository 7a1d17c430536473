//! `touchray run` end to end: the binary, a scripted button source, the
//! Graphiti emulator on a pseudo-terminal and a temporary scan folder.
//! The end-to-end test also runs under qemu-aarch64; the soak (1,000
//! presses with faults, memory measured) runs on x86_64.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use common::{events, of_kind, wait_for};
use touchray::appliance::loader::{prepare, PreparedScan};
use touchray::appliance::signals::Signal;
use touchray::device::emulator::{Emulator, Faults, Kind, Options, Record};
use touchray::device::Pattern;
use touchray::infer::depth::DepthChoice;
use touchray::infer::Loading;
use touchray::pipeline::Networks;
use touchray::tactile::layout::{View, Viewport};
use touchray::tactile::{Geometry, PinFrame};

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn generic_board() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("board/generic.toml")
}

/// Name, size and modification time of every file: the medium as found.
fn snapshot(dir: &Path) -> Vec<(String, u64, SystemTime)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                m.len(),
                m.modified().unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The Graphiti's vibrate commands for a pattern: each pulse 100..1000 ms,
/// longer ones split.
fn graphiti_ms(pattern: &Pattern) -> Vec<u32> {
    let mut out = Vec::new();
    for p in &pattern.pulses {
        let mut left = p.on.as_millis() as u32;
        while left > 0 {
            let on = left.min(1000);
            out.push(on.max(100));
            left -= on;
        }
    }
    out
}

/// True when `wanted` appear in `history` in this order.
fn in_order(history: &[PinFrame], wanted: &[PinFrame]) -> bool {
    let mut rest = history.iter();
    wanted.iter().all(|w| rest.any(|h| h == w))
}

fn start_emulator(dir: &Path, faults: Faults) -> (Emulator, PathBuf) {
    let link = dir.join("display");
    let emulator = Emulator::start(
        Kind::Graphiti,
        Options {
            faults,
            link: Some(link.clone()),
            png: None,
            ..Options::default()
        },
    )
    .unwrap();
    (emulator, link)
}

/// `touchray run` on the generic board against the emulator at `link`,
/// with presses from `script` and events written to `json`.
fn touchray_run(link: &Path, scans: &Path, models: &Path, script: &Path, json: &Path) -> Command {
    let mut command = common::touchray();
    command
        .arg("run")
        .arg("--board")
        .arg(generic_board())
        .arg("--display")
        .arg(format!("graphiti:{}", link.display()))
        .arg("--scans")
        .arg(scans)
        .arg("--models")
        .arg(models)
        .arg("--script")
        .arg(script)
        .arg("--json-events")
        .arg(json);
    command
}

#[test]
fn next_zoom_cycle_previous_reach_the_display_and_the_vibrator() {
    let work = tempfile::tempdir().unwrap();
    let scans = work.path().join("scans");
    std::fs::create_dir(&scans).unwrap();
    std::fs::copy(common::kermany("PNEUMONIA"), scans.join("a.jpeg")).unwrap();
    std::fs::copy(common::kermany("NORMAL"), scans.join("b.jpeg")).unwrap();
    let before = snapshot(&scans);
    let script = work.path().join("script");
    std::fs::write(&script, "next\nzoom-in\ncycle\nprevious\n").unwrap();
    let json = work.path().join("events.jsonl");
    let (emulator, link) = start_emulator(work.path(), Faults::default());

    let out = touchray_run(&link, &scans, &models(), &script, &json)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let record: Record = emulator.record();
    emulator.stop().unwrap();
    let events = events(&json);

    // What the display must have shown, made by the library from the same files.
    let (networks, warnings) =
        Networks::load(&models(), DepthChoice::Auto, &Loading::real()).unwrap();
    assert!(networks.classifier.is_some(), "{warnings:?}");
    let a: PreparedScan = prepare(&scans.join("a.jpeg"), &networks).unwrap();
    let b: PreparedScan = prepare(&scans.join("b.jpeg"), &networks).unwrap();
    let g = Geometry::GRAPHITI;
    let mut zoomed = Viewport::default();
    zoomed.zoom_in();
    let shown = [
        (&a, View::Anatomy, Viewport::default()),
        (&a, View::Anatomy, zoomed),
        (&a, View::Opacity, zoomed),
        // Previous from the first scan wraps to the last; a new scan
        // starts unzoomed in the view last chosen.
        (&b, View::Opacity, Viewport::default()),
    ];
    let expected = shown.map(|(scan, view, viewport)| scan.frame(view, viewport, g));
    let history: Vec<PinFrame> = record.history.iter().cloned().collect();
    assert!(
        in_order(&history, &expected),
        "frames shown out of order or missing"
    );
    assert!(
        record.frame == expected[3],
        "the display ends on the last frame"
    );

    let labels: Vec<&str> = of_kind(&events, "shown")
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    let expected_labels = shown.map(|(scan, view, viewport)| scan.screen(view, viewport).label());
    assert_eq!(labels, expected_labels, "{labels:?}");
    // The view and zoom in each: anatomy (or "na" where the relief stands
    // in, "oe" where a lung's outline is estimated), zoomed, then opacity.
    assert!(
        labels[1].ends_with(" z2mm") && labels[2].ends_with(" z2mm"),
        "{labels:?}"
    );
    assert!(
        [" op ", " oe ", " na "]
            .iter()
            .any(|view| labels[2].contains(view)),
        "{labels:?}"
    );
    let positions: Vec<u64> = of_kind(&events, "shown")
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [1, 1, 1, 2]);

    // The haptic timeline: the start-up test pulse, a tick per press, and
    // each scan's verdict once it is shown.
    let verdict =
        |p: &PreparedScan| Signal::for_verdict(p.finding.expect("a verdict").verdict).pattern();
    let tick = graphiti_ms(&Signal::Tick.pattern());
    let mut timeline = [tick.clone(), tick.clone()].concat();
    timeline.extend(graphiti_ms(&verdict(&a)));
    timeline.extend([tick.clone(), tick.clone(), tick.clone()].concat());
    timeline.extend(graphiti_ms(&verdict(&b)));
    let played: Vec<u32> = record.vibrations.iter().map(|v| v.ms).collect();
    assert_eq!(played, timeline);
    // Pulses of one pattern follow each other at the pattern's rhythm.
    let gaps: Vec<u64> = record
        .vibrations
        .windows(2)
        .map(|w| w[1].at_ms - w[0].at_ms)
        .collect();
    let first_verdict = 2;
    let p = verdict(&a);
    for (i, pulse) in p.pulses.iter().enumerate().take(p.pulses.len() - 1) {
        let want = (pulse.on + pulse.off).as_millis() as u64;
        let got = gaps[first_verdict + i];
        assert!(
            // Each pulse starts on the loop's next turn after it falls
            // due (a few ms natively, tens under qemu), so gaps wobble.
            got + 60 >= want && got <= want + 150,
            "pulse gap {got} ms, pattern says {want}"
        );
    }
    // Every press was felt at once: its tick started in the same turn of the loop.
    for (i, e) in events.iter().enumerate() {
        if e["event"] == "down" {
            let next = &events[i + 1];
            assert_eq!(next["pattern"], "tick", "{e} then {next}");
            let latency = next["t_ms"].as_u64().unwrap() - e["t_ms"].as_u64().unwrap();
            assert!(latency <= 100, "tick {latency} ms after the press");
        }
    }
    assert_eq!(of_kind(&events, "down").len(), 4);
    assert!(
        of_kind(&events, "self_test")
            .iter()
            .all(|e| e["ok"] == true),
        "{events:?}"
    );
    assert_eq!(snapshot(&scans), before, "the medium was not touched");
    // No file name in the events or the log.
    let all = format!("{stderr}{}", std::fs::read_to_string(&json).unwrap());
    assert!(!all.contains("a.jpeg") && !all.contains("b.jpeg"));
}

#[test]
fn a_damaged_model_and_a_pulled_stick_are_announced_by_touch() {
    let work = tempfile::tempdir().unwrap();
    let scans = work.path().join("scans");
    std::fs::create_dir(&scans).unwrap();
    let scan = common::kermany("PNEUMONIA");
    std::fs::copy(&scan, scans.join("a.jpeg")).unwrap();
    // The models folder with one byte of the classifier changed.
    let damaged = work.path().join("models");
    std::fs::create_dir(&damaged).unwrap();
    let manifest = std::fs::read_to_string(models().join("manifest.toml")).unwrap();
    std::fs::write(damaged.join("manifest.toml"), &manifest).unwrap();
    for entry in std::fs::read_dir(models()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "onnx" || e == "npy") {
            let mut bytes = std::fs::read(&path).unwrap();
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x55;
            std::fs::write(damaged.join(path.file_name().unwrap()), bytes).unwrap();
        }
    }
    let script = work.path().join("script");
    // Presses spaced out so that the run lasts while the stick comes and goes.
    std::fs::write(&script, "next\n+4000 repeat\n+4000 repeat\n").unwrap();
    let json = work.path().join("events.jsonl");
    let (emulator, link) = start_emulator(work.path(), Faults::default());
    let mut child = touchray_run(&link, &scans, &damaged, &script, &json)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&json, "shown", |e| e["event"] == "shown");
    // The stick is pulled...
    std::fs::remove_file(scans.join("a.jpeg")).unwrap();
    wait_for(&json, "no scans", |e| e["text"] == "no scans");
    // ...and put back: noticed without a restart, its scan shown.
    std::fs::copy(&scan, scans.join("a.jpeg")).unwrap();
    wait_for(&json, "media", |e| e["event"] == "media" && e["scans"] == 1);
    let status = child.wait().unwrap();
    assert!(status.success());
    let record = emulator.record();
    emulator.stop().unwrap();
    let events = events(&json);

    let models_check = of_kind(&events, "self_test")[0];
    assert_eq!(models_check["check"], "models");
    assert_eq!(models_check["ok"], false, "{models_check}");
    assert!(
        models_check["detail"].as_str().unwrap().contains("sha256"),
        "{models_check}"
    );
    let messages: Vec<&str> = of_kind(&events, "message")
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(messages[0], "model fault no verdicts 1 scan");
    assert!(messages.contains(&"no scans"), "{messages:?}");
    // Relief without verdicts: shown before the pull and again after it,
    // labelled "nomodel", and no verdict pattern ever played.
    let pulled = events.iter().position(|e| e["text"] == "no scans").unwrap();
    assert!(events[..pulled].iter().any(|e| e["event"] == "shown"));
    assert!(events[pulled..].iter().any(|e| e["event"] == "shown"));
    let shown = of_kind(&events, "shown");
    assert!(shown.iter().all(|e| e["verdict"].is_null()));
    assert!(shown
        .iter()
        .all(|e| e["label"].as_str().unwrap().starts_with("nomodel")));
    let patterns: Vec<&str> = of_kind(&events, "haptic")
        .iter()
        .map(|e| e["pattern"].as_str().unwrap())
        .collect();
    assert!(
        patterns.iter().all(|p| ["tick", "error"].contains(p)),
        "{patterns:?}"
    );
    // Announced by touch: the start-up fault and the pulled stick buzz "error".
    assert_eq!(
        patterns.iter().filter(|&&p| p == "error").count(),
        2,
        "{patterns:?}"
    );
    assert!(
        record.vibrations.iter().any(|v| v.ms == 1000),
        "the long error buzz"
    );
    let media: Vec<u64> = of_kind(&events, "media")
        .iter()
        .map(|e| e["scans"].as_u64().unwrap())
        .collect();
    assert_eq!(media, [0, 1]);
}

/// Resident memory of process `pid`, in KiB.
#[cfg(target_arch = "x86_64")]
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[cfg(target_arch = "x86_64")]
#[test]
fn a_thousand_presses_over_good_and_broken_files_with_faults() {
    use std::io::Write;
    use std::time::{Duration, Instant};

    let work = tempfile::tempdir().unwrap();
    let scans = work.path().join("scans");
    std::fs::create_dir(&scans).unwrap();
    let kermany = |class: &str, n: usize| {
        let dir = common::shared_data().join("kermany-224/train").join(class);
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files[n].clone()
    };
    let jpeg = std::fs::read(kermany("NORMAL", 1)).unwrap();
    // Good and broken interleaved on the medium, as sorted.
    std::fs::copy(kermany("NORMAL", 0), scans.join("01.jpeg")).unwrap();
    std::fs::write(scans.join("02.dcm"), b"not a scan at all").unwrap();
    std::fs::copy(kermany("PNEUMONIA", 0), scans.join("03.jpeg")).unwrap();
    std::fs::write(scans.join("04.jpeg"), &jpeg[..jpeg.len() / 2]).unwrap();
    std::fs::copy(kermany("PNEUMONIA", 1), scans.join("05.jpeg")).unwrap();
    std::fs::write(scans.join("06.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    std::fs::write(scans.join("07.jpeg"), &jpeg).unwrap();
    let good = [1u64, 3, 5, 7];
    let broken = [2u64, 4, 6];
    let before = snapshot(&scans);

    let buttons = [
        "next",
        "zoom-in",
        "pan-left",
        "cycle",
        "pan-down",
        "next",
        "zoom-out",
        "previous",
        "repeat",
        "cycle",
        "next",
        "pan-right",
        "next",
        "zoom-in",
        "previous",
        "cycle",
    ];
    let mut script = String::new();
    for i in 0..1000 {
        let b = buttons[i % buttons.len()];
        // Mostly quick taps that do not wait (presses queue while loading),
        // now and then a hold (long press, then repeats).
        if i % 97 == 0 {
            script.push_str(&format!("+10 {b} hold 900\n"));
        } else {
            script.push_str(&format!("+30 {b} hold 15\n"));
        }
    }
    // Keeps the run alive long enough to measure it after press 1000.
    script.push_str("+0 repeat hold 1500\n");
    let script_path = work.path().join("script");
    std::fs::write(&script_path, script).unwrap();
    let json = work.path().join("events.jsonl");
    let no_models = work.path().join("no-models");
    std::fs::create_dir(&no_models).unwrap();
    let faults = Faults {
        refuse_every: Some(9),
        vanish_after: Some(300),
        vanish_for: Duration::from_millis(1500),
        ..Faults::default()
    };
    let (emulator, link) = start_emulator(work.path(), faults);

    let mut child = touchray_run(&link, &scans, &no_models, &script_path, &json)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let started = Instant::now();
    let (mut rss_100, mut rss_1000) = (None, None);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(600) {
            child.kill().unwrap();
            panic!("touchray run hung: no end after 600 s");
        }
        let text = std::fs::read_to_string(&json).unwrap_or_default();
        let presses = text.matches("\"event\":\"press\"").count();
        if presses >= 100 && rss_100.is_none() {
            rss_100 = Some(rss_kib(child.id()));
        }
        if presses >= 1000 && rss_1000.is_none() {
            rss_1000 = Some(rss_kib(child.id()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = log.join().unwrap();
    let elapsed = started.elapsed();
    assert!(status.success(), "{status}: {log}");
    assert!(!log.contains("panicked"), "{log}");
    let record = emulator.record();
    emulator.stop().unwrap();
    let events = events(&json);

    let indices = |kind: &str| -> std::collections::BTreeSet<u64> {
        of_kind(&events, kind)
            .iter()
            .map(|e| e["index"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(indices("shown").into_iter().collect::<Vec<_>>(), good);
    assert_eq!(indices("bad_scan").into_iter().collect::<Vec<_>>(), broken);
    let presses = of_kind(&events, "press").len();
    assert!(presses >= 1000, "{presses} presses");
    let ignored = of_kind(&events, "ignored").len();
    let queued = of_kind(&events, "queued").len();
    assert!(record.refused > 0, "the emulator refused commands");
    assert_eq!(record.vanished, 1, "unplugged once");
    assert!(!of_kind(&events, "display_lost").is_empty());
    assert!(!of_kind(&events, "display_back").is_empty());
    assert_eq!(snapshot(&scans), before, "the medium was not touched");

    let (r100, r1000) = (
        rss_100.expect("RSS at press 100"),
        rss_1000.expect("RSS at press 1000"),
    );
    let growth = r1000 as i64 - r100 as i64;
    let mut out = std::io::stderr();
    writeln!(
        out,
        "soak: {presses} presses ({queued} queued, {ignored} ignored) in {:.1} s; \
         {} commands refused, display lost {} times; RSS {r100} KiB at press 100, \
         {r1000} KiB at press 1000 ({growth:+} KiB)",
        elapsed.as_secs_f64(),
        record.refused,
        of_kind(&events, "display_lost").len(),
    )
    .unwrap();
    assert!(growth < 5 * 1024, "resident memory grew {growth} KiB");
}

#[test]
fn on_a_graphiti_plus_the_label_goes_to_the_braille_line() {
    let work = tempfile::tempdir().unwrap();
    let scans = work.path().join("scans");
    std::fs::create_dir(&scans).unwrap();
    std::fs::copy(common::kermany("NORMAL"), scans.join("a.jpeg")).unwrap();
    let script = work.path().join("script");
    std::fs::write(&script, "next\nzoom-in\n").unwrap();
    let json = work.path().join("events.jsonl");
    let link = work.path().join("display");
    let emulator = Emulator::start(
        Kind::Graphiti,
        Options {
            link: Some(link.clone()),
            graphiti_plus: true,
            ..Options::default()
        },
    )
    .unwrap();
    common::succeeded(&mut touchray_run(&link, &scans, &models(), &script, &json));
    let record: Record = emulator.record();
    emulator.stop().unwrap();
    let events = events(&json);
    let labels: Vec<&str> = of_kind(&events, "shown")
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    let last = labels.last().expect("a scan was shown");
    assert!(last.ends_with(" z2mm"), "{labels:?}");
    // The line holds the last label, in standard dot order.
    let cells = touchray::tactile::braille::line_bytes(last);
    assert_eq!(&record.text_line[..cells.len()], cells.as_slice());
    // The pins: the picture alone, from the top row down (no label rows).
    let (networks, _) = Networks::load(&models(), DepthChoice::Auto, &Loading::real()).unwrap();
    let a: PreparedScan = prepare(&scans.join("a.jpeg"), &networks).unwrap();
    let mut zoomed = Viewport::default();
    zoomed.zoom_in();
    let screen = touchray::tactile::layout::Screen {
        label_on_line: true,
        ..a.screen(View::Anatomy, zoomed)
    };
    let expected = a.frame_of(&screen, Geometry::GRAPHITI);
    assert!(
        record.frame == expected,
        "the display ends on the zoomed frame"
    );
    assert!(
        record.frame.rows().next().unwrap().iter().any(|&h| h > 0),
        "row 0 is picture"
    );
}
