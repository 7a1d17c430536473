//! `touchray render` end to end on real scans: the files of `--out`, the JSON
//! report, the display flags, and no patient data anywhere.

mod common;

use std::path::Path;

use serde_json::Value;

fn render_json(scan: &Path, extra: &[&str], out_dir: Option<&Path>) -> (Value, String) {
    let mut cmd = common::touchray();
    cmd.arg("render").arg(scan).arg("--json").args(extra);
    if let Some(dir) = out_dir {
        cmd.arg("--out").arg(dir);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{}: {stderr}", scan.display());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object on one line");
    (serde_json::from_str(&stdout).unwrap(), stderr + &stdout)
}

fn check_frame(json: &Value, width: usize, height: usize, levels: u64) {
    let frame = &json["frame"];
    assert_eq!(frame["width"], width as u64);
    assert_eq!(frame["height"], height as u64);
    assert_eq!(frame["levels"], levels);
    let rows = frame["heights"].as_array().unwrap();
    assert_eq!(rows.len(), height);
    let mut raised = 0;
    for row in rows {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), width);
        for h in row {
            let h = h.as_u64().unwrap();
            assert!(h < levels);
            raised += usize::from(h > 0);
        }
    }
    // A chest has shape: neither flat nor a solid block.
    assert!(
        raised > width * height / 5 && raised < width * height,
        "{raised} raised pins"
    );
}

fn read_npy(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(
        header.contains("'descr': '<f4'") && header.contains("'shape': (224, 224)"),
        "{header}"
    );
    bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn every_real_scan_renders_all_outputs() {
    let scans = [
        common::nih_dx(),
        common::dicom("WG04_RG1_J2KI_chest_CR.dcm"),
        common::dicom("WG04_RG1_JLSN_chest_CR.dcm"),
        common::kermany("PNEUMONIA"),
    ];
    for scan in &scans {
        let dir = tempfile::tempdir().unwrap();
        let (json, _) = render_json(scan, &[], Some(dir.path()));
        assert_eq!(json["depth_source"], "density");
        assert!(json["scan"]["width"].as_u64().unwrap() > 0);
        assert!(["dicom", "jpeg"].contains(&json["scan"]["format"].as_str().unwrap()));
        check_frame(&json, 60, 40, 5);
        for stage in ["load", "relief", "representations", "frame", "total"] {
            assert!(
                json["timings_ms"][stage].as_f64().unwrap() >= 0.0,
                "{stage}"
            );
        }
        for name in ["grayscale.png", "contour.png", "heightmap.png"] {
            let image = image::open(dir.path().join(name)).unwrap();
            assert_eq!((image.width(), image.height()), (224, 224), "{name}");
        }
        let pins = image::open(dir.path().join("pins.png")).unwrap();
        assert_eq!((pins.width(), pins.height()), (60 * 12, 40 * 12));
        let relief = read_npy(&dir.path().join("relief.npy"));
        assert_eq!(relief.len(), 224 * 224);
        assert!(relief.iter().all(|v| (0.0..=1.0).contains(v)));
        // The heightmap is exactly the relief in eight bits.
        let heightmap = image::open(dir.path().join("heightmap.png"))
            .unwrap()
            .to_luma8();
        for (v, p) in relief.iter().zip(heightmap.as_raw()) {
            assert_eq!((v * 255.0).round() as u8, *p);
        }
    }
}

#[test]
fn display_size_and_levels_are_respected() {
    let (json, _) = render_json(
        &common::nih_dx(),
        &["--size", "30x20", "--levels", "2"],
        None,
    );
    check_frame(&json, 30, 20, 2);
}

#[test]
fn patient_identifiers_never_leave_the_file() {
    // The identifier really is in the input...
    let raw = std::fs::read(common::nih_dx()).unwrap();
    assert!(raw
        .windows(common::NIH_PATIENT.len())
        .any(|w| w == common::NIH_PATIENT.as_bytes()));
    // ...and in nothing touchray prints or writes.
    let dir = tempfile::tempdir().unwrap();
    let (_, printed) = render_json(&common::nih_dx(), &[], Some(dir.path()));
    assert!(!printed.contains(common::NIH_PATIENT));
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes
            .windows(common::NIH_PATIENT.len())
            .any(|w| w == common::NIH_PATIENT.as_bytes()));
    }
    let human = common::touchray()
        .arg("render")
        .arg(common::nih_dx())
        .arg("--preview")
        .output()
        .unwrap();
    assert!(human.status.success());
    assert!(!String::from_utf8_lossy(&human.stdout).contains(common::NIH_PATIENT));
    assert!(!String::from_utf8_lossy(&human.stderr).contains(common::NIH_PATIENT));
}

#[test]
fn the_bundled_samples_render() {
    for name in [
        "nih_cxr14_DX_nofinding_nccid.dcm",
        "WG04_RG1_J2KI_chest_CR.dcm",
    ] {
        let (json, _) = render_json(&common::sample(name), &[], None);
        check_frame(&json, 60, 40, 5);
    }
}

