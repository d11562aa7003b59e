"""Chapter 7a's optimisers: fastcourse's against fastai 2.8.12's, on the same data, network, recipes and seeds.

Both contenders train the network of chapter 7a (784 inputs, two hidden layers of 50 with ReLU, one score) on
MNIST_SAMPLE's threes (target 1) and sevens (target 0), each image a row of 784 numbers in [0, 1], read by one
function outside both libraries (`digits`). Loss: binary cross-entropy on the score; bs 64; 3 epochs; each
optimiser with the recipe of chapter 7a's last section:

- SGD (mom 0.9), Adam, QHAdam: `fit_one_cycle(3, lr)`, lr 0.1 for SGD, 3e-3 for the others;
- LAMB: `fit_one_cycle(3, 3e-2)`; LARC: `fit_one_cycle(3, 0.3)`;
- RAdam, ranger: `fit_flat_cos(3, 3e-3)`.

Every optimiser is the library's own, with its defaults, by the same name (`Lamb`, `Larc`, `ranger`...). For each
seed, the network starts from the same weights in both libraries (seeded, then built); the batches are shuffled by
each library's own loader, so their orders differ. Accuracy and validation loss come from one function outside both
libraries (`scores`), the trained model run on the validation rows. Seconds per epoch are wall clock from `before_epoch` to `after_epoch`
(training and validation), from each library's Recorder-ordered timer callback, without progress bars.

Each contender runs in its own fresh subprocess, one after the other, all optimisers and seeds inside it. Run from the
repository root:

    bench/run.sh optim                                          # seeds 0 1 2, results in bench/results/mnist_optim.json
    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_optim.py --seeds 0 --optims Adam,ranger
"""
from __future__ import annotations
import argparse, statistics, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import fastai_timer, fastcourse_timer, seed_everything  # noqa: E402

NAME = 'mnist_optim'
CONTENDERS = ('fastai', 'fastcourse')
RECIPES = {'SGD': (0.1, 'fit_one_cycle'), 'Adam': (3e-3, 'fit_one_cycle'), 'QHAdam': (3e-3, 'fit_one_cycle'),
           'Lamb': (3e-2, 'fit_one_cycle'), 'Larc': (0.3, 'fit_one_cycle'), 'RAdam': (3e-3, 'fit_flat_cos'),
           'ranger': (3e-3, 'fit_flat_cos')}
EPOCHS, BS = 3, 64
NOTES = ["SGD is each library's SGD with mom=0.9 (both default to no momentum); every other optimiser is called with its "
         "library's defaults and only lr.",
         "fastcourse's SGD and Adam run PyTorch's optimisers (fused where PyTorch has a kernel); fastai's run its own "
         "step-callback Optimizer. QHAdam, Lamb, Larc, RAdam and ranger are step-callback optimisers in both libraries.",
         "The same first weights for each seed in both libraries; the batch order is each library's own shuffling.",
         "accuracy and valid_loss: one function outside both libraries (scores), the trained model on the validation rows: "
         "the share of scores on the right side of 0, and the mean binary cross-entropy."]


def digits(data:Path):
    "Every three and seven of `train/` and `valid/`: (x, y) rows of 784 numbers in [0, 1] and targets (n, 1), 1 for a three."
    import torch
    from PIL import Image
    import numpy as np
    out = []
    for split in ('train', 'valid'):
        files = sorted((data/split).glob('[37]/*.png'))
        x = torch.from_numpy(np.stack([np.asarray(Image.open(f)) for f in files])).float().view(len(files), -1) / 255
        out.append((x, torch.tensor([[float(f.parent.name == '3')] for f in files])))
    return out

def net():
    from torch import nn
    return nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 50), nn.ReLU(), nn.Linear(50, 1))

def scores(model, x, y) -> dict:
    "Accuracy (a score above 0 for a three) and mean binary cross-entropy of `model` on the validation rows `x`, targets `y`."
    import torch
    import torch.nn.functional as F
    model.eval()
    with torch.no_grad(): p = model(x.to(next(model.parameters()).device)).float().cpu()
    return {'accuracy': float(((p > 0).float() == y).float().mean()), 'valid_loss': float(F.binary_cross_entropy_with_logits(p, y))}


# ---------------------------------------------------------------- the contenders (child processes)

def run_fastai(data:Path, a) -> dict:
    from functools import partial
    import torch.nn.functional as F
    import fastai.optimizer as O
    from fastai.callback.progress import ProgressCallback
    from fastai.callback.schedule import fit_flat_cos, fit_one_cycle  # noqa: F401  (patches Learner)
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    from fastai.learner import Learner
    t0 = time.perf_counter()
    (xt, yt), (xv, yv) = digits(data)
    dset, vset = list(zip(xt, yt)), list(zip(xv, yv))
    opts = {**{k: getattr(O, k) for k in RECIPES}, 'SGD': partial(O.SGD, mom=0.9)}
    def make(opt, seed):
        seed_everything(seed)
        dls = DataLoaders(DataLoader(dset, bs=BS, shuffle=True, drop_last=False), DataLoader(vset, bs=512), device='cpu')
        learn = Learner(dls, net(), loss_func=F.binary_cross_entropy_with_logits, opt_func=opts[opt])
        learn.remove_cb(ProgressCallback)
        return learn
    return {**runs(make, fastai_timer, xv, yv, a), '_t0': t0}

