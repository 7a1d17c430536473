//! Scans that code several components together (T.87 B.3): line interleaved
//! (ILV 1) and sample interleaved (ILV 2). Added to pure_jpegls 2.0.0 for
//! touchray (see PATCH.md); the arithmetic is the single-component decoder's.
//!
//! Both modes share one set of context statistics across the components.
//! - Line interleaved: line `y` of each component in turn, each predicted
//!   from its own line above, exactly as a single-component line; only
//!   `RUNindex` is kept per component.
//! - Sample interleaved: pixel by pixel, the components of a pixel in turn.
//!   Run mode starts only where every component's gradients are within
//!   `NEAR`, and a run is of whole pixels equal (within `NEAR`) to the one on
//!   their left; an interrupting pixel codes each component as a run
//!   interruption of `RItype` 0 predicted by its `Rb`, with the sign of
//!   `Rb - Ra` (+1 where they are equal), as CharLS does.

use crate::bitstream::BitReader;
use crate::context::ContextModel;
use crate::decode::{decode_line, decode_regular, scan_error};
use crate::error::CodecError;
use crate::predictor::predict_med;
use crate::run_mode::{decode_run_interruption_as, decode_run_pixels};

/// Decode a line-interleaved scan of `components` into `pixels` (pixel by
/// pixel, `components` samples each); returns the bytes consumed.
pub(crate) fn decode_lines(
    scan_data: &[u8],
    pixels: &mut [u16],
    width: usize,
    components: usize,
    mut ctx: ContextModel,
    base_offset: usize,
) -> Result<usize, CodecError> {
    let mut br = BitReader::new(scan_data);
    let mut prev = vec![vec![0i32; width + 2]; components];
    let mut cur = vec![vec![0i32; width + 2]; components];
    let mut run_index = vec![0usize; components];

    for row in pixels.chunks_exact_mut(width * components) {
        for c in 0..components {
            ctx.run_index = run_index[c];
            decode_line(&mut br, &mut ctx, &mut cur[c], &mut prev[c], base_offset)?;
            run_index[c] = ctx.run_index;
            for (pixel, &sample) in row.chunks_exact_mut(components).zip(&cur[c][1..=width]) {
                pixel[c] = sample as u16;
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(br.marker_pos())
}

/// Decode a sample-interleaved scan of `components` into `pixels`; returns
/// the bytes consumed.
pub(crate) fn decode_samples(
    scan_data: &[u8],
    pixels: &mut [u16],
    width: usize,
    components: usize,
    mut ctx: ContextModel,
    base_offset: usize,
) -> Result<usize, CodecError> {
    let n = components;
    let mut br = BitReader::new(scan_data);
    // Offset-1 line buffers as in run_mode, of whole pixels: component `c`
    // of logical pixel `x` lives at `(x + 1) * n + c`.
    let mut prev = vec![0i32; (width + 2) * n];
    let mut cur = vec![0i32; (width + 2) * n];
    let at = |x: usize, c: usize| x * n + c;

    for row in pixels.chunks_exact_mut(width * n) {
        for c in 0..n {
            cur[at(0, c)] = prev[at(1, c)];
            prev[at(width + 1, c)] = prev[at(width, c)];
        }
        let mut x = 0usize;
        while x < width {
            let near = ctx.near;
            let flat = (0..n).all(|c| {
                let (ra, rb, rc, rd) = neighbours(&cur, &prev, x, c, n);
                (rd - rb).abs() <= near && (rb - rc).abs() <= near && (rc - ra).abs() <= near
            });
            let step = if flat {
                decode_run(&mut br, &mut ctx, &mut cur, &prev, x, width, n)
            } else {
                decode_pixel(&mut br, &mut ctx, &mut cur, &prev, x, n).map(|()| x + 1)
            };
            x = step.map_err(|e| scan_error(e, base_offset + br.pos()))?;
        }
        for (out, &sample) in row.iter_mut().zip(&cur[n..(width + 1) * n]) {
            *out = sample as u16;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(br.marker_pos())
}

/// `Ra, Rb, Rc, Rd` of component `c` of logical pixel `x` (T.87 A.2).
fn neighbours(cur: &[i32], prev: &[i32], x: usize, c: usize, n: usize) -> (i32, i32, i32, i32) {
    (
        cur[x * n + c],
        prev[(x + 1) * n + c],
        prev[x * n + c],
        prev[(x + 2) * n + c],
    )
}

/// Each component of logical pixel `x` in regular mode.
fn decode_pixel(
    br: &mut BitReader<'_>,
    ctx: &mut ContextModel,
    cur: &mut [i32],
    prev: &[i32],
    x: usize,
    n: usize,
) -> Result<(), CodecError> {
    for c in 0..n {
        let (ra, rb, rc, rd) = neighbours(cur, prev, x, c, n);
        let gradients = (rd - rb, rb - rc, rc - ra);
        cur[(x + 1) * n + c] = decode_regular(br, ctx, gradients, predict_med(ra, rb, rc))?;
    }
    Ok(())
}

/// A run of whole pixels from logical pixel `start`, and the pixel that
/// interrupts it unless the run reaches the end of the line; returns the
/// next pixel.
fn decode_run(
    br: &mut BitReader<'_>,
    ctx: &mut ContextModel,
    cur: &mut [i32],
    prev: &[i32],
    start: usize,
    width: usize,
    n: usize,
) -> Result<usize, CodecError> {
    // The frame header admits at most 3 components.
    let mut left = [0i32; 3];
    let ra = &mut left[..n];
    ra.copy_from_slice(&cur[start * n..(start + 1) * n]);
    let run_length = decode_run_pixels(br, ctx, width - start)?;
    for x in start..start + run_length {
        cur[(x + 1) * n..(x + 2) * n].copy_from_slice(ra);
    }
    let end = start + run_length;
    if end == width {
        return Ok(end);
    }
    for c in 0..n {
        let rb = prev[(end + 1) * n + c];
        let sign = if rb >= ra[c] { 1 } else { -1 };
        cur[(end + 1) * n + c] = decode_run_interruption_as(br, ctx, 0, rb, sign)?;
    }
    ctx.decrement_run_index();
    Ok(end + 1)
}
