use super::*;
use crate::tactile::{representations, DepthSource};

fn ramp_relief() -> Relief {
    // Heights rise left to right.
    let heights = (0..RELIEF_SIZE * RELIEF_SIZE)
        .map(|i| (i % RELIEF_SIZE) as f32 / (RELIEF_SIZE - 1) as f32)
        .collect();
    Relief {
        heights,
        aspect: 1.0,
        source: DepthSource::Density,
    }
}

fn finding(verdict: Verdict, p: f32) -> Option<Finding> {
    Some(Finding {
        verdict,
        p_pneumonia: p,
        zone: None,
    })
}

#[test]
fn the_label_names_verdict_confidence_view_and_zoom() {
    let mut screen = Screen {
        finding: finding(Verdict::Pneumonia, 0.934),
        ..Screen::default()
    };
    screen.viewport.zoom_in();
    assert_eq!(screen.label(), "pneu 93 hm z2");
    screen.finding = finding(Verdict::Normal, 0.04);
    screen.view = View::Contour;
    assert_eq!(screen.label(), "norm 96 ct z2");
    screen.finding = None;
    assert_eq!(screen.label(), "nomodel ct z2");
    screen.finding = Some(Finding {
        verdict: Verdict::Pneumonia,
        p_pneumonia: 0.81,
        zone: Some(crate::finding::Zone {
            side: crate::finding::Side::Right,
            level: crate::finding::Level::Lower,
        }),
    });
    assert_eq!(screen.label(), "pneu 81 rl ct z2");
    screen.finding = finding(Verdict::OutOfRange, 0.99);
    assert_eq!(
        screen.label(),
        "outside ct z2",
        "no percentage when the model abstains"
    );
}

#[test]
fn the_label_row_is_braille_above_an_empty_row() {
    let relief = ramp_relief();
    let reps = representations(&relief);
    let screen = Screen {
        finding: finding(Verdict::Pneumonia, 0.93),
        ..Screen::default()
    };
    let frame = compose(&relief, &reps, &screen, Geometry::GRAPHITI);
    let rows: Vec<&[u8]> = frame.rows().collect();
    // "p" = dots 1-2-3-4: left column full, right column top only.
    assert_eq!(&rows[0][..3], [4, 4, 0]);
    assert_eq!(&rows[1][..3], [4, 0, 0]);
    assert_eq!(&rows[2][..3], [4, 0, 0]);
    assert!(rows[3].iter().all(|&h| h == 0), "row 3 stays empty");
    // The gap column before the indicator stays flat.
    assert!(rows[..3].iter().all(|r| r[54] == 0));
}

#[test]
fn indicators_feel_different() {
    let relief = ramp_relief();
    let reps = representations(&relief);
    let zone = |verdict| {
        let screen = Screen {
            finding: finding(verdict, 0.5),
            ..Screen::default()
        };
        let frame = compose(&relief, &reps, &screen, Geometry::GRAPHITI);
        let pins: Vec<(u8, u8)> = (0..3)
            .flat_map(|y| (55..60).map(move |x| Point::new(x, y)))
            .map(|p| {
                let i = (p.y * 60 + p.x) as usize;
                (frame.heights()[i], frame.blink()[i])
            })
            .collect();
        pins
    };
    let (pneu, unsure, normal, outside) = (
        zone(Verdict::Pneumonia),
        zone(Verdict::Uncertain),
        zone(Verdict::Normal),
        zone(Verdict::OutOfRange),
    );
    // Out of range: the two end columns (3 rows each), nothing between.
    let raised: Vec<usize> = (0..15).filter(|&i| outside[i].0 > 0).collect();
    assert_eq!(raised, vec![0, 4, 5, 9, 10, 14]);
    assert!(outside.iter().all(|p| p.1 == 0));
    assert!(pneu.iter().all(|&p| p == (4, PNEUMONIA_BLINK)));
    assert_eq!(unsure.iter().filter(|p| p.0 > 0).count(), 8);
    assert_eq!(normal.iter().filter(|p| p.0 > 0).count(), 5);
    assert!(unsure.iter().chain(&normal).all(|p| p.1 == 0));
}

#[test]
fn zoom_and_pan_move_the_crop_and_stop_at_the_edges() {
    let mut v = Viewport::default();
    assert_eq!(v.crop(224), (0, 0, 224));
    assert!(!v.pan(Pan::Right), "nothing to pan to at zoom 1");
    assert!(v.zoom_in());
    assert_eq!(v.crop(224), (56, 56, 112));
    assert!(v.pan(Pan::Right));
    assert_eq!(v.crop(224), (84, 56, 112));
    assert!(v.pan(Pan::Right));
    assert!(!v.pan(Pan::Right), "at the right edge");
    assert_eq!(v.crop(224), (112, 56, 112));
    while v.zoom_in() {}
    assert_eq!(v.zoom(), 8);
    assert_eq!(v.crop(224).2, 28);
    while v.zoom_out() {}
    assert_eq!(v.crop(224), (0, 0, 224));
}

