use super::*;

#[test]
fn changed_rows_go_as_row_commands_when_fewer_bytes() {
    let g = Geometry::GRAPHITI;
    let a = PinFrame::flat(g);
    assert_eq!(frame_commands(&a, None)[0].id(), id::UPDATE_DISPLAY);
    assert_eq!(frame_commands(&a, None)[0].data().len(), 4800);
    let mut b = a.clone();
    b.set(embedded_graphics::prelude::Point::new(3, 5), 2);
    let cmds = frame_commands(&b, Some(&a));
    assert_eq!(cmds.len(), 1);
    assert_eq!(cmds[0].id(), id::ONE_ROW);
    assert_eq!(cmds[0].data()[0], 6, "rows count from 1");
    assert_eq!(cmds[0].data()[1 + 2 * 3], 2);
    // Every row changed: one full frame is fewer bytes than 40 rows.
    let mut c = a.clone();
    for y in 0..40 {
        c.set(embedded_graphics::prelude::Point::new(0, y), 1);
    }
    assert_eq!(frame_commands(&c, Some(&a))[0].id(), id::UPDATE_DISPLAY);
}

#[test]
fn no_command_carries_a_1b_data_byte() {
    let g = Geometry::GRAPHITI;
    let a = PinFrame::flat(g);
    let mut b = a.clone();
    // Row 27 (index 26) changed alone: a full update, not row 0x1B.
    b.set(embedded_graphics::prelude::Point::new(3, 26), 2);
    b.set_blink(embedded_graphics::prelude::Point::new(4, 26), 27);
    let cmds = frame_commands(&b, Some(&a));
    assert_eq!(cmds.len(), 1);
    assert_eq!(cmds[0].id(), id::UPDATE_DISPLAY);
    assert!(!cmds[0].data().contains(&START));
    assert_eq!(blink_byte(27), 28);
    assert_eq!(blink_byte(60), MAX_BLINK);
    // Row 26 alone still goes as one row command.
    let mut c = a.clone();
    c.set(embedded_graphics::prelude::Point::new(3, 25), 2);
    assert_eq!(frame_commands(&c, Some(&a))[0].data()[0], 26);
}

#[test]
fn key_reports_and_gestures_become_keys() {
    assert_eq!(keys_in_report(&[0x10, 0x00, 0]), vec![Key::Dot(1)]);
    assert_eq!(
        keys_in_report(&[0x00, 0x81, 0]),
        vec![Key::Right, Key::Select]
    );
    assert_eq!(keys_in_report(&[0x00, 0x02, 0]), vec![Key::Space]);
    assert_eq!(Gesture::from_id(6), Some(Gesture::SwipeLeft));
    assert_eq!(Gesture::from_id(9), None);
}

#[test]
fn geometry_comes_from_the_replies() {
    assert_eq!(parse_geometry("60|40", "4"), Some(Geometry::GRAPHITI));
    assert_eq!(parse_geometry("60x40", "4"), None);
    assert_eq!(parse_geometry("60|40", "x"), None);
}
