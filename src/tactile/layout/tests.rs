use super::*;
use crate::tactile::reading::Reading;
use crate::tactile::{representations, DepthSource};

/// The representations of a synthetic relief, its heights standing in for
/// the film (no anatomy in them: the anatomy views show the relief).
fn reps_of(relief: &Relief) -> Representations {
    representations(relief, Reading::of_film(relief.heights.clone()))
}

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
    assert_eq!(screen.label(), "pneu 93 an");
    screen.viewport.zoom_in();
    assert_eq!(
        screen.label(),
        "pneu an z2mm",
        "zoomed: where the view is, no percentage"
    );
    for pan in [Pan::Left, Pan::Left, Pan::Up, Pan::Up] {
        screen.viewport.pan(pan);
    }
    assert_eq!(screen.label(), "pneu an z2ru", "the patient's right upper");
    screen.estimated = Some(crate::tactile::anatomy::Lung::Left);
    assert_eq!(screen.label(), "pneu ae z2ru", "a lung's outline estimated");
    screen.view = View::Relief;
    assert_eq!(screen.label(), "pneu rf z2ru", "the relief draws no lung");
    screen.view = View::Anatomy;
    screen.estimated = None;
    screen.viewport = Viewport::default();
    screen.finding = finding(Verdict::Normal, 0.04);
    screen.view = View::Contour;
    assert_eq!(screen.label(), "norm 96 ct");
    screen.finding = None;
    assert_eq!(screen.label(), "nomodel ct");
    screen.finding = Some(Finding {
        verdict: Verdict::Pneumonia,
        p_pneumonia: 0.81,
        zone: Some(crate::finding::Zone {
            side: crate::finding::Side::Right,
            level: crate::finding::Level::Lower,
        }),
    });
    assert_eq!(screen.label(), "pneu 81 rl ct");
    screen.finding = finding(Verdict::OutOfRange, 0.99);
    assert_eq!(
        screen.label(),
        "outside ct",
        "no percentage when the model abstains"
    );
}

#[test]
fn without_anatomy_the_relief_stands_in_and_the_label_says_so() {
    let relief = ramp_relief();
    let reps = reps_of(&relief);
    let screen = Screen::default().settled(&reps);
    assert!(screen.no_anatomy.is_some());
    assert_eq!(screen.shown(), View::Relief);
    assert_eq!(screen.label(), "nomodel na");
    let relief_screen = Screen {
        view: View::Relief,
        ..Screen::default()
    };
    let graphic = |s: &Screen| -> Vec<Vec<u8>> {
        compose(&relief, &reps, s, Geometry::GRAPHITI)
            .rows()
            .skip(GRAPHIC_TOP as usize)
            .map(<[u8]>::to_vec)
            .collect()
    };
    assert!(graphic(&screen) == graphic(&relief_screen));
}

#[test]
fn a_chest_phantom_gets_its_anatomy_and_out_of_range_does_not() {
    let film = crate::tactile::anatomy::tests_support::phantom(&[]);
    let relief = Relief {
        heights: film.clone(),
        aspect: 1.0,
        source: DepthSource::Density,
    };
    let reps = representations(&relief, Reading::of_film(film));
    let screen = Screen::default().settled(&reps);
    assert_eq!(screen.shown(), View::Anatomy);
    let outside = Screen {
        finding: finding(Verdict::OutOfRange, 0.5),
        ..Screen::default()
    }
    .settled(&reps);
    assert_eq!(
        outside.no_anatomy,
        Some(crate::tactile::anatomy::AnatomyProblem::OutOfRange)
    );
    assert_eq!(outside.shown(), View::Relief);
}

#[test]
fn the_side_marker_stands_apart_in_the_top_left_corner() {
    let relief = ramp_relief();
    let reps = reps_of(&relief);
    let screen = Screen {
        view: View::Grayscale,
        ..Screen::default()
    };
    let frame = compose(&relief, &reps, &screen, Geometry::GRAPHITI);
    let area = Regions::image_area(Geometry::GRAPHITI, relief.aspect, &screen);
    let at = |dx: i32, dy: i32| frame.height(area.top_left + Point::new(dx, dy)).unwrap();
    // "r" = dots 1-2-3-5: left column full, right column middle only.
    let cell: Vec<u8> = (0..3).flat_map(|y| [at(0, y), at(1, y)]).collect();
    assert_eq!(cell, [4, 0, 4, 4, 4, 0]);
    // An empty pin to its right and below it.
    assert!((0..4).all(|y| at(2, y) == 0) && (0..3).all(|x| at(x, 3) == 0));
    // A lateral film has no right side to mark: the picture is untouched.
    let mut lateral = reps_of(&relief);
    lateral.reading.frontal = false;
    let unmarked = compose(&relief, &lateral, &screen, Geometry::GRAPHITI);
    let at = |dx: i32, dy: i32| unmarked.height(area.top_left + Point::new(dx, dy)).unwrap();
    assert_ne!(
        (0..3)
            .flat_map(|y| [at(0, y), at(1, y)])
            .collect::<Vec<_>>(),
        [4, 0, 4, 4, 4, 0]
    );
}

#[test]
fn the_label_row_is_braille_above_an_empty_row() {
    let relief = ramp_relief();
    let reps = reps_of(&relief);
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
    let reps = reps_of(&relief);
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
    let reps = reps_of(&relief);
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
fn binary_displays_get_threshold_or_bands() {
    assert_eq!(binarise(0.49, Binarisation::Threshold), 0);
    assert_eq!(binarise(0.5, Binarisation::Threshold), 1);
    let bands: Vec<u8> = [0.1, 0.3, 0.6, 0.9]
        .iter()
        .map(|&v| binarise(v, Binarisation::Bands))
        .collect();
    assert_eq!(bands, vec![0, 1, 0, 1]);
    let relief = ramp_relief();
    let reps = reps_of(&relief);
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
        for view in VIEWS {
            for (no_anatomy, estimated) in [
                (None, None),
                (None, Some(crate::tactile::anatomy::Lung::Right)),
                (
                    Some(crate::tactile::anatomy::AnatomyProblem::OutOfRange),
                    None,
                ),
            ] {
                let mut screen = Screen {
                    view,
                    no_anatomy,
                    estimated,
                    // A zone comes with pneumonia and uncertain calls only.
                    finding: verdict.map(|v| Finding {
                        verdict: v,
                        p_pneumonia: 1.0,
                        zone: matches!(v, Verdict::Pneumonia | Verdict::Uncertain).then_some(
                            crate::finding::Zone {
                                side: crate::finding::Side::Both,
                                level: crate::finding::Level::Middle,
                            },
                        ),
                    }),
                    ..Screen::default()
                };
                for _ in ZOOMS {
                    let label = screen.label();
                    let cells = braille::cells(&label).unwrap();
                    assert!(cells.len() <= 18, "{label} fits a 60-pin row");
                    screen.viewport.zoom_in();
                }
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
    let reps = reps_of(&relief).with_cam(&relief, &cam, 64, 64);
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
    let plain = reps_of(&relief);
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
    assert_eq!(View::Grayscale.next(false), View::Anatomy);
    assert_eq!(View::Anatomy.next(false), View::Opacity);
    assert_eq!(View::Opacity.next(false), View::Relief);
    assert_eq!(View::Relief.next(false), View::Contour);
    assert_eq!("opacity".parse::<View>(), Ok(View::Opacity));
    assert!("heightmap".parse::<View>().is_err());
}