#[test]
fn zooming_in_on_the_right_shows_higher_pins() {
    let relief = ramp_relief();
    let reps = representations(&relief);
    let mut screen = Screen::default();
    let mean = |frame: &PinFrame| {
        let rows: Vec<&[u8]> = frame.rows().skip(GRAPHIC_TOP as usize).collect();
        let sum: u32 = rows
            .iter()
            .flat_map(|r| r.iter())
            .map(|&h| u32::from(h))
            .sum();
        sum as f32 / (rows.len() * 40) as f32
    };
    let whole = compose(&relief, &reps, &screen, Geometry::GRAPHITI);
    screen.viewport.zoom_in();
    screen.viewport.pan(Pan::Right);
    screen.viewport.pan(Pan::Right);
    let right = compose(&relief, &reps, &screen, Geometry::GRAPHITI);
    assert!(mean(&right) > mean(&whole) + 1.0);
}

#[test]
fn isolated_pins_are_removed_and_pairs_kept() {
    let mut frame = PinFrame::flat(Geometry::new(6, 6, 5).unwrap());
    frame.set(Point::new(1, 1), 3);
    frame.set(Point::new(4, 4), 2);
    frame.set(Point::new(5, 5), 2);
    remove_isolated(&mut frame, Geometry::new(6, 6, 5).unwrap().bounds());
    assert_eq!(frame.height(Point::new(1, 1)), Some(0));
    assert_eq!(frame.height(Point::new(4, 4)), Some(2));
    assert_eq!(frame.height(Point::new(5, 5)), Some(2));
}

#[test]
fn binary_displays_get_threshold_or_bands() {
    assert_eq!(binarise(0.49, Binarisation::Threshold), 0);
    assert_eq!(binarise(0.5, Binarisation::Threshold), 1);
    let bands: Vec<u8> = [0.1, 0.3, 0.6, 0.9]
        .iter()
        .map(|&v| binarise(v, Binarisation::Bands))
        .collect();
    assert_eq!(bands, vec![0, 1, 0, 1]);
    let relief = ramp_relief();
    let reps = representations(&relief);
    let frame = compose(
        &relief,
        &reps,
        &Screen::default(),
        Geometry::new(60, 40, 2).unwrap(),
    );
    assert!(frame.heights().iter().all(|&h| h <= 1));
}

#[test]
fn every_label_has_braille() {
    for verdict in [
        None,
        Some(Verdict::Normal),
        Some(Verdict::Pneumonia),
        Some(Verdict::Uncertain),
        Some(Verdict::OutOfRange),
    ] {
        let mut screen = Screen {
            finding: verdict.map(|v| Finding {
                verdict: v,
                p_pneumonia: 1.0,
                zone: None,
            }),
            ..Screen::default()
        };
        for _ in 0..4 {
            screen.view = screen.view.next(true);
            for _ in ZOOMS {
                let label = screen.label();
                let cells = braille::cells(&label).unwrap();
                assert!(cells.len() <= 18, "{label} fits a 60-pin row");
                screen.viewport.zoom_in();
            }
        }
    }
}

#[test]
fn tiny_displays_get_the_graphic_only() {
    let regions = Regions::of(Geometry::new(8, 8, 2).unwrap());
    assert!(regions.label.is_none());
    assert_eq!(regions.graphic, Geometry::new(8, 8, 2).unwrap().bounds());
}

#[test]
fn the_cam_view_raises_where_the_model_looked_above_the_relief() {
    let relief = ramp_relief();
    // Hot in the left half only, where the ramp is lowest.
    let cam: Vec<f32> = (0..64 * 64).map(|i| f32::from(i % 64 < 32)).collect();
    let reps = representations(&relief).with_cam(&relief, &cam, 64, 64);
    let screen = Screen {
        view: View::Cam,
        ..Screen::default()
    };
    let frame = compose(&relief, &reps, &screen, Geometry::GRAPHITI);
    let row: Vec<u8> = frame.rows().nth(20).unwrap().to_vec();
    let graphic: Vec<u8> = row.iter().copied().filter(|&h| h > 0).collect();
    assert_eq!(
        graphic.first(),
        Some(&4),
        "the hot zone is at the top level"
    );
    let right = &graphic[graphic.len() - 8..];
    assert!(right.iter().all(|&h| (1..=2).contains(&h)), "{row:?}");
    // Without a map the graphic is the heightmap's (the label differs).
    let plain = representations(&relief);
    let graphic = |s: &Screen| -> Vec<Vec<u8>> {
        let frame = compose(&relief, &plain, s, Geometry::GRAPHITI);
        frame
            .rows()
            .skip(GRAPHIC_TOP as usize)
            .map(<[u8]>::to_vec)
            .collect()
    };
    assert!(graphic(&screen) == graphic(&Screen::default()));
    assert_eq!(View::Grayscale.next(true), View::Cam);
    assert_eq!(View::Grayscale.next(false), View::Heightmap);
}
