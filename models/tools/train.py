#!/usr/bin/env python3
"""Train touchray's pneumonia classifier: torchvision's ResNet-18, from
scratch, on the Kermany chest radiographs (CC BY 4.0).

- Input 3xSxS (S the schedule's last size, 160): the radiograph as 8-bit grayscale, scaled to [0, 1],
  bilinear-resized (Pillow, in float) as in the paper, replicated to three
  channels and normalised with ImageNet mean/std (models/manifest.toml).
- The split is by patient (patients.py): train / tune / val. `tune` picks
  the checkpoint; `val` is never looked at here.
- Augmentation that mimics what differs between hospitals, machines and
  film processing (`augment`): geometry (flip, rotation, zoom in and out,
  shift), exposure and processing curves (gamma, windowing, contrast,
  histogram equalisation, unsharp masking), blur, noise, JPEG
  re-compression, collimation borders and burned-in labels. The shipped
  network draws its borders with `--borders frame` (up to four sides).
- Cross-entropy with label smoothing, weighted by inverse class frequency;
  Adam with cosine decay; an exponential moving average of the weights (EMA)
  is what gets evaluated and saved.
- Progressive resizing for CPUs: `--schedule 112:4,160:2`; the network is
  then run at the last size (160 px, the manifest's input): on 2 CPU cores
  a 224-px schedule does not fit a working session.
- A checkpoint after every epoch (`WORK/last.pt`, best EMA in
  `WORK/best.pt`); `--resume` continues from `WORK/last.pt`.

    python models/tools/train.py --data ../shared/data/kermany-224/train --work models/work --borders frame
"""

import argparse
import io
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from patients import as_json, split
from preprocess import CLASSES, MEAN, STD, load_gray, resize_bilinear


def load_all(items):
    images = np.stack([load_gray(f) for f, _ in items])  # N x H x W float32 in [0, 1]
    labels = np.array([label for _, label in items], dtype=np.int64)
    return torch.from_numpy(images), torch.from_numpy(labels)


def resize_batch(images: torch.Tensor, size: int) -> torch.Tensor:
    """Pillow-exact bilinear (antialiased) resize of N x H x W floats."""
    if images.shape[-1] == size:
        return images
    return torch.from_numpy(np.stack([resize_bilinear(im.numpy(), size) for im in images]))


def normalise(gray: torch.Tensor) -> torch.Tensor:
    """N x S x S in [0, 1] -> N x 3 x S x S, ImageNet-normalised."""
    x = gray.unsqueeze(1).expand(-1, 3, -1, -1)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def _uniform(n, lo, hi, gen):
    return lo + (hi - lo) * torch.rand(n, generator=gen)


