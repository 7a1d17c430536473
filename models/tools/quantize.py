#!/usr/bin/env python3
"""Static int8 quantisation of the exported classifier with onnxruntime's
tools, calibrated on training images (never validation ones), in the forms
tract might take; each is scored on the validation split against the fp32
model (verdict agreement, accuracy, AUC) and timed in onnxruntime with one
thread. Each variant gets its own manifest.toml so that `touchray bench
--models DIR` can time it in tract; keep the one tract runs fastest and most
accurately.

    python models/tools/quantize.py --fp32 models/work/resnet18_fp32.onnx \\
        --data ../shared/data/kermany-224/train --split models/work/split.json --out models/work/variants
"""

import argparse
import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader, QuantFormat, QuantType, quantize_static,
)

from preprocess import MEAN, STD, tensor
from train import auc

VARIANTS = {
    # QOperator restricted to the ops tract has integer kernels for.
    "qop_u8s8": dict(quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8,
                     weight_type=QuantType.QInt8, per_channel=False, op_types_to_quantize=["Conv", "MatMul"]),
    "qop_u8s8_perchannel": dict(quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8,
                                weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["Conv", "MatMul"]),
    "qdq_u8s8_perchannel": dict(quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                                weight_type=QuantType.QInt8, per_channel=True),
    # ORT's default QOperator output, for the record: tract refuses it
    # (no QLinearAdd / QLinearGlobalAveragePool / QGemm).
    "qop_default": dict(quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, per_channel=False),
}


class Calibration(CalibrationDataReader):
    """Feeds network inputs (arrays for the graph's `input`) one at a time."""

    def __init__(self, inputs):
        self.inputs = iter(inputs)

    def get_next(self):
        x = next(self.inputs, None)
        return None if x is None else {"input": x}


def quantize_conv_matmul(fp32: Path, out: Path, inputs, nodes_to_exclude=()):
    """The form tract runs in integers (and the one shipped): QOperator,
    Conv/MatMul only, u8 activations, s8 weights per tensor, calibrated on
    `inputs`. Also used for MiDaS by export_midas.py."""
    quantize_static(str(fp32), str(out), Calibration(inputs), nodes_to_exclude=list(nodes_to_exclude),
                    **VARIANTS["qop_u8s8"])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(model: Path, fc: Path, size: int = 224) -> str:
    return f"""[[model]]
name = "resnet18-pneumonia-{model.stem}"
file = "{model.name}"
sha256 = "{sha256(model)}"
purpose = "classifier"
input = [1, 3, {size}, {size}]
layout = "nchw"
pixel_scale = 255.0
mean = {list(MEAN)}
std = {list(STD)}
output = "softmax2"
labels = ["normal", "pneumonia"]
threshold = 0.5
uncertain = [0.35, 0.65]
features_output = 1
cam_weights = "{fc.name}"
cam_weights_sha256 = "{sha256(fc)}"
"""


def score(session, inputs):
    p = []
    for x in inputs:
        logits = session.run(["logits"], {"input": x})[0][0]
        p.append(float(1 / (1 + np.exp(logits[0] - logits[1]))))
    return np.array(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--calibration", type=int, default=300)
    ap.add_argument("--size", type=int, default=160, help="the network's input height and width")
    ap.add_argument("--only", default=None, help="make only this variant (e.g. qop_u8s8)")
    args = ap.parse_args()
    split = json.loads(args.split.read_text())
    rng = np.random.default_rng(0)
    calib = [args.data / f for f in rng.choice(split["train"], args.calibration, replace=False)]
    val = [(args.data / f, f.startswith("PNEUMONIA")) for f in split["val"]]
    size = args.size
    val_x = [tensor(f, size) for f, _ in val]
    val_y = np.array([y for _, y in val])
    fc = args.fp32.with_name(args.fp32.stem.replace("_fp32", "") + "_fc.npy")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1

    def run(name, path):
        session = ort.InferenceSession(str(path), options)
        p = score(session, val_x)
        x = val_x[0]
        for _ in range(5):
            session.run(None, {"input": x})
        t = []
        for _ in range(30):
            t0 = time.perf_counter()
            session.run(None, {"input": x})
            t.append((time.perf_counter() - t0) * 1e3)
        return p, float(np.median(t))

    report = {}
    p32, ms32 = run("fp32", args.fp32)
    report["fp32"] = {"accuracy": float(((p32 >= 0.5) == val_y).mean()), "auc": auc(p32, val_y.astype(int)),
                      "ort_ms": ms32, "mb": args.fp32.stat().st_size / 1e6}
    for name, kwargs in VARIANTS.items():
        if args.only and name != args.only:
            continue
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"resnet18_{name}.onnx"
        quantize_static(str(args.fp32), str(out), Calibration(tensor(f, size) for f in calib), **kwargs)
        shutil.copy(fc, folder / fc.name)
        (folder / "manifest.toml").write_text(manifest(out, folder / fc.name, size))
        p, ms = run(name, out)
        report[name] = {
            "accuracy": float(((p >= 0.5) == val_y).mean()),
            "auc": auc(p, val_y.astype(int)),
            "same_verdict_as_fp32": float(((p >= 0.5) == (p32 >= 0.5)).mean()),
            "ort_ms": ms,
            "mb": out.stat().st_size / 1e6,
        }
        print(name, json.dumps(report[name]), flush=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
