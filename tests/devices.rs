//! Serial display drivers against their firmware emulators over real
//! pseudo-terminals, with faults injected: the emulator ends up showing
//! exactly the frame sent, or the driver reports a clear error within a
//! bounded time.

mod common;

use std::time::{Duration, Instant};

use touchray::appliance::buttons::{Button, Buttons, KeyMap};
use touchray::device::dotpad::DotPadLink;
use touchray::device::emulator::{Emulator, Faults, Kind, Options};
use touchray::device::graphiti::GraphitiLink;
use touchray::device::link::{open_serial, RetryPolicy};
use touchray::device::pinarray::PinArrayLink;
use touchray::device::{DeviceError, Haptic, Pattern, PinDisplay};
use touchray::finding::{Finding, Verdict};
use touchray::pipeline::{render, Networks, Wanted};
use touchray::tactile::layout::{compose, Pan, Screen};
use touchray::tactile::{Geometry, PinFrame};

const POLICY: RetryPolicy = RetryPolicy {
    attempts: 3,
    reply_timeout: Duration::from_millis(400),
    move_timeout: Duration::from_millis(800),
};

/// The frames a bedside session shows: a real radiograph with a pneumonia
/// finding (so the indicator blinks), then one zoom-and-pan step.
fn frames(geometry: Geometry) -> (PinFrame, PinFrame) {
    let r = render(
        &common::sample("nih_cxr14_DX_nofinding_nccid.dcm"),
        &Networks::default(),
        Wanted::all(geometry),
    )
    .unwrap();
    let mut screen = Screen {
        finding: Some(Finding {
            verdict: Verdict::Pneumonia,
            p_pneumonia: 0.93,
            zone: None,
        }),
        ..Screen::default()
    };
    let first = compose(&r.relief, &r.representations, &screen, geometry);
    screen.viewport.zoom_in();
    screen.viewport.pan(Pan::Left);
    let second = compose(&r.relief, &r.representations, &screen, geometry);
    assert_ne!(first, second);
    (first, second)
}

fn start(kind: Kind, faults: Faults) -> Emulator {
    Emulator::start(
        kind,
        Options {
            faults,
            ..Options::default()
        },
    )
    .unwrap()
}

fn graphiti(emulator: &Emulator) -> Result<GraphitiLink<serialport::TTYPort>, DeviceError> {
    GraphitiLink::connect(open_serial(&emulator.path(), 115_200)?, POLICY)
}

#[test]
fn graphiti_shows_exactly_the_frames_sent() {
    let emulator = start(Kind::Graphiti, Faults::default());
    let mut g = graphiti(&emulator).unwrap();
    assert_eq!(g.geometry(), Geometry::GRAPHITI);
    assert!(g.name().starts_with("Graphiti"), "{}", g.name());
    let (first, second) = frames(g.geometry());
    g.show(&first).unwrap();
    let record = emulator.record();
    assert!(record.frame == first, "emulator shows another frame");
    assert!(
        record.frame.blink().iter().any(|&b| b > 0),
        "indicator blinks"
    );
    let before = g.bytes_sent();
    g.show(&second).unwrap();
    assert!(
        emulator.record().frame == second,
        "emulator shows another frame"
    );
    // Showing the same frame again sends nothing at all.
    let after = g.bytes_sent();
    g.show(&second).unwrap();
    assert_eq!(g.bytes_sent(), after);
    assert!(after > before);
    assert_eq!(emulator.record().refused, 0);
}