def run_fastcourse(data:Path, a) -> dict:
    from functools import partial
    import torch.nn.functional as F
    import fastcourse.optim as O1, fastcourse.optimizers as O2
    import fastcourse.training  # noqa: F401  (fit_one_cycle, fit_flat_cos)
    from fastcourse.data_core import DataLoader, DataLoaders
    from fastcourse.learner import Learner
    t0 = time.perf_counter()
    (xt, yt), (xv, yv) = digits(data)
    dset, vset = list(zip(xt, yt)), list(zip(xv, yv))
    opts = {**{k: getattr(O1, k, None) or getattr(O2, k) for k in RECIPES}, 'SGD': partial(O1.SGD, mom=0.9)}
    def make(opt, seed):
        seed_everything(seed)
        dls = DataLoaders(DataLoader(dset, bs=BS, shuffle=True, num_workers=0), DataLoader(vset, bs=512, num_workers=0))
        learn = Learner(dls, net(), loss_func=F.binary_cross_entropy_with_logits, opt_func=opts[opt])
        learn.remove_cb(learn.progress)
        return learn
    return {**runs(make, fastcourse_timer, xv, yv, a), '_t0': t0}

def runs(make, timer_of, xv, yv, a) -> dict:
    "Every optimiser of `a.optims` with every seed: seconds per epoch, accuracy and validation loss; all epochs' times."
    res, all_epochs = {}, []
    for opt in a.optims:
        lr, fit = RECIPES[opt]
        for seed in a.seeds:
            learn = make(opt, seed)
            timer = timer_of(None)
            learn.add_cb(timer)
            getattr(learn, fit)(EPOCHS, lr)
            learn.remove_cb(timer)
            res[f'{opt}/seed{seed}'] = {'epoch_s': timer.times, **scores(learn.model, xv, yv), 'optimiser': type(learn.opt).__name__}
            all_epochs += timer.times
            print(f"{opt:7s} seed {seed}: {res[f'{opt}/seed{seed}']}", flush=True)
    return {'runs': res, 'epoch_s': all_epochs}


# ---------------------------------------------------------------- the parent process

def child_main(a):
    harness.child_main({'fastai': run_fastai, 'fastcourse': run_fastcourse}[a.contender], a, Path(a.data))

def run(a):
    data = harness.dataset_path('MNIST_SAMPLE')
    harness.warm_file_cache(data)
    out_dir = Path(a.results_dir); out_dir.mkdir(parents=True, exist_ok=True)
    res = {}
    for c in a.contenders:
        args = ['--threads', str(a.threads), '--seeds', *map(str, a.seeds), '--optims', ','.join(a.optims)]
        res[c] = harness.run_child(__file__, c, data, out_dir/f'.{NAME}-{c}.json', args, c)
        (out_dir/f'.{NAME}-{c}.json').unlink(missing_ok=True)
    summary = {}
    for opt in a.optims:
        for c, r in res.items():
            rs = [r['runs'][f'{opt}/seed{s}'] for s in a.seeds] if 'runs' in r else []
            if rs: summary.setdefault(opt, {})[c] = {
                'accuracy': [x['accuracy'] for x in rs], 'mean_accuracy': statistics.mean(x['accuracy'] for x in rs),
                's_per_epoch': statistics.mean(t for x in rs for t in x['epoch_s'])}
    ratios = {f'{opt} s/epoch fastcourse/fastai': (s['fastcourse']['s_per_epoch'] / s['fastai']['s_per_epoch'])
              for opt, s in summary.items() if {'fastai', 'fastcourse'} <= set(s)}
    settings = dict(dataset='MNIST_SAMPLE', items='train/ and valid/ threes and sevens, 784 numbers each', bs=BS, epochs=EPOCHS,
                    model='Linear(784, 50), ReLU, Linear(50, 50), ReLU, Linear(50, 1)', loss='binary cross-entropy on the score',
                    recipes={k: f'{f}({EPOCHS}, {lr})' for k, (lr, f) in RECIPES.items() if k in a.optims}, seeds=a.seeds,
                    threads=a.threads, device='cpu')
    rep = harness.report(res, settings, NOTES, ratios)
    rep['summary'] = summary
    path = harness.write_report(rep, out_dir/f'{NAME}.json')
    print(f'\n{"optimiser":9s} {"fastai acc":>11s} {"fastcourse acc":>15s} {"fastai s/ep":>12s} {"fastcourse s/ep":>16s}')
    for opt, s in summary.items():
        fa, fc = s.get('fastai', {}), s.get('fastcourse', {})
        f = lambda d, k, w: f"{d[k]:{w}.4f}" if k in d else f"{'n/a':>{w}s}"
        print(f"{opt:9s} {f(fa, 'mean_accuracy', 11)} {f(fc, 'mean_accuracy', 15)} {f(fa, 's_per_epoch', 12)} {f(fc, 's_per_epoch', 16)}")
    harness.print_ratios_and_digests(rep, keys=())
    print(f'results: {path}')

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_common_args(p, CONTENDERS, device=False)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--optims', default=','.join(RECIPES), help=f'comma-separated, from {",".join(RECIPES)}')
    a = harness.parse(p, argv, CONTENDERS)
    a.optims = [o.strip() for o in a.optims.split(',') if o.strip()]
    if bad := [o for o in a.optims if o not in RECIPES]: p.error(f'unknown optimiser(s) {bad}; choose from {list(RECIPES)}')
    return a

def main(argv=None): harness.main(parse_args(argv), child_main, run)

if __name__ == '__main__':
    main()
