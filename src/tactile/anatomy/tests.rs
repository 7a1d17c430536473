use super::*;

use super::tests_support::phantom;

const N: usize = RELIEF_SIZE;

#[test]
fn both_lungs_and_the_mediastinum_of_a_phantom() {
    let anatomy = Anatomy::find(&phantom(&[])).expect("anatomy");
    let (rx, _) = anatomy.right().centroid().unwrap();
    let (lx, _) = anatomy.left().centroid().unwrap();
    assert!(
        (rx - 70.0).abs() < 6.0 && (lx - 154.0).abs() < 6.0,
        "{rx} {lx}"
    );
    // Each lung's area within 20 % of its ellipse's (pi * 30 * 60).
    let ellipse = std::f32::consts::PI * 30.0 * 60.0;
    for lung in [anatomy.right(), anatomy.left()] {
        let ratio = lung.area() as f32 / ellipse;
        assert!((0.8..1.2).contains(&ratio), "area ratio {ratio}");
    }
    assert!(anatomy.mediastinum().get(112, 105));
    assert!(!anatomy.mediastinum().get(70, 105));
    assert_eq!(anatomy.estimated(), None);
    // The ribs were washed out: no opacity in a clear lung.
    let dense = anatomy.excess().iter().filter(|&&e| e >= 1.5).count();
    assert!(dense < 200, "{dense} pixels called dense in clear lungs");
}

#[test]
fn a_consolidation_is_inside_its_lung_and_denser_than_its_baseline() {
    let anatomy = Anatomy::find(&phantom(&[(150.0, 130.0, 18.0)])).expect("anatomy");
    assert!(anatomy.left().get(150, 130), "the consolidation is lung");
    assert!(anatomy.excess()[130 * N + 150] >= 1.5);
    assert!(anatomy.excess()[80 * N + 70] < 1.5);
}

#[test]
fn a_lung_consolidated_in_its_lower_half_is_completed_from_the_other() {
    let anatomy = Anatomy::find(&phantom(&[(154.0, 145.0, 42.0)])).expect("anatomy");
    assert_eq!(anatomy.estimated(), Some(Lung::Left));
    assert!(anatomy.left().get(154, 150));
    // Its baseline is the clear lung's: the consolidation stands out.
    assert!(anatomy.excess()[150 * N + 154] >= 1.5);
}

#[test]
fn films_without_two_lungs_are_refused() {
    let flat = vec![0.5; N * N];
    assert!(Anatomy::find(&flat).is_err());
    let ramp: Vec<f32> = (0..N * N).map(|i| (i % N) as f32 / N as f32).collect();
    assert!(Anatomy::find(&ramp).is_err());
    // One lung only: beside the mediastinum, the film as dark as the air
    // outside the body (no white lung: whatever is there, it is not lung).
    let mut one = phantom(&[]);
    for y in 0..N {
        for x in 125..N {
            one[y * N + x] = 0.0;
        }
    }
    assert_eq!(
        Anatomy::find(&one),
        Err(AnatomyProblem::LungMissing(Lung::Left))
    );
}

#[test]
fn a_white_lung_is_the_other_lungs_mirror_image_marked_estimated_and_dense() {
    // The left lung as dense as the soft tissue around it: no valley.
    let mut white = phantom(&[]);
    for y in 0..N {
        for x in 125..N {
            let v = &mut white[y * N + x];
            if *v < 0.5 && *v > 0.0 {
                *v = 0.6;
            }
        }
    }
    let anatomy = Anatomy::find(&white).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(anatomy.estimated(), Some(Lung::Left));
    let (lx, ly) = anatomy.left().centroid().unwrap();
    assert!(
        (lx - 154.0).abs() < 8.0 && (ly - 105.0).abs() < 8.0,
        "{lx} {ly}"
    );
    // Measured against the clear lung's baseline, it is dense throughout.
    assert!(anatomy.excess()[105 * N + 154] >= 1.5);
    assert!(anatomy.excess()[80 * N + 70] < 1.5);
}

