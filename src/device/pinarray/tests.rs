use super::wire::*;
use super::*;

#[test]
fn crc16_is_ccitt_false() {
    assert_eq!(crc16(b"123456789"), 0x29B1);
}

#[test]
fn cobs_round_trips_and_removes_zeros() {
    for data in [
        vec![],
        vec![0],
        vec![0, 0],
        vec![1, 2, 0, 3],
        (1..=254).collect::<Vec<u8>>(),
        (0..600).map(|i| (i % 7) as u8).collect(),
    ] {
        let enc = cobs_encode(&data);
        assert!(!enc.contains(&0));
        assert_eq!(cobs_decode(&enc).unwrap(), data);
    }
    // The textbook examples.
    assert_eq!(
        cobs_encode(&[0x11, 0x22, 0x00, 0x33]),
        [0x03, 0x11, 0x22, 0x02, 0x33]
    );
    assert_eq!(cobs_encode(&[0x00]), [0x01, 0x01]);
}

#[test]
fn messages_survive_the_wire_and_bad_crcs_are_caught() {
    let m = Message {
        kind: kind::SET_ROW,
        seq: 7,
        payload: vec![0, 3, 0, 1, 2, 0],
    };
    let wire = m.encode();
    assert_eq!(*wire.last().unwrap(), 0);
    let mut d = Decoder::default();
    let got: Vec<_> = wire.iter().filter_map(|&b| d.push(b)).collect();
    assert_eq!(got, vec![Decoded::Message(m.clone())]);
    let mut bad = wire.clone();
    bad[3] ^= 0x40;
    let got: Vec<_> = bad.iter().filter_map(|&b| d.push(b)).collect();
    assert!(matches!(got[..], [Decoded::Bad(_)]));
}

#[test]
fn the_documents_worked_examples_are_what_touchray_sends() {
    // docs/pinarray-protocol.md, section 7 (computed there without this code).
    let wire = |kind, seq, payload: &[u8]| {
        Message {
            kind,
            seq,
            payload: payload.to_vec(),
        }
        .encode()
    };
    assert_eq!(
        wire(kind::HELLO, 1, &[]),
        [0x05, 0x01, 0x01, 0x3E, 0x1F, 0x00]
    );
    assert_eq!(
        wire(kind::HELLO_REPLY, 1, &[1, 0, 0x20, 0, 0x18, 4, 0, 0x64]),
        [0x04, 0x81, 0x01, 0x01, 0x02, 0x20, 0x03, 0x18, 0x04, 0x04, 0x64, 0x9D, 0x36, 0x00]
    );
    let mut row = vec![0, 3, 0, 1, 2, 3];
    row.resize(2 + 32, 0);
    let mut want = vec![0x03, 0x02, 0x02, 0x02, 0x03, 0x04, 0x01, 0x02, 0x03];
    want.extend([0x01; 27]);
    want.extend([0x03, 0x06, 0x84, 0x00]);
    assert_eq!(wire(kind::SET_ROW, 2, &row), want);
    assert_eq!(
        wire(kind::ACK, 2, &[2]),
        [0x06, 0x80, 0x02, 0x02, 0xB1, 0xE6, 0x00]
    );
    assert_eq!(
        wire(kind::COMMIT, 3, &[]),
        [0x05, 0x03, 0x03, 0x78, 0x3F, 0x00]
    );
    assert_eq!(
        wire(kind::ACK, 3, &[3]),
        [0x06, 0x80, 0x03, 0x03, 0x92, 0xF6, 0x00]
    );
    assert_eq!(
        wire(kind::DONE, 3, &[0, 1]),
        [0x03, 0x83, 0x03, 0x04, 0x01, 0x8B, 0x55, 0x00]
    );
    assert_eq!(
        wire(kind::NAK, 3, &[5]),
        [0x06, 0xEE, 0x03, 0x05, 0x72, 0x5A, 0x00]
    );
}

#[test]
fn hello_round_trips() {
    let h = Hello {
        version: 1,
        geometry: Geometry::new(32, 24, 4).unwrap(),
        move_ms: 250,
    };
    assert_eq!(Hello::parse(&h.payload()), Some(h));
    assert_eq!(Hello::parse(&[1, 0, 0, 0, 24, 4, 0, 0]), None);
}
