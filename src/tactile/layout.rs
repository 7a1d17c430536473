//! What a display shows at once: a braille label row and an indicator zone
//! along the top, and below them one view of the relief through a viewport
//! (zoom and pan). [`compose`] turns that [`Screen`] into a [`PinFrame`].
//!
//! ```text
//!  columns 0 ..................................... W-6  W-5 .. W-1
//!  rows 0-2   braille label: "pneu 93 hm z2"       (gap) indicator
//!  row  3     empty, so the label never runs into the graphic
//!  rows 4..H  the graphic, letterboxed at the scan's aspect
//! ```

use embedded_graphics::prelude::{Point, Size};
use embedded_graphics::primitives::{PointsIter, Rectangle};

use super::anatomy::{AnatomyProblem, Lung};
use super::braille::{self, CELL_PITCH, CELL_ROWS};
use super::cursor::{draw_cursor, Cursor};
use super::legibility::{clear_around, remove_specks, MAX_LEVELS, MIN_FEATURE};
use super::reading::draw_anatomy;
pub use super::view::{UnknownView, View, VIEWS};
use super::{quantise, Geometry, PinFrame, Relief, Representations, RELIEF_SIZE};
use crate::finding::{Finding, Verdict};

/// Pins across the indicator zone, at the right end of the label rows.
pub const INDICATOR_WIDTH: u32 = 5;
/// Rows from the top of the display to the first graphic row: the label's
/// three dot rows plus one empty row.
pub const GRAPHIC_TOP: u32 = CELL_ROWS as u32 + 1;
/// Below this size the label and indicator are left out and the graphic
/// takes the whole display (a single cell of braille would crowd it out).
pub const MIN_LABELLED: Size = Size::new(12, 10);
/// Blink period of the pneumonia indicator on displays that blink, in
/// 100 ms steps: 0.5 s, fast enough to notice under a resting finger.
pub const PNEUMONIA_BLINK: u8 = 5;
/// Zoom factors, in order.
pub const ZOOMS: [u8; 4] = [1, 2, 4, 8];

/// A direction to pan in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pan {
    /// Towards the top of the scan.
    Up,
    /// Towards the bottom.
    Down,
    /// Towards the left.
    Left,
    /// Towards the right.
    Right,
}

/// The part of the relief on show: a zoom factor from [`ZOOMS`] and the
/// centre of the view as fractions of the relief's width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    zoom: u8,
    centre: (f32, f32),
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport {
            zoom: 1,
            centre: (0.5, 0.5),
        }
    }
}

impl Viewport {
    /// The zoom factor.
    pub fn zoom(&self) -> u8 {
        self.zoom
    }

    /// The centre, as fractions of the relief's width and height.
    pub fn centre(&self) -> (f32, f32) {
        self.centre
    }

    /// Zooms in one step, about the centre; false at the deepest zoom.
    pub fn zoom_in(&mut self) -> bool {
        self.step_zoom(1)
    }

    /// Zooms out one step; false when the whole scan is already shown.
    pub fn zoom_out(&mut self) -> bool {
        self.step_zoom(-1)
    }

    fn step_zoom(&mut self, by: isize) -> bool {
        let at = ZOOMS.iter().position(|&z| z == self.zoom).unwrap_or(0);
        let Some(&zoom) = ZOOMS.get(at.wrapping_add_signed(by)) else {
            return false;
        };
        self.zoom = zoom;
        self.centre = self.clamped(self.centre);
        true
    }

    /// Centres the view on `(x, y)` (fractions of the film), as near as
    /// the zoom lets it without leaving the film.
    pub fn centre_on(&mut self, (x, y): (f32, f32)) {
        self.centre = self.clamped((x, y));
    }

    /// Moves the view a quarter of its width or height; false when it is
    /// already at that edge of the scan.
    pub fn pan(&mut self, direction: Pan) -> bool {
        let step = 0.25 / f32::from(self.zoom);
        let (x, y) = self.centre;
        let wanted = match direction {
            Pan::Up => (x, y - step),
            Pan::Down => (x, y + step),
            Pan::Left => (x - step, y),
            Pan::Right => (x + step, y),
        };
        let moved = self.clamped(wanted);
        let changed = moved != self.centre;
        self.centre = moved;
        changed
    }

    fn clamped(&self, (x, y): (f32, f32)) -> (f32, f32) {
        let half = 0.5 / f32::from(self.zoom);
        (x.clamp(half, 1.0 - half), y.clamp(half, 1.0 - half))
    }