#[test]
fn any_picture_gives_an_anatomy_or_a_reason_never_a_panic() {
    // Noise, stripes, blocks, a spot, a frame, all black, all white: what a
    // photograph, a test pattern or a damaged file may decode to.
    let mut state = 0x2545_f491_u32;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 1000) as f32 / 999.0
    };
    let patterns: Vec<Box<dyn Fn(usize, usize) -> f32>> = vec![
        Box::new(|x, _| (x % 7) as f32 / 6.0),
        Box::new(|_, y| (y / 20 % 2) as f32),
        Box::new(|x, y| ((x / 30 + y / 30) % 2) as f32),
        Box::new(|x, y| {
            if x.abs_diff(112) < 10 && y.abs_diff(112) < 10 {
                1.0
            } else {
                0.0
            }
        }),
        Box::new(|x, y| f32::from(x < 3 || y < 3 || x > 220 || y > 220)),
        Box::new(|_, _| 0.0),
        Box::new(|_, _| 1.0),
    ];
    for pattern in &patterns {
        let film: Vec<f32> = (0..N * N).map(|i| pattern(i % N, i / N)).collect();
        let _ = Anatomy::find(&film);
    }
    for _ in 0..8 {
        let film: Vec<f32> = (0..N * N).map(|_| noise()).collect();
        let _ = Anatomy::find(&film);
        // The phantom with noise on it: still found.
        let noisy: Vec<f32> = phantom(&[])
            .iter()
            .map(|v| (v + 0.05 * (noise() - 0.5)).clamp(0.0, 1.0))
            .collect();
        assert!(Anatomy::find(&noisy).is_ok());
    }
}

/// An elliptic mask on the grid.
fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Mask {
    Mask::from_fn(N, N, |x, y| {
        ((x as f32 - cx) / rx).powi(2) + ((y as f32 - cy) / ry).powi(2) <= 1.0
    })
}

#[test]
fn lungs_in_the_shoulders_at_the_films_side_or_starting_low_are_refused() {
    let (midline, film) = (112.0, phantom(&[]));
    let (right, left) = (
        ellipse(70.0, 105.0, 30.0, 60.0),
        ellipse(154.0, 105.0, 30.0, 60.0),
    );
    assert!(Anatomy::assemble(right.clone(), left.clone(), midline, &film).is_ok());
    // Both ending at row 110 of 224: found in the shoulders.
    let high = |cx| ellipse(cx, 60.0, 30.0, 50.0);
    assert_eq!(
        Anatomy::assemble(high(70.0), high(154.0), midline, &film).unwrap_err(),
        AnatomyProblem::LungHigh(Lung::Right)
    );
    // A "left lung" reaching the film's right edge: the air beside the body.
    let wide = ellipse(180.0, 105.0, 43.0, 60.0);
    assert_eq!(
        Anatomy::assemble(ellipse(44.0, 105.0, 30.0, 60.0), wide, midline, &film).unwrap_err(),
        AnatomyProblem::LungAtEdge(Lung::Left)
    );
    // A right lung whose top runs out over the shoulder to the top corner
    // (joined to its apex: a patch apart from it is dropped, below).
    let shoulder = Mask::from_fn(N, N, |x, y| {
        ((15..45).contains(&x) && (38..50).contains(&y))
            || ((44..66).contains(&x) && (44..50).contains(&y))
    });
    assert_eq!(
        Anatomy::assemble(right.or(&shoulder), left.clone(), midline, &film).unwrap_err(),
        AnatomyProblem::LungOverShoulder(Lung::Right)
    );
    // The same right lung with a patch apart from it in the shoulder (a
    // valley the chain or the mirror reached there): the lung is its
    // largest piece, and the patch is not in it.
    let patch = Mask::from_fn(N, N, |x, y| (15..35).contains(&x) && (10..25).contains(&y));
    let apart = Anatomy::assemble(right.or(&patch), left.clone(), midline, &film)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(apart.right(), &right);
    // Beside the usual right lung, a left lung placed by its ellipse.
    let with_left = |cy, ry| {
        let left = ellipse(154.0, cy, 30.0, ry);
        Anatomy::assemble(right.clone(), left, midline, &film)
    };
    // A left lung starting below the upper 36 % of the film: its apex lost.
    assert_eq!(
        with_left(140.0, 45.0).unwrap_err(),
        AnatomyProblem::LungLow(Lung::Left)
    );
    // Both lungs starting at 0.38 of the film, level with each other: low
    // blocks with their apices missed.
    let low = |cx| ellipse(cx, 130.0, 30.0, 45.0);
    assert_eq!(
        Anatomy::assemble(low(70.0), low(154.0), midline, &film).unwrap_err(),
        AnatomyProblem::LungLow(Lung::Right)
    );
    // Apices 42 rows apart (0.19 of the film), centres 30 (within 0.15),
    // both in the upper 36 %: one lung up the chest wall, or the other's
    // apex lost.
    assert_eq!(
        Anatomy::assemble(
            ellipse(70.0, 95.0, 30.0, 60.0),
            ellipse(154.0, 125.0, 30.0, 48.0),
            midline,
            &film
        )
        .unwrap_err(),
        AnatomyProblem::Misaligned
    );
    // 30 rows apart (0.13): a film, not a fault.
    assert!(with_left(120.0, 45.0).is_ok());
    // The film's top is no edge for this: a film cropped at the apices.
    let tall = |cx| ellipse(cx, 95.0, 30.0, 94.0);
    assert!(Anatomy::assemble(tall(70.0), tall(154.0), midline, &film).is_ok());
}

