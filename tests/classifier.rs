//! The classifier path: preprocessing identical to the Python tooling, any
//! classifier described by a manifest runs through the same code and agrees
//! with onnxruntime, and a damaged model file is refused.

mod common;

use common::fixtures;

use std::path::{Path, PathBuf};

use touchray::finding::Verdict;
use touchray::imaging::npy::read_npy_f32;
use touchray::infer::classifier::{preprocess, Classifier};
use touchray::infer::manifest::{Manifest, ModelError};
use touchray::infer::Loading;
use touchray::scan;

fn baseline_manifest() -> PathBuf {
    fixtures().join("baseline/manifest.toml")
}

#[test]
fn a_png_gives_the_same_tensor_as_the_python_preprocessing() {
    let dir = fixtures().join("preprocess");
    let scan = scan::load(&dir.join("chest.png")).unwrap();
    assert_eq!((scan.width, scan.height), (201, 187));
    // The ResNet-18 recipe: 224 x 224, ImageNet mean/std on gray x 3.
    let mut spec = Manifest::read(&baseline_manifest()).unwrap().models[0].clone();
    spec.input = [1, 3, 224, 224];
    spec.mean = [0.485, 0.456, 0.406];
    spec.std = [0.229, 0.224, 0.225];
    let rust = preprocess(&spec, &scan);
    let (shape, python) =
        read_npy_f32(&std::fs::read(dir.join("chest_input.npy")).unwrap()).unwrap();
    assert_eq!(shape, vec![1, 3, 224, 224]);
    let worst = rust
        .iter()
        .zip(&python)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "max |rust - python| = {worst}");
}

#[test]
fn the_baseline_runs_through_its_manifest_and_agrees_with_onnxruntime() {
    let classifier = Classifier::load(&baseline_manifest(), &Loading::real()).unwrap();
    assert_eq!(classifier.spec().input, [1, 3, 150, 150]);
    let scan = scan::load(&fixtures().join("preprocess/chest.png")).unwrap();
    let analysis = classifier.analyse(&scan).unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("baseline/reference.json")).unwrap(),
    )
    .unwrap();
    let ort = reference["chest.png"].as_f64().unwrap() as f32;
    assert!(
        (analysis.p_pneumonia - ort).abs() < 1e-4,
        "tract {} vs onnxruntime {ort}",
        analysis.p_pneumonia
    );
    assert_eq!(analysis.verdict, Verdict::Pneumonia);
    assert!(analysis.cam.is_none(), "the baseline has no feature output");
}

fn copy_to(dir: &Path, tamper: impl Fn(&mut Vec<u8>)) -> PathBuf {
    let source = fixtures().join("baseline");
    for name in ["manifest.toml", "am1codes_pneumonia_cnn_150.onnx"] {
        let mut bytes = std::fs::read(source.join(name)).unwrap();
        if name.ends_with(".onnx") {
            tamper(&mut bytes);
        }
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir.join("manifest.toml")
}

#[test]
fn a_damaged_model_is_refused_by_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = copy_to(dir.path(), |bytes| {
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
    });
    let err = Classifier::load(&manifest, &Loading::real()).unwrap_err();
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("am1codes_pneumonia_cnn_150.onnx"),
        "{message}"
    );
    assert!(message.contains("damaged or replaced"), "{message}");
    assert_eq!(message.lines().count(), 1);
    // A missing model names the file too.
    std::fs::remove_file(dir.path().join("am1codes_pneumonia_cnn_150.onnx")).unwrap();
    let err = Classifier::load(&manifest, &Loading::real())
        .unwrap_err()
        .to_string();
    assert!(err.contains("am1codes_pneumonia_cnn_150.onnx"), "{err}");
}

#[test]
fn a_wrong_manifest_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = copy_to(dir.path(), |_| {});
    let text = std::fs::read_to_string(&manifest).unwrap();
    for (from, to, key) in [
        ("threshold = 0.5\n", "", "threshold"),
        (
            "uncertain = [0.35, 0.65]",
            "uncertain = [0.7, 0.3]",
            "uncertain",
        ),
        ("output = \"sigmoid1\"", "output = \"softmax3\"", "softmax3"),
        ("layout = \"nchw\"", "layout = \"nhwc\"", "layout"),
    ] {
        std::fs::write(&manifest, text.replace(from, to)).unwrap();
        let err = Manifest::read(&manifest).unwrap_err().to_string();
        assert!(err.contains(key), "{key}: {err}");
        assert!(err.contains("manifest.toml"), "{err}");
    }
    std::fs::write(
        &manifest,
        text.replace(
            "\"classifier\"",
            "\"fixture\"\nstands_in_for = \"classifier\"",
        ),
    )
    .unwrap();
    assert!(Manifest::read(&manifest).unwrap().models[0].fixture);
    let err = Classifier::load(&manifest, &Loading::real())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no model with purpose"), "{err}");
    assert!(
        Classifier::load(&manifest, &Loading::with_fixtures()).is_ok(),
        "allowed when asked"
    );
}

