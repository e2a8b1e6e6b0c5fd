#!/bin/sh
# Full-accuracy runs for docs/ML.md (not CI): mlp and vit-tiny on all of
# Fashion-MNIST with --threads 2 and seed 1, the 8-client personalization
# tables, and `apex bench train` three times.
# usage: tests/ml/scripts/accuracy.sh APEX_BIN OUT_DIR
set -eu
APEX=${1:-build/bin/apex}
OUT=${2:-runs}
HERE=$(dirname "$0")
mkdir -p "$OUT"
"$APEX" train --model mlp --out "$OUT/mlp.model" --threads 2 --json > "$OUT/mlp-train.jsonl"
"$APEX" train --model vit-tiny --out "$OUT/vit-tiny.model" --epochs 15 --threads 2 --json \
    > "$OUT/vit-tiny-train.jsonl"
tail -n 1 "$OUT/mlp-train.jsonl"
tail -n 1 "$OUT/vit-tiny-train.jsonl"
for m in mlp vit-tiny; do
    python3 "$HERE/pers_table.py" "$APEX" "$OUT/$m.model" "$OUT/pers-$m" 8 --exclude 9 --threads 2 \
        | tee "$OUT/pers-$m.md"
done
for i in 1 2 3; do
    "$APEX" bench train --model vit-tiny --threads 2 --json
done | tee "$OUT/bench-vit-tiny.jsonl"
