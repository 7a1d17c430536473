#!/usr/bin/env python3
"""Everything fitted after training, on the `tune` side of the patient-level
split only (never `val`, which is only reported):

- **Calibration**: Platt scaling of the logit difference z = logit[pneumonia]
  - logit[normal]: p = sigmoid(z / temperature + prior_shift). The shift
  undoes the class weighting of training, the temperature its confidence.
- **Uncertain band** [lo, hi] on the calibrated p: the widest of (a) the
  band outside which confident calls meet `--precision` on tune (pneumonia
  above hi: precision; normal below lo: negative predictive value) and (b)
  `--min-band`, because tune comes from the training hospital and other
  hospitals' films are less certain than it shows.
- **Out of range**: the Mahalanobis distance of the network's pooled 512-d
  features (mean of the last feature map) to the nearer class mean, with
  one covariance shared by both classes (shrunk towards a scaled identity
  by `--shrinkage` so 512 dimensions from ~4,000 films invert stably),
  all from the `train` side without augmentation. The threshold is the
  `--quantile` of the tune films' distances: about 1 % of in-range films
  are flagged by construction.
- **Upside down**: a film whose distance exceeds that of the same film
  turned 180 degrees by more than `--upside-down-margin` is taken as upside
  down (out of range). An upside-down chest film still looks like a chest
  film to the features, but the upright turn of it looks more typical.
  The margin's effect on tune (upright films flagged, turned films caught)
  is in the report.

Writes OUT/<model stem>_ood.npy (float32 [2 + 512, 512]: the two class
means, then the precision matrix), OUT/calibration.json, and
OUT/manifest.toml: the int8 model's entry with all of the above and the
fp32 model's (same calibration, no out-of-range statistics: they were
computed on the int8 model's features).

    python models/tools/calibrate.py --model models/work/final/resnet18_int8.onnx \\
        --data ../shared/data/kermany-224/train --split models/work/split.json --out models/work/final
"""

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from scipy.optimize import minimize

from preprocess import tensor
from quantize import manifest, sha256


def run(session, files, size, turned=False):
    """Logit differences and pooled features of `files` (turned 180 degrees)."""
    z, feats = [], []
    for f in files:
        x = tensor(f, size)
        if turned:
            x = x[:, :, ::-1, ::-1].copy()
        logits, fmap = session.run(["logits", "features"], {"input": x})
        z.append(float(logits[0, 1] - logits[0, 0]))
        feats.append(fmap[0].mean(axis=(1, 2)))
    return np.array(z), np.array(feats, dtype=np.float64)


def platt(z, y):
    """(temperature, prior_shift) minimising the log loss of sigmoid(z/T + b)."""
    def nll(params):
        a, b = params
        s = a * z + b
        return float(np.mean(np.logaddexp(0, s) - y * s))

    a, b = minimize(nll, x0=[1.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9}).x
    return 1.0 / a, b


def calibrated(z, temperature, shift):
    return 1.0 / (1.0 + np.exp(-(z / temperature + shift)))


def band(p, y, precision, minimum):
    """[lo, hi]: hi the smallest cut with precision(p > hi) >= `precision`,
    lo the largest with npv(p < lo) >= `precision`, widened to `minimum`."""
    cuts = np.unique(np.concatenate([p, [0.5]]))
    hi = next((t for t in cuts if t >= 0.5 and (p > t).any() and y[p > t].mean() >= precision), 1.0)
    lo = next((t for t in cuts[::-1] if t <= 0.5 and (p < t).any() and 1 - y[p < t].mean() >= precision), 0.0)
    return min(lo, minimum[0]), max(hi, minimum[1])


