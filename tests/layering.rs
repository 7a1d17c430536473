//! The rooms of src/ import only rooms below them (DESIGN.md): scan ->
//! imaging -> {infer, tactile} -> device -> pipeline, eval, output, bench
//! -> appliance -> error, with `finding` (the verdict's words) a leaf
//! beside `imaging`. This test reads every source file and fails on an
//! import that goes up or sideways, naming the file and line.

use std::path::{Path, PathBuf};

/// Each room and the rooms it may import.
const ROOMS: &[(&str, &[&str])] = &[
    ("scan", &[]),
    ("imaging", &[]),
    ("finding", &[]),
    ("infer", &["scan", "imaging", "finding"]),
    ("tactile", &["scan", "imaging", "finding"]),
    ("device", &["imaging", "tactile"]),
    (
        "pipeline",
        &["scan", "imaging", "finding", "infer", "tactile"],
    ),
    (
        "output",
        &[
            "scan", "imaging", "finding", "infer", "tactile", "device", "pipeline",
        ],
    ),
    (
        "speech",
        &[
            "scan", "imaging", "finding", "infer", "tactile", "device", "pipeline",
        ],
    ),
    (
        "eval",
        &[
            "scan", "imaging", "finding", "infer", "tactile", "pipeline", "output",
        ],
    ),
    (
        "bench",
        &[
            "scan", "imaging", "finding", "infer", "tactile", "device", "pipeline", "output",
        ],
    ),
    (
        "appliance",
        &[
            "scan", "imaging", "finding", "infer", "tactile", "device", "pipeline", "output",
            "speech",
        ],
    ),
    (
        "error",
        &[
            "scan",
            "imaging",
            "finding",
            "infer",
            "tactile",
            "device",
            "pipeline",
            "output",
            "eval",
            "bench",
            "appliance",
        ],
    ),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The rooms named after `crate::` in `line`, comments left out.
fn imported_rooms(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("crate::")
        .map(|(i, m)| {
            code[i + m.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn no_room_imports_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut rooms_seen = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let room = first.to_string_lossy().trim_end_matches(".rs").to_string();
        // The binary (main.rs and its cli.rs) stands on top of everything.
        if matches!(room.as_str(), "lib" | "main" | "cli") {
            continue;
        }
        let allowed = ROOMS
            .iter()
            .find(|(name, _)| *name == room)
            .unwrap_or_else(|| panic!("src/{}: a room not in ROOMS", relative.display()))
            .1;
        rooms_seen += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for target in imported_rooms(line) {
                if target != room && !allowed.contains(&target.as_str()) {
                    violations.push(format!(
                        "src/{}:{}: {room} imports {target}: {}",
                        relative.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(rooms_seen > 20, "only {rooms_seen} source files read");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_check_sees_an_import_in_code_and_not_in_comments() {
    assert_eq!(
        imported_rooms("use crate::infer::Verdict; // crate::device"),
        vec!["infer"]
    );
    assert!(imported_rooms("/// see [`crate::device::Keys`]").is_empty());
}