#[test]
fn strips_along_the_chest_wall_beside_a_wide_mediastinum_are_refused() {
    let film = phantom(&[]);
    // Lungs `half` columns either side of their middles, inside a chest
    // from column 40 to 184.
    let lungs_of_width = |half: f32| {
        let lung = |cx| ellipse(cx, 105.0, half, 60.0);
        Anatomy::assemble(lung(40.0 + half), lung(184.0 - half), 112.0, &film)
    };
    // Found only along the chest wall, 25 columns each: the "mediastinum"
    // between them is 95 of the chest's 145 columns.
    assert_eq!(
        lungs_of_width(12.0).unwrap_err(),
        AnatomyProblem::WideMediastinum
    );
    // Lungs 41 columns wide in the same chest: 63 of 145 between them.
    assert!(lungs_of_width(20.0).is_ok());
}

/// The phantom with hazy lungs (a pneumonia's haze) inside a chest wall,
/// soft tissue of `flank` at the flanks, darker than the lungs, and air
/// shaded from 0 at the left to `shading` at the right (a film's
/// background is rarely one level).
fn hazy_chest(flank: f32, shading: f32) -> Vec<f32> {
    let mut hazy = phantom(&[]);
    for (i, v) in hazy.iter_mut().enumerate() {
        let x = i % N;
        if *v > 0.0 && *v < 0.5 {
            *v += 0.3;
        } else if *v == 0.6 && !(30..194).contains(&x) {
            *v = flank;
        } else if *v == 0.0 {
            *v = shading * x as f32 / N as f32;
        }
    }
    hazy
}

#[test]
fn the_soft_tissue_beside_a_hazy_chest_is_body_not_air() {
    // Soft tissue at two thirds of the hazy lungs' level, then thinner
    // tissue at a third of it (below half the lungs' level, where the air
    // was once drawn): body. The air, grey at the right (at 0.15 of the
    // lungs' level that end was body): air.
    for flank in [0.3, 0.15] {
        let anatomy = Anatomy::find(&hazy_chest(flank, 0.08)).unwrap_or_else(|e| panic!("{e}"));
        for x in [22, 202] {
            assert!(
                anatomy.body().get(x, 120),
                "the flank at column {x}, {flank}"
            );
        }
        for x in [5, 219] {
            assert!(
                !anatomy.body().get(x, 120),
                "the air at column {x}, {flank}"
            );
        }
    }
}

#[test]
fn a_grey_background_away_from_the_body_is_air() {
    // The hazy chest on a grey background with black strips at the film's
    // sides (a scanner's edge): the grey lies above a quarter of the lungs'
    // level, below half of it.
    let mut film = hazy_chest(0.3, 0.0);
    for (i, v) in film.iter_mut().enumerate() {
        let x = i % N;
        if *v == 0.0 && (3..N - 3).contains(&x) {
            *v = 0.16;
        }
    }
    let anatomy = Anatomy::find(&film).unwrap_or_else(|e| panic!("{e}"));
    assert!(anatomy.body().get(22, 120), "the flank");
    // Below the chest the body narrows: the grey beside it there lies
    // further from it than soft tissue reaches.
    for x in [20, 204] {
        assert!(!anatomy.body().get(x, 200), "the background at column {x}");
    }
}

#[test]
fn the_air_around_the_body_reaches_the_films_edge_and_a_dark_lung_does_not() {
    // Lungs as dark as the air outside (a tightly exposed film): still
    // inside the body, so not air; the corners are.
    let film: Vec<f32> = phantom(&[])
        .into_iter()
        .map(|v| if v == 0.15 { 0.0 } else { v })
        .collect();
    let air = parts::air_around(&film, N, AIR_FLOOR);
    assert!(air.get(3, 3) && air.get(220, 220));
    assert!(!air.get(70, 105) && !air.get(154, 105) && !air.get(112, 105));
}
