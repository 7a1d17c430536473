//! Every kind of bad input, made for real in the test: through the library
//! (the right problem) and through the binary (exit 2, one line on stderr
//! naming the file, no panic, no patient data).

mod common;

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::open_file;
use touchray::scan::{load, ScanProblem};

struct Case {
    name: &'static str,
    path: PathBuf,
    /// Part of the one-line message.
    expect: &'static str,
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    chunk.extend_from_slice(&crc.finalize().to_be_bytes());
    chunk
}

/// A PNG whose header claims 100000 x 100000 pixels (10 gigapixels) over a
/// few bytes of data: a decompression bomb.
fn png_bomb() -> Vec<u8> {
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

/// Sets an unsigned-short attribute such as Rows or Columns.
fn set_us(obj: &mut dicom_object::DefaultDicomObject, tag: dicom_core::Tag, value: u16) {
    obj.put(dicom_core::DataElement::new(
        tag,
        dicom_core::VR::US,
        dicom_core::PrimitiveValue::from(value),
    ));
}

fn nih_modified(
    dir: &Path,
    name: &str,
    change: impl FnOnce(&mut dicom_object::DefaultDicomObject),
) -> PathBuf {
    let mut obj = open_file(common::nih_dx()).unwrap();
    change(&mut obj);
    let path = dir.join(name);
    obj.write_to_file(&path).unwrap();
    path
}

fn cases(dir: &Path) -> Vec<Case> {
    let nih = std::fs::read(common::nih_dx()).unwrap();
    let jpeg = std::fs::read(common::kermany("NORMAL")).unwrap();
    let png = {
        let path = dir.join("good.png");
        image::open(common::kermany("NORMAL"))
            .unwrap()
            .save(&path)
            .unwrap();
        std::fs::read(&path).unwrap()
    };
    let j2k = std::fs::read(common::dicom("WG04_RG1_J2KI_chest_CR.dcm")).unwrap();
    let mut corrupt_png = png.clone();
    let idat = corrupt_png.windows(4).position(|w| w == b"IDAT").unwrap();
    corrupt_png[idat + 40] ^= 0xFF;
    // Bytes flipped inside the entropy-coded data, as a failing USB stick would.
    let mut garbled_jpeg = jpeg.clone();
    for i in (jpeg.len() / 2..jpeg.len() / 2 + 50).step_by(5) {
        garbled_jpeg[i] ^= 0x5A;
    }
    // The JPEG 2000 file's last codestream bytes cut off inside the tile data.
    let mut cut_j2k = j2k.clone();
    cut_j2k.truncate(j2k.len() * 2 / 3);

    vec![
        Case {
            name: "empty",
            path: write(dir, "empty.dcm", b""),
            expect: "empty file",
        },
        Case {
            name: "missing",
            path: dir.join("no-such-scan.dcm"),
            expect: "no such file",
        },
        Case {
            name: "directory",
            path: dir.to_path_buf(),
            expect: "is a directory",
        },
        Case {
            name: "unknown format",
            path: write(dir, "notes.txt", b"chest x-ray, see attached\n"),
            expect: "unknown format",
        },
        Case {
            name: "truncated DICOM",
            path: write(dir, "truncated.dcm", &nih[..nih.len() / 2]),
            expect: "corrupt or truncated DICOM",
        },
        Case {
            name: "DICOM header only",
            path: write(dir, "header-only.dcm", &nih[..300]),
            expect: "corrupt or truncated DICOM",
        },
        Case {
            name: "truncated JPEG 2000 DICOM",
            path: write(dir, "cut-j2k.dcm", &cut_j2k),
            expect: "corrupt or truncated",
        },
        Case {
            name: "DICOM without pixel data",
            path: nih_modified(dir, "no-pixels.dcm", |obj| {
                // Like a structured report: no Image Pixel module at all.
                for tag in [
                    tags::PIXEL_DATA,
                    tags::ROWS,
                    tags::COLUMNS,
                    tags::BITS_ALLOCATED,
                ] {
                    obj.remove_element(tag);
                }
            }),
            expect: "no pixel data",
        },
        Case {
            name: "DICOM bomb",
            path: nih_modified(dir, "bomb.dcm", |obj| {
                set_us(obj, tags::ROWS, 65535);
                set_us(obj, tags::COLUMNS, 65535);
            }),
            expect: "above the 50000000-pixel budget",
        },
        Case {
            name: "DICOM header smaller than its pixel data",
            path: nih_modified(dir, "short-rows.dcm", |obj| {
                set_us(obj, tags::ROWS, 2048);
            }),
            expect: "corrupt or truncated DICOM",
        },
        Case {
            name: "PNG bomb",
            path: write(dir, "bomb.png", &png_bomb()),
            expect: "above the 50000000-pixel budget",
        },
        Case {
            name: "truncated PNG",
            path: write(dir, "truncated.png", &png[..png.len() / 2]),
            expect: "corrupt or truncated PNG",
        },
        Case {
            name: "corrupt PNG",
            path: write(dir, "corrupt.png", &corrupt_png),
            expect: "corrupt or truncated PNG",
        },
        Case {
            name: "truncated JPEG",
            path: write(dir, "truncated.jpg", &jpeg[..jpeg.len() / 4]),
            expect: "corrupt or truncated JPEG",
        },
        Case {
            name: "garbled JPEG",
            path: write(dir, "garbled.jpg", &garbled_jpeg),
            expect: "corrupt or truncated JPEG",
        },
    ]
}

#[test]
fn the_library_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases(dir.path()) {
        let err = load(&case.path).expect_err(case.name);
        let line = err.to_string();
        assert!(
            line.starts_with(&case.path.display().to_string()),
            "{}: {line}",
            case.name
        );
        assert!(line.contains(case.expect), "{}: {line}", case.name);
        assert!(!line.contains('\n'), "{}: {line}", case.name);
        assert!(!line.contains(common::NIH_PATIENT), "{}: {line}", case.name);
    }
}

#[test]
fn a_codestream_larger_than_its_header_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let mut obj = open_file(common::dicom("WG04_RG1_J2KI_chest_CR.dcm")).unwrap();
    set_us(&mut obj, tags::ROWS, 100);
    set_us(&mut obj, tags::COLUMNS, 100);
    let path = dir.path().join("small-header.dcm");
    obj.write_to_file(&path).unwrap();
    match load(&path).unwrap_err().problem {
        ScanProblem::Corrupt { detail, .. } => {
            assert!(detail.contains("codestream declares 1841x1955"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_binary_exits_2_with_one_line_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases(dir.path()) {
        let out = common::touchray()
            .args(["render", "--json"])
            .arg(&case.path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case.name);
        assert!(out.stdout.is_empty(), "{}", case.name);
        assert_eq!(stderr.lines().count(), 1, "{}: {stderr}", case.name);
        assert!(
            stderr.contains(&case.path.display().to_string()),
            "{}: {stderr}",
            case.name
        );
        assert!(stderr.contains(case.expect), "{}: {stderr}", case.name);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        assert!(
            !stderr.contains(common::NIH_PATIENT),
            "{}: {stderr}",
            case.name
        );
    }
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        vec!["render", "--size", "0x40"],
        vec!["render", "--levels", "1"],
        vec!["render", "--size", "sixty"],
    ] {
        let out = common::touchray()
            .args(&args)
            .arg(common::nih_dx())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}
