#!/usr/bin/env python3
"""Runs `touchray render --json` on every file of the out-of-range test set
(make_ood_set.py) and counts the verdicts per folder: how many non-chest
images and transformed films are called out of range, and how many
untouched in-range films are wrongly flagged. The numbers come from the
appliance's own code path, not from Python.

    python models/tools/ood_report.py --touchray target/release/touchray \\
        --models models --set models/work/ood --out models/validation/out_of_range.json
"""

import argparse
import collections
import json
import subprocess
from pathlib import Path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--touchray", type=Path, required=True)
    ap.add_argument("--models", type=Path, required=True)
    ap.add_argument("--set", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    report = {}
    for folder in sorted(p for p in args.set.iterdir() if p.is_dir()):
        counts = collections.Counter()
        files = {}
        for f in sorted(folder.iterdir()):
            run = subprocess.run(
                [str(args.touchray), "render", str(f), "--json", "--models", str(args.models)],
                capture_output=True, text=True,
            )
            if run.returncode != 0:
                verdict = "refused"
                detail = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}"
            else:
                r = json.loads(run.stdout)
                verdict = r["verdict"] or "none"
                detail = {"p_pneumonia": r["p_pneumonia"], "ood_score": r["ood_score"]}
            counts[verdict] += 1
            files[f.name] = {"verdict": verdict, "detail": detail}
        read = sum(v for k, v in counts.items() if k != "refused")
        report[folder.name] = {
            "files": sum(counts.values()),
            "verdicts": dict(counts),
            "out_of_range_share_of_read": counts["out_of_range"] / read if read else None,
            "per_file": files,
        }
        print(folder.name, dict(counts), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
