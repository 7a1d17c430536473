#!/usr/bin/env bash
# Links, in a new folder, to the films of FOLDER that no earlier contact-
# sheet set has shown: a judging set for a folder whose evenly spaced sets
# (`--limit N --offset F` of scripts/contact-sheet.sh) all share films
# with the sets the anatomy was tuned or judged on. SETS lists them as
# LIMIT:OFFSET; the indices are the contact sheet's own, on the folder's
# files sorted by name (byte order).
#
#   scripts/unused-films.sh FOLDER OUT_FOLDER [SETS...]
#
# e.g. scripts/unused-films.sh ../shared/data/kermany-224/train/NORMAL /tmp/unused-normal
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 FOLDER OUT_FOLDER [LIMIT:OFFSET...]" >&2; exit 2; }
folder=$(cd "$1" && pwd) out=$2
shift 2
sets=("$@")
# Without SETS: the sets the README's reviews took from both Kermany
# folders. (The pneumonia folder's tuning and later judging sets, 120:0.15,
# 40:0.15, 120:0.55, 120:0.35, 120:0.65, 120:0.85, 120:0.95 and 120:0.05,
# were taken from it alone: pass them for it. The 205 normal films this
# gives were the tenth set's normal films. The sixteenth pneumonia set is
# 120:0.5 of the folder that the pneumonia sets give: pass it to a second
# run on that folder; the seventeenth is 120:0.5 of the folder that second
# run gives: pass it to a third.)
[ ${#sets[@]} -gt 0 ] || sets=(40:0.5 150:0 150:0.25 150:0.5 150:0.75 120:0.1 50:0.75
    120:0.3 24:0.5 120:0.7 120:0.9)
[ ! -e "$out" ] || { echo "$out already exists" >&2; exit 1; }
mkdir -p "$out"
(cd "$folder" && find . -maxdepth 1 \( -type f -o -type l \) -printf '%f\n' | LC_ALL=C sort) |
    awk -v sets="${sets[*]}" '
        { name[NR - 1] = $0 }
        END {
            n = NR
            split(sets, list, " ")
            for (s in list) {
                split(list[s], p, ":")
                step = n / p[1]
                for (i = 0; i < p[1]; i++) used[int((i + p[2]) * step) % n] = 1
            }
            for (k = 0; k < n; k++) if (!(k in used)) print name[k]
        }' |
    while IFS= read -r file; do ln -s "$folder/$file" "$out/$file"; done
echo "$(ls "$out" | wc -l) films linked in $out"
