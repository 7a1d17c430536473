#!/usr/bin/env python3
"""Lays out one side of the training split as a folder `touchray eval` reads
(NORMAL/ and PNEUMONIA/ of symbolic links to the original files).

    python models/tools/split_folder.py --data ../shared/data/kermany-224/train \\
        --split models/work/split.json --side val --out models/work/val
"""

import argparse
import json
from pathlib import Path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--side", choices=("train", "val"), default="val")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    files = json.loads(args.split.read_text())[args.side]
    for name in files:
        link = args.out / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to((args.data / name).resolve())
    print(f"{len(files)} files under {args.out}")


if __name__ == "__main__":
    main()
