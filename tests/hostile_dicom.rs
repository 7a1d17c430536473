//! DICOM files damaged the way a fuzzer damaged them (issue 15): element
//! lengths that claim gigabytes, a transfer syntax changed over native
//! pixel data, RLE fragments that lie. Each must be refused by name, in one
//! line, before anything large is allocated, and a decoder that panics must
//! not print its panic.

mod common;

use std::path::{Path, PathBuf};

use dicom_object::open_file;
use dicom_transfer_syntax_registry::entries::RLE_LOSSLESS;
use touchray::scan::{load, ScanProblem};

fn nih() -> Vec<u8> {
    std::fs::read(common::nih_dx()).unwrap()
}

/// The offset of the first element with `tag` after the preamble (the NIH
/// sample is implicit VR little endian: tag, then a 4-byte length).
fn element_at(bytes: &[u8], group: u16, element: u16) -> usize {
    let mut needle = group.to_le_bytes().to_vec();
    needle.extend(element.to_le_bytes());
    132 + bytes[132..]
        .windows(4)
        .position(|w| w == needle)
        .expect("tag present")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The fuzzer's three memory cases, made from the real NIH sample.
fn memory_cases(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let original = nih();
    // SOP Class UID's length overwritten: 4 GiB claimed.
    let mut huge = original.clone();
    let at = element_at(&huge, 0x0008, 0x0016);
    huge[at + 4..at + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    // Photometric Interpretation's length field holding text: 1.2 GB.
    let mut text = original.clone();
    let at = element_at(&text, 0x0028, 0x0004);
    text[at + 4..at + 8].copy_from_slice(b"NOCH");
    // The transfer syntax changed to RLE over native pixel data: written
    // anew (an explicit data set with native pixels)...
    let mut obj = open_file(common::nih_dx()).unwrap();
    obj.meta_mut().set_transfer_syntax(&RLE_LOSSLESS);
    let rle = dir.join("rle_over_native.dcm");
    obj.write_to_file(&rle).unwrap();
    // ...and patched in place (the implicit data set now read as explicit),
    // which made dicom-rs reserve 767 MB. The data set is seen to be
    // implicit VR (as pydicom sees it), and its native pixel data does not
    // fit the syntax.
    let mut patched = original.clone();
    let implicit_le = b"1.2.840.10008.1.2\0";
    let at = 132
        + original[132..]
            .windows(implicit_le.len())
            .position(|w| w == implicit_le)
            .expect("the transfer syntax in the meta group");
    let uid_length = u16::from_le_bytes([patched[at - 2], patched[at - 1]]) as usize;
    let mut uid = b"1.2.840.10008.1.2.5".to_vec();
    uid.resize(uid_length.max(20), 0);
    patched.splice(at..at + uid_length, uid.iter().copied());
    let grown = (uid.len() - uid_length) as u16;
    patched[at - 2..at].copy_from_slice(&(uid.len() as u16).to_le_bytes());
    // The meta group's length (0002,0000) grows by the same.
    let group = 132 + 8;
    let length = u32::from_le_bytes(patched[group..group + 4].try_into().unwrap());
    patched[group..group + 4].copy_from_slice(&(length + u32::from(grown)).to_le_bytes());
    vec![
        // Found by examples/fuzz.rs: pydicom's UN_sequence.dcm, mutated; a
        // sequence of unknown VR made dicom-rs hold 3.5 GB.
        (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fuzz/un_sequence_3_5_gb.dcm"),
            "a sequence of unknown VR",
        ),
        // Also found by the fuzzer: pydicom's image_dfl.dcm (a deflated data
        // set), damaged inside the deflate stream, held 1.9 and 1.0 GB while
        // dicom-rs read what it inflated; it is now inflated (bounded) and
        // walked first.
        (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/deflated_1_9_gb.dcm"),
            "has no value representation",
        ),
        (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/deflated_1_0_gb.dcm"),
            "claims 1094795585 bytes",
        ),
        // A VR dicom-rs does not know ("QI", in the meta group) has a
        // 4-byte length, as UN: read as a 2-byte one, the walk missed a
        // 774 MB claim.
        (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fuzz/unknown_vr_in_meta_770_mb.dcm"),
            "claims 775040561 bytes",
        ),
        // Samples per Pixel as a UL of 2 bytes: dicom-rs read on out of
        // step and asked for 1.2 GB.
        (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fuzz/ul_of_2_bytes_1_2_gb.dcm"),
            "not a whole number of 4-byte values",
        ),
        // A second meta group spliced in after the first: the walk took its
        // transfer syntax, dicom-rs the first's, and 3.5 GB went unchecked.
        (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fuzz/second_meta_group_3_5_gb.dcm"),
            "file meta element (0002,0000) out of order",
        ),
        // An item tag (FFFE,FFFF) that does not exist: dicom-rs read on out
        // of step and asked for 1.3 GB.
        (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fuzz/unknown_item_tag_1_3_gb.dcm"),
            "unknown item tag (FFFE,FFFF)",
        ),
        // A meta group whose first tag was damaged: dicom-rs held 1.6 GB on
        // the way to refusing it; refused before it reads.
        (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/fuzz/no_transfer_syntax_1_6_gb.dcm"),
            "no Transfer Syntax UID",
        ),
        (
            write(dir, "huge_length.dcm", &huge),
            "claims 4294967280 bytes",
        ),
        (
            write(dir, "text_length.dcm", &text),
            "claims 1212370766 bytes",
        ),
        (rle, "needs encapsulated pixel data"),
        (
            write(dir, "rle_patched.dcm", &patched),
            "needs encapsulated pixel data",
        ),
    ]
}

#[test]
fn lying_lengths_are_refused_before_they_are_allocated() {
    let dir = tempfile::tempdir().unwrap();
    for (path, expect) in memory_cases(dir.path()) {
        let err = load(&path).unwrap_err();
        assert!(
            matches!(
                err.problem,
                ScanProblem::Corrupt { .. } | ScanProblem::Unsupported(_)
            ),
            "{}: {err}",
            path.display()
        );
        assert!(err.to_string().contains(expect), "{err}");
    }
}

/// Through the binary with its address space capped at 512 MiB: before the
/// length walk these files made it ask for 0.8 to 4.2 GB (an abort, exit
/// 134, or a refusal after 1.3 GB resident). Native x86_64 only: under
/// qemu-user the cap would apply to the emulator's own reservations.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_binary_refuses_them_within_512_mib() {
    let dir = tempfile::tempdir().unwrap();
    for (path, expect) in memory_cases(dir.path()) {
        let out = render_within_512_mib(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expect), "{stderr}");
    }
}

