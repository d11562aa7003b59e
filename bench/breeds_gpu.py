"""The chapter's breeds recipe (02_pets' `#| cuda` cell) on the GPU, fp32 vs bf16, over three training seeds.

Chapter 2's cuda cell trains 37 breeds in bfloat16 on the GPU and asks for the issue's bar, error <= 0.20 on the
mirror's 74 validation photos. On an H200 it gave 0.216, so this script asks whether bf16 or the GPU's other random
numbers moved it: each run writes its result to `$OUT/breeds_gpu.json` (the device tool brings $OUT back). Ran with
the pets bundle's wheels and archive (tools/gpu_bundle.py pets) on the lent machine:

    PYTHONPATH=/tmp/site:$PWD FASTCOURSE_MIRROR=$PWD/.carry/data python3 bench/breeds_gpu.py

`QUICK=1` runs one seed for one epoch each, to try it on a CPU; `RUNS=2:fp32,3:fp32` names the runs (training seed:
precision); `LINEAR_HEAD=1` trains a head with no hidden layer. Without a GPU it runs on the CPU, where bf16 is a
no-op. Results: bench/results/breeds_gpu.json (the H200), breeds_cpu.json and breeds_cpu-linear_head.json.
"""
import json, os, time, torch
from fastcourse.callback import error_rate
from fastcourse.data import ImageDataLoaders, get_image_files
from fastcourse.external import URLs, untar_data
from fastcourse.transforms import Resize, aug_transforms
from fastcourse.vision import vision_learner

quick = os.environ.get('QUICK') == '1'
dev = 'cuda' if torch.cuda.is_available() else 'cpu'
path = untar_data(URLs.PETS)/'images'
pat, res = r'^(.+)_\d+\.jpg$', []
runs = [(42, 'fp32'), (0, 'bf16'), (0, 'fp32'), (1, 'bf16'), (1, 'fp32'), (42, 'bf16')]
if os.environ.get('RUNS'):  # e.g. RUNS=2:fp32,3:fp32 (training seed:precision)
    runs = [(int(r.split(':')[0]), r.split(':')[1]) for r in os.environ['RUNS'].split(',')]
lin_ftrs = [] if os.environ.get('LINEAR_HEAD') == '1' else None  # LINEAR_HEAD=1: no hidden layer in the head
for seed, prec in runs[:1] if quick else runs:
    t = time.time(); torch.manual_seed(seed)
    dls = ImageDataLoaders.from_name_re(path, get_image_files(path), pat, valid_pct=0.2, seed=42, item_tfms=Resize(460),
                                        batch_tfms=aug_transforms(size=224, min_scale=0.75), bs=32, device=dev)
    learn = vision_learner(dls, 'efficientnet_lite0', metrics=error_rate, train_bn=False, lin_ftrs=lin_ftrs)
    if prec == 'bf16': learn.to_bf16()
    learn.freeze(); learn.fit_one_cycle(1 if quick else 8, 1e-2)
    frozen = learn.recorder.final('error_rate')
    learn.unfreeze(); learn.fit_one_cycle(1 if quick else 3, slice(1e-2 / 1000, 1e-2 / 20), pct_start=0.3, div=5)
    res.append(dict(train_seed=seed, precision=prec, frozen_error=round(frozen, 4), error=round(learn.recorder.final('error_rate'), 4),
                    valid_loss=round(learn.recorder.final('valid_loss'), 4), seconds=round(time.time() - t, 1), device=str(dev),
                    head='linear' if lin_ftrs == [] else 'default'))
    print(res[-1], flush=True)
    with open(os.path.join(os.environ.get('OUT', '/tmp'), 'breeds_gpu.json'), 'w') as f: json.dump(res, f, indent=1)
