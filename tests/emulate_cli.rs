//! The whole path through the command line: `touchray emulate DEVICE` in
//! one process, `touchray render SCAN --display DEVICE:LINK` in another;
//! the emulator must end up showing exactly the pins render sent.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kills the emulator even when the test fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn emulate(device: &str, dir: &Path, extra: &[&str]) -> Running {
    let mut child = common::touchray()
        .arg("emulate")
        .arg(device)
        .arg("--link")
        .arg(dir.join("link"))
        .arg("--png")
        .arg(dir.join("emulator.png"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), dir.join("link").display().to_string());
    Running(child)
}

fn pixels(path: &Path) -> image::RgbImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8()
}

/// `touchray render` of the DX sample onto `display`, with `extra` flags.
fn render_onto(display: &str, extra: &[&str]) -> std::process::Output {
    common::touchray()
        .arg("render")
        .arg(common::sample("nih_cxr14_DX_nofinding_nccid.dcm"))
        .arg("--display")
        .arg(display)
        .args(extra)
        .output()
        .unwrap()
}

fn render_on(device: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let _emulator = emulate(device, dir.path(), extra);
    let out = dir.path().join("out");
    let t = Instant::now();
    let display = format!("{device}:{}", dir.path().join("link").display());
    let out_dir = out.display().to_string();
    let result = render_onto(&display, &["--out", &out_dir, "--json"]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{device}: {stderr}");
    assert!(t.elapsed() < Duration::from_secs(60));
    // pins.png is the frame render sent; emulator.png is what the device
    // shows, drawn by the same function.
    let mut sent = pixels(&out.join("pins.png"));
    let shown = pixels(&dir.path().join("emulator.png"));
    if device != "graphiti" {
        // Only the Graphiti blinks: elsewhere the indicator's blink (a red
        // rim around the pin in the picture) is not part of what is shown.
        for p in sent.pixels_mut() {
            if p.0 == [220, 40, 40] {
                p.0 = [24, 24, 28];
            }
        }
    }
    assert_eq!(sent.dimensions(), shown.dimensions(), "{device}");
    assert!(sent == shown, "{device}: the emulator shows other pins");
    serde_json::from_slice(&result.stdout).unwrap()
}

#[test]
fn render_drives_an_emulated_graphiti() {
    let json = render_on("graphiti", &[]);
    assert!(
        json["verdict"].is_string(),
        "the shipped classifier ran: {json}"
    );
    assert_eq!(json["frame"]["width"], 60);
    assert_eq!(json["frame"]["levels"], 5);
}

#[test]
fn render_drives_an_emulated_graphiti_through_faults() {
    render_on("graphiti", &["--refuse-every", "2", "--corrupt-every", "3"]);
}

#[test]
fn render_drives_an_emulated_dotpad() {
    let json = render_on("dotpad", &["--corrupt-every", "7"]);
    assert_eq!(json["frame"]["levels"], 2);
    // Its text line takes the label: the picture may use the top rows.
    assert_eq!(
        json["frame"]["image_area"]["height"], 40,
        "{}",
        json["frame"]["image_area"]
    );
}

#[test]
fn render_drives_an_emulated_graphiti_plus() {
    let json = render_on("graphiti", &["--plus"]);
    assert_eq!(json["frame"]["levels"], 5);
    assert_eq!(
        json["frame"]["image_area"]["y"], 0,
        "the label is on the braille line"
    );
    assert_eq!(json["frame"]["image_area"]["height"], 40);
}

#[test]
fn render_drives_an_emulated_pin_array() {
    let json = render_on("pinarray", &["--refuse-every", "5"]);
    assert_eq!(json["frame"]["width"], 32);
    assert_eq!(json["frame"]["height"], 24);
}

#[test]
fn a_silent_display_is_a_one_line_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let _emulator = emulate("graphiti", dir.path(), &["--silent-after", "0"]);
    let t = Instant::now();
    let result = render_onto(
        &format!("graphiti:{}", dir.path().join("link").display()),
        &[],
    );
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("graphiti: no valid reply to device name after 3 attempts"),
        "{stderr}"
    );
    assert!(t.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_missing_display_is_a_one_line_error() {
    let result = render_onto("dotpad:/nonexistent/ttyUSB9", &[]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/ttyUSB9"), "{stderr}");
}

#[test]
fn the_emulator_never_replaces_a_real_file_with_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "keep me").unwrap();
    let result = common::touchray()
        .args(["emulate", "graphiti", "--link"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("is not a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}
