//! What touchray says, in short plain words: a verdict and where, a
//! position in the scan list, a fault. Most blind adults read braille
//! slowly or not at all; these sentences are faster heard than felt. Every
//! "left" and "right" is the patient's (the zone comes from
//! [`crate::infer::zone`] in the patient's frame).

use serde::Serialize;

use crate::finding::{Finding, Verdict};
use crate::infer::manifest::ModelError;
use crate::pipeline::Rendering;
use crate::tactile::cursor::Cursor;
use crate::tactile::layout::{Screen, View};
use crate::tactile::place::{under_cursor, Density, Place};
use crate::tactile::Geometry;

/// What a part of a description is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Which scan of how many.
    Position,
    /// The classifier's call and its confidence.
    Verdict,
    /// Where the model looked, in the patient's frame.
    Zone,
    /// Something that failed.
    Fault,
    /// What lies under the cursor.
    Place,
}

/// One sentence fragment and what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// What it is about.
    pub topic: Topic,
    /// The words.
    pub text: String,
}

/// A description: its parts, and all of them as one text to speak.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Description {
    /// Everything, as spoken.
    pub text: String,
    /// The parts, in order.
    pub parts: Vec<Part>,
}

impl Description {
    fn push(&mut self, topic: Topic, text: String) {
        self.parts.push(Part { topic, text });
        self.text = self
            .parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(", ");
    }
}

/// "scan 3 of 12" (positions from 1).
pub fn position(index: usize, of: usize) -> String {
    format!("scan {index} of {of}")
}

/// The verdict as spoken: "pneumonia likely, 93 percent", "normal, 96
/// percent", "uncertain", or, when the model abstains, "no verdict: this
/// film is unlike the films the model learned from". The percentage is
/// never said as 100: no model is certain, and a listener should not hear
/// it so.
pub fn verdict(finding: &Finding) -> String {
    let percent = finding.confidence_percent().unwrap_or(0).min(99);
    match finding.verdict {
        Verdict::Pneumonia => format!("pneumonia likely, {percent} percent"),
        Verdict::Normal => format!("normal, {percent} percent"),
        Verdict::Uncertain => "uncertain".into(),
        Verdict::OutOfRange => {
            "no verdict: this film is unlike the films the model learned from".into()
        }
    }
}

/// The view of a settled screen as spoken when the user changes it, or
/// when a scan comes up without its anatomy, with the key to its textures
/// where it has more than one: "anatomy view: the lungs are the flat
/// hollows, the heart the raised plateau between them"; "no anatomy: left
/// lung not found; relief view" where the relief stands in; the view's
/// name then "the left lung's outline is estimated from the other lung's"
/// where the anatomy completed a lung from the other's mirror image.
pub fn view(screen: &Screen) -> String {
    let name = |view: View| {
        match view {
        View::Anatomy => "anatomy view: the lungs are the flat hollows, the heart the raised plateau between them",
        View::Opacity => "opacity view: dotted areas in a lung are denser than the rest of it",
        View::Relief => "relief view",
        View::Contour => "contour view",
        View::Grayscale => "grayscale view",
        View::Cam => "where the model looked",
    }
    };
    match (screen.no_anatomy, screen.estimated) {
        (Some(problem), _) if screen.view.is_anatomical() => {
            format!("no anatomy: {problem}; {}", name(screen.shown()))
        }
        (None, Some(lung)) if screen.view.is_anatomical() => format!(
            "{}; the {lung} lung's outline is estimated from the other lung's",
            name(screen.view)
        ),
        _ => name(screen.view).to_string(),
    }
}

/// The zoom as spoken: "whole film", "zoom 2".
pub fn zoom(zoom: u8) -> String {
    if zoom <= 1 {
        "whole film".into()
    } else {
        format!("zoom {zoom}")
    }
}

