#!/usr/bin/env python3
"""Builds the out-of-range test set from public material that PyPI
packages ship (nothing is downloaded at run time), for `touchray render`
to count how many it refuses to call:

- `other_modality/`: CT, MR, nuclear medicine, ultrasound, secondary
  capture, segmentation and dose images from pydicom's test files (MIT);
- `not_medical/`: scikit-image's sample photographs and drawings (its
  data folder: public domain / CC0 / BSD, see skimage/data/README.txt);
- `patterns/`: test patterns made here (flat, ramp, noise, stripes,
  checkerboard);
- `chest_transformed/`: validation chest films (never trained on) turned
  upside down, rotated 90 degrees, and inverted (a MONOCHROME1 film shown
  without its inversion).

and `in_range/`, the same validation films untouched, for the share of
in-range films wrongly flagged.

    python models/tools/make_ood_set.py --data ../shared/data/kermany-224/train \\
        --split models/split.json --out models/work/ood
"""

import argparse
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pydicom
import skimage
from PIL import Image, ImageOps

DICOMS = [
    "CT_small.dcm", "693_J2KI.dcm", "J2K_pixelrep_mismatch.dcm", "MR_small.dcm", "examples_overlay.dcm",
    "JPEG2000.dcm", "examples_rgb_color.dcm", "examples_ybr_color.dcm", "examples_palette.dcm",
    "examples_jpeg2k.dcm", "image_dfl.dcm", "SC_rgb_jpeg.dcm", "SC_rgb_rle.dcm", "liver_1frame.dcm",
    "rtdose_1frame.dcm", "MR_small_RLE.dcm", "JPGExtended.dcm",
]
PHOTOS = [
    "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png", "coffee.png",
    "coins.png", "color.png", "grass.png", "gravel.png", "horse.png", "hubble_deep_field.jpg", "ihc.png",
    "logo.png", "microaneurysms.png", "moon.png", "motorcycle_left.png", "page.png", "phantom.png",
    "retina.jpg", "rocket.jpg", "text.png",
]


def patterns(out: Path):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:256, 0:256]
    images = {
        "flat_gray": np.full((256, 256), 128),
        "ramp": x,
        "noise": rng.integers(0, 256, (256, 256)),
        "stripes": (x // 16 % 2) * 255,
        "checkerboard": ((x // 32 + y // 32) % 2) * 255,
        "circle": ((x - 128) ** 2 + (y - 128) ** 2 < 80 ** 2) * 255,
    }
    for name, a in images.items():
        Image.fromarray(a.astype(np.uint8)).save(out / f"{name}.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--films", type=int, default=20, help="validation films per transformation")
    args = ap.parse_args()
    folders = {n: args.out / n for n in ("other_modality", "not_medical", "patterns", "chest_transformed", "in_range")}
    for f in folders.values():
        f.mkdir(parents=True, exist_ok=True)
    dicom_dir = Path(pydicom.__file__).parent / "data" / "test_files"
    for name in DICOMS:
        shutil.copy(dicom_dir / name, folders["other_modality"] / name)
    photo_dir = Path(skimage.__file__).parent / "data"
    for name in PHOTOS:
        shutil.copy(photo_dir / name, folders["not_medical"] / name)
    patterns(folders["patterns"])
    val = json.loads(args.split.read_text())["val"]
    rng = np.random.default_rng(1)
    films = [args.data / f for f in rng.choice(sorted(val), args.films, replace=False)]
    for f in films:
        with Image.open(f) as im:
            g = im.convert("L")
            stem = f.stem
            g.save(folders["in_range"] / f"{stem}.png")
            g.rotate(180).save(folders["chest_transformed"] / f"{stem}_upside_down.png")
            g.rotate(90, expand=True).save(folders["chest_transformed"] / f"{stem}_rot90.png")
            ImageOps.invert(g).save(folders["chest_transformed"] / f"{stem}_inverted.png")
    for name, folder in folders.items():
        print(name, len(os.listdir(folder)))


if __name__ == "__main__":
    main()
