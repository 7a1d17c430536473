use super::*;
use crate::finding::Verdict;
use crate::tactile::anatomy::tests_support::phantom;
use crate::tactile::reading::Reading;
use crate::tactile::{representations, DepthSource};

/// The phantom with a consolidation in the left lung, its film as relief.
fn scan() -> (Relief, Representations) {
    let film = phantom(&[(150.0, 130.0, 18.0)]);
    let relief = Relief {
        heights: film.clone(),
        aspect: 1.0,
        source: DepthSource::Density,
    };
    let reps = representations(&relief, Reading::of_film(film));
    (relief, reps)
}

/// A 5 x 5 patch around `(x, y)`, about what a pin covers at zoom 4.
fn around(x: usize, y: usize) -> Patch {
    Patch {
        x0: x - 2,
        y0: y - 2,
        x1: x + 3,
        y1: y + 3,
    }
}

/// The classifier's call on the phantom.
fn called(verdict: Verdict, p_pneumonia: f32) -> Option<Finding> {
    Some(Finding {
        verdict,
        p_pneumonia,
        zone: None,
    })
}

fn lung(side: Side, level: Level, dense: bool) -> Place {
    Place::Lung {
        zone: Zone { side, level },
        dense,
    }
}

#[test]
fn each_part_of_the_phantom_is_named() {
    let (relief, reps) = scan();
    let normal = called(Verdict::Normal, 0.1);
    let at = |x, y| place(&relief, &reps, normal, around(x, y));
    // The film's left is the patient's right.
    assert_eq!(at(70, 60), lung(Side::Right, Level::Upper, false));
    assert_eq!(at(70, 105), lung(Side::Right, Level::Middle, false));
    assert_eq!(at(70, 150), lung(Side::Right, Level::Lower, false));
    assert_eq!(at(154, 60), lung(Side::Left, Level::Upper, false));
    assert!(
        matches!(
            at(150, 130),
            Place::Lung {
                zone: Zone {
                    side: Side::Left,
                    ..
                },
                dense: true
            }
        ),
        "{:?}",
        at(150, 130)
    );
    assert_eq!(at(112, 150), Place::Heart);
    assert_eq!(at(112, 60), Place::Mediastinum);
    assert_eq!(at(30, 100), Place::ChestWall);
    assert_eq!(at(70, 200), Place::BelowLungs);
    assert_eq!(at(3, 3), Place::OutsideChest);
}

#[test]
fn a_film_out_of_range_names_no_anatomy_only_its_density() {
    let (relief, reps) = scan();
    let outside = called(Verdict::OutOfRange, 0.5);
    let at = |x, y| place(&relief, &reps, outside, around(x, y));
    let none = |density| Place::NoAnatomy {
        problem: AnatomyProblem::OutOfRange,
        density,
    };
    assert_eq!(at(112, 100), none(Density::Dense));
    assert_eq!(at(25, 100), none(Density::Medium));
    assert_eq!(at(3, 3), none(Density::Dark));
    // A film with no anatomy found says why.
    let flat = Reading::of_film(vec![0.5; RELIEF_SIZE * RELIEF_SIZE]);
    let problem = flat.anatomy.clone().unwrap_err();
    let reps = representations(&relief, flat);
    assert_eq!(
        place(&relief, &reps, None, around(112, 100)),
        Place::NoAnatomy {
            problem,
            density: Density::Dense
        }
    );
}

#[test]
fn every_place_has_a_brief_braille_line() {
    let mut places = vec![
        Place::Heart,
        Place::Mediastinum,
        Place::ChestWall,
        Place::BelowLungs,
        Place::OutsideChest,
    ];
    for side in [Side::Right, Side::Left] {
        for level in [Level::Upper, Level::Middle, Level::Lower] {
            places.push(lung(side, level, true));
            places.push(lung(side, level, false));
        }
    }
    for density in [Density::Dense, Density::Medium, Density::Dark] {
        places.push(Place::NoAnatomy {
            problem: AnatomyProblem::OutOfRange,
            density,
        });
    }
    for place in places {
        let brief = place.brief();
        let cells = crate::tactile::braille::cells(&brief).unwrap();
        assert!(cells.len() <= 20, "{brief:?}: {} cells", cells.len());
    }
    assert_eq!(
        lung(Side::Right, Level::Lower, true).brief(),
        "right lung low dense"
    );
}
