//! Loading real radiographs: every DICOM codec in ../shared/data, DICOM
//! re-encoded with dicom-rs into other transfer syntaxes, and raster formats
//! at 8 and 16 bits.

mod common;

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_object::open_file;
use dicom_pixeldata::Transcode;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use touchray::scan::{load, Scan, ScanFormat};

fn mean(scan: &Scan, x0: f32, x1: f32, y0: f32, y1: f32) -> f32 {
    let (w, h) = (scan.width as f32, scan.height as f32);
    let (xs, ys) = (
        (x0 * w) as u32..(x1 * w) as u32,
        (y0 * h) as u32..(y1 * h) as u32,
    );
    let mut total = 0.0;
    let mut n = 0.0;
    for y in ys {
        for x in xs.clone() {
            total += scan.pixels[(y * scan.width + x) as usize];
            n += 1.0;
        }
    }
    total / n
}

/// Dense tissue is bright: the mediastinum (centre strip) is brighter than
/// both lung fields (a quarter in from each side, mid-height).
fn assert_dense_is_bright(scan: &Scan, what: &str) {
    let mediastinum = mean(scan, 0.45, 0.55, 0.35, 0.6);
    let right_lung = mean(scan, 0.2, 0.3, 0.35, 0.5);
    let left_lung = mean(scan, 0.7, 0.8, 0.35, 0.5);
    assert!(
        mediastinum > right_lung + 0.05 && mediastinum > left_lung + 0.05,
        "{what}: mediastinum {mediastinum:.3}, lungs {right_lung:.3} / {left_lung:.3}"
    );
}

fn assert_unit_range(scan: &Scan) {
    assert_eq!(scan.pixels.len(), (scan.width * scan.height) as usize);
    assert!(scan.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
}

fn mean_abs_difference(a: &Scan, b: &Scan) -> f32 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    a.pixels
        .iter()
        .zip(&b.pixels)
        .map(|(x, y)| (x - y).abs())
        .sum::<f32>()
        / a.pixels.len() as f32
}

#[test]
fn uncompressed_dx_monochrome2() {
    let scan = load(&common::nih_dx()).unwrap();
    assert_eq!((scan.width, scan.height), (1024, 1024));
    assert_eq!(scan.source.format, ScanFormat::Dicom);
    assert_eq!(scan.source.modality.as_deref(), Some("DX"));
    assert_eq!(scan.source.bits_stored, 8);
    assert_eq!(scan.source.intensity_mapping, "value-range");
    assert_unit_range(&scan);
    assert_dense_is_bright(&scan, "NIH DX");
}

#[test]
fn jpeg2000_and_jpeg_ls_cr_monochrome1_agree() {
    let j2k = load(&common::dicom("WG04_RG1_J2KI_chest_CR.dcm")).unwrap();
    let jls = load(&common::dicom("WG04_RG1_JLSN_chest_CR.dcm")).unwrap();
    for (scan, ts) in [
        (&j2k, "1.2.840.10008.1.2.4.91"),
        (&jls, "1.2.840.10008.1.2.4.81"),
    ] {
        assert_eq!((scan.width, scan.height), (1841, 1955));
        assert_eq!(scan.source.bits_stored, 15);
        assert_eq!(scan.source.transfer_syntax.as_deref(), Some(ts));
        assert_eq!(scan.source.intensity_mapping, "voi-window");
        assert_unit_range(scan);
        // MONOCHROME1 is inverted: without it the lungs would be the bright part.
        assert_dense_is_bright(scan, ts);
    }
    // The same radiograph through two different codecs (lossy and
    // near-lossless): the decoded intensities must agree closely.
    let diff = mean_abs_difference(&j2k, &jls);
    assert!(diff < 0.01, "mean |J2K - JLS| = {diff}");
}

/// Re-encodes the NIH file with dicom-rs into `uid` and writes it to `dir`.
fn transcoded(dir: &Path, uid: &str) -> PathBuf {
    let mut obj = open_file(common::nih_dx()).unwrap();
    let target = TransferSyntaxRegistry
        .get(uid)
        .unwrap_or_else(|| panic!("transfer syntax {uid} not registered"));
    obj.transcode(target).unwrap();
    let path = dir.join(format!("{uid}.dcm"));
    obj.write_to_file(&path).unwrap();
    path
}

#[test]
fn implicit_vr_deflate_and_jpeg_baseline_via_dicom_rs() {
    let dir = tempfile::tempdir().unwrap();
    let original = load(&common::nih_dx()).unwrap();
    for (uid, tolerance) in [
        ("1.2.840.10008.1.2", 0.0),       // implicit VR little endian
        ("1.2.840.10008.1.2.1.99", 0.0),  // deflated explicit VR
        ("1.2.840.10008.1.2.4.50", 0.02), // JPEG baseline (lossy)
    ] {
        let path = transcoded(dir.path(), uid);
        let scan = load(&path).unwrap_or_else(|e| panic!("{uid}: {e}"));
        assert_eq!(scan.source.transfer_syntax.as_deref(), Some(uid));
        let diff = mean_abs_difference(&original, &scan);
        assert!(diff <= tolerance, "{uid}: mean difference {diff}");
    }
}

/// PackBits as DICOM RLE (PS3.5 Annex G) uses it, in literal runs only:
/// valid for any decoder, if not compact.
fn packbits_literal(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 128 + 2);
    for run in bytes.chunks(128) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
    if out.len() % 2 == 1 {
        out.push(0x80); // a no-op run keeps the segment even-length
    }
    out
}

