"""The classifier's preprocessing, shared by training, export, quantisation
and the cross-check against the Rust side (src/infer/classifier.rs must
give the same tensor within 1e-5 for a PNG)."""

from pathlib import Path

import numpy as np
from PIL import Image

#: Label order of the classifier's outputs.
CLASSES = ("NORMAL", "PNEUMONIA")
#: ImageNet channel statistics, applied to the grayscale replicated 3 times.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def load_gray(path: Path) -> np.ndarray:
    """8-bit grayscale (Pillow's ITU-R 601-2 luma for colour files) in [0, 1]."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / 255.0


def resize_bilinear(gray: np.ndarray, size: int) -> np.ndarray:
    """Pillow's bilinear resize (antialiased when shrinking), computed in
    float32 so that nothing is rounded to 8 bits on the way."""
    if gray.shape == (size, size):
        return gray.astype(np.float32)
    im = Image.fromarray(gray.astype(np.float32), mode="F")
    return np.asarray(im.resize((size, size), Image.BILINEAR), dtype=np.float32)


def tensor(path: Path, size: int = 224) -> np.ndarray:
    """The 1 x 3 x size x size network input for the image at `path`."""
    g = resize_bilinear(load_gray(path), size)
    x = np.repeat(g[None, None], 3, axis=1)
    mean = np.array(MEAN, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(STD, dtype=np.float32).reshape(1, 3, 1, 1)
    return ((x - mean) / std).astype(np.float32)
