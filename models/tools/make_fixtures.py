#!/usr/bin/env python3
"""Writes the preprocessing cross-check fixtures: a real radiograph as PNG
(cropped to a size that makes the resize do work) and the network input
Python makes of it. The Rust test must get the same tensor within 1e-5.

    models/.venv/bin/python models/tools/make_fixtures.py ../shared/data/kermany-224/train/PNEUMONIA/person1000_bacteria_2931.jpeg
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

import onnxruntime as ort

from preprocess import tensor

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "preprocess"


def main():
    source = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as im:
        gray = im.convert("L")
        # 201 x 187: the resize to 224 then stretches each axis differently.
        gray.crop((7, 11, 208, 198)).save(OUT / "chest.png")
    np.save(OUT / "chest_input.npy", tensor(OUT / "chest.png", 224))
    # The baseline model's answer on the same PNG, from onnxruntime: its
    # input is the gray image at 150 x 150 in [0, 1] on three channels.
    baseline = OUT.parent / "baseline"
    x = np.repeat(tensor_unit(OUT / "chest.png", 150), 3, axis=1)
    session = ort.InferenceSession(str(baseline / "am1codes_pneumonia_cnn_150.onnx"))
    p = float(session.run(None, {session.get_inputs()[0].name: x})[0].ravel()[0])
    (baseline / "reference.json").write_text(f'{{"chest.png": {p!r}}}\n')
    print("wrote", OUT / "chest.png", OUT / "chest_input.npy", baseline / "reference.json", p)


def tensor_unit(path, size):
    from preprocess import load_gray, resize_bilinear

    return resize_bilinear(load_gray(path), size)[None, None].astype(np.float32)


if __name__ == "__main__":
    main()
