//! The files in board/: every board file reads, the systemd unit keeps the
//! appliance offline, unprivileged and read-only, and the udev rules name
//! exactly the displays the drivers recognise.

use std::collections::HashMap;
use std::path::PathBuf;

use touchray::appliance::Board;
use touchray::device::open::{recognise, DisplaySpec};
use touchray::device::{dotpad, graphiti};

fn board_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("board")
}

#[test]
fn every_board_file_reads_and_the_four_boards_are_there() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(board_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let board = Board::read(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                board.display,
                DisplaySpec::Graphiti("/dev/touchray-display".into()),
                "{}: the udev rules' stable name",
                path.display()
            );
            names.push(path.file_stem().unwrap().to_string_lossy().to_string());
        }
    }
    names.sort();
    assert_eq!(names, ["generic", "jetson-orin-nano", "rpi4", "rpi5"]);
    for wired in ["rpi4", "rpi5", "jetson-orin-nano"] {
        let board = Board::read(&board_dir().join(format!("{wired}.toml"))).unwrap();
        assert_eq!(
            board.buttons.len(),
            touchray::appliance::buttons::Button::ALL.len(),
            "{wired}: every control has a button"
        );
        assert!(board.vibration.is_some(), "{wired}: a motor");
    }
}

/// `[Section]` -> key -> values (a key may repeat).
fn unit_file(text: &str) -> HashMap<String, HashMap<String, Vec<String>>> {
    let mut sections: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not KEY=VALUE: {line}"));
        assert!(!section.is_empty(), "{key} before any section");
        sections
            .entry(section.clone())
            .or_default()
            .entry(key.trim().to_string())
            .or_default()
            .push(value.trim().to_string());
    }
    sections
}

#[test]
fn the_systemd_unit_is_offline_unprivileged_and_read_only() {
    let text = std::fs::read_to_string(board_dir().join("touchray.service")).unwrap();
    let unit = unit_file(&text);
    let service = &unit["Service"];
    let one = |key: &str| -> &str {
        let values = service
            .get(key)
            .unwrap_or_else(|| panic!("[Service] {key} missing"));
        assert_eq!(values.len(), 1, "{key} given once");
        &values[0]
    };
    assert_eq!(one("Restart"), "always");
    assert_eq!(one("PrivateNetwork"), "yes");
    assert_eq!(one("ProtectSystem"), "strict");
    assert_eq!(one("NoNewPrivileges"), "yes");
    assert!(!["root", "0"].contains(&one("User")), "not root");
    let groups: Vec<&str> = one("SupplementaryGroups").split_whitespace().collect();
    assert!(
        groups.contains(&"dialout") && groups.contains(&"gpio"),
        "{groups:?}"
    );
    assert!(service.get("ReadWritePaths").is_none(), "nothing writable");
    // The command runs a board file that exists, and its scan folder is
    // mounted read-only for the service.
    let exec: Vec<&str> = one("ExecStart").split_whitespace().collect();
    assert_eq!(exec[1], "run");
    let board_arg = exec.iter().position(|&a| a == "--board").expect("--board");
    let board_name = PathBuf::from(exec[board_arg + 1]);
    let board = Board::read(&board_dir().join(board_name.file_name().unwrap())).unwrap();
    let read_only = one("ReadOnlyPaths").trim_start_matches('-');
    assert_eq!(PathBuf::from(read_only), board.scans);
    assert_eq!(unit["Install"]["WantedBy"], ["multi-user.target"]);
    assert!(unit["Unit"].contains_key("Description"));
}

#[test]
fn the_udev_rules_link_every_known_display_and_nothing_else() {
    let text = std::fs::read_to_string(board_dir().join("99-touchray.rules")).unwrap();
    let mut ids = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let pairs: HashMap<&str, &str> = line
            .split(", ")
            .map(|p| {
                let at = p.find(['=', '+', '!']).unwrap_or_else(|| panic!("{p}"));
                let (k, v) = p.split_at(at);
                (k, v.trim_start_matches(['=', '+', '!']).trim_matches('"'))
            })
            .collect();
        assert_eq!(pairs["SUBSYSTEM"], "tty", "{line}");
        assert_eq!(pairs["SYMLINK"], "touchray-display", "{line}");
        assert_eq!(pairs["GROUP"], "dialout", "{line}");
        let hex = |k: &str| u16::from_str_radix(pairs[k], 16).unwrap();
        let id = (hex("ATTRS{idVendor}"), hex("ATTRS{idProduct}"));
        assert!(
            recognise(id.0, id.1).is_some(),
            "{line}: not a known display"
        );
        ids.push(id);
    }
    let mut known: Vec<(u16, u16)> = graphiti::USB_IDS.to_vec();
    known.extend(dotpad::USB_IDS);
    ids.sort();
    known.sort();
    assert_eq!(ids, known);
}
