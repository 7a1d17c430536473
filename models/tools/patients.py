"""The patient-level split of the Kermany training folder.

Kermany file names carry the patient: `person123_bacteria_456.jpeg` and
`person123_virus_789.jpeg` are one child; `IM-0115-0001.jpeg` and
`IM-0115-0002.jpeg` are one child, and `NORMAL2-IM-0115-0001.jpeg` another
(the NORMAL2 series numbers its patients on its own). No patient may stand
on two sides of a split, so the split draws patients, not files.

Three sides, stratified by class and seeded:
- `train`: the network learns from these;
- `tune`: picks the checkpoint and fits everything fitted after training
  (temperature, uncertain band, out-of-range threshold);
- `val`: only reported, never tuned on.
"""

import random
import re
from pathlib import Path

CLASSES = ("NORMAL", "PNEUMONIA")
_PATIENT = re.compile(r"^(person\d+|(?:NORMAL2-)?IM-\d+)[_-]")


def patient(name: str) -> str:
    """The patient a Kermany file name belongs to."""
    m = _PATIENT.match(name)
    if not m:
        raise ValueError(f"{name}: no patient in this file name")
    return m.group(1)


def split(data: Path, fractions=(("tune", 0.10), ("val", 0.15)), seed: int = 20261129):
    """{"train": [(path, label)], "tune": [...], "val": [...]}, by patient."""
    rng = random.Random(seed)
    sides = {"train": []} | {name: [] for name, _ in fractions}
    for label, cls in enumerate(CLASSES):
        files = sorted(p for p in (data / cls).iterdir() if p.suffix.lower() in (".jpeg", ".jpg", ".png"))
        by_patient = {}
        for f in files:
            by_patient.setdefault(patient(f.name), []).append(f)
        patients = sorted(by_patient)
        rng.shuffle(patients)
        start = 0
        for name, fraction in fractions:
            n = round(len(patients) * fraction)
            for p in patients[start : start + n]:
                sides[name] += [(f, label) for f in by_patient[p]]
            start += n
        for p in patients[start:]:
            sides["train"] += [(f, label) for f in by_patient[p]]
    seen = {}
    for name, items in sides.items():
        for f, _ in items:
            other = seen.setdefault(patient(f.name), name)
            assert other == name, f"patient {patient(f.name)} on both {other} and {name}"
    return sides


def as_json(sides, seed: int) -> dict:
    """The split as models/split.json stores it: side -> ["CLASS/file", ...]."""
    out = {"seed": seed, "by": "patient"}
    for name, items in sides.items():
        out[name] = [f"{CLASSES[label]}/{f.name}" for f, label in items]
    return out
