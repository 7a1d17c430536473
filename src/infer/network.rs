//! One network through tract, as its manifest entry describes it: the file
//! checked against its sha256, loaded, optimised once for the manifest's
//! input shape, and run on a scan preprocessed the way
//! `models/tools/preprocess.py` does it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

use super::manifest::{read_verified, Manifest, ModelError, ModelSpec, Purpose};
use super::threads::Loading;
use crate::imaging::resample::resize_bilinear;
use crate::scan::Scan;

/// A loaded, optimised network and the manifest entry it came from.
#[derive(Debug, Clone)]
pub struct Network {
    /// The manifest entry.
    pub spec: ModelSpec,
    /// The model file, for messages.
    pub path: PathBuf,
    plan: Arc<TypedRunnableModel>,
    threads: usize,
}

/// A tract or shape complaint about `path`, on one line.
pub fn model_error(path: &Path, e: impl std::fmt::Display) -> ModelError {
    ModelError::Model {
        path: path.to_path_buf(),
        message: e.to_string().replace('\n', " "),
    }
}

/// Keeps tract-linalg 0.23.9's AMX int8 kernel (avx512amx_mmm_i32_16x16)
/// out of tract's pool on x86_64: it dies by SIGSEGV now and then (the
/// appliance's loader thread, and one classifier test run in three on this
/// AMX Xeon), and the integer kernels give the same numbers. Set as tract's
/// process-wide configuration, below the environment, so `TRACT_CPU_ISA`
/// still overrides it; before the first model is optimised, which is when
/// tract probes the CPU. x86_64 only: tract refuses a token that names
/// another architecture's feature. [`Network::load`] calls it; call it
/// before building a tract plan of your own.
pub fn keep_crashing_kernels_out() {
    #[cfg(target_arch = "x86_64")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if let Err(e) =
                tract_onnx::tract_core::knobs::set_config_global("TRACT_CPU_ISA", "-amx-int8")
            {
                log::warn!("tract: AMX int8 kernel left in: {e}");
            }
        });
    }
}

impl Network {
    /// Loads the manifest's model for `role` (a fixture only when
    /// `loading` allows it), to run on `loading`'s threads.
    pub fn load(
        manifest: &Manifest,
        role: Purpose,
        loading: &Loading,
    ) -> Result<Network, ModelError> {
        keep_crashing_kernels_out();
        let spec = manifest.select(role, loading.allow_fixture)?.clone();
        let path = manifest.resolve(&spec.model.file);
        let bytes = read_verified(&path, &spec.model.sha256)?;
        let [n, c, h, w] = spec.input;
        let plan = tract_onnx::onnx()
            .with_ignore_value_info(true)
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .and_then(|m| m.with_input_fact(0, f32::fact([n, c, h, w]).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable_with_options(&loading.threads.run_options()))
            .map_err(|e| model_error(&path, e))?;
        Ok(Network {
            spec,
            path,
            plan,
            threads: loading.threads.count(),
        })
    }

    /// How many compute threads it was loaded for: passes of it that do
    /// not depend on each other may run side by side when there are two
    /// or more.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs the network on `scan`; its outputs in graph order.
    pub fn run(&self, scan: &Scan) -> Result<TVec<TValue>, ModelError> {
        self.run_input(self.input(scan)?)
    }

    /// The input tensor for `scan`, preprocessed as the manifest says.
    pub fn input(&self, scan: &Scan) -> Result<Tensor, ModelError> {
        let [n, c, h, w] = self.spec.input;
        let input =
            tract_ndarray::Array4::from_shape_vec((n, c, h, w), preprocess(&self.spec, scan))
                .map_err(|e| self.error(e))?;
        Ok(Tensor::from(input))
    }

    /// Runs the network on an input already made by [`Network::input`].
    pub fn run_input(&self, input: Tensor) -> Result<TVec<TValue>, ModelError> {
        self.plan
            .run(tvec!(input.into()))
            .map_err(|e| self.error(e))
    }

    /// A complaint about this network's file.
    pub fn error(&self, e: impl std::fmt::Display) -> ModelError {
        model_error(&self.path, e)
    }
}

/// The network input for `scan` as `spec` describes it: bilinear resize
/// (Pillow-exact), the gray value replicated to three channels, scaled and
/// normalised; the same tensor as `models/tools/preprocess.py` makes.
pub fn preprocess(spec: &ModelSpec, scan: &Scan) -> Vec<f32> {
    let [_, channels, h, w] = spec.input;
    let resized = resize_bilinear(
        &scan.pixels,
        scan.width as usize,
        scan.height as usize,
        (w, h),
    );
    // Scans hold gray in [0, 1]; the manifest's scale is per 8-bit value.
    let scale = 255.0 / spec.pixel_scale;
    (0..channels)
        .flat_map(|ch| {
            let (mean, std) = (spec.mean[ch], spec.std[ch]);
            resized.iter().map(move |&v| (v * scale - mean) / std)
        })
        .collect()
}
