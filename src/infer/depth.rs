//! The MiDaS depth network (v2.1 small, 256x256) through tract: the scan
//! as RGB from gray, resized to the network's input and normalised with the
//! ImageNet mean and std (the manifest's numbers); its inverse depth (large
//! = near) min-max normalised to [0, 1] and resized back to the relief grid,
//! so that what is near is raised.

use std::path::Path;
use std::str::FromStr;

use super::manifest::{Manifest, ModelError, Purpose};
use super::network::Network;
use super::threads::Loading;
use crate::imaging::resample::resize_bilinear;
use crate::imaging::{normalise, DepthSource, Relief, RELIEF_SIZE};
use crate::scan::Scan;

/// Where the relief should come from, as asked on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DepthChoice {
    /// The MiDaS network; an error when none is installed.
    Midas,
    /// The density relief ([`crate::tactile::density_relief_of`]).
    Density,
    /// MiDaS when a real (not fixture) MiDaS model is installed, else the
    /// density relief.
    #[default]
    Auto,
}

/// A depth source that is none of midas, density and auto.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown depth source {0:?}: midas, density or auto")]
pub struct UnknownDepthChoice(pub String);

impl FromStr for DepthChoice {
    type Err = UnknownDepthChoice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "midas" => Ok(DepthChoice::Midas),
            "density" => Ok(DepthChoice::Density),
            "auto" => Ok(DepthChoice::Auto),
            other => Err(UnknownDepthChoice(other.to_string())),
        }
    }
}

/// A loaded, optimised MiDaS network.
#[derive(Debug, Clone)]
pub struct DepthNet {
    network: Network,
}

impl DepthNet {
    /// Loads the depth network of the manifest at `manifest` (a fixture
    /// only when `loading` allows it).
    pub fn load(manifest: &Path, loading: &Loading) -> Result<DepthNet, ModelError> {
        DepthNet::from_manifest(&Manifest::read(manifest)?, loading)
    }

    /// Loads the depth network `manifest` describes, already read.
    pub fn from_manifest(manifest: &Manifest, loading: &Loading) -> Result<DepthNet, ModelError> {
        Ok(DepthNet {
            network: Network::load(manifest, Purpose::Depth, loading)?,
        })
    }

    /// The network for `choice`: none for the density relief, and for
    /// `Auto` none unless the manifest at `path` has a real depth model
    /// (a missing manifest is not an error then). `read` is that manifest
    /// where the caller has read it already; without it, it is read here.
    pub fn for_choice(
        choice: DepthChoice,
        path: &Path,
        read: Option<&Manifest>,
        loading: &Loading,
    ) -> Result<Option<DepthNet>, ModelError> {
        let with = |loading: &Loading| match read {
            Some(m) => DepthNet::from_manifest(m, loading),
            None => DepthNet::load(path, loading),
        };
        match choice {
            DepthChoice::Density => Ok(None),
            DepthChoice::Midas => with(loading).map(Some),
            DepthChoice::Auto => {
                let installed = match read {
                    Some(m) => m.find(Purpose::Depth).is_some(),
                    None => path.is_file() && Manifest::read(path)?.find(Purpose::Depth).is_some(),
                };
                if installed {
                    with(&loading.without_fixtures()).map(Some)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// The manifest entry's name.
    pub fn name(&self) -> &str {
        &self.network.spec.name
    }

    /// The network it runs.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The network's raw inverse depth for `scan`: `(values, width, height)`.
    pub fn inverse_depth(&self, scan: &Scan) -> Result<(Vec<f32>, usize, usize), ModelError> {
        let outputs = self.network.run(scan)?;
        let view = outputs[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| self.network.error(e))?;
        let shape = view.shape().to_vec();
        let (h, w) = match shape[..] {
            [.., h, w] if h * w == view.len() => (h, w),
            _ => {
                return Err(self
                    .network
                    .error(format!("output shape {shape:?} is not one depth map")))
            }
        };
        let values: Vec<f32> = view.iter().copied().collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(self.network.error("the depth map has non-finite values"));
        }
        Ok((values, w, h))
    }

    /// The MiDaS relief of `scan`.
    pub fn relief(&self, scan: &Scan) -> Result<Relief, ModelError> {
        let (values, w, h) = self.inverse_depth(scan)?;
        Ok(relief_from_inverse_depth(&values, w, h, scan.aspect()))
    }
}

/// Min-max normalisation to [0, 1] (a flat map becomes all zeros), then a
/// bilinear resize to the relief grid.
pub fn relief_from_inverse_depth(
    values: &[f32],
    width: usize,
    height: usize,
    aspect: f32,
) -> Relief {
    let unit = normalise(values);
    Relief {
        heights: resize_bilinear(&unit, width, height, (RELIEF_SIZE, RELIEF_SIZE)),
        aspect,
        source: DepthSource::Midas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_choices_parse_and_name_the_alternatives() {
        assert_eq!("midas".parse(), Ok(DepthChoice::Midas));
        assert_eq!("auto".parse(), Ok(DepthChoice::Auto));
        let err = "lidar".parse::<DepthChoice>().unwrap_err();
        assert!(err.to_string().contains("midas, density or auto"), "{err}");
    }

    #[test]
    fn inverse_depth_becomes_a_unit_relief_where_near_is_high() {
        // A ramp of inverse depth: the right edge is nearest.
        let values: Vec<f32> = (0..256 * 256)
            .map(|i| (i % 256) as f32 * 3.0 + 7.0)
            .collect();
        let relief = relief_from_inverse_depth(&values, 256, 256, 1.0);
        assert_eq!(relief.heights.len(), RELIEF_SIZE * RELIEF_SIZE);
        assert_eq!(relief.source, DepthSource::Midas);
        let row = &relief.heights[..RELIEF_SIZE];
        assert!(row[0] < 0.01 && row[RELIEF_SIZE - 1] > 0.99, "{row:?}");
        assert!(row.windows(2).all(|w| w[0] <= w[1]));
        assert!(relief.heights.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