/// `touchray bench --json ARGS`, which must succeed.
fn bench_json(args: &[&std::ffi::OsStr]) -> Value {
    let out = common::succeeded(common::touchray().args(["bench", "--json"]).args(args));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn bench_reports_every_stage() {
    let json = bench_json(&["--runs".as_ref(), "2".as_ref(), common::nih_dx().as_ref()]);
    let result = &json["results"][0];
    assert_eq!(result["runs"], 2);
    assert!(result["total"]["median"].as_f64().unwrap() > 0.0);
    assert!(json["peak_rss_kib"].as_u64().unwrap() > 0);
}

#[test]
fn bench_times_one_pass_of_each_network_on_the_threads_asked() {
    let models = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let scan = common::sample("kermany_NORMAL_IM-0115-0001.jpeg");
    let json = bench_json(&[
        "--runs".as_ref(),
        "1".as_ref(),
        "--depth".as_ref(),
        "density".as_ref(),
        "--threads".as_ref(),
        "1".as_ref(),
        "--models".as_ref(),
        models.as_ref(),
        scan.as_ref(),
    ]);
    let passes = json["passes"].as_array().unwrap();
    assert_eq!(passes.len(), 1, "{passes:?}");
    assert_eq!(passes[0]["name"], "resnet18-pneumonia-int8");
    assert_eq!(passes[0]["threads"], 1);
    assert_eq!(passes[0]["input"], serde_json::json!([1, 3, 160, 160]));
    let pass = passes[0]["pass"]["median"].as_f64().unwrap();
    let classify = json["results"][0]["classify"]["median"].as_f64().unwrap();
    // One thread: the classify stage is two passes one after the other.
    assert!(pass > 0.0 && classify > pass, "{pass} {classify}");
    let zero = common::touchray()
        .args(["bench", "--threads", "0", "--models"])
        .arg(&models)
        .arg(common::sample("kermany_NORMAL_IM-0115-0001.jpeg"))
        .output()
        .unwrap();
    assert_eq!(zero.status.code(), Some(2));
}

#[test]
fn every_view_renders_and_says_where_its_picture_is() {
    let film = common::kermany("NORMAL");
    let mut changes = std::collections::HashMap::new();
    for view in [
        "anatomy",
        "opacity",
        "relief",
        "contour",
        "grayscale",
        "cam",
    ] {
        let (json, _) = render_json(&film, &["--view", view, "--models", "/nonexistent"], None);
        check_frame(&json, 60, 40, 5);
        let frame = &json["frame"];
        // No classifier here: the CAM view shows the relief, and says so.
        let shown = if view == "cam" { "cam" } else { view };
        assert_eq!(frame["view"], shown, "{view}");
        let area = &frame["image_area"];
        let (x, y) = (area["x"].as_i64().unwrap(), area["y"].as_i64().unwrap());
        let (w, h) = (
            area["width"].as_i64().unwrap(),
            area["height"].as_i64().unwrap(),
        );
        assert!(x >= 0 && y >= 4 && x + w <= 60 && y + h <= 40, "{area}");
        assert!(w >= 30 && h >= 30, "{area}");
        // Nothing raised outside the picture below the label rows.
        let rows = frame["heights"].as_array().unwrap();
        for (r, row) in rows.iter().enumerate().skip(4) {
            for (c, pin) in row.as_array().unwrap().iter().enumerate() {
                let inside = (x..x + w).contains(&(c as i64)) && (y..y + h).contains(&(r as i64));
                assert!(
                    inside || pin == 0,
                    "{view}: pin ({c}, {r}) outside the picture"
                );
            }
        }
        assert_eq!(frame["legibility"]["specks"], 0, "{view}");
        changes.insert(
            view,
            frame["legibility"]["changes_per_100_raised"]
                .as_f64()
                .unwrap(),
        );
        assert_eq!(json["anatomy"]["found"], true);
        assert_eq!(json["scan"]["orientation"], "assumed");
    }
    assert!(changes["anatomy"] < 0.7 * changes["relief"], "{changes:?}");
}

#[test]
fn without_lungs_the_relief_stands_in_and_the_report_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let ramp = dir.path().join("ramp.png");
    image::GrayImage::from_fn(200, 160, |x, _| image::Luma([(x + 20) as u8]))
        .save(&ramp)
        .unwrap();
    let (json, _) = render_json(&ramp, &["--models", "/nonexistent"], None);
    assert_eq!(json["frame"]["view"], "relief");
    assert_eq!(json["anatomy"]["found"], false);
    assert!(
        json["anatomy"]["problem"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{json}"
    );

    let out = common::touchray()
        .args(["render", "--view", "heightmap"])
        .arg(&ramp)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown view"), "{stderr}");
}
