#!/usr/bin/env bash
# Run one part of the GPU checks on a lent GPU machine (no network; see tools/gpu_bundle.py and bench/README.md).
#
#   here:   python tools/gpu_bundle.py PART           fills .carry/ (archives + wheels) for PART
#   there:  tools/gpu_run.sh PART                      with .carry carried; logs and results go to $OUT
#
# PART: pets    02_pets.ipynb (its `#| cuda` cell included) and 02l_interpret on the GPU
#       tables  02a_learner, 02d_callbacks, 02e_training, 02f_inference, 02j_cpu_memory, 02k_saving, 05_tabular, 05a_tabular_data,
#               05b_tabular_loaders and 06_collab on the GPU, `#| cuda` cells included
#       data    01_data_loading, 01b_transforms, 01c_data_core, 01d_show, 01e_image_data, 01f_augment and 07_sgd_from_scratch on the GPU
#       vision  02b_models, 03_segmentation and 08_tta on the GPU
#       bench   bench/bench_train.py pets_224: fastai vs fastcourse vs the bare loop, bf16, channels-last, images/s
#
# To try it on this machine first (no GPU; cuda cells skipped): bundle for this Python with
# GPU_BUNDLE_PYTHON=3.11, then PYTHON=<a python with torch but not fastcore> FASTCOURSE_TEST_FLAGS= tools/gpu_run.sh
# PART (for bench: BENCH_DEVICE=cpu BENCH_ARGS='--limit-batches 2').
set -uo pipefail
cd "$(dirname "$0")/.."
part=${1:-}
case "$part" in pets|tables|data|vision|bench) ;; *) echo "usage: tools/gpu_run.sh pets|tables|data|vision|bench" >&2; exit 2 ;; esac
have=$(cat .carry/part 2>/dev/null || echo nothing)
if [ "$have" != "$part" ]; then
  echo ".carry holds '$have', not '$part': run 'python tools/gpu_bundle.py $part' before carrying it" >&2; exit 2
fi
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}

# the carried wheels beside the machine's own packages (torch, numpy, pandas, pytest, ...)
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .carry/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH} PATH=/tmp/site/bin:$PATH
export FASTCOURSE_MIRROR=$PWD/.carry/data FASTCOURSE_HOME=/tmp/fastcourse-home MPLBACKEND=Agg PYTHONUNBUFFERED=1

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo 'no nvidia-smi'
  "$PY" -c "import torch, torchvision, fastcore; print('torch', torch.__version__, 'torchvision', torchvision.__version__,
'fastcore', fastcore.__version__, 'cuda', torch.cuda.is_available() and torch.cuda.get_device_name())"
  nproc; } 2>&1 | tee "$OUT/machine.txt"

case "$part" in
  pets|tables|data|vision)  # the part's notebooks (tools/gpu_bundle.py PARTS), with their cuda cells; each one
          # that passes comes back executed (nbdev-test --save), its printed figures and plots in it.
          # PYTEST_ADDOPTS='-n 3' runs them side by side (pytest-xdist, on the GPU machines' image)
          FASTCOURSE_TEST_FLAGS=${FASTCOURSE_TEST_FLAGS-cuda} FASTCOURSE_NBDEV_TEST_ARGS='--save --cell-timing-min 10' \
            "$PY" -m pytest -q -rP -p no:cacheprovider tests/test_notebooks.py -k "$(cat .carry/notebooks)" 2>&1 | tee "$OUT/$part.log"
          find nbs -maxdepth 1 -name '*.ipynb' -newer "$OUT/machine.txt" -exec cp {} "$OUT/" \; ;;
  bench)  n=$(nproc); w=$(( n > 8 ? 8 : n ))
          "$PY" bench/bench_train.py --task pets_224 --device "${BENCH_DEVICE:-cuda}" --precision bf16 --channels-last \
            --contenders fastai,fastcourse,bare_cl --workers "$w" --threads "$w" --results-dir "$OUT" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log" ;;
esac