    /// Where the view's centre is in the chest, in the patient's frame:
    /// "r", "m" or "l" (the patient's right is the film's left), then "u",
    /// "m" or "l" (upper, middle, lower third).
    pub fn locator(&self) -> String {
        let third = |c: f32, low: char, high: char| match c {
            c if c < 1.0 / 3.0 => low,
            c if c > 2.0 / 3.0 => high,
            _ => 'm',
        };
        let (x, y) = self.centre;
        [third(x, 'r', 'l'), third(y, 'u', 'l')].iter().collect()
    }

    /// The square of a `side x side` grid on show: its top-left corner and side.
    pub fn crop(&self, side: usize) -> (usize, usize, usize) {
        let s = (side / usize::from(self.zoom)).max(1);
        let corner =
            |c: f32| ((c * side as f32 - s as f32 / 2.0).round().max(0.0) as usize).min(side - s);
        (corner(self.centre.0), corner(self.centre.1), s)
    }
}

/// How a binary (up/down) display shows heights. The renderer picks one;
/// drivers only ever see finished up/down frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Binarisation {
    /// Up where the height is at least one half: dense structures (heart,
    /// spine, bone) stand, lung fields lie flat.
    #[default]
    Threshold,
    /// Height in four equal bands; the 2nd and 4th are raised, so height
    /// reads as alternating textured rings, like contour steps.
    Bands,
}

/// Everything a display shows at once.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Screen {
    /// The view asked for.
    pub view: View,
    /// Why the anatomy is not shown, when the view asked for draws it
    /// and the relief stands in (set by [`Screen::settled`]).
    pub no_anatomy: Option<AnatomyProblem>,
    /// The lung whose outline the anatomy shown completed from the other
    /// lung's mirror image (set by [`Screen::settled`]): the user is told,
    /// since that outline was not traced in the film.
    pub estimated: Option<Lung>,
    /// Zoom and pan.
    pub viewport: Viewport,
    /// The classifier's finding, if a classifier ran.
    pub finding: Option<Finding>,
    /// How binary displays show heights.
    pub binarisation: Binarisation,
    /// The label goes to the display's own braille line (Graphiti Plus,
    /// Dot Pad): the pins carry the picture alone, over the whole display.
    pub label_on_line: bool,
    /// The cursor, where the user has one out: a lone blinking pin.
    pub cursor: Option<Cursor>,
}

impl Screen {
    /// This screen for a scan's `representations`: where the view asked
    /// for draws the anatomy and there is none (not found, or the film is
    /// out of the classifier's range), the relief stands in and
    /// [`Screen::no_anatomy`] says why.
    pub fn settled(mut self, representations: &Representations) -> Screen {
        (self.no_anatomy, self.estimated) = (None, None);
        if self.view.is_anatomical() {
            match representations.anatomy_for(self.finding) {
                Ok(anatomy) => self.estimated = anatomy.estimated(),
                Err(problem) => self.no_anatomy = Some(problem),
            }
        }
        self
    }

    /// The view the graphic shows: the one asked for, or the relief where
    /// it stands in for the anatomy.
    pub fn shown(&self) -> View {
        match self.no_anatomy {
            Some(_) if self.view.is_anatomical() => View::Relief,
            _ => self.view,
        }
    }

    /// The label text: verdict and confidence, the lung zone in the
    /// patient's frame (e.g. "rl", right lower), the view, e.g.
    /// "pneu 93 rl an"; "outside" when the film is out of range (no
    /// percentage: the model abstained); "nomodel" when no classifier ran.
    /// The view is "na" ("no anatomy") where the relief stands in for it,
    /// and "ae" or "oe" (anatomy or opacity, estimated) where one lung's
    /// outline is estimated from the other lung's mirror image.
    /// Zoomed in, the zoom and where the view is in the chest follow, as
    /// the patient's side and level ("z2ru": zoom 2, right upper; "m" for
    /// the middle), and the percentage is left out, so that the longest
    /// label still fits a Graphiti's 18 cells (the percentage was shown
    /// and spoken at the whole view).
    pub fn label(&self) -> String {
        let zoomed = self.viewport.zoom > 1;
        let finding = match self.finding {
            None => "nomodel".to_string(),
            Some(f) => {
                let word = match f.verdict {
                    Verdict::Pneumonia => "pneu",
                    Verdict::Normal => "norm",
                    Verdict::Uncertain => "unsure",
                    Verdict::OutOfRange => "outside",
                };
                let mut text = word.to_string();
                if let (Some(percent), false) = (f.confidence_percent(), zoomed) {
                    text += &format!(" {percent}");
                }
                if let Some(zone) = f.zone {
                    text += &format!(" {}", zone.abbreviation());
                }
                text
            }
        };
        let view = match (self.no_anatomy, self.view.is_anatomical()) {
            (Some(_), true) => "na",
            // Speech names the estimated lung; a reader who has only the
            // braille is told too. Two letters, as every view's: a third
            // would not fit the longest label in 18 cells.
            (None, true) if self.estimated.is_some() => match self.view {
                View::Opacity => "oe",
                _ => "ae",
            },
            _ => self.view.abbreviation(),
        };
        let mut label = format!("{finding} {view}");
        if zoomed {
            label += &format!(" z{}{}", self.viewport.zoom, self.viewport.locator());
        }
        label
    }
}

