//! `touchray describe`: the sentences for the bundled samples, and a real
//! espeak-ng rendering checked with a small WAV reader (length, and that it
//! is not silence).

mod common;

use std::path::Path;

use embedded_graphics::prelude::Point;
use touchray::appliance::loader::{prepare, PreparedScan};
use touchray::device::emulator::{Emulator, Kind, Options, Record};
use touchray::infer::depth::DepthChoice;
use touchray::infer::Loading;
use touchray::pipeline::Networks;
use touchray::speech;
use touchray::tactile::cursor::{Cursor, CURSOR_BLINK};
use touchray::tactile::layout::{Pan, Screen, View, Viewport};
use touchray::tactile::Geometry;

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

/// A board whose voice is a stand-in synthesiser that "speaks" for 5 s,
/// so that presses surely come while it speaks, even under qemu.
fn fake_voice_board(dir: &Path) -> std::path::PathBuf {
    let fake = dir.join("fake-espeak");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \"$1\" in --version) exit 0;; esac\nexec sleep 5\n",
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&fake, permissions).unwrap();
    board_with_speech(
        dir,
        &format!(
            "command = {:?}\naudio-device = \"none\"\n",
            fake.display().to_string()
        ),
    )
}

/// `touchray run` against the Graphiti emulator with one Kermany scan and
/// the models in `models` (the shipped classifier, or none); the events it
/// wrote.
fn run_appliance(dir: &Path, board: &Path, models: &Path, script: &str) -> Vec<serde_json::Value> {
    run_on(dir, board, models, script, false, |_, _| {}).0
}

/// The scan `run_on` puts on the medium: the normal film alone. On an x86
/// CPU with AMX this crashed tract's AMX int8 kernel on the loader thread
/// (SIGSEGV) until main.rs took that kernel out of tract's pool.
fn the_scan() -> std::path::PathBuf {
    common::kermany("NORMAL")
}

/// [`run_appliance`] on a Graphiti (a Graphiti Plus if `plus`), calling
/// `during` with the emulator and the events file while the appliance
/// runs; the events and what the emulated device did.
fn run_on(
    dir: &Path,
    board: &Path,
    models: &Path,
    script: &str,
    plus: bool,
    during: impl FnOnce(&Emulator, &Path),
) -> (Vec<serde_json::Value>, Record) {
    let scans = dir.join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    std::fs::copy(the_scan(), scans.join("a.jpeg")).unwrap();
    let link = dir.join("display");
    let emulator = Emulator::start(
        Kind::Graphiti,
        Options {
            link: Some(link.clone()),
            graphiti_plus: plus,
            ..Options::default()
        },
    )
    .unwrap();
    let script_path = dir.join("script");
    std::fs::write(&script_path, script).unwrap();
    let json = dir.join("events.jsonl");
    let child = common::touchray()
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
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    during(&emulator, &json);
    let out = child.wait_with_output().unwrap();
    let record = emulator.record();
    emulator.stop().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    (common::events(&json), record)
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
    let board = fake_voice_board(dir.path());
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

/// The normal film prepared as the appliance prepares it, with the
/// shipped classifier.
fn prepared() -> PreparedScan {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let (networks, _) = Networks::load(&models, DepthChoice::Auto, &Loading::real()).unwrap();
    prepare(&the_scan(), &networks).unwrap()
}

/// The text of the first speech event at or after `from`.
fn said(events: &[serde_json::Value], from: usize) -> (usize, String) {
    let at = find(events, from, |e| e["event"] == "speech");
    (at, events[at]["text"].as_str().unwrap().to_string())
}

#[test]
fn the_cursor_is_felt_moved_and_asked_what_is_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let board = fake_voice_board(dir.path());
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let script =
        "next\nquery\npan-left\npan-left\npan-left\nquery\nzoom-in\ndescribe\nquery hold 1000\n";
    let (events, record) = run_on(dir.path(), &board, &models, script, false, |_, _| {});

    // The same, made by the library: the cursor out at the centre of the
    // whole film, three pins to the left, then zoomed in on.
    let scan = prepared();
    let g = Geometry::GRAPHITI;
    let whole = scan.screen(View::Anatomy, Viewport::default());
    let picture = scan.picture(&whole, g);
    let first = Cursor::centre_of(&Viewport::default());
    let mut moved = first;
    for _ in 0..3 {
        moved = moved.step(Pan::Left, &Viewport::default(), picture);
    }
    let pin = |c: Cursor| c.pin(&Viewport::default(), picture).unwrap();
    let queries = common::of_kind(&events, "query");
    assert_eq!(queries.len(), 2, "{events:#?}");
    for (query, cursor) in queries.iter().zip([first, moved]) {
        assert_eq!(
            (query["column"].as_i64(), query["row"].as_i64()),
            (
                Some(i64::from(pin(cursor).x)),
                Some(i64::from(pin(cursor).y))
            )
        );
    }
    assert_eq!(pin(moved), pin(first) - Point::new(3, 0));
    // Each query says what the library finds under its pin.
    let mut at = 0;
    for cursor in [first, moved] {
        at = find(&events, at, |e| e["event"] == "query");
        let (next, text) = said(&events, at);
        assert_eq!(text, speech::place(&scan.place(cursor, &whole, g)));
        at = next;
    }
    // The cursor is felt: a lone blinking pin on the frame shown.
    let with_cursor = scan.frame_of(
        &Screen {
            cursor: Some(first),
            ..whole
        },
        g,
    );
    assert!(record.history.iter().any(|f| *f == with_cursor));
    let p = pin(first);
    let i = (p.y * 60 + p.x) as usize;
    assert_eq!(
        (with_cursor.heights()[i], with_cursor.blink()[i]),
        (4, CURSOR_BLINK)
    );
    // Zoomed in on the cursor, describe says it all, the cursor's place too.
    let mut zoomed = Viewport::default();
    zoomed.zoom_in();
    zoomed.centre_on(moved.position());
    let zoomed_screen = scan.screen(View::Anatomy, zoomed);
    let described = find(&events, at, |e| {
        e["event"] == "down" && e["button"] == "describe"
    });
    let (_, text) = said(&events, described);
    let here = speech::place(&scan.place(moved, &zoomed_screen, g));
    assert!(text.starts_with("scan 1 of 1, "), "{text}");
    assert!(text.contains("; zoom 2; "), "{text}");
    assert!(
        text.ends_with(&format!("under the cursor: {here}")),
        "{text}"
    );
    // Held, the query puts the cursor away: the last frame has none.
    let away = find(&events, described, |e| e["event"] == "cursor_away");
    assert_eq!(said(&events, away).1, "cursor off");
    assert!(record.frame == scan.frame(View::Anatomy, zoomed, g));
}

