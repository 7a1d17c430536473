#!/usr/bin/env python3
"""Scores training variants side by side, for the variant table in
models/README.md: each checkpoint (a `best.pt` of train.py) on the tune and
val sides of the patient split, raw p(pneumonia) at 0.5 (no calibration, so
that the variants are compared as trained), and on val films put through a
fixed panel of acquisition shifts.

The shift panel stands in for "another hospital": exposure (gamma 0.5 and
2.0), a hard contrast curve, strong histogram equalisation, a soft detector
(Gaussian blur, sigma 2 px at 224), heavy JPEG (quality 15) and a 4x
lower resolution. Each is applied deterministically to every val film. The
acquisition augmentation of train.py draws from similar families (milder
ranges), so a gain here is expected rather than proven to carry over to
other hospitals: it says whether the augmentation did what it was meant to,
not how the model does on the official test split.

`--panel framing` puts the val films through a second panel instead, of
where the film lies in its frame: rotated 12 degrees, shifted by 12 % of
the film right and down, shown smaller (zoom 0.75, black around it),
cropped in (zoom 1.3), collimation borders (black bands of 12 % at the
sides and 8 % at the top and foot), wide white ones (20 % and 14 %, past
the widest band `train.py --borders frame` draws, 18 %) and a burned-in
label (bright text-like bars on a dark block in the top-left corner). The
geometric shifts lie at or past the edge of train.py's geometry ranges
(rotation 10 degrees, shift 8 %, zoom 0.8-1.25); the black borders, on all
four sides at once, past its one-side collimation step (2-10 %, on a fifth
of the films) and within its `--borders frame` step; the label within its
family.

Variants are compared on tune (the panel runs on the tune films as well,
`tune_shifted`); val is reported, never used to choose.

    python models/tools/variant_eval.py --data ../shared/data/kermany-224/train \\
        --split models/split.json --size 160 \\
        --variant shipped=models/work/shipped_clean/best.pt \\
        --variant no_acquisition_aug=models/work/ablation_noacq/best.pt
"""

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter, ImageOps

from preprocess import CLASSES, load_gray, resize_bilinear
from train import auc, model, normalise


def _pil(g):
    return Image.fromarray((np.clip(g, 0, 1) * 255).round().astype(np.uint8))


def _back(im):
    return np.asarray(im, dtype=np.float32) / 255.0


def _jpeg(g, quality):
    buf = io.BytesIO()
    _pil(g).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return _back(Image.open(buf))


SHIFTS = {
    "gamma_0.5": lambda g: np.clip(g, 1e-4, 1) ** 0.5,
    "gamma_2.0": lambda g: np.clip(g, 0, 1) ** 2.0,
    "contrast_curve": lambda g: 1 / (1 + np.exp(-10 * (g - 0.5))),
    "equalised": lambda g: _back(ImageOps.equalize(_pil(g))),
    "blur_2px": lambda g: _back(_pil(g).filter(ImageFilter.GaussianBlur(2))),
    "jpeg_q15": lambda g: _jpeg(g, 15),
    "low_res_4x": lambda g: _back(_pil(g).resize((56, 56), Image.BILINEAR).resize((224, 224), Image.BILINEAR)),
}


