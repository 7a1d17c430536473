#!/usr/bin/env python3
"""The paper's texture features of a relief, by their reference definitions
(numpy / SciPy / scikit-image); src/tactile/features.rs must agree within
1e-4 relative. Prints the features of each relief.npy given (as
`touchray render --out DIR` writes), or with --fixtures writes the test
fixtures: reliefs and the values computed here.

    models/.venv/bin/python models/tools/features.py out/relief.npy
    models/.venv/bin/python models/tools/features.py --fixtures tests/fixtures/features REAL_RELIEF.npy
"""

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.feature import local_binary_pattern

#: Neighbours and radius of the LBP; P + 2 = 10 uniform codes.
P, R = 8, 1


def features(r: np.ndarray) -> dict:
    """The definitions, on a 2-D relief `r` in [0, 1]."""
    counts, _ = np.histogram(r, bins=256, range=(0, 1))
    p = counts / counts.sum()
    p = p[p > 0]
    gx = ndimage.sobel(r, axis=1, mode="reflect")
    gy = ndimage.sobel(r, axis=0, mode="reflect")
    u8 = np.round(r * 255).astype(np.uint8)
    lbp = local_binary_pattern(u8, P=P, R=R, method="uniform")
    hist = np.bincount(lbp.astype(np.int64).ravel(), minlength=P + 2)
    return {
        "depth_std": float(np.std(r)),
        "depth_entropy": float(-(p * np.log2(p)).sum()),
        "edge_total": float(np.hypot(gx, gy).sum()),
        "lbp_hist": [float(v) for v in hist / hist.sum()],
    }


def synthetic(size=224):
    """Reliefs that probe the edges of the definitions: flat (no edges, one
    histogram bin, LBP of ties), a ramp hitting bin edges and 1.0 exactly,
    noise (every LBP code), and small blobs on a slope (rounding ties of
    round(r * 255) included)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    blobs = 0.3 * x / size + 0.5 * np.exp(-((x - 80) ** 2 + (y - 120) ** 2) / 200.0)
    blobs[40:60, 150:170] = 0.5 / 255 * 101  # r * 255 = 100.5: a rounding tie
    return {
        "flat": np.full((size, size), 0.5, np.float32),
        "ramp": np.clip((x + y) / (2 * size - 2), 0, 1).astype(np.float32),
        "noise": rng.random((size, size), dtype=np.float32),
        "blobs": np.clip(blobs, 0, 1).astype(np.float32),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reliefs", type=Path, nargs="*")
    ap.add_argument("--fixtures", type=Path, help="write fixtures here: the reliefs given plus synthetic ones")
    args = ap.parse_args()
    reliefs = {path.stem if path.stem != "relief" else path.parent.name: np.load(path) for path in args.reliefs}
    if args.fixtures:
        args.fixtures.mkdir(parents=True, exist_ok=True)
        reliefs.update(synthetic())
        reference = {}
        for name, r in reliefs.items():
            np.save(args.fixtures / f"{name}.npy", r.astype(np.float32))
            reference[name] = features(r.astype(np.float32))
        (args.fixtures / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
        print("wrote", len(reference), "reliefs and reference.json to", args.fixtures)
    else:
        for name, r in reliefs.items():
            print(name, json.dumps(features(r.astype(np.float32))))


if __name__ == "__main__":
    main()
