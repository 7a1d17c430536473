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