def _affine(g, angle=0.0, shift=0.0, zoom=1.0):
    """The film rotated by `angle` degrees, moved right and down by `shift`
    of its size and scaled by `zoom` about its centre; black where no film
    is."""
    size = g.shape[0]
    im = _pil(g).rotate(angle, resample=Image.BILINEAR, fillcolor=0)
    if zoom != 1.0:
        side = round(size * zoom)
        scaled = im.resize((side, side), Image.BILINEAR)
        im = Image.new("L", (size, size), 0)
        im.paste(scaled, ((size - side) // 2, (size - side) // 2))
    if shift:
        d = round(size * shift)
        moved = Image.new("L", (size, size), 0)
        moved.paste(im, (d, d))
        im = moved
    return _back(im)


def _borders(g, side=0.12, top=0.08, value=0.0):
    out = g.copy()
    n = g.shape[0]
    side, top = round(side * n), round(top * n)
    out[:, :side] = value
    out[:, n - side :] = value
    out[:top] = value
    out[n - top :] = value
    return out


def _label(g):
    out = g.copy()
    n = g.shape[0]
    x0, y0, w, h = round(0.04 * n), round(0.04 * n), round(0.22 * n), round(0.08 * n)
    out[y0 : y0 + h, x0 : x0 + w] = 0.1
    for k in range(4):  # bars of "text", bright on a dark block
        y = y0 + 2 + k * (h // 4)
        out[y : y + max(1, h // 8), x0 + 2 : x0 + w - 2 - 6 * (k % 2)] = 1.0
    return out


FRAMING = {
    "rotated_12deg": lambda g: _affine(g, angle=12.0),
    "shifted_12pct": lambda g: _affine(g, shift=0.12),
    "zoomed_out_0.75": lambda g: _affine(g, zoom=0.75),
    "cropped_in_1.3": lambda g: _back(
        _pil(g)
        .crop(tuple(round(v) for v in (g.shape[0] * 0.115, g.shape[0] * 0.115, g.shape[0] * 0.885, g.shape[0] * 0.885)))
        .resize(g.shape[::-1], Image.BILINEAR)
    ),
    "borders": _borders,
    "borders_wide_white": lambda g: _borders(g, side=0.2, top=0.14, value=1.0),
    "burned_in_label": _label,
}
PANELS = {"acquisition": SHIFTS, "framing": FRAMING}


@torch.no_grad()
def scores(net, grays, size, batch=64):
    """p(pneumonia) of each film: `net` is a torch module or an
    onnxruntime session (the shipped fp32 ONNX, run one film at a time)."""
    out = []
    for i in range(0, len(grays), batch):
        x = normalise(torch.from_numpy(np.stack([resize_bilinear(g, size) for g in grays[i : i + batch]])))
        if isinstance(net, torch.nn.Module):
            out.append(net(x).softmax(1)[:, 1])
        else:
            name = net.get_inputs()[0].name
            logits = np.concatenate([net.run(None, {name: x[j : j + 1].numpy()})[0] for j in range(len(x))])
            out.append(torch.from_numpy(logits).softmax(1)[:, 1])
    return torch.cat(out).numpy()


def load(checkpoint: str):
    if checkpoint.endswith(".onnx"):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        return onnxruntime.InferenceSession(checkpoint, options, providers=["CPUExecutionProvider"])
    net = model()
    net.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=False)["model"])
    return net.eval()


def summary(p, y):
    y = np.asarray(y)
    call = p >= 0.5
    tp, tn = int((call & (y == 1)).sum()), int((~call & (y == 0)).sum())
    return {
        "accuracy": round(float((call == (y == 1)).mean()), 4),
        "auc": round(auc(p, y), 4),
        "sensitivity": round(tp / max(1, int((y == 1).sum())), 4),
        "specificity": round(tn / max(1, int((y == 0).sum())), 4),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--variant", action="append", default=[], help="NAME=CHECKPOINT (best.pt or .onnx)")
    ap.add_argument(
        "--write",
        metavar="SHIFT=DIR",
        help="write the val films through one shift of the panel (or `none`) as PNGs in DIR/NORMAL and "
        "DIR/PNEUMONIA, for `touchray eval DIR`, and stop",
    )
    ap.add_argument("--panel", choices=sorted(PANELS), default="acquisition", help="which shift panel")
    ap.add_argument("--out", type=Path, help="write the JSON here too")
    args = ap.parse_args()
    split = json.loads(args.split.read_text())
    if args.write:
        shift, folder = args.write.split("=", 1)
        panel = {"none": lambda g: g, **PANELS[args.panel]}
        if shift not in panel:
            ap.error(f"--write: no shift {shift!r} in the {args.panel} panel ({', '.join(panel)})")
        for f in split["val"]:
            out = Path(folder) / (f.rsplit(".", 1)[0] + ".png")
            out.parent.mkdir(parents=True, exist_ok=True)
            _pil(panel[shift](load_gray(args.data / f))).save(out)
        return
    if not args.variant:
        ap.error("give at least one --variant (or --write)")
    sides = {}
    for side in ("tune", "val"):
        files = split[side]
        grays = [load_gray(args.data / f) for f in files]
        labels = [CLASSES.index(f.split("/")[0]) for f in files]
        sides[side] = (grays, labels)
    panel = PANELS[args.panel]
    # The panel on tune too: a recipe is chosen on tune's shifted films,
    # val's are only reported.
    shifted = {
        side: ({name: [f(resize_bilinear(g, 224)) for g in grays] for name, f in panel.items()}, labels)
        for side, (grays, labels) in sides.items()
    }
    report = {}
    for spec in args.variant:
        name, checkpoint = spec.split("=", 1)
        net = load(checkpoint)
        t0 = time.time()
        row = {side: summary(scores(net, g, args.size), y) for side, (g, y) in sides.items()}
        if args.panel != "acquisition":
            row["panel"] = args.panel
        for side, (films, labels) in shifted.items():
            row[f"{side}_shifted"] = {k: summary(scores(net, g, args.size), labels) for k, g in films.items()}
        row["tune_shifted_worst_specificity"] = min(r["specificity"] for r in row["tune_shifted"].values())
        row["val_shifted_mean_auc"] = round(float(np.mean([r["auc"] for r in row["val_shifted"].values()])), 4)
        row["val_shifted_worst_specificity"] = min(r["specificity"] for r in row["val_shifted"].values())
        row["seconds"] = round(time.time() - t0, 1)
        report[name] = row
        print(json.dumps({name: row}), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
