#!/usr/bin/env python3
"""Operation counts of ONNX models and their onnxruntime latency, so that
tract's time (`touchray bench --models DIR`) can be judged against the
machine's peak and against onnxruntime on the same file and thread count.

Counts multiply-accumulates of Conv, ConvInteger/QLinearConv, MatMul and
Gemm from the shapes (FLOPs = 2 x MACs); everything else (activations,
resizes, additions) is under 2 % in both networks and is left out.

    models/.venv/bin/python models/tools/flops.py models/resnet18_pneumonia_int8.onnx \\
        tests/fixtures/midas/midas_v21_small_256_int8.onnx --runs 30
"""

import argparse
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

WEIGHT_INPUT = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3, "MatMul": 1, "MatMulInteger": 1,
                "QLinearMatMul": 3, "Gemm": 1}


def output_shapes(model: onnx.ModelProto, names) -> dict:
    """The shapes of the tensors `names`, from one onnxruntime run: shape
    inference alone cannot see through MiDaS's computed "same" padding."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {o.name for o in probe.graph.output}
    probe.graph.output.extend(onnx.helper.ValueInfoProto(name=n) for n in names if n not in known)
    session = ort.InferenceSession(probe.SerializeToString())
    outputs = session.run(names, random_feed(session))
    return {n: list(o.shape) for n, o in zip(names, outputs)}


def random_feed(session) -> dict:
    return {i.name: np.random.default_rng(0).standard_normal(i.shape).astype(np.float32)
            for i in session.get_inputs()}


def macs(path: Path) -> int:
    model = onnx.load(str(path))
    graph = model.graph
    shapes = output_shapes(model, [n.output[0] for n in graph.node if n.op_type in WEIGHT_INPUT])
    for init in graph.initializer:
        shapes[init.name] = list(init.dims)
    total = 0
    for node in graph.node:
        if node.op_type not in WEIGHT_INPUT:
            continue
        w = shapes[node.input[WEIGHT_INPUT[node.op_type]]]
        out = shapes.get(node.output[0])
        if not out or not all(out):
            raise SystemExit(f"{path}: no static shape for {node.name}")
        if node.op_type in ("Conv", "ConvInteger", "QLinearConv"):
            # out [N, M, H, W], weight [M, C/group, kh, kw]: each output
            # element takes C/group * kh * kw MACs.
            total += int(np.prod(out)) * int(np.prod(w[1:]))
        else:
            total += int(np.prod(out)) * w[0]
    return total


def ort_ms(path: Path, runs: int) -> float:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options)
    feed = random_feed(session)
    for _ in range(3):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - t) * 1e3)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    for path in args.models:
        m = macs(path)
        print(f"{path.name}: {m / 1e9:.3f} GMAC = {2 * m / 1e9:.3f} GFLOP; "
              f"onnxruntime 1 thread median {ort_ms(path, args.runs):.1f} ms")


if __name__ == "__main__":
    main()
