//! Where a network's time goes in tract: every node of the optimised plan
//! timed over repeated runs, summed by operator kind, slowest first.
//!
//! ```sh
//! cargo run --release --example profile_network -- models/resnet18_pneumonia_int8.onnx 160 [THREADS] [RUNS] [pair]
//! ```
//! The input is 1x3xSIZExSIZE of zeros (time does not depend on values).
//! With THREADS above 1, tract's matrix products run on a pool that size.
//! With `pair`, it also times two passes one after the other against two
//! passes side by side on two threads (what the classifier does with its
//! upright and upside-down passes).

use std::collections::BTreeMap;
use std::time::Instant;

use tract_onnx::prelude::multithread::Executor;
use tract_onnx::prelude::*;

fn main() -> TractResult<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(size)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: profile_network MODEL.onnx SIZE [THREADS] [RUNS]");
        std::process::exit(2);
    };
    let size: usize = size.parse()?;
    let threads: usize = args.get(3).map_or(Ok(1), |t| t.parse())?;
    let runs: usize = args.get(4).map_or(Ok(20), |r| r.parse())?;
    let options = RunOptions {
        executor: Some(if threads > 1 {
            Executor::multithread(threads)
        } else {
            Executor::SingleThread
        }),
        ..RunOptions::default()
    };
    // The kernels the appliance runs.
    touchray::infer::network::keep_crashing_kernels_out();
    let plan = tract_onnx::onnx()
        .with_ignore_value_info(true)
        .model_for_path(path)?
        .with_input_fact(0, f32::fact([1, 3, size, size]).into())?
        .into_optimized()?
        .into_runnable_with_options(&options)?;
    let input = || tvec!(Tensor::zero::<f32>(&[1, 3, size, size]).unwrap().into());
    let mut state = TypedSimpleState::new(&plan)?;
    state.run(input())?; // warm-up
    let mut by_op: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let mut walls = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        state.run_plan_with_eval(input(), |ctx, op_state, node, inputs| {
            let t = Instant::now();
            let out = tract_onnx::tract_core::plan::eval(ctx, op_state, node, inputs);
            let entry = by_op.entry(node.op().name().to_string()).or_default();
            entry.0 += t.elapsed().as_secs_f64() * 1e3;
            entry.1 += 1;
            out
        })?;
        walls.push(start.elapsed().as_secs_f64() * 1e3);
    }
    walls.sort_by(f64::total_cmp);
    let total: f64 = by_op.values().map(|v| v.0).sum();
    let mut rows: Vec<_> = by_op.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
    println!(
        "{path}: {size}x{size}, {threads} thread(s), {runs} runs, median {:.2} ms a run",
        walls[runs / 2]
    );
    println!(
        "{:<28} {:>8} {:>10} {:>7}",
        "operator", "nodes", "ms a run", "share"
    );
    for (op, (ms, count)) in rows {
        println!(
            "{op:<28} {:>8} {:>10.2} {:>6.1}%",
            count / runs,
            ms / runs as f64,
            100.0 * ms / total
        );
    }
    if args.get(5).is_some_and(|a| a == "pair") {
        let (mut apart, mut beside) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let start = Instant::now();
            plan.run(input())?;
            plan.run(input())?;
            apart.push(start.elapsed().as_secs_f64() * 1e3);
            let start = Instant::now();
            std::thread::scope(|s| {
                let other = s.spawn(|| plan.run(input()).map(drop));
                let here = plan.run(input()).map(drop);
                other.join().expect("no panic").and(here)
            })?;
            beside.push(start.elapsed().as_secs_f64() * 1e3);
        }
        apart.sort_by(f64::total_cmp);
        beside.sort_by(f64::total_cmp);
        println!(
            "two passes: one after the other {:.2} ms, side by side {:.2} ms (medians)",
            apart[runs / 2],
            beside[runs / 2]
        );
    }
    Ok(())
}