/// What is under the cursor, as a query press says it: "left lung, lower
/// zone, dense area", "heart", "outside the chest"; "dense area; no
/// anatomy: left lung not found" where there is no anatomy to name (the
/// relief's height there instead).
pub fn place(place: &Place) -> String {
    match place {
        Place::Lung { zone, dense } => {
            let dense = if *dense { ", dense area" } else { "" };
            format!(
                "{} lung, {} zone{dense}",
                zone.side.name(),
                zone.level.name()
            )
        }
        Place::Heart => "heart".into(),
        Place::Mediastinum => "mediastinum, above the heart".into(),
        Place::ChestWall => "chest wall".into(),
        Place::BelowLungs => "below the lungs".into(),
        Place::OutsideChest => "outside the chest".into(),
        Place::NoAnatomy { problem, density } => {
            let density = match density {
                Density::Dense => "dense area",
                Density::Medium => "medium density",
                Density::Dark => "dark area",
            };
            format!("{density}; no anatomy: {problem}")
        }
    }
}

/// The faults the appliance announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The display stopped answering.
    DisplayLost,
    /// The display answers again.
    DisplayBack,
    /// Scan `index` of `of` could not be read.
    BadFile {
        /// Its position, from 1.
        index: usize,
        /// Scans on the medium.
        of: usize,
    },
    /// No scans on the medium.
    NoScans,
    /// The classifier failed its checks: reliefs without verdicts.
    ModelFault,
}

/// A fault as spoken.
pub fn fault(fault: Fault) -> String {
    match fault {
        Fault::DisplayLost => "display disconnected".into(),
        Fault::DisplayBack => "display back".into(),
        Fault::BadFile { index, of } => format!("bad file {index} of {of}"),
        Fault::NoScans => "no scans".into(),
        Fault::ModelFault => "model fault, no verdicts".into(),
    }
}

/// What the appliance says about a scan when it is shown: its position
/// (when it has one in a list), the verdict, and the zone for pneumonia
/// and uncertain calls. Without a classifier it says so.
pub fn describe(
    position_in_list: Option<(usize, usize)>,
    analysis: Option<Result<Finding, &ModelError>>,
) -> Description {
    let mut d = Description::default();
    if let Some((index, of)) = position_in_list {
        d.push(Topic::Position, position(index, of));
    }
    match analysis {
        Some(Ok(finding)) => {
            d.push(Topic::Verdict, verdict(&finding));
            if let Some(zone) = finding.zone {
                d.push(Topic::Zone, zone.words());
            }
        }
        Some(Err(_)) => d.push(Topic::Fault, fault(Fault::ModelFault)),
        None => d.push(Topic::Verdict, "no verdict: no classifier installed".into()),
    }
    d
}