#[test]
fn eval_prints_the_metrics_and_writes_the_roc_curve() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("normal")).unwrap(); // any case
    std::fs::create_dir_all(data.join("PNEUMONIA")).unwrap();
    std::fs::copy(
        common::sample("kermany_NORMAL_IM-0115-0001.jpeg"),
        data.join("normal/IM-0115-0001.jpeg"),
    )
    .unwrap();
    std::fs::copy(
        common::sample("kermany_PNEUMONIA_person1000_bacteria_2931.jpeg"),
        data.join("PNEUMONIA/person1000_bacteria_2931.jpeg"),
    )
    .unwrap();
    std::fs::write(
        data.join("PNEUMONIA/broken.jpeg"),
        b"\xFF\xD8\xFF not a jpeg",
    )
    .unwrap();
    let out = dir.path().join("out");
    let result = common::touchray()
        .arg("eval")
        .arg(&data)
        .arg("--models")
        .arg(fixtures().join("baseline"))
        .arg("--json")
        .arg("--out")
        .arg(&out)
        .arg("--features")
        .arg(dir.path().join("features.csv"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipping") && stderr.contains("broken.jpeg"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    for key in [
        "n",
        "accuracy",
        "auc",
        "threshold",
        "confusion",
        "per_class",
        "macro",
        "weighted",
        "uncertain",
        "out_of_range",
        "confident_pneumonia_on_normal",
        "ece",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    // The baseline model's manifest has no out-of-range statistics.
    assert_eq!(json["out_of_range"], 0);
    let ece = json["ece"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&ece), "{json}");
    assert_eq!(json["n"], 2);
    assert_eq!(json["skipped"], 1);
    for key in ["tp", "fp", "tn", "fn"] {
        assert!(json["confusion"][key].is_u64(), "{json}");
    }
    assert_eq!(json["per_class"]["pneumonia"]["support"], 1);
    let csv = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("file,label,p_pneumonia,verdict,ood_score,zone_side,zone_level\n"));
    let roc = image::open(out.join("roc.png")).unwrap();
    assert_eq!(roc.width(), 480);
    let reliability = image::open(out.join("reliability.png")).unwrap();
    assert_eq!(reliability.width(), 480);

    // --features: one row per classified image, the same numbers as
    // `touchray features` gives for that file.
    let csv = std::fs::read_to_string(dir.path().join("features.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[0].starts_with("file,label,depth_source,depth_std,depth_entropy,edge_total,lbp_0,")
    );
    assert!(rows[0].ends_with(",lbp_9"));
    let normal: Vec<&str> = rows
        .iter()
        .find(|r| r.starts_with("normal/"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(normal.len(), 16);
    assert_eq!(&normal[1..3], ["normal", "density"]);
    let single = common::touchray()
        .args(["features", "--json", "--depth", "density"])
        .arg(data.join("normal/IM-0115-0001.jpeg"))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
    let edge: f64 = normal[5].parse().unwrap();
    assert!(
        (edge - json["edge_total"].as_f64().unwrap()).abs() < 1e-3,
        "{edge} {json}"
    );
}

#[test]
fn render_reports_the_verdict_of_the_models_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let result = common::succeeded(
        common::touchray()
            .arg("render")
            .arg(common::sample(
                "kermany_PNEUMONIA_person1000_bacteria_2931.jpeg",
            ))
            .arg("--models")
            .arg(fixtures().join("baseline"))
            .arg("--json")
            .arg("--out")
            .arg(dir.path()),
    );
    let json: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    let p = json["p_pneumonia"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    assert!(["normal", "pneumonia", "uncertain"].contains(&json["verdict"].as_str().unwrap()));
    // A damaged model: the relief is still shown, without a verdict.
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let manifest = copy_to(&models, |bytes| bytes[100] ^= 0xFF);
    let result = common::touchray()
        .arg("render")
        .arg(common::sample(
            "kermany_PNEUMONIA_person1000_bacteria_2931.jpeg",
        ))
        .arg("--models")
        .arg(manifest.parent().unwrap())
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stderr}");
    assert!(
        stderr.contains("damaged or replaced") && stderr.contains("no verdict"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    assert!(json["verdict"].is_null());
}

#[test]
fn the_shipped_classifier_loads_checks_out_and_gives_a_cam() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/manifest.toml");
    let classifier = Classifier::load(&manifest, &Loading::real()).unwrap();
    assert_eq!(classifier.spec().name, "resnet18-pneumonia-int8");
    // The normal sample is a training film and the pneumonia one a tune
    // film (models/split.json): this checks the shipped pipeline end to
    // end, not the model's generalisation (see models/README.md for the
    // patient-level validation split).
    for (name, want) in [
        ("kermany_NORMAL_IM-0115-0001.jpeg", Verdict::Normal),
        (
            "kermany_PNEUMONIA_person1000_bacteria_2931.jpeg",
            Verdict::Pneumonia,
        ),
    ] {
        let scan = scan::load(&common::sample(name)).unwrap();
        let analysis = classifier.analyse(&scan).unwrap();
        assert_eq!(
            analysis.verdict, want,
            "{name}: p = {}",
            analysis.p_pneumonia
        );
        let cam = analysis.cam.expect("the ResNet-18 has a feature output");
        assert_eq!((cam.width, cam.height), (scan.width, scan.height));
        assert!(cam.values.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(
            cam.values.iter().any(|&v| v > 0.99),
            "scaled to a maximum of 1"
        );
    }
    // Every file the manifest lists matches its checksum.
    let all = Manifest::read(&manifest).unwrap();
    assert_eq!(all.models.len(), 2);
    for m in &all.models {
        touchray::infer::manifest::read_verified(&all.resolve(&m.model.file), &m.model.sha256)
            .unwrap();
    }
}

/// The shipped classifier abstains on what it cannot know: another
/// modality, a drawing, a chest film upside down or inverted, and the adult
/// films (it learned from children's films) are out of range, and none of
/// the adult films is called pneumonia.
#[test]
fn films_unlike_the_training_films_are_out_of_range() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/manifest.toml");
    let classifier = Classifier::load(&manifest, &Loading::real()).unwrap();
    let verdict = |scan: &scan::Scan| classifier.analyse(scan).unwrap();
    let ct = scan::load(&fixtures().join("ood/CT_small.dcm")).unwrap();
    let a = verdict(&ct);
    assert_eq!(a.verdict, Verdict::OutOfRange, "CT slice: {a:?}");
    assert!(a.ood_score.is_some() && a.zone.is_none());

    let film = scan::load(&common::sample("kermany_NORMAL_IM-0115-0001.jpeg")).unwrap();
    let mut stripes = film.clone();
    for (i, v) in stripes.pixels.iter_mut().enumerate() {
        *v = if ((i % stripes.width as usize) / 16).is_multiple_of(2) {
            0.0
        } else {
            1.0
        };
    }
    let mut upside_down = film.clone();
    upside_down.pixels.reverse();
    let mut inverted = film.clone();
    for v in &mut inverted.pixels {
        *v = 1.0 - *v;
    }
    for (what, scan) in [
        ("stripes", &stripes),
        ("upside down", &upside_down),
        ("inverted", &inverted),
    ] {
        let a = verdict(scan);
        assert_eq!(a.verdict, Verdict::OutOfRange, "{what}: {a:?}");
    }
    assert!(verdict(&upside_down).upside_down);
    assert!(!verdict(&film).upside_down);

    let adults = [
        common::sample("nih_cxr14_DX_nofinding_nccid.dcm"),
        common::sample("WG04_RG1_J2KI_chest_CR.dcm"),
    ];
    for path in adults {
        let a = verdict(&scan::load(&path).unwrap());
        assert_ne!(a.verdict, Verdict::Pneumonia, "{}: {a:?}", path.display());
    }
}

/// One thread or two give the same analysis: with two, the upright and
/// the upside-down passes run side by side and tract's products use a
/// pool; nothing of one pass may leak into the other.
#[test]
fn two_threads_give_what_one_thread_gives() {
    use std::num::NonZeroUsize;
    use touchray::infer::Threads;
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/manifest.toml");
    let load = |threads: Threads| {
        let loading = Loading {
            allow_fixture: false,
            threads,
        };
        Classifier::load(&manifest, &loading).unwrap()
    };
    let one = load(Threads::one());
    let two = load(Threads::new(NonZeroUsize::new(2).unwrap()));
    assert_eq!((one.network().threads(), two.network().threads()), (1, 2));
    let film = scan::load(&common::sample(
        "kermany_PNEUMONIA_person1000_bacteria_2931.jpeg",
    ))
    .unwrap();
    // Upside down, so that the two passes differ (the film, then the film
    // turned back upright) and the check has something to find.
    let mut turned = film.clone();
    turned.pixels.reverse();
    let (a, b) = (one.analyse(&turned).unwrap(), two.analyse(&turned).unwrap());
    assert_eq!(
        (a.verdict, a.upside_down, a.zone),
        (b.verdict, b.upside_down, b.zone)
    );
    assert!(b.upside_down);
    assert!((a.p_pneumonia - b.p_pneumonia).abs() < 1e-5);
    let (da, db) = (a.ood_score.unwrap(), b.ood_score.unwrap());
    assert!((da - db).abs() < 1e-3 * da.abs().max(1.0), "{da} {db}");
}

#[test]
fn the_text_summary_says_the_verdict_and_no_probability_out_of_range() {
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let summary = |sample: &str| {
        let out = common::succeeded(
            common::touchray()
                .arg("render")
                .arg(common::sample(sample))
                .arg("--models")
                .arg(&models),
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        stdout.lines().next().unwrap_or_default().to_string()
    };
    // The README's first command: an adult film the model abstains on.
    let adult = summary("nih_cxr14_DX_nofinding_nccid.dcm");
    assert!(adult.ends_with("; verdict out_of_range"), "{adult}");
    let child = summary("kermany_NORMAL_IM-0115-0001.jpeg");
    assert!(
        child.contains("; verdict normal (p_pneumonia 0."),
        "{child}"
    );
}
