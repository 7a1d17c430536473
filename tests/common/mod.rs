//! Helpers shared by the integration tests: where the real data is, and how
//! to run the `touchray` binary (natively, or under qemu when the tests
//! themselves run under qemu-user without binfmt).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The NIH DX file's PatientName and PatientID (both the same string).
pub const NIH_PATIENT: &str = "Covid0000";

/// `../shared/data` beside the checkout (or `$TOUCHRAY_SHARED_DATA`).
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("TOUCHRAY_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(
        dir.join("dicom").is_dir(),
        "real test data not found at {} (set TOUCHRAY_SHARED_DATA)",
        dir.display()
    );
    dir
}

/// `tests/fixtures` in the checkout: small files the tests own.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn dicom(name: &str) -> PathBuf {
    shared_data().join("dicom").join(name)
}

pub fn nih_dx() -> PathBuf {
    dicom("nih_cxr14_DX_nofinding_nccid.dcm")
}

/// The first radiograph of a Kermany class folder, by sorted name.
pub fn kermany(class: &str) -> PathBuf {
    let dir = shared_data().join("kermany-224/train").join(class);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.into_iter().next().expect("a radiograph")
}

/// The bundled samples in the repository.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// A `Command` for the touchray binary built for this test run.
pub fn touchray() -> Command {
    let exe = env!("CARGO_BIN_EXE_touchray");
    match emulator() {
        None => Command::new(exe),
        Some((qemu, sysroot)) => {
            let mut cmd = Command::new(qemu);
            cmd.arg("-L").arg(sysroot).arg(exe);
            cmd
        }
    }
}

/// Runs `command` and returns its output, failing the test with the
/// command's stderr unless it exited with success.
pub fn succeeded(command: &mut Command) -> std::process::Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `None` when the binary runs as is; else the qemu-user command and sysroot
/// to run it with. Under qemu-user without binfmt the kernel cannot run a
/// foreign binary (glibc reports that as exit status 127, not as an error),
/// so the emulator is used when `--version` fails directly but works in it.
fn emulator() -> Option<(String, String)> {
    static EMULATOR: OnceLock<Option<(String, String)>> = OnceLock::new();
    EMULATOR
        .get_or_init(|| {
            let exe = env!("CARGO_BIN_EXE_touchray");
            let works = |cmd: &mut Command| {
                cmd.arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            };
            if works(&mut Command::new(exe)) {
                return None;
            }
            let (qemu, sysroot) = match std::env::consts::ARCH {
                "aarch64" => ("qemu-aarch64", "/usr/aarch64-linux-gnu"),
                "arm" => ("qemu-arm", "/usr/arm-linux-gnueabihf"),
                _ => return None,
            };
            works(Command::new(qemu).arg("-L").arg(sysroot).arg(exe))
                .then(|| (qemu.to_string(), sysroot.to_string()))
        })
        .clone()
}

/// The NIH DX sample written again as RLE Lossless at `path`, its pixel
/// data one fragment: the RLE header (`header`: segment count and first
/// offset, padded to 64 bytes), then `segment`.
pub fn nih_as_rle(path: &std::path::Path, header: [u32; 2], segment: &[u8]) {
    use dicom_core::value::{PixelFragmentSequence, Value};
    use dicom_core::{DataElement, VR};
    let mut obj = dicom_object::open_file(nih_dx()).unwrap();
    let mut fragment = Vec::with_capacity(64 + segment.len());
    fragment.extend_from_slice(&header[0].to_le_bytes());
    fragment.extend_from_slice(&header[1].to_le_bytes());
    fragment.resize(64, 0);
    fragment.extend_from_slice(segment);
    obj.put(DataElement::new(
        dicom_dictionary_std::tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(
            Vec::<u32>::new(),
            vec![fragment],
        )),
    ));
    obj.meta_mut()
        .set_transfer_syntax(&dicom_transfer_syntax_registry::entries::RLE_LOSSLESS);
    obj.write_to_file(path).unwrap();
}

/// The events `touchray run --json-events` wrote to `path` so far.
pub fn events(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The events of one kind.
pub fn of_kind<'a>(events: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// Waits (up to 120 s) until the events file has an event matching `wanted`.
pub fn wait_for(json: &std::path::Path, what: &str, wanted: impl Fn(&serde_json::Value) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        if events(json).iter().any(&wanted) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no {what} event within 120 s: {:?}", events(json));
}