#[test]
fn a_graphiti_plus_routing_key_queries_the_column_above_it() {
    let dir = tempfile::tempdir().unwrap();
    // No voice and no classifier: the query event is there all the same.
    let board = Path::new(env!("CARGO_MANIFEST_DIR")).join("board/generic.toml");
    let script = "next\nrepeat\n+5000 describe\n";
    let (events, record) = run_on(
        dir.path(),
        &board,
        Path::new("/nonexistent"),
        script,
        true,
        |emulator, json| {
            common::wait_for(json, "repeat", |e| {
                e["event"] == "press" && e["button"] == "repeat"
            });
            // CR26: bit 24 + 25 of the 0x33 report (routing keys from bit 24).
            emulator.press(3 * 8 + 25);
        },
    );
    let query = common::of_kind(&events, "query");
    assert_eq!(query.len(), 1, "{events:#?}");
    // Cell 26 of 40, at its middle, across 60 pins: column 38; the row is
    // the picture's middle (the cursor was not out).
    assert_eq!(query[0]["column"], 38, "{}", query[0]);
    let frame = &record.frame;
    let row = query[0]["row"].as_i64().unwrap() as usize;
    assert_eq!(frame.blink()[row * 60 + 38], CURSOR_BLINK);
    // What the library finds there, on the Plus's picture (the label is on
    // its braille line), without a classifier.
    let scan = prepare(&the_scan(), &Networks::default()).unwrap();
    let screen = Screen {
        label_on_line: true,
        ..scan.screen(View::Anatomy, Viewport::default())
    };
    let picture = scan.picture(&screen, Geometry::GRAPHITI);
    let cursor = Cursor::at_pin(Point::new(38, row as i32), &Viewport::default(), picture);
    let place = scan.place(cursor, &screen, Geometry::GRAPHITI);
    assert_eq!(query[0]["place"], serde_json::to_value(place).unwrap());
    assert_eq!(query[0]["place"]["part"], "lung", "{}", query[0]);
    // With the cursor out, the braille line says where it is (the describe
    // press after it left the cursor where it was).
    let line = touchray::tactile::braille::line_bytes(&place.brief());
    assert!(place.brief().contains(" lung "), "{}", place.brief());
    assert_eq!(&record.text_line[..line.len()], line.as_slice());
    assert!(record.text_line[line.len()..].iter().all(|&c| c == 0));
}