def _chosen(n, p, gen):
    return torch.rand(n, generator=gen) < p


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of N x S x S with one sigma (in pixels)."""
    radius = max(1, int(3 * sigma + 0.5))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    y = F.conv2d(F.pad(x.unsqueeze(1), (radius, radius, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode="replicate"), k.view(1, 1, -1, 1))
    return y.squeeze(1)


def _jpeg(img: torch.Tensor, quality: int) -> torch.Tensor:
    buf = io.BytesIO()
    Image.fromarray((img.numpy() * 255).round().astype(np.uint8)).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return torch.from_numpy(np.asarray(Image.open(buf), dtype=np.float32) / 255.0)


# The steps of `augment`, each of which `--augment-skip` can leave out (an
# ablation: what each step buys, measured rather than assumed).
AUGMENT_STEPS = ("geometry", "curves", "sharpness", "noise", "borders", "labels", "jpeg")


def augment(gray: torch.Tensor, gen: torch.Generator, skip=frozenset(), frame=False) -> torch.Tensor:
    """N x S x S in [0, 1] -> the same films as another hospital might have
    made them. Each step is drawn per image with its own probability; none
    turns a film upside down or inverts it (those must stay out of range).
    The steps named in `skip` (of AUGMENT_STEPS) are left out; `frame`
    draws collimation on up to four sides instead of one band."""
    n, size = gray.shape[0], gray.shape[-1]
    x = gray.clone()
    if "geometry" not in skip:
        x = _geometry(x, gen)
    if "curves" not in skip:
        x = _curves(x, gen)
    if "sharpness" not in skip:
        x = _sharpness(x, gen)
    if "noise" not in skip:
        noisy = _chosen(n, 0.3, gen).view(n, 1, 1)
        sigma = _uniform(n, 0.005, 0.03, gen).view(n, 1, 1)
        x = torch.where(noisy, (x + sigma * torch.randn(x.shape, generator=gen)).clamp(0, 1), x)
    if "borders" not in skip:
        (_frame_borders if frame else _borders)(x, gen)
    if "labels" not in skip:
        _labels(x, gen)
    # JPEG re-compression (after everything, as an export would do).
    if "jpeg" not in skip:
        for i in torch.nonzero(_chosen(n, 0.25, gen)).flatten().tolist():
            x[i] = _jpeg(x[i], int(torch.randint(25, 90, (1,), generator=gen).item()))
    return x


def _geometry(gray: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n, size = gray.shape[0], gray.shape[-1]
    # Geometry: flip, rotation +-10 deg, zoom 0.8-1.25 (out shows more of
    # the body, as adult films do), shift +-8 %; zoomed-out edges are either
    # black (collimated) or the film's own edge.
    angle = _uniform(n, -10, 10, gen) * math.pi / 180
    scale = torch.exp(_uniform(n, math.log(0.8), math.log(1.25), gen))
    tx, ty = _uniform(n, -0.16, 0.16, gen), _uniform(n, -0.16, 0.16, gen)
    flip = torch.where(_chosen(n, 0.5, gen), -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, (n, 1, size, size), align_corners=False)
    padding = "zeros" if torch.rand(1, generator=gen).item() < 0.3 else "border"
    x = F.grid_sample(gray.unsqueeze(1), grid, mode="bilinear", padding_mode=padding, align_corners=False)
    return x.squeeze(1)


def _curves(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Exposure and processing curves."""
    n, size = x.shape[0], x.shape[-1]
    gamma = torch.exp(_uniform(n, math.log(0.6), math.log(1.6), gen)).view(n, 1, 1)
    x = x.clamp(1e-4, 1) ** gamma
    lo, hi = _uniform(n, -0.1, 0.12, gen).view(n, 1, 1), _uniform(n, 0.85, 1.1, gen).view(n, 1, 1)
    x = ((x - lo) / (hi - lo)).clamp(0, 1)
    sig = _chosen(n, 0.25, gen)
    if sig.any():
        k = _uniform(int(sig.sum()), 3, 8, gen).view(-1, 1, 1)
        s = torch.sigmoid(k * (x[sig] - 0.5))
        lo_s, hi_s = torch.sigmoid(-k * 0.5), torch.sigmoid(k * 0.5)
        x[sig] = (s - lo_s) / (hi_s - lo_s)
    eq = _chosen(n, 0.15, gen)
    for i in torch.nonzero(eq).flatten().tolist():
        flat = x[i].flatten()
        ranks = torch.empty_like(flat)
        ranks[flat.argsort()] = torch.linspace(0, 1, flat.numel())
        alpha = _uniform(1, 0.3, 1.0, gen).item()
        x[i] = (1 - alpha) * x[i] + alpha * ranks.view(size, size)
    mean = x.mean(dim=(1, 2), keepdim=True)
    x = (x - mean) * _uniform(n, 0.85, 1.15, gen).view(n, 1, 1) + mean * _uniform(n, 0.85, 1.15, gen).view(n, 1, 1)
    return x.clamp(0, 1)