#[test]
fn the_graphiti_emulator_checks_what_the_device_checks() {
    use std::io::{Read, Write};
    use touchray::device::graphiti::codec::encode;
    let emulator = start(Kind::Graphiti, Faults::default());
    let mut port = open_serial(&emulator.path(), 115_200).unwrap();
    let mut ask = |bytes: &[u8]| -> Vec<u8> {
        port.write_all(bytes).unwrap();
        let mut reply = vec![0u8; 4];
        port.read_exact(&mut reply).unwrap();
        port.write_all(&[0x1B, 0x51, 0xAF]).unwrap(); // ACK
        reply
    };
    // The spec's own example: row 10, column 10, height 4, blink 1 s.
    assert_eq!(
        ask(&[0x1B, 0x17, 0x0A, 0x0A, 0x04, 0x0A, 0xC7]),
        [0x1B, 0x53, 0x00, 0xAD]
    );
    // A wrong checksum: status 3, nothing raised.
    assert_eq!(
        ask(&[0x1B, 0x17, 0x01, 0x01, 0x04, 0x00, 0x55]),
        [0x1B, 0x53, 0x03, 0xAA]
    );
    // Row 0 does not exist: status 1 (command error).
    assert_eq!(ask(&encode(0x17, &[0, 1, 4, 0])), [0x1B, 0x53, 0x01, 0xAC]);
    // Height 5 is above the top level.
    assert_eq!(ask(&encode(0x17, &[1, 1, 5, 0])), [0x1B, 0x53, 0x01, 0xAC]);
    let frame = emulator.record().frame;
    assert_eq!(frame.heights().iter().filter(|&&h| h > 0).count(), 1);
    assert_eq!(
        frame.height(embedded_graphics::prelude::Point::new(9, 9)),
        Some(4)
    );
    assert_eq!(frame.blink()[9 * 60 + 9], 10);
    assert_eq!(emulator.record().refused, 3);
}

#[test]
fn graphiti_recovers_from_refusals_and_corrupted_replies() {
    let emulator = start(
        Kind::Graphiti,
        Faults {
            refuse_every: Some(3),
            corrupt_every: Some(4),
            ..Faults::default()
        },
    );
    let mut g = graphiti(&emulator).unwrap();
    let (first, second) = frames(g.geometry());
    for frame in [&first, &second, &first] {
        g.show(frame).unwrap();
        assert!(
            &emulator.record().frame == frame,
            "emulator shows another frame"
        );
    }
    assert!(emulator.record().refused >= 2);
}

