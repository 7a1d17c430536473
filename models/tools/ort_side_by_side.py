#!/usr/bin/env python3
"""tract (through `touchray bench`) against onnxruntime on the same model
file, the same input tensor and the same thread count, in one run, rounds
alternating so that both see the same machine. Prints one row per network
and thread count with the ratio tract / onnxruntime of the median pass.

    cargo build --release
    models/.venv/bin/python models/tools/ort_side_by_side.py \\
        samples/kermany_NORMAL_IM-0115-0001.jpeg --models models --threads 1 2

The scan must be one Pillow reads (PNG, JPEG): the input tensor is made
here by tools/preprocess.py, which the Rust side matches within 1e-5.
touchray's pass is the network alone (`passes` in `bench --json`), the
preprocessing not included, as in onnxruntime's timing here.
"""

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from preprocess import tensor


def tract_passes(binary: Path, scan: Path, models: Path, threads: int, runs: int, depth: str) -> list:
    """`touchray bench --json`'s one-pass timings for every loaded network."""
    out = subprocess.run(
        [str(binary), "bench", str(scan), "--models", str(models), "--threads", str(threads),
         "--runs", str(runs), "--depth", depth, "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)["passes"]


def ort_pass_ms(model: Path, x: np.ndarray, threads: int, runs: int) -> list:
    """Milliseconds of `runs` onnxruntime passes after a warm-up."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    session.run(None, {name: x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scan", type=Path)
    ap.add_argument("--models", type=Path, default=Path("models"))
    ap.add_argument("--depth", default="density", help="touchray's --depth (midas to time a depth network too)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="alternating tract / onnxruntime rounds")
    ap.add_argument("--touchray", type=Path, default=Path("target/release/touchray"))
    ap.add_argument("--json", type=Path, help="write the rows here too")
    args = ap.parse_args()

    rows = []
    for threads in args.threads:
        tract_ms, ort_ms, nets = {}, {}, {}
        for _ in range(args.rounds):
            for p in tract_passes(args.touchray, args.scan, args.models, threads, args.runs, args.depth):
                nets[p["name"]] = p
                tract_ms.setdefault(p["name"], []).append(p["pass"]["median"])
                n, c, h, w = p["input"]
                x = tensor(args.scan, h) if c == 3 and h == w else np.zeros((n, c, h, w), np.float32)
                ort_ms.setdefault(p["name"], []).extend(ort_pass_ms(Path(p["model"]), x, threads, args.runs))
        for name, p in nets.items():
            t = float(np.median(tract_ms[name]))
            o = float(np.median(ort_ms[name]))
            rows.append({"network": name, "model": p["model"], "threads": threads,
                         "tract_ms": round(t, 2), "onnxruntime_ms": round(o, 2), "ratio": round(t / o, 2)})
    print(f"{'network':<32} {'threads':>7} {'tract ms':>9} {'ORT ms':>8} {'tract/ORT':>9}")
    for r in rows:
        print(f"{r['network']:<32} {r['threads']:>7} {r['tract_ms']:>9.2f} {r['onnxruntime_ms']:>8.2f} {r['ratio']:>9.2f}")
    for name in {r["network"] for r in rows}:
        mine = {r["threads"]: r for r in rows if r["network"] == name}
        if 1 in mine:
            for threads, r in sorted(mine.items()):
                if threads > 1:
                    print(f"{name}: {threads} threads against 1: tract {mine[1]['tract_ms'] / r['tract_ms']:.2f}x, "
                          f"onnxruntime {mine[1]['onnxruntime_ms'] / r['onnxruntime_ms']:.2f}x faster")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
