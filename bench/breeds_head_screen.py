"""Screen settings of the breeds recipe's head-only stage over many seeds in seconds, on cached features.

While the body is frozen its batchnorm layers are in eval mode, so the head sees a fixed function of the augmented
photos. This script runs the frozen body once over `--passes` real augmented passes of the training set (the
chapter's loader: Resize(460), aug_transforms(size=224, min_scale=0.75), bs 32) and over the validation set, keeps the
pooled features, and then trains fresh heads on them with our `Learner` and `fit_one_cycle`: each epoch is one cached
pass drawn at random. A run takes about 1.5 s instead of about 80 s, so each setting gets 20 seeds, not 3. It screens,
it does not decide: what it picks is then run end to end (bench/breeds_recipes.py).

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/breeds_head_screen.py

Writes bench/results/breeds_head_screen.json: for each setting, and each block of seeds it ran on, the mean and worst
error. `SETTINGS` run on seeds 0 to 19; `CHECKS`, the best of them and the chapter's, on seeds 100 to 119 too.
"""
import json, random, sys, time, torch
from pathlib import Path
from torch import nn
from fastcore.script import call_parse
from fastcourse.callback import MixedPrecision, error_rate
from fastcourse.data import get_image_files
from fastcourse.image_data import ImageDataLoaders
from fastcourse.data_core import DataLoaders
from fastcourse.external import URLs, untar_data
from fastcourse.learner import Learner
from fastcourse.augment import aug_transforms
from fastcourse.transforms import Resize
from fastcourse.tta import LabelSmoothingCrossEntropy
from fastcourse.vision import create_head, vision_learner

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

SETTINGS = [{}, dict(epochs=16), dict(epochs=24), dict(epochs=4), dict(lr=3e-3), dict(lr=3e-2), dict(ps=0.25), dict(ps=0.8),
            dict(lin_ftrs=[]), dict(lin_ftrs=[1024]), dict(wd=0.1), dict(wd=0.5), dict(ls=0.1), dict(pool='avg'),
            dict(pool='max'), dict(pool='avg', lin_ftrs=[]), dict(lr=3e-3, wd=0.5), dict(epochs=16, wd=0.5),
            dict(epochs=16, lr=3e-3), dict(epochs=16, lr=3e-3, wd=0.5), dict(epochs=12, wd=0.5), dict(epochs=16, wd=1.0),
            dict(epochs=24, wd=0.5), dict(epochs=16, lr=5e-3, wd=0.3), dict(epochs=16, wd=0.5, ps=0.8)]  # on seeds 0-19
CHAPTER = [{}, dict(epochs=16, wd=0.5), dict(epochs=16, wd=0.5, wd_bn_bias=True)]  # --chapter-only: the chapter's settings
CHECKS = [{}, dict(epochs=12, wd=0.5), dict(epochs=16, wd=0.5), dict(epochs=16, wd=1.0), dict(epochs=12, wd=1.0)]  # and on 100-119

def cache_features(passes:int, bf16:bool=False) -> dict:
    """The frozen body's pooled features of `passes` augmented passes over the training set, and of the validation set.
    With `bf16`, also those of the same batches under CPU bfloat16 autocast, as `res['bf16']`."""
    torch.manual_seed(0)
    path = untar_data(URLs.PETS)/'images'
    dls = ImageDataLoaders.from_name_re(path, get_image_files(path), r'^(.+)_\d+\.jpg$', valid_pct=0.2, seed=42,
                                        item_tfms=Resize(460), batch_tfms=aug_transforms(size=224, min_scale=0.75), bs=32)
    model = vision_learner(dls, 'efficientnet_lite0', train_bn=False).model  # adds the normalisation to the batches
    body, pool = model[0].eval(), model[1][:2]  # the head starts with concat pooling and flattening
    def feats(dl):
        f32, f16 = [], []
        for x, y in dl:
            f32.append((pool(body(x)), y))
            if bf16:
                with torch.autocast('cpu', dtype=torch.bfloat16): f16.append((pool(body(x)), y))
        return f32, f16
    with torch.no_grad(): trn, val = [feats(dls.train) for _ in range(passes)], feats(dls.valid)
    nf = val[0][0][0].shape[1] // 2  # concat pooling doubles the body's features
    res = dict(passes=[p for p, _ in trn], valid=val[0], nf=nf)
    return res | (dict(bf16=dict(passes=[p for _, p in trn], valid=val[1], nf=nf)) if bf16 else {})