/// The display regions of a geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regions {
    /// The braille label, if the display is large enough for one.
    pub label: Option<Rectangle>,
    /// The indicator zone, if there is a label row.
    pub indicator: Option<Rectangle>,
    /// The graphic.
    pub graphic: Rectangle,
}

impl Regions {
    /// Where the picture of a scan of width/height `aspect` lies on
    /// `geometry` for `screen`: the graphic region, letterboxed.
    pub fn image_area(geometry: Geometry, aspect: f32, screen: &Screen) -> Rectangle {
        super::letterbox(aspect, Regions::for_screen(geometry, screen).graphic)
    }

    /// Where everything goes on `geometry` for `screen`: the whole display
    /// is the graphic where the label goes to a braille line.
    pub fn for_screen(geometry: Geometry, screen: &Screen) -> Regions {
        if screen.label_on_line {
            Regions {
                label: None,
                indicator: None,
                graphic: geometry.bounds(),
            }
        } else {
            Regions::of(geometry)
        }
    }

    /// Where everything goes on `geometry` with the label on the pins.
    pub fn of(geometry: Geometry) -> Regions {
        let (w, h) = (geometry.width, geometry.height);
        if w < MIN_LABELLED.width || h < MIN_LABELLED.height {
            return Regions {
                label: None,
                indicator: None,
                graphic: geometry.bounds(),
            };
        }
        let rows = CELL_ROWS as u32;
        Regions {
            label: Some(Rectangle::new(
                Point::zero(),
                Size::new(w - INDICATOR_WIDTH - 1, rows),
            )),
            indicator: Some(Rectangle::new(
                Point::new((w - INDICATOR_WIDTH) as i32, 0),
                Size::new(INDICATOR_WIDTH, rows),
            )),
            graphic: Rectangle::new(
                Point::new(0, GRAPHIC_TOP as i32),
                Size::new(w, h - GRAPHIC_TOP),
            ),
        }
    }
}

/// The frame for `screen` (settled on `representations`, see
/// [`Screen::settled`]): the view in the graphic region, through the
/// legibility rules (no raised feature under [`MIN_FEATURE`] pins, rings of
/// the contour view under [`MIN_CONTOUR_RING`]), the patient's side marked,
/// then the label, the indicator and the cursor.
pub fn compose(
    relief: &Relief,
    representations: &Representations,
    screen: &Screen,
    geometry: Geometry,
) -> PinFrame {
    let screen = screen.settled(representations);
    let mut frame = PinFrame::flat(geometry);
    let regions = Regions::for_screen(geometry, &screen);
    let top = geometry.levels - 1;
    let crop = screen.viewport.crop(RELIEF_SIZE);
    let view = screen.shown();
    let drawn = match (view, &representations.reading.anatomy) {
        (View::Anatomy | View::Opacity, Ok(anatomy)) => {
            let dense = (view == View::Opacity)
                .then(|| representations.opacity(screen.finding))
                .flatten();
            draw_anatomy(
                &mut frame,
                anatomy,
                dense.as_ref(),
                crop,
                relief.aspect,
                regions.graphic,
            )
        }
        _ => draw_field_view(
            &mut frame,
            view,
            relief,
            representations,
            &screen,
            crop,
            regions.graphic,
        ),
    };
    let min_pins = if view == View::Contour {
        MIN_CONTOUR_RING
    } else {
        MIN_FEATURE
    };
    // The marker first: clearing its gap may leave a speck behind. Not
    // on a lateral film: its sides are front and back.
    let labelled = regions.label.is_some() || screen.label_on_line;
    if labelled && representations.reading.frontal {
        draw_side_marker(&mut frame, drawn);
    }
    remove_specks(&mut frame, drawn, min_pins);
    if let (Some(label), Some(indicator)) = (regions.label, regions.indicator) {
        // Labels are made above from ASCII words and digits, all of which
        // have braille (a test checks every combination).
        let cells = braille::cells(&screen.label()).unwrap_or_default();
        let max_cells = (label.size.width as i32 / CELL_PITCH) as usize;
        braille::draw_cells(&mut frame, &cells, label.top_left, max_cells, top);
        draw_indicator(&mut frame, indicator, screen.finding.map(|f| f.verdict));
    }
    // Last, so that no rule takes away the lone pin it is.
    if let Some(pin) = screen.cursor.and_then(|c| c.pin(&screen.viewport, drawn)) {
        draw_cursor(&mut frame, pin, drawn);
    }
    frame
}

