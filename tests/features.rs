//! The texture features against the values numpy / SciPy / scikit-image
//! give for the same reliefs (`models/tools/features.py --fixtures`).

use std::path::PathBuf;

use touchray::imaging::npy::read_npy_f32;
use touchray::tactile::features::{depth_entropy, depth_std, edge_total, lbp_hist};

mod common;

fn fixtures() -> PathBuf {
    common::fixtures().join("features")
}

fn close(name: &str, what: &str, got: f64, want: f64) {
    let scale = want.abs().max(1e-12);
    assert!(
        (got - want).abs() <= 1e-4 * scale,
        "{name} {what}: Rust {got}, Python {want}"
    );
}

#[test]
fn every_feature_matches_the_python_definitions_within_1e_4_relative() {
    let text = std::fs::read_to_string(fixtures().join("reference.json")).unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reference = reference.as_object().unwrap();
    assert!(reference.len() >= 6, "real and synthetic reliefs");
    for (name, want) in reference {
        let bytes = std::fs::read(fixtures().join(format!("{name}.npy"))).unwrap();
        let (shape, r) = read_npy_f32(&bytes).unwrap();
        let [h, w] = shape[..] else {
            panic!("{name}: shape {shape:?}")
        };
        let number = |key: &str| want[key].as_f64().unwrap();
        close(name, "depth_std", depth_std(&r), number("depth_std"));
        close(
            name,
            "depth_entropy",
            depth_entropy(&r),
            number("depth_entropy"),
        );
        close(
            name,
            "edge_total",
            edge_total(&r, w, h),
            number("edge_total"),
        );
        let hist = lbp_hist(&r, w, h);
        let want_hist = want["lbp_hist"].as_array().unwrap();
        assert_eq!(want_hist.len(), hist.len());
        for (k, (got, want)) in hist.iter().zip(want_hist).enumerate() {
            let want = want.as_f64().unwrap();
            // An empty bin must stay empty; the others agree relatively.
            if want == 0.0 {
                assert_eq!(*got, 0.0, "{name} lbp_hist[{k}]");
            } else {
                close(name, &format!("lbp_hist[{k}]"), *got, want);
            }
        }
    }
}