#[test]
fn graphiti_gives_up_clearly_when_every_reply_is_corrupt() {
    let emulator = start(
        Kind::Graphiti,
        Faults {
            corrupt_every: Some(1),
            ..Faults::default()
        },
    );
    let t = Instant::now();
    let err = graphiti(&emulator).unwrap_err();
    assert!(matches!(err, DeviceError::NoReply { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("graphiti: no valid reply to device name"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn graphiti_reports_silence_and_unplugging_and_works_after_replugging() {
    // Connecting takes 5 replies; then silence.
    let emulator = start(
        Kind::Graphiti,
        Faults {
            silent_after: Some(5),
            ..Faults::default()
        },
    );
    let mut g = graphiti(&emulator).unwrap();
    let (first, _) = frames(g.geometry());
    let t = Instant::now();
    let err = g.show(&first).unwrap_err();
    assert!(
        matches!(err, DeviceError::NoReply { attempts: 3, .. }),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(6));

    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("graphiti");
    let emulator = Emulator::start(
        Kind::Graphiti,
        Options {
            faults: Faults {
                // The reply to the first frame is the last before unplugging.
                vanish_after: Some(6),
                vanish_for: Duration::from_millis(300),
                ..Faults::default()
            },
            link: Some(link.clone()),
            png: None,
            ..Options::default()
        },
    )
    .unwrap();
    let mut g = GraphitiLink::connect(open_serial(&link, 115_200).unwrap(), POLICY).unwrap();
    let (_, second) = frames(g.geometry());
    // The first frame may or may not be confirmed before the cable goes;
    // the next one cannot be.
    let err = match g.show(&first) {
        Err(e) => e,
        Ok(()) => g.show(&second).unwrap_err(),
    };
    assert!(
        matches!(
            err,
            DeviceError::Disconnected { .. } | DeviceError::NoReply { .. }
        ),
        "{err}"
    );
    assert_eq!(emulator.record().vanished, 1);
    // Plugged back in under the same link: open again and show.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut g = loop {
        match open_serial(&link, 115_200).and_then(|p| GraphitiLink::connect(p, POLICY)) {
            Ok(g) => break g,
            Err(e) if Instant::now() > deadline => panic!("never came back: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    g.show(&first).unwrap();
    assert!(
        emulator.record().frame == first,
        "emulator shows another frame"
    );
}

#[test]
fn graphiti_vibrates_and_reports_keys() {
    let emulator = start(Kind::Graphiti, Faults::default());
    let mut g = graphiti(&emulator).unwrap();
    g.play(&Pattern::from_millis(&[(120, 150), (120, 150), (450, 0)]))
        .unwrap();
    let ms: Vec<u32> = emulator.record().vibrations.iter().map(|v| v.ms).collect();
    assert_eq!(ms, vec![120, 120, 450]);
    // Right arrow (bit 8 of the high nibble of the second report byte).
    emulator.press(0x80);
    let map = KeyMap::default();
    let mut buttons = map.buttons(&mut g);
    let event = buttons.next_event(Duration::from_secs(2)).unwrap().unwrap();
    assert_eq!(event.button, Button::PanRight);
    assert!(event.pressed);
    let release = buttons.next_event(Duration::from_secs(2)).unwrap().unwrap();
    assert!(!release.pressed);
    assert_eq!(buttons.next_event(Duration::from_millis(50)).unwrap(), None);
}

fn dotpad(emulator: &Emulator) -> Result<DotPadLink<serialport::TTYPort>, DeviceError> {
    DotPadLink::connect(open_serial(&emulator.path(), 115_200)?, POLICY)
}

/// Connects to an emulated `kind` with `faults` and shows both frames; the
/// emulator must end up with the heights sent (neither the Dot Pad nor the
/// pin-array protocol blinks). Returns both ends for further checks.
fn heights_arrive<D: PinDisplay>(
    kind: Kind,
    faults: Faults,
    connect: fn(&Emulator) -> Result<D, DeviceError>,
    geometry: Geometry,
) -> (Emulator, D) {
    let emulator = start(kind, faults);
    let mut display = connect(&emulator).unwrap();
    assert_eq!(display.geometry(), geometry);
    let (first, second) = frames(geometry);
    for frame in [&first, &second] {
        display.show(frame).unwrap();
        assert!(
            emulator.record().frame.heights() == frame.heights(),
            "{kind:?} {faults:?}: the emulator shows other pins"
        );
    }
    (emulator, display)
}

#[test]
fn dotpad_shows_binary_frames_through_faults() {
    let binary = Geometry::new(60, 40, 2).unwrap();
    heights_arrive(Kind::DotPad, Faults::default(), dotpad, binary);
    let faults = Faults {
        refuse_every: Some(4),
        corrupt_every: Some(5),
        ..Faults::default()
    };
    let (emulator, _) = heights_arrive(Kind::DotPad, faults, dotpad, binary);
    assert!(emulator.record().refused > 0);
}

#[test]
fn dotpad_reports_silence() {
    let emulator = start(
        Kind::DotPad,
        Faults {
            silent_after: Some(1),
            ..Faults::default()
        },
    );
    let mut pad = dotpad(&emulator).unwrap();
    let (first, _) = frames(pad.geometry());
    let t = Instant::now();
    let err = pad.show(&first).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("dotpad: no valid reply to graphic line 1"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(10));
}

fn pinarray(emulator: &Emulator) -> Result<PinArrayLink<serialport::TTYPort>, DeviceError> {
    PinArrayLink::connect(open_serial(&emulator.path(), 115_200)?, POLICY)
}

#[test]
fn pinarray_shows_frames_through_faults_and_reports_keys() {
    let geometry = Geometry::new(32, 24, 4).unwrap();
    let (emulator, mut array) =
        heights_arrive(Kind::PinArray, Faults::default(), pinarray, geometry);
    emulator.press(7);
    array.show(&frames(geometry).0).unwrap();
    assert_eq!(array.take_keys(), vec![(7, true), (7, false)]);
    let faults = Faults {
        refuse_every: Some(3),
        corrupt_every: Some(4),
        ..Faults::default()
    };
    let (emulator, _) = heights_arrive(Kind::PinArray, faults, pinarray, geometry);
    assert!(emulator.record().refused > 0);
}

#[test]
fn pinarray_reports_silence() {
    let emulator = start(
        Kind::PinArray,
        Faults {
            silent_after: Some(2),
            ..Faults::default()
        },
    );
    let mut array = pinarray(&emulator).unwrap();
    let (first, _) = frames(array.geometry());
    let err = array.show(&first).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("pinarray: no valid reply to row 0"),
        "{err}"
    );
}

#[test]
fn dotpad_shows_exact_pins_under_each_reference_quirk() {
    // Each quirk a real pad may show, on the strict emulator: "wait"
    // without acting (re-sent after the SDK's interval), error
    // notifications (logged, not fatal), "line finished" under another
    // destination (accepted once acknowledged).
    let binary = Geometry::new(60, 40, 2).unwrap();
    for faults in [
        Faults {
            wait_every: Some(3),
            ..Faults::default()
        },
        Faults {
            error_every: Some(2),
            ..Faults::default()
        },
        Faults {
            finished_elsewhere: true,
            ..Faults::default()
        },
    ] {
        let t = Instant::now();
        let (emulator, mut pad) = heights_arrive(Kind::DotPad, faults, dotpad, binary);
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "{faults:?}: {:?}",
            t.elapsed()
        );
        if faults.error_every.is_some() {
            let errors = pad.take_errors();
            assert!(
                !errors.is_empty() && errors.iter().all(|&c| c == 5),
                "{errors:?}"
            );
        }
        if faults.wait_every.is_some() {
            assert!(
                emulator.record().refused > 0,
                "some lines were answered wait"
            );
        }
    }
}

#[test]
fn dotpad_keys_reach_the_appliance_and_the_text_line_is_shown() {
    let emulator = start(Kind::DotPad, Faults::default());
    let mut pad = dotpad(&emulator).unwrap();
    assert_eq!(pad.board().first_graphic_line(), 1);
    // Panning right (Perkins key 14), then F1.
    emulator.press(14);
    emulator.press(touchray::device::emulator::DOTPAD_FUNCTION_KEYS);
    let mut events = Vec::new();
    let map = KeyMap::default();
    let mut buttons = map.buttons(&mut pad);
    while let Some(e) = buttons.next_event(Duration::from_millis(500)).unwrap() {
        events.push((e.button, e.pressed));
    }
    assert_eq!(
        events,
        vec![
            (Button::Next, true),
            (Button::Next, false),
            (Button::Cycle, true),
            (Button::Cycle, false)
        ]
    );
    // Braille "r" (dots 1, 2, 3, 5) arrives in the device's dot order.
    pad.show_text(&[0b0001_0111]).unwrap();
    let text = emulator.record().text_line;
    assert_eq!(text.len(), 20);
    assert_eq!(text[0], 0x27);
    assert!(text[1..].iter().all(|&c| c == 0));
}

#[test]
fn the_dotpad_emulator_refuses_a_graphic_line_in_text_mode() {
    use std::io::{Read, Write};
    use touchray::device::dotpad::packet::{cmd, Packet, MODE_TEXT_BRAILLE};
    let emulator = start(Kind::DotPad, Faults::default());
    let mut port = open_serial(&emulator.path(), 115_200).unwrap();
    let mut line = Packet::new(1, cmd::DISPLAY_LINE, vec![0, 0x0F]);
    line.mode = MODE_TEXT_BRAILLE;
    port.write_all(&line.encode()).unwrap();
    let mut reply = [0u8; 10];
    port.read_exact(&mut reply).unwrap();
    // AA 55 00 06 | 01 | 02 01 | 00 | 01 (NACK) | ck
    assert_eq!(
        &reply[..9],
        [0xAA, 0x55, 0x00, 0x06, 0x01, 0x02, 0x01, 0x00, 0x01]
    );
    assert!(emulator.record().frame.heights().iter().all(|&h| h == 0));
}

#[test]
fn graphiti_zooms_through_row_27_under_either_checksum_convention() {
    for library_checksum in [false, true] {
        let emulator = start(
            Kind::Graphiti,
            Faults {
                library_checksum,
                ..Faults::default()
            },
        );
        let mut g = graphiti(&emulator).unwrap();
        let (first, second) = frames(g.geometry());
        // A frame that differs from `first` in row 27 alone.
        let mut row27 = first.clone();
        let at = embedded_graphics::prelude::Point::new(30, 26);
        row27.set(at, if first.height(at) == Some(0) { 1 } else { 0 });
        for frame in [&first, &second, &first, &row27, &first] {
            g.show(frame).unwrap();
            assert!(
                &emulator.record().frame == frame,
                "library checksum {library_checksum}: other pins"
            );
        }
        assert_eq!(emulator.record().refused, 0, "no frame needed a second try");
    }
}

#[test]
fn graphiti_learns_the_library_convention_for_a_frame_that_needs_a_1b() {
    // A one-pin command at row 27 cannot avoid its 0x1B: the first try
    // under the spec's convention is refused with a checksum error, the
    // second under the library's is carried out, and the driver keeps it.
    use touchray::device::graphiti::codec::Convention;
    let emulator = start(
        Kind::Graphiti,
        Faults {
            library_checksum: true,
            ..Faults::default()
        },
    );
    let mut g = graphiti(&emulator).unwrap();
    use touchray::device::Vibrator;
    g.start(Duration::from_millis(283)).unwrap();
    assert_eq!(emulator.record().vibrations.last().map(|v| v.ms), Some(284));
    assert_eq!(g.convention(), Convention::Spec);
    g.set_pin(27, 27, 3).unwrap();
    assert_eq!(g.convention(), Convention::Library);
    assert_eq!(
        emulator
            .record()
            .frame
            .height(embedded_graphics::prelude::Point::new(26, 26)),
        Some(3)
    );
}

#[test]
fn pinarray_waits_out_a_busy_device() {
    let geometry = Geometry::new(32, 24, 4).unwrap();
    let faults = Faults {
        busy_for: Some(Duration::from_millis(400)),
        ..Faults::default()
    };
    let t = Instant::now();
    let (emulator, _) = heights_arrive(Kind::PinArray, faults, pinarray, geometry);
    assert!(emulator.record().refused > 0, "the device said busy");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn pinarray_starts_safely_after_a_session_whose_last_seq_collides() {
    // The previous session's last request was a COMMIT with seq 1, and
    // the firmware predates "HELLO starts afresh": the new HELLO (seq 1)
    // is answered from memory. The host notices and asks again.
    let geometry = Geometry::new(32, 24, 4).unwrap();
    let faults = Faults {
        stale_seq: Some(1),
        ..Faults::default()
    };
    heights_arrive(Kind::PinArray, faults, pinarray, geometry);
}

fn graphiti_plus() -> Emulator {
    Emulator::start(
        Kind::Graphiti,
        Options {
            graphiti_plus: true,
            ..Options::default()
        },
    )
    .unwrap()
}

#[test]
fn a_graphiti_plus_gets_the_label_on_its_braille_line_and_the_picture_on_all_its_pins() {
    use touchray::device::emulator::GRAPHITI_PLUS_LONG;
    use touchray::tactile::braille;
    let emulator = graphiti_plus();
    let mut g = graphiti(&emulator).unwrap();
    assert!(g.is_plus(), "{}", g.name());
    // A plain Graphiti has no line.
    let plain = start(Kind::Graphiti, Faults::default());
    assert!(graphiti(&plain).unwrap().braille_line().is_none());

    // "pneu 93 an", a label with a "g"-like 0x1B cell elsewhere too.
    let text = "pneu 93 an";
    let cells = braille::line_bytes(text);
    let line = g
        .braille_line()
        .expect("a Graphiti Plus has a braille line");
    assert_eq!(line.cells(), 40);
    line.show_cells(&cells).unwrap();
    let shown = emulator.record().text_line;
    assert_eq!(shown.len(), 40);
    assert_eq!(&shown[..cells.len()], cells.as_slice());
    assert!(shown[cells.len()..].iter().all(|&c| c == 0));
    // "g" is dots 1-2-4-5: the byte 0x1B, escaped on the wire.
    let g_cell = braille::line_bytes("g");
    assert_eq!(g_cell, [0x1B]);
    g.braille_line().unwrap().show_cells(&g_cell).unwrap();
    assert_eq!(emulator.record().text_line[0], 0x1B);

    // The frame for a display with a line: the picture from row 0, no
    // label or indicator on the pins.
    let rendering = render(
        &common::kermany("NORMAL"),
        &Networks::default(),
        Wanted {
            label_on_line: true,
            ..Wanted::all(Geometry::GRAPHITI)
        },
    )
    .unwrap();
    let frame = rendering.frame.unwrap();
    let area = touchray::tactile::layout::Regions::image_area(
        Geometry::GRAPHITI,
        rendering.relief.aspect,
        &rendering.screen,
    );
    assert_eq!((area.top_left.y, area.size.height), (0, 40), "{area:?}");
    g.show(&frame).unwrap();
    assert!(emulator.record().frame == frame);

    // Keys: a routing key queries the column above it; the panning keys
    // step through the scans and zoom, short and long.
    let map = KeyMap::default();
    for (bit, button) in [
        (3 * 8 + 4, Button::Query),  // CR5
        (2 * 8, Button::Previous),   // LPB
        (2 * 8 + 1, Button::Next),   // LPF
        (2 * 8 + 3, Button::ZoomIn), // RPF
        (8 + 2, Button::PanUp),      // Up
        (2, Button::Cycle),          // DOT3
    ] {
        emulator.press(bit);
        let mut buttons = map.buttons(&mut g);
        let down = buttons.next_event(Duration::from_secs(2)).unwrap().unwrap();
        let up = buttons.next_event(Duration::from_secs(2)).unwrap().unwrap();
        assert_eq!(
            (down.button, down.pressed, up.pressed),
            (button, true, false),
            "bit {bit}"
        );
        // CR5 lies over the middle of cell 5 of 40; the other keys nowhere.
        let along = (button == Button::Query).then_some(4.5 / 40.0);
        assert_eq!((down.along, up.along), (along, along), "bit {bit}");
        assert!(
            up.at - down.at < Duration::from_millis(100),
            "a short press"
        );
    }
    emulator.press((2 * 8 + 1) | GRAPHITI_PLUS_LONG);
    let mut buttons = map.buttons(&mut g);
    let down = buttons.next_event(Duration::from_secs(2)).unwrap().unwrap();
    let up = buttons.next_event(Duration::from_secs(2)).unwrap().unwrap();
    assert_eq!(down.button, Button::Next);
    assert!(up.at - down.at >= Duration::from_secs(1), "a long press");
}

#[test]
fn an_unchanged_braille_line_is_sent_once_and_again_when_the_display_comes_back() {
    use touchray::appliance::display::{Reconnect, ReconnectingDisplay};
    use touchray::device::open::DisplaySpec;
    let emulator = graphiti_plus();
    let spec = DisplaySpec::Graphiti(emulator.path());
    let mut display = ReconnectingDisplay::new(spec, Geometry::GRAPHITI, RetryPolicy::default());
    display.connect().unwrap();
    let mut frame = PinFrame::flat(Geometry::GRAPHITI);
    let (a, b) = (vec![0x01, 0x03], vec![0x07]);
    display.show(frame.clone(), a.clone()).unwrap();
    frame.set(embedded_graphics::prelude::Point::new(5, 5), 4);
    // A pan or a cursor step: a new frame, the same label.
    display.show(frame.clone(), a.clone()).unwrap();
    let record = emulator.record();
    assert_eq!(record.line_updates, 1, "the same line went once");
    assert!(record.frame == frame, "the frames both went");
    display.show(frame.clone(), b.clone()).unwrap();
    assert_eq!(emulator.record().line_updates, 2);
    assert_eq!(&emulator.record().text_line[..2], &[0x07, 0]);
    // Lost and back: the device may have been power-cycled, so the line
    // goes again with the frame.
    display.lose(DeviceError::Config("unplugged for a test".into()));
    std::thread::sleep(Duration::from_millis(300));
    assert!(matches!(display.poll(Instant::now()), Reconnect::Back));
    assert_eq!(emulator.record().line_updates, 3);
    display.show(frame, b).unwrap();
    assert_eq!(emulator.record().line_updates, 3);
}