/// Rings of the contour view smaller than this many pins are dropped: a
/// finger cannot follow a ring it cannot get inside.
pub const MIN_CONTOUR_RING: usize = 5;

/// Draws a view sampled from a 224 x 224 field (relief, contour,
/// grayscale, CAM) into the graphic; returns the pins drawn on.
fn draw_field_view(
    frame: &mut PinFrame,
    view: View,
    relief: &Relief,
    representations: &Representations,
    screen: &Screen,
    (x0, y0, s): (usize, usize, usize),
    graphic: Rectangle,
) -> Rectangle {
    let field: Vec<f32> = match view {
        View::Contour => unit(&representations.contour),
        View::Grayscale => unit(&representations.grayscale),
        View::Cam => match &representations.cam {
            Some(cam) => unit(cam),
            None => relief.heights.clone(),
        },
        View::Anatomy | View::Opacity | View::Relief => relief.heights.clone(),
    };
    let crop: Vec<f32> = (y0..y0 + s)
        .flat_map(|y| &field[y * RELIEF_SIZE + x0..y * RELIEF_SIZE + x0 + s])
        .copied()
        .collect();
    let levels = frame.geometry().levels;
    let top = levels - 1;
    let binarisation = screen.binarisation;
    // At most MAX_LEVELS heights in a picture, spread over the display's.
    let bands = levels.min(MAX_LEVELS);
    let tone = move |v: f32| match (view, levels) {
        // A contour line anywhere under a pin raises it: thin lines would
        // otherwise average away.
        (View::Contour, _) => u8::from(v > 0.0) * top,
        (_, 2) => binarise(v, binarisation),
        _ => {
            let band = u16::from(quantise(v, bands));
            (band * u16::from(top) / u16::from(bands - 1)) as u8
        }
    };
    frame.draw_field_with(&crop, s, relief.aspect, graphic, tone)
}

/// The braille letter "r" (dots 1-2-3-5) in the picture's top-left corner,
/// with an empty pin around it: the patient's right, which on a film in
/// the usual convention (the scan room turns every film to it) is the
/// viewer's left. On every view and zoom, so that no one reads a side
/// the wrong way round. Left out on a picture too small to spare it.
pub fn draw_side_marker(frame: &mut PinFrame, picture: Rectangle) {
    let cell = Rectangle::new(picture.top_left, Size::new(2, CELL_ROWS as u32));
    if picture.size.width < 12 || picture.size.height < 8 {
        return;
    }
    clear_around(frame, cell, picture);
    let top = frame.geometry().levels - 1;
    let cells = braille::cells("r").unwrap_or_default();
    braille::draw_cells(frame, &cells, picture.top_left, 1, top);
}

fn unit(image: &image::GrayImage) -> Vec<f32> {
    image
        .as_raw()
        .iter()
        .map(|&v| f32::from(v) / 255.0)
        .collect()
}

/// Up (1) or down (0) for a height in [0, 1].
pub fn binarise(v: f32, binarisation: Binarisation) -> u8 {
    match binarisation {
        Binarisation::Threshold => u8::from(v >= 0.5),
        Binarisation::Bands => quantise(v, 4) % 2,
    }
}

/// The indicator's four textures, each unmistakable under a finger:
/// pneumonia = the whole zone raised (and blinking where the display
/// blinks); uncertain = a checkerboard; normal = only the bottom row, a
/// single bar; out of range = two vertical bars at the ends with nothing
/// between them (brackets around an empty place: "no verdict here"). No
/// finding leaves the zone flat.
fn draw_indicator(frame: &mut PinFrame, zone: Rectangle, verdict: Option<Verdict>) {
    let top = frame.geometry().levels - 1;
    let bottom = zone.top_left.y + zone.size.height as i32 - 1;
    for p in zone.points() {
        let (height, blink) = match verdict {
            Some(Verdict::Pneumonia) => (top, PNEUMONIA_BLINK),
            Some(Verdict::Uncertain) => {
                let d = p - zone.top_left;
                (top * u8::from((d.x + d.y) % 2 == 0), 0)
            }
            Some(Verdict::Normal) => (top * u8::from(p.y == bottom), 0),
            Some(Verdict::OutOfRange) => {
                let right = zone.top_left.x + zone.size.width as i32 - 1;
                (top * u8::from(p.x == zone.top_left.x || p.x == right), 0)
            }
            None => (0, 0),
        };
        frame.set(p, height);
        frame.set_blink(p, blink);
    }
}

#[cfg(test)]
mod tests;