def _sharpness(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Blur (soft detectors, downsampling) or unsharp masking (the edge
    enhancement many CR/DX consoles apply)."""
    n = x.shape[0]
    sharp = torch.rand(n, generator=gen)
    blur_sigma = 0.5 + 1.0 * torch.rand(1, generator=gen).item()
    blurred = _blur(x, blur_sigma)
    amount = _uniform(n, 0.3, 1.2, gen).view(n, 1, 1)
    x = torch.where((sharp < 0.2).view(n, 1, 1), blurred, x)
    return torch.where((sharp > 0.8).view(n, 1, 1), (x + amount * (x - blurred)).clamp(0, 1), x)


def _borders(x: torch.Tensor, gen: torch.Generator) -> None:
    """Collimation borders, in place."""
    n, size = x.shape[0], x.shape[-1]
    for i in torch.nonzero(_chosen(n, 0.2, gen)).flatten().tolist():
        w = int(_uniform(1, 0.02, 0.1, gen).item() * size)
        value = 0.0 if torch.rand(1, generator=gen).item() < 0.7 else 1.0
        _band(x[i], int(torch.randint(4, (1,), generator=gen).item()), w, value)


def _band(film: torch.Tensor, side: int, w: int, value: float) -> None:
    """A band `w` pixels wide along one side (0 top, 1 foot, 2 left, 3 right)."""
    if side == 0:
        film[:w, :] = value
    elif side == 1:
        film[-w:, :] = value
    elif side == 2:
        film[:, :w] = value
    else:
        film[:, -w:] = value


def _frame_borders(x: torch.Tensor, gen: torch.Generator) -> None:
    """Collimation all round, in place: on 40 % of the films each side
    independently (at least one) gets a band of 2-18 % of the size, black,
    white or a dark grey. With the one-side step above every network called
    a normal film framed on four sides pneumonia a fifth to two fifths of
    the time (raw p at 0.5; models/README.md, the framing panel); adult
    and DR films are often collimated like this."""
    n, size = x.shape[0], x.shape[-1]
    for i in torch.nonzero(_chosen(n, 0.4, gen)).flatten().tolist():
        kind = torch.rand(1, generator=gen).item()
        value = 0.0 if kind < 0.55 else 1.0 if kind < 0.8 else _uniform(1, 0.03, 0.35, gen).item()
        sides = torch.rand(4, generator=gen) < 0.75
        if not sides.any():
            sides[int(torch.randint(4, (1,), generator=gen).item())] = True
        widths = (_uniform(4, 0.02, 0.18, gen) * size).long().clamp(min=1).tolist()
        for side, (on, w) in enumerate(zip(sides.tolist(), widths)):
            if on:
                _band(x[i], side, w, value)


def _labels(x: torch.Tensor, gen: torch.Generator) -> None:
    """Burned-in labels (bright blocks near the edges), in place."""
    n, size = x.shape[0], x.shape[-1]
    for i in torch.nonzero(_chosen(n, 0.3, gen)).flatten().tolist():
        for _ in range(int(torch.randint(1, 4, (1,), generator=gen).item())):
            h = max(2, int(_uniform(1, 0.02, 0.06, gen).item() * size))
            w = max(3, int(_uniform(1, 0.04, 0.2, gen).item() * size))
            r = int(torch.randint(0, size - h, (1,), generator=gen).item())
            c = int(torch.randint(0, size - w, (1,), generator=gen).item())
            if 0.25 * size < r < 0.75 * size and 0.25 * size < c < 0.75 * size:
                continue  # labels sit at the edges, not on the lungs
            block = (torch.rand(h, w, generator=gen) < 0.5).float() * _uniform(1, 0.8, 1.0, gen).item()
            x[i, r : r + h, c : c + w] = torch.maximum(x[i, r : r + h, c : c + w], block)


def old_augment(gray: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The first model's augmentation (for comparison): random flip, rotation (+-10 deg), shift (+-6 %), zoom (0.9-1.1),
    brightness (+-10 %) and contrast (0.9-1.1) on N x S x S in [0, 1]."""
    n = gray.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=gen)  # noqa: E731
    angle = u(-10, 10) * math.pi / 180
    scale = u(0.9, 1.1)
    tx, ty = u(-0.06, 0.06) * 2, u(-0.06, 0.06) * 2
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1
    )
    grid = F.affine_grid(theta, (n, 1, *gray.shape[1:]), align_corners=False)
    x = F.grid_sample(gray.unsqueeze(1), grid, mode="bilinear", padding_mode="border", align_corners=False)
    x = x.squeeze(1)
    mean = x.mean(dim=(1, 2), keepdim=True)
    x = (x - mean) * u(0.9, 1.1).view(n, 1, 1) + mean * u(0.9, 1.1).view(n, 1, 1)
    return x.clamp(0, 1)


def model() -> nn.Module:
    net = torchvision.models.resnet18(weights=None)
    net.fc = nn.Linear(net.fc.in_features, len(CLASSES))
    return net


@torch.no_grad()
def evaluate(net, images, labels, size, weights, batch):
    net.eval()
    losses, probs = [], []
    for i in range(0, len(images), batch):
        x = normalise(resize_batch(images[i : i + batch], size))
        logits = net(x)
        losses.append(F.cross_entropy(logits, labels[i : i + batch], weight=weights, reduction="sum"))
        probs.append(logits.softmax(1)[:, 1])
    p = torch.cat(probs)
    loss = (torch.stack(losses).sum() / weights[labels].sum()).item()
    acc = ((p >= 0.5).long() == labels).float().mean().item()
    return loss, acc, auc(p.numpy(), labels.numpy())


