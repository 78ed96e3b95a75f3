#!/usr/bin/env bash
# Run every shipped data recipe (not the trainer's validate_*, not the LLM ones that need a
# server) on the local and the Ray engine into OUT/<engine>/<recipe>, for compare_runs.py.
#   benchmarks/snapshot_recipes.sh PYTHON OUT [SRC]   (SRC: the checkout to run; default .)
# The big iGSM recipe is cut to 20000 solutions (--set sources.0.limit=20000) in every run.
set -euo pipefail
PY=$1; OUT=$2; SRC=${3:-.}
export PYTHONPATH=$(cd "$SRC" && pwd)
mkdir -p "$OUT"
cd "$SRC"
for engine in local ray; do
  for r in quickstart gsm8k_retry math_retry mixture_pretrain igsm_paper; do
    extra=()
    [ "$r" = igsm_paper ] && extra=(--set sources.0.limit=20000)
    "$PY" -m errsynth.cli run "recipes/$r.yaml" -o "$OUT/$engine/$r" --engine "$engine" \
      --force "${extra[@]}" > "$OUT/$engine-$r.log" 2>&1 || { echo "FAILED $engine $r"; tail -5 "$OUT/$engine-$r.log"; }
    echo "$engine $r done"
  done
done