#[test]
fn rle_lossless_built_from_the_real_dx() {
    let obj = open_file(common::nih_dx()).unwrap();
    let pixels = obj
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap()
        .into_owned();
    // One segment (8-bit, one sample): a 64-byte header, then the segment.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rle.dcm");
    common::nih_as_rle(&path, [1, 64], &packbits_literal(&pixels));

    let rle = load(&path).unwrap();
    assert_eq!(
        rle.source.transfer_syntax.as_deref(),
        Some("1.2.840.10008.1.2.5")
    );
    assert_eq!(rle.pixels, load(&common::nih_dx()).unwrap().pixels);
}

#[test]
fn kermany_jpeg() {
    let scan = load(&common::kermany("NORMAL")).unwrap();
    assert_eq!((scan.width, scan.height), (224, 224));
    assert_eq!(scan.source.format, ScanFormat::Jpeg);
    assert_unit_range(&scan);
    assert_dense_is_bright(&scan, "Kermany NORMAL");
}

#[test]
fn sixteen_bit_png_and_tiff_keep_their_precision() {
    let dir = tempfile::tempdir().unwrap();
    // 300 x 200 ramp over the whole 16-bit range: far more than 256 levels.
    let ramp = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_fn(300, 200, |x, y| {
        image::Luma([((y * 300 + x) as u64 * 65535 / 59_999) as u16])
    });
    for name in ["ramp16.png", "ramp16.tiff"] {
        let path = dir.path().join(name);
        ramp.save(&path).unwrap();
        let scan = load(&path).unwrap();
        assert_eq!(scan.source.bits_stored, 16, "{name}");
        for (loaded, stored) in scan.pixels.iter().zip(ramp.as_raw()) {
            assert!(
                (loaded - f32::from(*stored) / 65535.0).abs() < 1e-6,
                "{name}"
            );
        }
        let mut distinct: Vec<u32> = scan.pixels.iter().map(|v| v.to_bits()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 50_000, "{name}: {} levels", distinct.len());
    }
}

#[test]
fn eight_bit_bmp_tiff_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let original = load(&common::kermany("PNEUMONIA")).unwrap();
    let gray = image::GrayImage::from_fn(224, 224, |x, y| {
        image::Luma([(original.pixels[(y * 224 + x) as usize] * 255.0).round() as u8])
    });
    for (name, format) in [
        ("x.bmp", ScanFormat::Bmp),
        ("x.tif", ScanFormat::Tiff),
        ("x.png", ScanFormat::Png),
    ] {
        let path = dir.path().join(name);
        gray.save(&path).unwrap();
        let scan = load(&path).unwrap();
        assert_eq!(scan.source.format, format);
        assert!(
            mean_abs_difference(&original, &scan) < 1.0 / 255.0,
            "{name}"
        );
    }
}

/// The NIH film written again with Patient Orientation `value`.
fn with_orientation(dir: &Path, value: &str) -> PathBuf {
    use dicom_core::{DataElement, PrimitiveValue, VR};
    let mut obj = open_file(common::nih_dx()).unwrap();
    obj.put(DataElement::new(
        tags::PATIENT_ORIENTATION,
        VR::CS,
        PrimitiveValue::from(value),
    ));
    let path = dir.join(format!("{}.dcm", value.replace('\\', "_")));
    obj.write_to_file(&path).unwrap();
    path
}

#[test]
fn films_whose_rows_run_the_other_way_are_turned_to_the_usual_convention() {
    use touchray::scan::Orientation;
    let dir = tempfile::tempdir().unwrap();
    let original = load(&common::nih_dx()).unwrap();
    assert_eq!(original.source.orientation, Orientation::Assumed);
    let (w, h) = (original.width as usize, original.height as usize);
    let at = |s: &Scan, x: usize, y: usize| s.pixels[y * w + x];

    let usual = load(&with_orientation(dir.path(), "L\\F")).unwrap();
    assert_eq!(usual.source.orientation, Orientation::FromDicom);
    assert_eq!(
        usual.pixels, original.pixels,
        "L\\F is the usual convention"
    );

    // Rows towards the patient's right: the patient's right was on the
    // viewer's right, so the picture is mirrored back.
    let mirrored = load(&with_orientation(dir.path(), "R\\F")).unwrap();
    assert_eq!(mirrored.source.orientation, Orientation::FromDicom);
    for (x, y) in [(0, 0), (10, 500), (w - 1, h / 2), (w / 3, h - 1)] {
        assert_eq!(
            at(&mirrored, x, y),
            at(&original, w - 1 - x, y),
            "({x}, {y})"
        );
    }
    // Columns towards the head as well: upside down too.
    let turned = load(&with_orientation(dir.path(), "R\\H")).unwrap();
    for (x, y) in [(0, 0), (10, 500), (w - 1, h / 2)] {
        assert_eq!(
            at(&turned, x, y),
            at(&original, w - 1 - x, h - 1 - y),
            "({x}, {y})"
        );
    }
    // Rows front to back: a lateral film, no right or left to mark.
    let lateral = load(&with_orientation(dir.path(), "P\\F")).unwrap();
    assert_eq!(lateral.source.orientation, Orientation::Lateral);
    assert_eq!(lateral.pixels, original.pixels);
    // The WG04 films say L\F: read from the file, nothing turned.
    let cr = load(&common::dicom("WG04_RG1_J2KI_chest_CR.dcm")).unwrap();
    assert_eq!(cr.source.orientation, Orientation::FromDicom);
    assert_eq!(cr.source.view_position.as_deref(), Some("PA"));
    // A raster file cannot say.
    let jpeg = load(&common::kermany("NORMAL")).unwrap();
    assert_eq!(jpeg.source.orientation, Orientation::Assumed);
}
