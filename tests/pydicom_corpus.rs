//! pydicom's own test corpus (tests/fixtures/pydicom, the 78 `.dcm` files of
//! pydicom 3.0.1's data/test_files): every file that holds an image pydicom
//! decodes renders, and its picture matches pydicom's (references.json, made
//! by make_references.py there); every other file is refused with its exact
//! reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use touchray::scan::{load, Scan};

#[derive(Deserialize)]
struct References {
    references: BTreeMap<String, Reference>,
    pydicom_cannot_decode: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Reference {
    rows: u32,
    columns: u32,
    grid_rows: usize,
    grid_columns: usize,
    grid: Vec<f64>,
}

/// What touchray says of the files pydicom does not decode. Each reason is
/// checked in full after the file's path.
const REFUSED: &[(&str, &str)] = &[
    ("ExplVR_BigEndNoMeta.dcm", "DICOM file has no pixel data"),
    ("ExplVR_LitEndNoMeta.dcm", "DICOM file has no pixel data"),
    (
        "JPEG2000-embedded-sequence-delimiter.dcm",
        "corrupt or truncated DICOM: codestream declares 3722445056x1024 but the header says 256x1024",
    ),
    (
        "MR_truncated.dcm",
        "corrupt or truncated DICOM: an element claims 8192 bytes where 8130 are left in the file",
    ),
    // No image; dicom-rs cannot read its sequence of unknown VR.
    (
        "UN_sequence.dcm",
        "unsupported element (4453,100C): a sequence of unknown VR (UN, undefined length)",
    ),
    ("empty_charset_LEI.dcm", "DICOM file has no pixel data"),
    (
        "meta_missing_tsyntax.dcm",
        "corrupt or truncated DICOM: the file meta group has no Transfer Syntax UID",
    ),
    // Pixel Data without the Image Pixel module.
    (
        "nested_priv_SQ.dcm",
        "corrupt or truncated DICOM: missing or invalid Rows",
    ),
    // Starts with a stray byte before (0008,0005): pydicom's forced read
    // finds one element of garbage, no image.
    (
        "no_meta.dcm",
        "unknown format (not DICOM, PNG, JPEG, TIFF or BMP)",
    ),
    ("no_meta_group_length.dcm", "DICOM file has no pixel data"),
    ("priv_SQ.dcm", "DICOM file has no pixel data"),
    ("reportsi.dcm", "DICOM file has no pixel data"),
    (
        "reportsi_with_empty_number_tags.dcm",
        "DICOM file has no pixel data",
    ),
    ("rtplan.dcm", "DICOM file has no pixel data"),
    (
        "rtplan_truncated.dcm",
        "corrupt or truncated DICOM: an element claims 976 bytes where 711 are left in the file",
    ),
    ("rtstruct.dcm", "DICOM file has no pixel data"),
    ("test-SR.dcm", "DICOM file has no pixel data"),
    ("waveform_ecg.dcm", "DICOM file has no pixel data"),
];

/// What is checked of a file that touchray renders and pydicom refuses.
enum Rendered {
    /// Its size (no picture to compare with).
    Size(u32, u32),
    /// Its picture, against the reference of another file.
    Like(&'static str),
}

/// pydicom refuses badVR.dcm over its Number of Frames "1A"; touchray reads
/// frame 0, which that attribute does not change. JPEG-lossy.dcm is
/// JPGExtended.dcm with one byte changed, the scan's end of spectral
/// selection (63 to 0, invalid for a sequential frame, which libjpeg
/// refuses); the entropy-coded data is the same, and so is the picture.
const RENDERED_THOUGH_PYDICOM_REFUSES: &[(&str, Rendered)] = &[
    ("badVR.dcm", Rendered::Size(10, 10)),
    ("JPEG-lossy.dcm", Rendered::Like("JPGExtended.dcm")),
];

/// Files pydicom decodes that touchray still refuses, with the reason it
/// gives. Each is checked: should one start to render, it must leave this
/// list and match pydicom.
const STILL_REFUSED: &[(&str, &str)] = &[];

/// Pictures from lossy codecs still match pydicom's at this correlation;
/// a wrong byte order, colour transform or inversion gives well under 0.5.
const MATCHES: f64 = 0.98;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pydicom")
}

fn references() -> References {
    let text = std::fs::read_to_string(corpus().join("references.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Block means on the reference's grid, as make_references.py makes them.
fn grid(scan: &Scan, rows: usize, columns: usize) -> Vec<f64> {
    let (h, w) = (scan.height as usize, scan.width as usize);
    let mut out = Vec::with_capacity(rows * columns);
    for gy in 0..rows {
        let (y0, y1) = (gy * h / rows, (gy + 1) * h / rows);
        for gx in 0..columns {
            let (x0, x1) = (gx * w / columns, (gx + 1) * w / columns);
            let mut total = 0.0;
            for y in y0..y1 {
                for x in x0..x1 {
                    total += f64::from(scan.pixels[y * w + x]);
                }
            }
            out.push(total / ((y1 - y0) * (x1 - x0)) as f64);
        }
    }
    out
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma) * (x - ma);
        bb += (y - mb) * (y - mb);
    }
    if aa < 1e-12 && bb < 1e-12 {
        // Both flat: the same (empty) picture.
        return 1.0;
    }
    ab / (aa * bb).sqrt()
}

#[test]
fn every_file_pydicom_decodes_renders_and_matches_its_picture() {
    let references = references();
    assert!(references.references.len() >= 58);
    let still_refused: BTreeMap<_, _> = STILL_REFUSED.iter().copied().collect();
    let mut failures = Vec::new();
    let mut matched = 0;
    for (name, reference) in &references.references {
        if let Some(reason) = still_refused.get(name.as_str()) {
            if let Some(failure) = refused_with(name, reason) {
                failures.push(failure);
            }
            continue;
        }
        match matches_reference(name, reference) {
            Ok(()) => matched += 1,
            Err(failure) => failures.push(failure),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(matched + STILL_REFUSED.len(), references.references.len());
}

/// `name` renders at pydicom's size with pydicom's picture.
fn matches_reference(name: &str, reference: &Reference) -> Result<(), String> {
    let scan = load(&corpus().join(name)).map_err(|e| format!("{name}: refused: {e}"))?;
    if (scan.height, scan.width) != (reference.rows, reference.columns) {
        return Err(format!(
            "{name}: {}x{} where pydicom has {}x{}",
            scan.width, scan.height, reference.columns, reference.rows
        ));
    }
    let ours = grid(&scan, reference.grid_rows, reference.grid_columns);
    let r = correlation(&ours, &reference.grid);
    if r.is_nan() || r < MATCHES {
        return Err(format!("{name}: correlation {r:.3} with pydicom"));
    }
    Ok(())
}

/// `None` when `name` is refused with exactly `reason` on one line.
fn refused_with(name: &str, reason: &str) -> Option<String> {
    let path = corpus().join(name);
    match load(&path) {
        Ok(scan) => Some(format!("{name}: rendered {}x{}", scan.width, scan.height)),
        Err(e) => {
            let line = e.to_string();
            let wanted = format!("{}: {reason}", path.display());
            (line != wanted).then(|| format!("{name}: said {line:?}, expected {wanted:?}"))
        }
    }
}

#[test]
fn files_pydicom_cannot_decode_are_refused_with_their_reason() {
    let references = references();
    let expected: BTreeMap<_, _> = REFUSED.iter().copied().collect();
    let mut listed: Vec<&str> = expected.keys().copied().collect();
    listed.extend(RENDERED_THOUGH_PYDICOM_REFUSES.iter().map(|r| r.0));
    listed.sort_unstable();
    let undecodable: Vec<&str> = references
        .pydicom_cannot_decode
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        undecodable, listed,
        "the tables above list exactly the files pydicom cannot decode"
    );
    let mut failures: Vec<String> = expected
        .iter()
        .filter_map(|(name, reason)| refused_with(name, reason))
        .collect();
    for (name, rendered) in RENDERED_THOUGH_PYDICOM_REFUSES {
        let outcome = match rendered {
            Rendered::Size(width, height) => match load(&corpus().join(name)) {
                Ok(scan) if (scan.width, scan.height) == (*width, *height) => Ok(()),
                other => Err(format!("{name}: {other:?}")),
            },
            Rendered::Like(other) => matches_reference(name, &references.references[*other]),
        };
        failures.extend(outcome.err());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_whole_corpus_is_here() {
    let files = std::fs::read_dir(corpus())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "dcm")
        })
        .count();
    let references = references();
    assert_eq!(files, 78);
    assert_eq!(
        references.references.len() + references.pydicom_cannot_decode.len(),
        files
    );
}
