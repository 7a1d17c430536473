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
use serde::Serialize;

use super::braille::{self, CELL_PITCH, CELL_ROWS};
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

/// Which representation of the relief the graphic shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// The relief's heights, quantised to the display's levels.
    #[default]
    Heightmap,
    /// The iso-lines, raised to the top level.
    Contour,
    /// The relief stretched between its 2nd and 98th percentiles.
    Grayscale,
    /// Where the model looked: the class-activation map's hot zone raised
    /// above the relief at half height (the heightmap where there is no map).
    Cam,
}

impl View {
    /// The two-letter braille label of the view.
    pub fn abbreviation(self) -> &'static str {
        match self {
            View::Heightmap => "hm",
            View::Contour => "ct",
            View::Grayscale => "gy",
            View::Cam => "cm",
        }
    }

    /// The next view in the cycle heightmap -> contour -> grayscale (->
    /// CAM, when `with_cam`).
    pub fn next(self, with_cam: bool) -> View {
        match self {
            View::Heightmap => View::Contour,
            View::Contour => View::Grayscale,
            View::Grayscale if with_cam => View::Cam,
            View::Grayscale | View::Cam => View::Heightmap,
        }
    }
}

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
    /// The representation in the graphic.
    pub view: View,
    /// Zoom and pan.
    pub viewport: Viewport,
    /// The classifier's finding, if a classifier ran.
    pub finding: Option<Finding>,
    /// How binary displays show heights.
    pub binarisation: Binarisation,
}

impl Screen {
    /// The label text: verdict and confidence, the lung zone in the
    /// patient's frame (e.g. "rl", right lower), view, zoom, e.g.
    /// "pneu 93 rl hm z2"; "outside" when the film is out of range (no
    /// percentage: the model abstained); "nomodel" when no classifier ran.
    pub fn label(&self) -> String {
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
                if let Some(percent) = f.confidence_percent() {
                    text += &format!(" {percent}");
                }
                if let Some(zone) = f.zone {
                    text += &format!(" {}", zone.abbreviation());
                }
                text
            }
        };
        format!(
            "{finding} {} z{}",
            self.view.abbreviation(),
            self.viewport.zoom
        )
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
    /// Where everything goes on `geometry`.
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

/// The frame for `screen`: the view of the relief in the graphic region,
/// cleaned of isolated pins, then the label and the indicator.
pub fn compose(
    relief: &Relief,
    representations: &Representations,
    screen: &Screen,
    geometry: Geometry,
) -> PinFrame {
    let mut frame = PinFrame::flat(geometry);
    let regions = Regions::of(geometry);
    let top = geometry.levels - 1;
    let field: Vec<f32> = match screen.view {
        View::Heightmap => relief.heights.clone(),
        View::Contour => unit(&representations.contour),
        View::Grayscale => unit(&representations.grayscale),
        View::Cam => match &representations.cam {
            Some(cam) => unit(cam),
            None => relief.heights.clone(),
        },
    };
    let (x0, y0, s) = screen.viewport.crop(RELIEF_SIZE);
    let crop: Vec<f32> = (y0..y0 + s)
        .flat_map(|y| &field[y * RELIEF_SIZE + x0..y * RELIEF_SIZE + x0 + s])
        .copied()
        .collect();
    let levels = geometry.levels;
    let binarisation = screen.binarisation;
    let tone = move |v: f32| match (screen.view, levels) {
        // A contour line anywhere under a pin raises it: thin lines would
        // otherwise average away.
        (View::Contour, _) => u8::from(v > 0.0) * top,
        (_, 2) => binarise(v, binarisation),
        _ => quantise(v, levels),
    };
    let drawn = frame.draw_field_with(&crop, s, relief.aspect, regions.graphic, tone);
    remove_isolated(&mut frame, drawn);
    if let (Some(label), Some(indicator)) = (regions.label, regions.indicator) {
        // Labels are made above from ASCII words and digits, all of which
        // have braille (a test checks every combination).
        let cells = braille::cells(&screen.label()).unwrap_or_default();
        let max_cells = (label.size.width as i32 / CELL_PITCH) as usize;
        braille::draw_cells(&mut frame, &cells, label.top_left, max_cells, top);
        draw_indicator(&mut frame, indicator, screen.finding.map(|f| f.verdict));
    }
    frame
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

/// Lowers every raised pin in `area` none of whose eight neighbours (inside
/// `area`) is raised. A lone pin is what noise makes, not anatomy, and
/// tactile-graphics practice asks for marks a finger can follow: a single
/// isolated dot reads as a braille dot or a fault.
pub fn remove_isolated(frame: &mut PinFrame, area: Rectangle) {
    let raised = |frame: &PinFrame, p: Point| area.contains(p) && frame.height(p).unwrap_or(0) > 0;
    let lone: Vec<Point> = area
        .points()
        .filter(|&p| raised(frame, p))
        .filter(|&p| {
            (-1..=1)
                .flat_map(|dy| (-1..=1).map(move |dx| Point::new(dx, dy)))
                .filter(|&d| d != Point::zero())
                .all(|d| !raised(frame, p + d))
        })
        .collect();
    for p in lone {
        frame.set(p, 0);
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