/// Found by the 2-hour fuzzing campaign (examples/fuzz.rs, seed 303): a
/// meta group whose length (0002,0000) says 24 bytes more than its
/// elements take. dicom-rs reads meta elements until that length is used
/// up, so it took the data set's first element for one, skipped 1.5 KB as
/// its value, and read the rest out of step: a length of 2.2 GB, held
/// before the dose grid rendered. (Under an address-space cap that
/// allocation fails and the file is read again from the data set, so the
/// cap would not show it: the process's peak resident memory does.) The
/// data set is now read from where the meta group's elements end, as
/// pydicom reads it: the 10 x 10 grid, in well under 256 MiB.
#[cfg(target_arch = "x86_64")]
#[test]
fn a_meta_group_length_that_overstates_its_elements_is_read_in_bounded_memory() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/meta_group_length_2_2_gb.dcm");
    let scan = load(&path).unwrap();
    assert_eq!((scan.width, scan.height), (10, 10));
    // Reaped by wait4 below, which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    let mut child = common::touchray()
        .args(["render", "--models", "/nonexistent", "--json"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    // wait4 rather than Child::wait: it gives this child's own peak RSS.
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: waits for our own child, writing into the two locals.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    let peak_mib = usage.ru_maxrss / 1024; // kilobytes on Linux
    assert!(peak_mib < 256, "peak resident {peak_mib} MiB");
    let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(json["scan"]["width"], 10, "{json}");
}

/// `touchray render --json` of `path` with the address space capped at
/// 512 MiB.
#[cfg(target_arch = "x86_64")]
fn render_within_512_mib(path: &Path) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_touchray"));
    command.args(["render", "--models", "/nonexistent", "--json"]);
    command.arg(path);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
    unsafe {
        command.pre_exec(|| {
            let cap = libc::rlimit {
                rlim_cur: 512 << 20,
                rlim_max: 512 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.output().unwrap()
}

/// An RLE file from the real DX with its fragment damaged: `header` is the
/// start of the 64-byte RLE header, `segment` what follows it.
fn rle_file(dir: &Path, name: &str, header: [u32; 2], segment: &[u8]) -> PathBuf {
    let path = dir.join(name);
    common::nih_as_rle(&path, header, segment);
    path
}

#[test]
fn damaged_rle_is_one_line_whether_or_not_the_decoder_panics() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // A flipped segment count: refused from the header.
        (
            rle_file(dir.path(), "count.dcm", [0x0100_0001, 64], &[0, 1]),
            "RLE header",
        ),
        // A segment offset past the fragment.
        (
            rle_file(dir.path(), "offset.dcm", [1, 4096], &[0, 1]),
            "RLE header",
        ),
        // A segment that decodes far short of 1024 x 1024 samples: the
        // decoder indexes past its output (a panic in dicom-rs 0.10.1).
        (
            rle_file(dir.path(), "short.dcm", [1, 64], &[1, 7, 7, 0x80]),
            "",
        ),
    ];
    for (path, expect) in cases {
        let stderr = refused_in_one_line(&path);
        assert!(stderr.contains(expect), "{stderr}");
    }
}

/// Renders `path` through the binary and checks that it is refused (exit
/// 2, nothing on stdout) in one line with no panic message; that line.
fn refused_in_one_line(path: &Path) -> String {
    let out = common::touchray()
        .args(["render", "--models", "/nonexistent", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line, no panic message: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty(), "no picture: {}", path.display());
    stderr
}

/// Found by the 40-minute fuzzing campaign (examples/fuzz.rs, seed 202):
/// pydicom's MR_small_jp2klossless.dcm with two bytes of its JPEG 2000
/// codestream changed makes openjp2 0.6.1 overflow an addition while it
/// reads a packet header (`opj_t2_read_packet_header`). With overflow
/// checks (tests, the qemu profile, and openjp2 in release builds: see
/// Cargo.toml) it panics there, and the guard must turn that into the
/// file's one line; without them it rendered a picture without a word.
#[test]
fn a_jpeg_2000_packet_header_that_overflows_is_one_line() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/jpeg2000_packet_header_overflow.dcm");
    let stderr = refused_in_one_line(&path);
    assert!(
        stderr.contains("jpeg2000_packet_header_overflow.dcm"),
        "{stderr}"
    );
}

/// A colour JPEG-LS file (pydicom's sample-interleaved one) whose scan is cut
/// half way by an end-of-image marker: the interleaved decoder meets the
/// marker inside the scan and the file is refused in one line by name,
/// the format named once.
#[test]
fn a_cut_colour_jpeg_ls_scan_is_one_line() {
    let original = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pydicom/SC_rgb_jls_lossy_sample.dcm");
    let mut bytes = std::fs::read(original).unwrap();
    let scan = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("a JPEG-LS scan header");
    let eoi = bytes.len() - bytes.iter().rev().position(|&b| b == 0xD9).unwrap() - 2;
    let middle = scan + (eoi - scan) / 2;
    bytes[middle..eoi].fill(0);
    bytes[middle..middle + 2].copy_from_slice(&[0xFF, 0xD9]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cut_colour.dcm", &bytes);
    let stderr = refused_in_one_line(&path);
    assert!(stderr.contains("cut_colour.dcm"), "{stderr}");
    // Named once: the decoder's own "truncated JPEG-LS stream" is not
    // repeated after "corrupt or truncated JPEG-LS:".
    assert_eq!(stderr.matches("JPEG-LS").count(), 1, "{stderr}");
    assert!(stderr.contains("ends at byte"), "{stderr}");
}
