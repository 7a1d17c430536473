#!/usr/bin/env bash
# Contact sheets for checking the anatomy view on many films: film |
# segmentation | pins, one cell per film, plus the per-view legibility
# numbers. Any folder of scans (searched recursively).
#
#   scripts/contact-sheet.sh FOLDER SHEET.png [--limit N] [--offset F] [--columns C] [--compact]
#
# e.g. scripts/contact-sheet.sh ../shared/data/kermany-224/train/NORMAL normal.png --limit 100
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 FOLDER SHEET.png [--limit N] [--offset F] [--columns C] [--compact]" >&2; exit 2; }
folder=$1 sheet=$2
shift 2
cargo run --locked --quiet --release --example contact_sheet -- "$folder" --out "$sheet" "$@"
