//! `touchray describe`: the sentences for the bundled samples, and a real
//! espeak-ng rendering checked with a small WAV reader (length, and that it
//! is not silence).

mod common;

use std::path::Path;

fn describe(scan: &Path, extra: &[&str]) -> serde_json::Value {
    let out = common::touchray()
        .arg("describe")
        .arg(scan)
        .args(["--json", "--models"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", scan.display());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_samples_are_described_in_plain_words() {
    // The adult film: the classifier abstains, and says why.
    let adult = describe(&common::sample("nih_cxr14_DX_nofinding_nccid.dcm"), &[]);
    assert_eq!(
        adult["text"],
        "no verdict: this film is unlike the films the model learned from"
    );
    let normal = describe(&common::sample("kermany_NORMAL_IM-0115-0001.jpeg"), &[]);
    let text = normal["text"].as_str().unwrap();
    assert!(
        text.starts_with("normal, ") && text.ends_with(" percent"),
        "{text}"
    );
    let sick = describe(
        &common::sample("kermany_PNEUMONIA_person1000_bacteria_2931.jpeg"),
        &[],
    );
    let parts = sick["parts"].as_array().unwrap();
    assert_eq!(parts[0]["topic"], "verdict");
    assert!(parts[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("pneumonia likely, "));
    assert_eq!(parts[1]["topic"], "zone", "{sick}");
    assert!(
        parts[1]["text"].as_str().unwrap().ends_with("zone")
            || parts[1]["text"].as_str().unwrap().ends_with("zones")
    );
    // The spoken percent never claims certainty.
    for d in [&normal, &sick] {
        assert!(!d["text"].as_str().unwrap().contains("100 percent"), "{d}");
    }
}

/// (sample rate, 16-bit mono samples) of a PCM WAV file.
fn read_wav(bytes: &[u8]) -> (u32, Vec<i16>) {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let mut at = 12;
    let (mut rate, mut samples) = (0, Vec::new());
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..(at + 8 + size).min(bytes.len())];
        match id {
            b"fmt " => {
                assert_eq!(u16::from_le_bytes([body[0], body[1]]), 1, "PCM");
                assert_eq!(u16::from_le_bytes([body[2], body[3]]), 1, "mono");
                rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
                assert_eq!(u16::from_le_bytes([body[14], body[15]]), 16, "16-bit");
            }
            b"data" => {
                samples = body
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect();
            }
            _ => {}
        }
        at += 8 + size + size % 2;
    }
    (rate, samples)
}

#[test]
fn espeak_ng_speaks_the_description_into_a_wav() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("sick.wav");
    let sick = describe(
        &common::sample("kermany_PNEUMONIA_person1000_bacteria_2931.jpeg"),
        &["--wav", wav.to_str().unwrap()],
    );
    let (rate, samples) = read_wav(&std::fs::read(&wav).unwrap());
    assert!(rate > 8000, "sample rate {rate}");
    let seconds = samples.len() as f64 / f64::from(rate);
    // About 8 words: between 1 and 10 seconds at 165 words a minute.
    assert!((1.0..10.0).contains(&seconds), "{seconds} s for {sick}");
    let rms =
        (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt();
    assert!(rms > 300.0, "RMS {rms}: silence?");
    // A faster voice says the same in less time.
    let fast = dir.path().join("fast.wav");
    describe(
        &common::sample("kermany_PNEUMONIA_person1000_bacteria_2931.jpeg"),
        &["--wav", fast.to_str().unwrap(), "--rate", "330"],
    );
    let (rate2, fast_samples) = read_wav(&std::fs::read(&fast).unwrap());
    assert!((fast_samples.len() as f64 / f64::from(rate2)) < 0.75 * seconds);
}

#[test]
fn a_missing_synthesiser_is_one_line_and_exit_3() {
    let out = common::touchray()
        .arg("describe")
        .arg(common::sample("kermany_NORMAL_IM-0115-0001.jpeg"))
        .args(["--models", "/nonexistent", "--wav", "/tmp/never.wav"])
        .args(["--espeak", "/nonexistent/espeak-ng"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("espeak-ng"), "{stderr}");
}

/// A board like board/generic.toml with a `[speech]` table.
fn board_with_speech(dir: &Path, speech: &str) -> std::path::PathBuf {
    let generic = Path::new(env!("CARGO_MANIFEST_DIR")).join("board/generic.toml");
    let mut text = std::fs::read_to_string(generic).unwrap();
    text.push_str("\n[speech]\n");
    text.push_str(speech);
    let board = dir.join("board.toml");
    std::fs::write(&board, text).unwrap();
    board
}

/// `touchray run` against the Graphiti emulator with one Kermany scan and
/// the models in `models` (the shipped classifier, or none); the events it
/// wrote.
fn run_appliance(dir: &Path, board: &Path, models: &Path, script: &str) -> Vec<serde_json::Value> {
    use touchray::device::emulator::{Emulator, Faults, Kind, Options};
    let scans = dir.join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    // The normal film alone on the medium: on an x86 CPU with AMX this
    // crashed tract's AMX int8 kernel on the loader thread (SIGSEGV) until
    // main.rs took that kernel out of tract's pool.
    std::fs::copy(common::kermany("NORMAL"), scans.join("a.jpeg")).unwrap();
    let link = dir.join("display");
    let emulator = Emulator::start(
        Kind::Graphiti,
        Options {
            faults: Faults::default(),
            link: Some(link.clone()),
            png: None,
            ..Options::default()
        },
    )
    .unwrap();
    let script_path = dir.join("script");
    std::fs::write(&script_path, script).unwrap();
    let json = dir.join("events.jsonl");
    let out = common::touchray()
        .arg("run")
        .arg("--board")
        .arg(board)
        .arg("--display")
        .arg(format!("graphiti:{}", link.display()))
        .arg("--scans")
        .arg(&scans)
        .arg("--models")
        .arg(models)
        .arg("--script")
        .arg(&script_path)
        .arg("--json-events")
        .arg(&json)
        .output()
        .unwrap();
    emulator.stop().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    std::fs::read_to_string(&json)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The position of the first event matching `what` at or after `from`.
fn find(
    events: &[serde_json::Value],
    from: usize,
    what: impl Fn(&serde_json::Value) -> bool,
) -> usize {
    from + events[from..]
        .iter()
        .position(what)
        .unwrap_or_else(|| panic!("not found after event {from}: {events:#?}"))
}

#[test]
fn the_appliance_speaks_and_a_press_cuts_it_short() {
    let dir = tempfile::tempdir().unwrap();
    // A stand-in synthesiser that "speaks" for 5 s, so that presses
    // surely come while it speaks, even under qemu.
    let fake = dir.path().join("fake-espeak");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \"$1\" in --version) exit 0;; esac\nexec sleep 5\n",
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&fake, permissions).unwrap();
    let board = board_with_speech(
        dir.path(),
        &format!(
            "command = {:?}\naudio-device = \"none\"\n",
            fake.display().to_string()
        ),
    );
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let events = run_appliance(dir.path(), &board, &models, "next\nzoom-in\n");
    let is = |kind: &'static str, text: &'static str| {
        move |e: &serde_json::Value| {
            e["event"] == kind && e["text"].as_str().is_some_and(|t| t.starts_with(text))
        }
    };
    let down = |button: &'static str| {
        move |e: &serde_json::Value| e["event"] == "down" && e["button"] == button
    };
    let test = find(&events, 0, |e| {
        e["event"] == "self_test" && e["check"] == "speech"
    });
    assert_eq!(events[test]["ok"], true, "{}", events[test]);
    // At start-up it says how many scans there are; "next" cuts that short.
    let hello = find(&events, 0, is("speech", "1 scan"));
    let next = find(&events, hello, down("next"));
    let cut = find(&events, next, is("speech_cut", "1 scan"));
    // The scan: its position and the verdict in words.
    let scan = find(&events, cut, is("speech", "scan 1 of 1, "));
    let text = events[scan]["text"].as_str().unwrap().to_string();
    assert!(
        text.starts_with("scan 1 of 1, normal, ") || text.contains("uncertain"),
        "{text}"
    );
    // Zooming cuts the verdict short and says the zoom.
    let zoom = find(&events, scan, down("zoom-in"));
    let cut = find(&events, zoom, |e| {
        e["event"] == "speech_cut" && e["text"] == text
    });
    find(&events, cut, is("speech", "zoom 2"));
}

#[test]
fn without_espeak_ng_the_appliance_says_so_by_touch_and_goes_on_silent() {
    let dir = tempfile::tempdir().unwrap();
    let board = board_with_speech(dir.path(), "command = \"/nonexistent/espeak-ng\"\n");
    // No classifier: the speech checks need none, and qemu runs faster.
    let events = run_appliance(dir.path(), &board, Path::new("/nonexistent"), "next\n");
    let test = find(&events, 0, |e| {
        e["event"] == "self_test" && e["check"] == "speech"
    });
    assert_eq!(events[test]["ok"], false);
    let message = find(&events, test, |e| e["event"] == "message");
    assert!(
        events[message]["text"]
            .as_str()
            .unwrap()
            .contains("no speech"),
        "{}",
        events[message]
    );
    find(&events, message, |e| e["event"] == "shown");
    assert!(events.iter().all(|e| e["event"] != "speech"));
}

#[test]
fn real_espeak_ng_passes_the_self_test() {
    let dir = tempfile::tempdir().unwrap();
    let board = board_with_speech(dir.path(), "audio-device = \"none\"\nrate = 200\n");
    let events = run_appliance(dir.path(), &board, Path::new("/nonexistent"), "next\n");
    let test = find(&events, 0, |e| {
        e["event"] == "self_test" && e["check"] == "speech"
    });
    assert_eq!(events[test]["ok"], true, "{}", events[test]);
    find(&events, test, is_speech_of_scan);
}

fn is_speech_of_scan(e: &serde_json::Value) -> bool {
    e["event"] == "speech"
        && e["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("scan 1 of 1"))
}