def auc(scores, labels) -> float:
    """ROC AUC with ties counted half (Mann-Whitney U)."""
    order = np.argsort(scores, kind="mergesort")
    s, y = scores[order], labels[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def schedule(text: str):
    sizes = []
    for part in text.split(","):
        size, epochs = part.split(":")
        sizes += [int(size)] * int(epochs)
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with NORMAL/ and PNEUMONIA/")
    ap.add_argument("--work", type=Path, required=True, help="checkpoints, split and log go here")
    ap.add_argument("--schedule", default="112:4,160:2", help="SIZE:EPOCHS,... (progressive resizing)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--ema", type=float, default=0.99, help="decay of the weights' moving average per step")
    ap.add_argument("--no-augment-acquisition", action="store_true", help="the old geometric-only augmentation")
    ap.add_argument("--augment-skip", default="", help=f"comma-separated steps to leave out of {AUGMENT_STEPS}")
    ap.add_argument("--borders", choices=("side", "frame"), default="side",
                    help="collimation: one band on a fifth of the films (the first recipes), or bands on up to "
                         "four sides on 40 %% of them")
    ap.add_argument("--seed", type=int, default=20261129, help="weights, batch order and augmentation")
    ap.add_argument("--split-seed", type=int, default=20261129,
                    help="the patient split (keep the shipped one to compare variants on the same tune and val)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    skip = frozenset(step for step in args.augment_skip.split(",") if step)
    if not skip <= set(AUGMENT_STEPS):
        ap.error(f"--augment-skip: unknown steps {sorted(skip - set(AUGMENT_STEPS))}; the steps are {AUGMENT_STEPS}")

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    args.work.mkdir(parents=True, exist_ok=True)

    sides = split(args.data, seed=args.split_seed)
    (args.work / "split.json").write_text(json.dumps(as_json(sides, args.split_seed), indent=0))
    t0 = time.time()
    train_x, train_y = load_all(sides["train"])
    tune_x, tune_y = load_all(sides["tune"])
    print(f"loaded {len(train_y)} train / {len(tune_y)} tune images in {time.time() - t0:.0f} s", flush=True)

    counts = torch.bincount(train_y, minlength=len(CLASSES)).float()
    weights = counts.sum() / (len(CLASSES) * counts)  # inverse frequency
    net = model().to(device)
    ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(args.ema), use_buffers=True)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    sizes = schedule(args.schedule)
    state = {"epoch": 0, "best_loss": float("inf"), "history": []}
    if args.resume and (args.work / "last.pt").exists():
        ck = torch.load(args.work / "last.pt", map_location=device, weights_only=False)
        net.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["optimizer"])
        state = ck["state"]
        torch.set_rng_state(ck["rng"])
        print(f"resumed after epoch {state['epoch']}", flush=True)

    gen = torch.Generator().manual_seed(args.seed + state["epoch"])
    resized = {}
    while state["epoch"] < len(sizes):
        size = sizes[state["epoch"]]
        if size not in resized:
            resized = {size: (resize_batch(train_x, size), resize_batch(tune_x, size))}
        tx, vx = resized[size]
        # Cosine decay over the whole schedule, from the epoch number alone
        # so that a resumed run follows the same curve.
        lr = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * state["epoch"] / len(sizes))))
        for group in opt.param_groups:
            group["lr"] = lr
        net.train()
        t0 = time.time()
        order = torch.randperm(len(train_y), generator=gen)
        total, seen = 0.0, 0
        for i in range(0, len(order), args.batch):
            idx = order[i : i + args.batch]
            if len(idx) < 2:
                continue  # BatchNorm needs two
            batch = tx[idx].clone()
            if args.no_augment_acquisition:
                batch = old_augment(batch, gen)
            else:
                batch = augment(batch, gen, skip, frame=args.borders == "frame")
            x = normalise(batch).to(device)
            y = train_y[idx].to(device)
            loss = F.cross_entropy(net(x), y, weight=weights.to(device), label_smoothing=args.label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            ema.update_parameters(net)
            total += loss.item() * len(idx)
            seen += len(idx)
        tune_loss, tune_acc, tune_auc = evaluate(ema.module, vx, tune_y, size, weights, 64)
        state["epoch"] += 1
        entry = {
            "epoch": state["epoch"], "size": size, "lr": lr, "train_loss": total / seen,
            "tune_loss": tune_loss, "tune_acc": tune_acc, "tune_auc": tune_auc, "seconds": time.time() - t0,
        }
        state["history"].append(entry)
        print(json.dumps(entry), flush=True)
        # Losses at different sizes are not comparable: "best" counts only
        # from the first epoch at the final size.
        if size == sizes[-1] and tune_loss < state["best_loss"]:
            state["best_loss"] = tune_loss
            torch.save({"model": ema.module.state_dict(), "entry": entry}, args.work / "best.pt")
        torch.save(
            {"model": net.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(), "state": state,
             "rng": torch.get_rng_state()},
            args.work / "last.pt",
        )
    print("done", json.dumps(state["history"][-1] if state["history"] else {}), flush=True)


if __name__ == "__main__":
    main()
