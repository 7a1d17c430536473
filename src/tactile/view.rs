//! [`View`]: which view of the scan the graphic shows, and the order the
//! cycle button steps through them.

use serde::Serialize;

/// Which view of the scan the graphic shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// The anatomy, simplified for reading: lung fields as flat hollows
    /// with a raised outline, the mediastinum as a plateau, the body as a
    /// low plateau (see [`super::reading`]). The relief stands in where
    /// the anatomy is not found.
    #[default]
    Anatomy,
    /// The anatomy with the lung areas denser than their baseline as a
    /// texture.
    Opacity,
    /// The relief's heights, quantised to the display's levels.
    Relief,
    /// The iso-lines, raised to the top level.
    Contour,
    /// The relief stretched between its 2nd and 98th percentiles.
    Grayscale,
    /// Where the model looked: the class-activation map's hot zone raised
    /// above the relief at half height (the relief where there is no map).
    Cam,
}

/// Every view, in the order the cycle button steps through them.
pub const VIEWS: [View; 6] = [
    View::Anatomy,
    View::Opacity,
    View::Relief,
    View::Contour,
    View::Grayscale,
    View::Cam,
];

impl View {
    /// The two-letter braille label of the view.
    pub fn abbreviation(self) -> &'static str {
        match self {
            View::Anatomy => "an",
            View::Opacity => "op",
            View::Relief => "rf",
            View::Contour => "ct",
            View::Grayscale => "gy",
            View::Cam => "cm",
        }
    }

    /// Its name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            View::Anatomy => "anatomy",
            View::Opacity => "opacity",
            View::Relief => "relief",
            View::Contour => "contour",
            View::Grayscale => "grayscale",
            View::Cam => "cam",
        }
    }

    /// The next view in the cycle anatomy -> opacity -> relief -> contour
    /// -> grayscale (-> CAM, when `with_cam`) -> anatomy.
    pub fn next(self, with_cam: bool) -> View {
        let at = VIEWS.iter().position(|&v| v == self).unwrap_or(0);
        match VIEWS[(at + 1) % VIEWS.len()] {
            View::Cam if !with_cam => View::Anatomy,
            next => next,
        }
    }

    /// Whether the view draws the anatomy.
    pub fn is_anatomical(self) -> bool {
        matches!(self, View::Anatomy | View::Opacity)
    }
}

/// A view name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown view {0:?}: anatomy, opacity, relief, contour, grayscale or cam")]
pub struct UnknownView(pub String);

impl std::str::FromStr for View {
    type Err = UnknownView;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VIEWS
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownView(s.to_string()))
    }
}
