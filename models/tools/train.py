#!/usr/bin/env python3
"""Train touchray's pneumonia classifier: torchvision's ResNet-18, from
scratch, on the Kermany chest radiographs (CC BY 4.0).

- Input 3x224x224: the radiograph as 8-bit grayscale, scaled to [0, 1],
  bilinear-resized (Pillow, in float) as in the paper, replicated to three
  channels and normalised with ImageNet mean/std (models/manifest.toml).
- A stratified validation split (by file) is carved from the training
  folder; the official test split is held elsewhere on purpose.
- Augmentation: horizontal flip, small rotations, shifts and zoom,
  brightness/contrast. Class imbalance: cross-entropy weighted by inverse
  class frequency. Adam with a cosine learning-rate decay. Early stopping on
  validation loss. Fixed seed.
- Progressive resizing for CPUs: `--schedule 112:12,160:4,224:6` trains 12
  epochs at 112 px, then 4 at 160, then 6 at 224.
- A checkpoint after every epoch (`WORK/last.pt`, best in `WORK/best.pt`);
  `--resume` continues from `WORK/last.pt`, so training can span sessions.

    python models/tools/train.py --data ../shared/data/kermany-224/train --work models/work
"""

import argparse
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

from preprocess import CLASSES, MEAN, STD, load_gray, resize_bilinear


def split(data: Path, fraction: float, seed: int):
    """Stratified split by file: the same files for the same seed, always."""
    rng = random.Random(seed)
    train, val = [], []
    for label, name in enumerate(CLASSES):
        files = sorted(p for p in (data / name).iterdir() if p.suffix.lower() in (".jpeg", ".jpg", ".png"))
        rng.shuffle(files)
        n_val = round(len(files) * fraction)
        val += [(f, label) for f in files[:n_val]]
        train += [(f, label) for f in files[n_val:]]
    return train, val


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


def augment(gray: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random flip, rotation (+-10 deg), shift (+-6 %), zoom (0.9-1.1),
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
    ap.add_argument("--schedule", default="112:12,160:4,224:6", help="SIZE:EPOCHS,... (progressive resizing)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--val-fraction", type=float, default=0.15)
    ap.add_argument("--patience", type=int, default=4, help="epochs without a better validation loss")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    args.work.mkdir(parents=True, exist_ok=True)

    train_items, val_items = split(args.data, args.val_fraction, args.seed)
    (args.work / "split.json").write_text(
        json.dumps(
            {
                "seed": args.seed,
                "train": [f"{CLASSES[l]}/{f.name}" for f, l in train_items],
                "val": [f"{CLASSES[l]}/{f.name}" for f, l in val_items],
            },
            indent=0,
        )
    )
    t0 = time.time()
    train_x, train_y = load_all(train_items)
    val_x, val_y = load_all(val_items)
    print(f"loaded {len(train_y)} train / {len(val_y)} val images in {time.time() - t0:.0f} s", flush=True)

    counts = torch.bincount(train_y, minlength=len(CLASSES)).float()
    weights = counts.sum() / (len(CLASSES) * counts)  # inverse frequency
    net = model().to(device)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    sizes = schedule(args.schedule)
    state = {"epoch": 0, "best_loss": float("inf"), "stale": 0, "history": []}
    if args.resume and (args.work / "last.pt").exists():
        ck = torch.load(args.work / "last.pt", map_location=device, weights_only=False)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        state = ck["state"]
        torch.set_rng_state(ck["rng"])
        print(f"resumed after epoch {state['epoch']}", flush=True)

    gen = torch.Generator().manual_seed(args.seed + state["epoch"])
    while state["epoch"] < len(sizes) and state["stale"] < args.patience:
        size = sizes[state["epoch"]]
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
            x = normalise(augment(resize_batch(train_x[idx], size), gen)).to(device)
            y = train_y[idx].to(device)
            loss = F.cross_entropy(net(x), y, weight=weights.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        val_loss, val_acc, val_auc = evaluate(net, val_x, val_y, size, weights, 64)
        state["epoch"] += 1
        entry = {
            "epoch": state["epoch"],
            "size": size,
            "lr": lr,
            "train_loss": total / seen,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "val_auc": val_auc,
            "seconds": time.time() - t0,
        }
        state["history"].append(entry)
        print(json.dumps(entry), flush=True)
        # Losses at different sizes are not comparable: early stopping and
        # "best" count only from the first epoch at the final size.
        final_size = size == sizes[-1]
        if final_size and val_loss < state["best_loss"]:
            state["best_loss"], state["stale"] = val_loss, 0
            torch.save({"model": net.state_dict(), "entry": entry}, args.work / "best.pt")
        elif final_size:
            state["stale"] += 1
        torch.save(
            {"model": net.state_dict(), "optimizer": opt.state_dict(), "state": state, "rng": torch.get_rng_state()},
            args.work / "last.pt",
        )
    print("done", json.dumps(state["history"][-1] if state["history"] else {}), flush=True)


if __name__ == "__main__":
    main()