class _Batches:
    "A stand-in for a `DataLoader` that yields `n` cached batches, `pick()` choosing which list each epoch."
    def __init__(self, pick, n:int): self.pick, self.n, self.device = pick, n, torch.device('cpu')
    def __len__(self): return self.n
    def __iter__(self): yield from self.pick()

def train_head(feats:dict, seed:int, epochs:int=8, lr:float=1e-2, ps:float=0.5, lin_ftrs=None, wd=None, ls:float=0.,
               pool:str='concat', bf16:bool=False, wd_bn_bias:bool=False) -> tuple:
    """Validation error and loss of a fresh head trained like the chapter's frozen stage, `fit_one_cycle(epochs, lr)`;
    with `bf16`, under bfloat16 autocast, as `to_bf16()` trains on a GPU."""
    nf = feats['nf']
    cols = dict(concat=slice(None), max=slice(0, nf), avg=slice(nf, None))[pool]  # concat pooling puts max first, then average
    pick = lambda bs: [(x[:, cols], y) for x, y in bs]
    rng = random.Random(seed); torch.manual_seed(seed)
    trn = _Batches(lambda: pick(feats['passes'][rng.randrange(len(feats['passes']))]), len(feats['passes'][0]))
    head = create_head(nf, 37, lin_ftrs, ps, concat_pool=pool == 'concat')[2:]  # without the pooling: the features are pooled already
    for m in head.modules():
        if isinstance(m, nn.Linear): nn.init.kaiming_normal_(m.weight)  # as create_vision_model does
    learn = Learner(DataLoaders(trn, _Batches(lambda: pick(feats['valid']), len(feats['valid']))), head, metrics=error_rate, wd=wd,
                    wd_bn_bias=wd_bn_bias, loss_func=LabelSmoothingCrossEntropy(ls) if ls else nn.CrossEntropyLoss())
    learn.remove_cb(learn.progress)
    if bf16: learn.add_cb(MixedPrecision(torch.bfloat16))  # `to_bf16()` itself declines to run off CUDA
    learn.fit_one_cycle(epochs, lr)
    return learn.recorder.final('error_rate'), learn.recorder.final('valid_loss')

@call_parse
def main(passes:int=12, # augmented passes over the training set to cache
         seeds:int=20, # seeds per block
         check_seed:int=100, # first seed of the block that checks `CHECKS`, the settings picked on seeds 0 onwards
         out:str='bench/results/breeds_head_screen.json', # where to write the results
         chapter_only:bool=False): # only the chapter's first and current head settings, on both blocks of seeds
    "Train heads with each setting of `SETTINGS` on seeds 0 onwards, and of `CHECKS` on `check_seed` onwards; write their errors."
    torch.set_num_threads(2)
    t = time.time(); feats = cache_features(passes); cached_s = time.time() - t
    res = []
    todo = [(s, b) for s in SETTINGS for b in [0]] + [(s, check_seed) for s in CHECKS]
    if chapter_only: todo = [(s, b) for s in CHAPTER for b in (0, check_seed)]
    for s, b in todo:
        runs = [train_head(feats, i, **s) for i in range(b, b + seeds)]
        errs = [round(e, 4) for e, _ in runs]
        res.append(dict(changes=s or 'none (the chapter recipe)', seeds=f'{b}-{b + seeds - 1}', mean_error=round(sum(errs) / seeds, 4),
                        worst_error=max(errs), runs_over_0_20=sum(e > 0.2 for e in errs),
                        mean_valid_loss=round(sum(l for _, l in runs) / seeds, 4), errors=errs))
        print({k: v for k, v in res[-1].items() if k != 'errors'}, flush=True)
    cmd = 'python bench/breeds_head_screen.py' + (' --chapter-only' if chapter_only else '')
    Path(out).write_text(json.dumps(dict(what=__doc__.splitlines()[0], command=cmd,
        passes=passes, caching_seconds=round(cached_s), settings=res,
        summary={f"{r['changes']}, seeds {r['seeds']}": {k: r[k] for k in ('mean_error', 'worst_error', 'runs_over_0_20')} for r in res},
        source=harness.source(), machine=harness.machine(),
        versions=harness.versions()), indent=1) + '\n')
