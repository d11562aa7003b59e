"""Variants of the 37-breed recipe over several training seeds, end to end, to find one with more margin under 0.20.

Chapter 2's first breeds recipe (`BASE`: pretrained efficientnet_lite0 at 224 px, the head for 8 epochs at 1e-2, then
everything for 3 epochs at slice(1e-5, 5e-4)) met the issue's bar of 0.20 on the mirror's 74 validation photos in
every CPU run it first had, but on a GPU only in 3 of 6 (bench/results/breeds_gpu.json). One photo is 0.0135 of
error, so the bar needs a recipe whose errors sit well under it over many seeds, not one lucky seed. Each run is
`BASE` with some settings changed:

    python bench/breeds_recipes.py --changes "ls=0.1" --seeds 2,3,4,5,6

Settings: `frozen_epochs`, `lr` (head), `epochs` (unfrozen), `lo_div` and `hi_div` (the unfrozen stage trains at
slice(lr/lo_div, lr/hi_div)), `ls` (label smoothing), `ps` (head dropout), `wd` (weight decay), `bs`, `freeze_bn`
(1: `unfreeze(freeze_bn=True)`, the body's batchnorm layers stay frozen, in eval mode, after unfreezing). Each run
appends to `$OUT/breeds_recipes.json` (default /tmp), so a long sweep can be stopped and read at any time.

The chapter now uses `BASE` with `CHAPTER`'s changes (16 head epochs at wd 0.5, the body's batchnorm frozen after
unfreezing), picked over training seeds 2 to 16: bench/README.md, "Searching for a breeds recipe with more margin".
"""
import json, os, time, torch
from fastcore.script import call_parse
from fastcourse.callback import error_rate
from fastcourse.data import get_image_files
from fastcourse.image_data import ImageDataLoaders
from fastcourse.external import URLs, untar_data
from fastcourse.augment import aug_transforms
from fastcourse.transforms import Resize
from fastcourse.tta import LabelSmoothingCrossEntropy
from fastcourse.vision import vision_learner

BASE = dict(frozen_epochs=8, lr=1e-2, epochs=3, lo_div=1000, hi_div=20, ls=0., ps=0.5, wd=None, bs=32, freeze_bn=0,
            wd_bn_bias=1)  # weight decay on batchnorm and biases too: every recorded run had it (the default until 2026-12-06)
CHAPTER = dict(frozen_epochs=16, wd=0.5, freeze_bn=1)  # the changes to `BASE` that chapter 2 uses since 2026-12-05

def train_breeds(seed:int, frozen_epochs, lr, epochs, lo_div, hi_div, ls, ps, wd, bs, freeze_bn, wd_bn_bias,
                 device=None, bf16:bool=False, lin_ftrs=None) -> tuple:
    "Train the breeds classifier with these settings from training seed `seed` (the validation split is always seed 42's): the learner and its errors and losses."
    torch.manual_seed(seed)
    path = untar_data(URLs.PETS)/'images'
    dls = ImageDataLoaders.from_name_re(path, get_image_files(path), r'^(.+)_\d+\.jpg$', valid_pct=0.2, seed=42, device=device,
                                        item_tfms=Resize(460), batch_tfms=aug_transforms(size=224, min_scale=0.75), bs=bs)
    learn = vision_learner(dls, 'efficientnet_lite0', metrics=error_rate, train_bn=False, ps=ps, wd=wd, lin_ftrs=lin_ftrs,
                           wd_bn_bias=bool(wd_bn_bias),
                           loss_func=LabelSmoothingCrossEntropy(ls) if ls else None)
    if bf16: learn.to_bf16()
    learn.remove_cb(learn.progress)  # the results go to the JSON file
    learn.freeze(); learn.fit_one_cycle(frozen_epochs, lr)
    frozen, frozen_loss = learn.recorder.final('error_rate'), learn.recorder.final('valid_loss')
    if epochs:
        learn.unfreeze(freeze_bn=bool(freeze_bn))  # freeze_bn: the body's batchnorm keeps ImageNet's statistics and weights
        learn.fit_one_cycle(epochs, slice(lr / lo_div, lr / hi_div), pct_start=0.3, div=5)
    return learn, dict(frozen_error=round(frozen, 4), error=round(learn.recorder.final('error_rate'), 4),
                       frozen_valid_loss=round(frozen_loss, 4), valid_loss=round(learn.recorder.final('valid_loss'), 4))

def breeds(seed:int, **kw) -> dict:
    "The errors and losses of `train_breeds(seed, **kw)`."
    return train_breeds(seed, **kw)[1]

@call_parse
def main(changes:str='', # settings that differ from `BASE`, e.g. "ls=0.1,frozen_epochs=12"
         seeds:str='2,3,4', # training seeds, comma-separated
):
    "Run the breeds recipe `BASE` with `changes` once per training seed; append each result to breeds_recipes.json."
    kw = dict(BASE)
    for c in filter(None, changes.split(',')):
        k, v = c.split('=')
        if k not in kw: raise SystemExit(f"Unknown setting {k!r}; the settings are {', '.join(kw)}.")
        kw[k] = None if v == 'None' else type(BASE[k] if BASE[k] is not None else 0.)(v)
    fn = os.path.join(os.environ.get('OUT', '/tmp'), 'breeds_recipes.json')
    for s in map(int, seeds.split(',')):
        t = time.time()
        r = dict(changes=changes or 'none (BASE)', train_seed=s, **breeds(s, **kw), seconds=round(time.time() - t, 1))
        print(r, flush=True)
        res = json.load(open(fn)) if os.path.exists(fn) else []
        with open(fn, 'w') as f: json.dump(res + [r], f, indent=1)
