#!/usr/bin/env bash
# Benchmarks: fastcourse against fastai 2.8.12 and a bare PyTorch loop (see bench/README.md).
#   bench/run.sh                      vision training (bench_train.py), both tasks, results in bench/results/<task>.json
#   bench/run.sh --task pets_128      one task; any other bench_train.py option passes through
#   bench/run.sh tabular [options]    tables and collaborative filtering (bench_tabular.py)
#   bench/run.sh tta [options]        chapter 8's recipe: MixUp, label smoothing, then tta (bench_tta.py)
#   bench/run.sh segmentation [opts]  chapter 3's U-Net on CamVid tiny (bench_segmentation.py)
#   bench/run.sh points [options]     chapter 1k's key points: where is the digit? (bench_points.py)
#   bench/run.sh text [options]       chapter 4's AWD-LSTM language model and classifier on IMDB_SAMPLE (bench_text.py)
#   bench/run.sh memory [options]     the pets recipe with and without the CPU memory cache (bench_memory.py)
#   bench/run.sh quality [options]    the pets recipe's error rates over training seeds, and from scratch (pets_quality.py)
#   bench/run.sh optim [options]      chapter 7a's optimisers against fastai's, on threes and sevens (bench_optim.py)
#   bench/run.sh all                  every one of the above with its recorded settings, one after the other, so every file
#                                     in bench/results/ comes from one commit and sitting (hours: on 2026-12-03 the first three
#                                     scripts alone took 31 minutes on the 2-core CI machine)
# Installs the `bench` extra (fastai==2.8.12) into the venv when fastai is missing. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${FASTCOURSE_VENV:-.venv}
[ -x "$VENV/bin/python" ] || ./course.sh setup
"$VENV/bin/python" -c "import fastai" 2>/dev/null || "$VENV/bin/python" -m pip install -q -e ".[bench]"

# Offline machines take the datasets from the mirror folder beside the repo, as course.sh does.
if [ -z "${FASTCOURSE_MIRROR:-}" ] && [ -d ../shared/data ]; then
  FASTCOURSE_MIRROR=$(cd ../shared/data && pwd); export FASTCOURSE_MIRROR
fi

if [ "${1:-}" = all ]; then
  [ $# -eq 1 ] || { echo "bench/run.sh all takes no options: it runs every benchmark with its recorded settings." >&2; exit 2; }
  py() { echo; echo "##### bench/$*  ($(date -u +%H:%M:%S) UTC)"; "$VENV/bin/python" "bench/$@"; }
  py bench_train.py
  py bench_tabular.py
  for seed in 42 1 2; do py bench_tta.py --seed $seed; done
  for seed in 42 1 2; do py bench_segmentation.py --seed $seed; done
  py bench_points.py
  py bench_text.py
  py bench_memory.py
  py pets_quality.py
  py bench_optim.py
  echo "##### done ($(date -u +%H:%M:%S) UTC)"
  exit 0
fi

script=bench_train.py
case "${1:-}" in
  tabular) script=bench_tabular.py; shift ;;
  tta)     script=bench_tta.py; shift ;;
  segmentation) script=bench_segmentation.py; shift ;;
  points)  script=bench_points.py; shift ;;
  text)    script=bench_text.py; shift ;;
  memory)  script=bench_memory.py; shift ;;
  quality) script=pets_quality.py; shift ;;
  optim)   script=bench_optim.py; shift ;;
esac
exec "$VENV/bin/python" "bench/$script" "$@"