/// [`describe`] of a rendering, as `touchray describe` says it for one
/// file; with a `cursor`, what lies under it where the whole film is shown
/// on `geometry` ("under the cursor: left lung, lower zone").
pub fn describe_rendering(
    rendering: &Rendering,
    cursor: Option<Cursor>,
    geometry: Geometry,
) -> Description {
    let analysis = rendering
        .analysis
        .as_ref()
        .map(|a| a.as_ref().map(|a| a.finding()));
    let mut d = describe(None, analysis);
    if let Some(cursor) = cursor {
        let Rendering {
            relief,
            representations,
            screen,
            ..
        } = rendering;
        let here = under_cursor(relief, representations, screen, cursor, geometry);
        d.push(Topic::Place, format!("under the cursor: {}", place(&here)));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Level, Side, Zone};

    fn finding(verdict: Verdict, p: f32, zone: Option<Zone>) -> Finding {
        Finding {
            verdict,
            p_pneumonia: p,
            zone,
        }
    }

    #[test]
    fn each_verdict_in_plain_words() {
        let zone = Zone {
            side: Side::Right,
            level: Level::Lower,
        };
        let d = describe(
            Some((3, 12)),
            Some(Ok(finding(Verdict::Pneumonia, 0.93, Some(zone)))),
        );
        assert_eq!(
            d.text,
            "scan 3 of 12, pneumonia likely, 93 percent, right lower zone"
        );
        let topics: Vec<Topic> = d.parts.iter().map(|p| p.topic).collect();
        assert_eq!(topics, [Topic::Position, Topic::Verdict, Topic::Zone]);
        assert_eq!(
            describe(None, Some(Ok(finding(Verdict::Normal, 0.04, None)))).text,
            "normal, 96 percent"
        );
        assert_eq!(
            verdict(&finding(Verdict::Uncertain, 0.6, None)),
            "uncertain"
        );
        assert_eq!(
            verdict(&finding(Verdict::Pneumonia, 0.999, None)),
            "pneumonia likely, 99 percent"
        );
        assert_eq!(
            verdict(&finding(Verdict::OutOfRange, 0.99, None)),
            "no verdict: this film is unlike the films the model learned from"
        );
        assert_eq!(
            describe(None, None).text,
            "no verdict: no classifier installed"
        );
    }

    #[test]
    fn the_side_is_the_patients_and_both_sides_are_plural() {
        let left_upper = Zone {
            side: Side::Left,
            level: Level::Upper,
        };
        let both = Zone {
            side: Side::Both,
            level: Level::Middle,
        };
        let f = finding(Verdict::Pneumonia, 0.81, Some(left_upper));
        assert_eq!(describe(None, Some(Ok(f))).parts[1].text, "left upper zone");
        let f = finding(Verdict::Uncertain, 0.5, Some(both));
        assert_eq!(
            describe(None, Some(Ok(f))).text,
            "uncertain, both middle zones"
        );
    }

    #[test]
    fn faults_in_plain_words() {
        assert_eq!(fault(Fault::DisplayLost), "display disconnected");
        assert_eq!(fault(Fault::DisplayBack), "display back");
        assert_eq!(
            fault(Fault::BadFile { index: 3, of: 12 }),
            "bad file 3 of 12"
        );
        assert_eq!(fault(Fault::NoScans), "no scans");
        assert_eq!(fault(Fault::ModelFault), "model fault, no verdicts");
        let mut screen = Screen {
            view: View::Contour,
            ..Screen::default()
        };
        assert_eq!(view(&screen), "contour view");
        screen.view = View::Anatomy;
        assert!(view(&screen).starts_with("anatomy view: the lungs are the flat hollows"));
        screen.no_anatomy = Some(crate::tactile::anatomy::AnatomyProblem::LungMissing(
            crate::tactile::anatomy::Lung::Left,
        ));
        assert_eq!(
            view(&screen),
            "no anatomy: left lung not found; relief view"
        );
        screen.no_anatomy = None;
        screen.estimated = Some(crate::tactile::anatomy::Lung::Left);
        assert!(view(&screen)
            .ends_with("between them; the left lung's outline is estimated from the other lung's"));
        screen.view = View::Relief;
        assert_eq!(view(&screen), "relief view");
        assert_eq!(zoom(1), "whole film");
        assert_eq!(zoom(4), "zoom 4");
    }

    #[test]
    fn what_is_here_in_plain_words() {
        let lung = |side, level, dense| Place::Lung {
            zone: Zone { side, level },
            dense,
        };
        assert_eq!(
            place(&lung(Side::Left, Level::Lower, true)),
            "left lung, lower zone, dense area"
        );
        assert_eq!(
            place(&lung(Side::Right, Level::Upper, false)),
            "right lung, upper zone"
        );
        assert_eq!(place(&Place::Heart), "heart");
        assert_eq!(place(&Place::OutsideChest), "outside the chest");
        let none = Place::NoAnatomy {
            problem: crate::tactile::anatomy::AnatomyProblem::OutOfRange,
            density: Density::Dense,
        };
        assert_eq!(place(&none), "dense area; no anatomy: film out of range");
    }
}
