"""The breeds recipe of 02_pets' `#| cuda` cell on the GPU, against the chapter's first recipe, over many training seeds.

Chapter 2's cuda cell trains 37 breeds in bfloat16 on the GPU and asks for the issue's bar, error <= 0.20 on the
mirror's 74 validation photos. With the chapter's first recipe it gave 0.216 on an H200, and this script found that
recipe met the bar in only 3 of 6 runs (bench/results/breeds_gpu.json: fp32 and bf16, training seeds 42, 0 and 1; run
with `RECIPE=first RUNS=42:fp32,0:bf16,0:fp32,1:bf16,1:fp32,42:bf16`, the recipe then called `chapter`). The CPU
search for more margin (bench/README.md, "Searching for a breeds recipe with more margin") replaced it:

- `chapter`: the head for 16 epochs at 1e-2 with weight decay 0.5, then everything for 3 epochs at slice(1e-5, 5e-4),
  the body's batchnorm layers kept frozen (`unfreeze(freeze_bn=True)`): the chapter's recipe since 2026-12-05;
- `first`: the chapter's first recipe, the head for 8 epochs, then everything, batchnorm included, at the same rates;
- `wd`: as `chapter`, but with the body's batchnorm trained after unfreezing.

By default it runs `chapter` and `first` in bf16 for training seeds 0 to 9 (20 runs, about 3.5 minutes on a warm
H200: 6 to 7 s a run for `first`, about 10 s for `chapter`) and writes every result to `$OUT/breeds_gpu.json` as it
goes (the device tool brings $OUT back). With the pets bundle (tools/gpu_bundle.py pets) carried to a lent GPU:

    python3 -m pip install -q --no-index --no-deps --target /tmp/site .carry/whl/*.whl
    PYTHONPATH=/tmp/site:$PWD FASTCOURSE_MIRROR=$PWD/.carry/data python3 bench/breeds_gpu.py

`RECIPE=chapter,wd` picks recipes; `RUNS=2:fp32,3:bf16` names the runs (training seed:precision); `QUICK=1` runs one
seed for one epoch each, to try it on a CPU; `LINEAR_HEAD=1` trains a head with no hidden layer. Without a GPU it
runs on the CPU, where bf16 is a no-op. Results so far (recipe `first`): bench/results/breeds_gpu.json (the H200),
breeds_cpu.json and breeds_cpu-linear_head.json.
"""
import json, os, sys, time, torch
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from breeds_recipes import BASE, CHAPTER, breeds  # noqa: E402  the recipe itself, shared with the CPU search

RECIPES = dict(chapter=CHAPTER, first={}, wd=CHAPTER | dict(freeze_bn=0))  # changes to BASE
quick = os.environ.get('QUICK') == '1'
dev = 'cuda' if torch.cuda.is_available() else 'cpu'
res = []
runs = [(s, 'bf16') for s in range(10)]
recipes = os.environ.get('RECIPE', 'chapter,first').split(',')
if unknown := set(recipes) - set(RECIPES): raise SystemExit(f"Unknown recipe {unknown}: use {', '.join(RECIPES)}.")
if os.environ.get('RUNS'):  # e.g. RUNS=2:fp32,3:fp32 (training seed:precision)
    runs = [(int(r.split(':')[0]), r.split(':')[1]) for r in os.environ['RUNS'].split(',')]
lin_ftrs = [] if os.environ.get('LINEAR_HEAD') == '1' else None  # LINEAR_HEAD=1: no hidden layer in the head
for recipe, (seed, prec) in [(r, x) for r in recipes for x in (runs[:1] if quick else runs)]:
    t = time.time()
    kw = BASE | RECIPES[recipe] | (dict(frozen_epochs=1, epochs=1) if quick else {})
    r = breeds(seed, **kw, device=dev, bf16=prec == 'bf16', lin_ftrs=lin_ftrs)
    res.append(dict(recipe=recipe, train_seed=seed, precision=prec, frozen_error=r['frozen_error'], error=r['error'],
                    valid_loss=r['valid_loss'], seconds=round(time.time() - t, 1), device=str(dev),
                    head='linear' if lin_ftrs == [] else 'default'))
    print(res[-1], flush=True)
    with open(os.path.join(os.environ.get('OUT', '/tmp'), 'breeds_gpu.json'), 'w') as f: json.dump(res, f, indent=1)