def ece(p, y, bins=10):
    """Expected calibration error of p(pneumonia), equal-width bins."""
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for i in range(bins):
        m = (p >= edges[i]) & ((p < edges[i + 1]) if i < bins - 1 else (p <= 1))
        if m.any():
            total += m.mean() * abs(p[m].mean() - y[m].mean())
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="the int8 ONNX the appliance runs")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--precision", type=float, default=0.98)
    ap.add_argument("--min-band", type=float, nargs=2, default=(0.2, 0.8))
    ap.add_argument("--shrinkage", type=float, default=0.1)
    ap.add_argument("--quantile", type=float, default=0.99)
    ap.add_argument("--upside-down-margin", type=float, default=1.0)
    args = ap.parse_args()
    split = json.loads(args.split.read_text())
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(args.model), options)

    def side(name):
        files = [args.data / f for f in split[name]]
        y = np.array([f.startswith("PNEUMONIA") for f in split[name]], dtype=float)
        return (*run(session, files, args.size), y)

    # The features take minutes: kept beside the outputs, keyed by the model.
    cache = args.out / f"features-{sha256(args.model)[:16]}.npz"
    if cache.exists():
        c = np.load(cache)
        z_train, f_train, y_train, z_tune, f_tune, y_tune = (c[k] for k in ("zr", "fr", "yr", "zt", "ft", "yt"))
    else:
        z_train, f_train, y_train = side("train")
        z_tune, f_tune, y_tune = side("tune")
        args.out.mkdir(parents=True, exist_ok=True)
        np.savez(cache, zr=z_train, fr=f_train, yr=y_train, zt=z_tune, ft=f_tune, yt=y_tune)

    temperature, shift = platt(z_tune, y_tune)
    p_tune = calibrated(z_tune, temperature, shift)
    raw_tune = calibrated(z_tune, 1.0, 0.0)
    lo, hi = band(p_tune, y_tune, args.precision, args.min_band)

    means = np.stack([f_train[y_train == c].mean(axis=0) for c in (0, 1)])
    centred = f_train - means[y_train.astype(int)]
    cov = centred.T @ centred / len(f_train)
    d = cov.shape[0]
    cov = (1 - args.shrinkage) * cov + args.shrinkage * np.trace(cov) / d * np.eye(d)
    precision_matrix = np.linalg.inv(cov)

    def distance(f):
        return np.sqrt(np.min([np.einsum("ij,jk,ik->i", f - m, precision_matrix, f - m) for m in means], axis=0))

    tune_d = distance(f_tune)
    threshold = float(np.quantile(tune_d, args.quantile))
    _, f_turned = run(session, [args.data / f for f in split["tune"]], args.size, turned=True)
    turned_d = distance(f_turned)
    margin = args.upside_down_margin
    upside_down = {
        "margin": margin,
        "upright_flagged": float((tune_d - turned_d > margin).mean()),
        "turned_caught": float(((turned_d - tune_d > margin) | (turned_d > threshold)).mean()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    ood_file = args.out / f"{args.model.stem}_ood.npy"
    np.save(ood_file, np.concatenate([means, precision_matrix]).astype(np.float32))
    report = {
        "temperature": float(temperature),
        "prior_shift": float(shift),
        "uncertain": [float(lo), float(hi)],
        "precision_target": args.precision,
        "ood_threshold": threshold,
        "ood_file": ood_file.name,
        "tune": {
            "n": int(len(y_tune)),
            "ece_raw": ece(raw_tune, y_tune),
            "ece_calibrated": ece(p_tune, y_tune),
            "confident_share": float(((p_tune < lo) | (p_tune > hi)).mean()),
            "ood_distance_median": float(np.median(tune_d)),
        },
        "train_ood_distance_median": float(np.median(distance(f_train))),
        "upside_down_on_tune": upside_down,
    }
    (args.out / "calibration.json").write_text(json.dumps(report, indent=1))
    fc = args.model.with_name(args.model.stem.replace("_int8", "") + "_fc.npy")
    fp32 = args.model.with_name(args.model.stem.replace("_int8", "_fp32") + ".onnx")
    band_line = f"uncertain = [{lo:.4f}, {hi:.4f}]"
    calibration = f"temperature = {temperature:.6f}\nprior_shift = {shift:.6f}\n"
    why = (f"# The uncertain band: outside it, confident calls met {args.precision:.0%} precision on the\n"
           f"# tune split (pneumonia above, normal below); widened to at least {list(args.min_band)} because\n"
           "# tune comes from the training hospital. Calibration and out-of-range statistics:\n"
           "# models/tools/calibrate.py, fitted on tune only (models/README.md).\n")
    entries = []
    for model, ood in ((args.model, True), (fp32, False)):
        entry = manifest(model, fc, args.size).replace("uncertain = [0.35, 0.65]", band_line)
        entry = entry.replace(f'name = "resnet18-pneumonia-{model.stem}"', f'name = "{model.stem.replace("_", "-")}"')
        entry += calibration
        if ood:
            entry += (f'ood_stats = "{ood_file.name}"\nood_stats_sha256 = "{sha256(ood_file)}"\n'
                      f"ood_threshold = {threshold:.4f}\nupside_down_margin = {margin}\n")
        entries.append(entry)
    (args.out / "manifest.toml").write_text(
        "# What each model file is and how to feed it (src/infer/manifest.rs).\n"
        "# The appliance uses the first entry with purpose = \"classifier\"; a file\n"
        "# whose sha256 differs from the one here is refused.\n"
        "# Written by models/tools/calibrate.py; see models/README.md.\n\n"
        + why + "\n" + entries[0]
        + "\n# The fp32 model it was quantised from: for comparison, not used while\n"
        "# the int8 entry above is present.\n" + entries[1]
    )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
