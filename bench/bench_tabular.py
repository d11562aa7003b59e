"""Tabular and collaborative-filtering training: fastcourse against fastai 2.8.12 and a bare PyTorch loop.

Every contender trains the same model on the same rows, split the same way (the validation rows of
fastcourse's `RandomSplitter(0.2, seed=42)` are given to fastai as `valid_idx`), with the same batch size,
epochs, one-cycle schedule, seeds and `torch.set_num_threads`:

- `adult`: ADULT_SAMPLE, 8 categorical and 6 continuous columns, target `salary`, procs Categorify, FillMissing,
  Normalize; `tabular_learner(layers=[200, 100])`, bs 256, `fit_one_cycle(3, 1e-2)`; metric: accuracy (and the ROC AUC of
  `>=50k`, from each library's `RocAucBinary`: fastai's calls scikit-learn, ours ranks in torch; the bare loop has none).
- `ml_sample`: ML_SAMPLE ratings, `collab_learner(n_factors=50, y_range=(0.5, 5.5))`, bs 64, `fine_tune(10)`;
  metric: validation MSE.
- `ml100k`: MovieLens 100k with titles as items, `collab_learner(n_factors=50, y_range=(0, 5.5))`, bs 64,
  `fit_one_cycle(5, 5e-3, wd=0.1)`; metric: validation MSE.
- `ml100k_nn`: the same with `use_nn=True, layers=[100, 50]`.

Contenders (each run in a fresh subprocess, one after the other, for each seed):

- `fastai`: `fastai.tabular.all` / `fastai.collab` with the calls above.
- `fastcourse`: `fastcourse.tabular_procs` / `fastcourse.tabular_data` / `fastcourse.tabular_loaders` / `fastcourse.tabular` /
  `fastcourse.collab` with the same calls.
- `bare`: the rows preprocessed by fastcourse's `TabularPandas` (not timed in the epochs), batches sliced from
  tensors by hand, the same architecture written out in plain PyTorch, `AdamW` (betas 0.9/0.99, eps 1e-5) with
  `OneCycleLR` shaped like fastai's one-cycle, and an evaluation pass per epoch. `fine_tune` on a model with a
  single parameter group is one frozen-phase epoch at `base_lr` with pct_start 0.99, then the epochs at
  `base_lr / 2`, as the libraries do.

Seconds per epoch are wall clock from `before_epoch` to `after_epoch` (training plus validation); the bare loop
times the same span. Run from the repository root:

    bench/run.sh tabular                                    # every task, seeds 0 1 2
    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_tabular.py --task adult --seeds 0

Results: `bench/results/<task>.json` (machine, versions, settings, per contender and seed: epoch times, peak
memory, final losses and metric), and a table with the ratios of seconds per epoch.
"""
from __future__ import annotations
import argparse, statistics, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from bench_train import ADAM, ONE_CYCLE  # noqa: E402
from harness import digest, fastai_timer, fastcourse_timer, seed_everything  # noqa: E402

CONTENDERS = ('fastai', 'fastcourse', 'bare')
ADULT_CATS = ['workclass', 'education', 'marital-status', 'occupation', 'relationship', 'race', 'sex', 'native-country']
ADULT_CONTS = ['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']
TASKS = {
    'adult': dict(kind='tabular', dataset='ADULT_SAMPLE', bs=256, schedule='fit_one_cycle', epochs=3, lr=1e-2, wd=None,
                  layers=[200, 100], metric='accuracy'),
    'ml_sample': dict(kind='collab', dataset='ML_SAMPLE', bs=64, schedule='fine_tune', epochs=10, lr=2e-3, wd=None,
                      y_range=(0.5, 5.5), n_factors=50, use_nn=False, metric='valid_mse'),
    'ml100k': dict(kind='collab', dataset='ML_100k', bs=64, schedule='fit_one_cycle', epochs=5, lr=5e-3, wd=0.1,
                   y_range=(0, 5.5), n_factors=50, use_nn=False, metric='valid_mse'),
    'ml100k_nn': dict(kind='collab', dataset='ML_100k', bs=64, schedule='fit_one_cycle', epochs=5, lr=5e-3, wd=0.1,
                      y_range=(0, 5.5), use_nn=True, layers=[100, 50], metric='valid_mse'),
}
SPLIT = dict(valid_pct=0.2, seed=42)


# ---------------------------------------------------------------- data, the same for everyone

def load_table(task:dict, data:Path):
    "(DataFrame, keyword arguments naming its columns) for the task."
    import pandas as pd
    if task['dataset'] == 'ADULT_SAMPLE':
        return pd.read_csv(data/'adult.csv'), dict(cat_names=ADULT_CATS, cont_names=ADULT_CONTS, y_names='salary')
    if task['dataset'] == 'ML_SAMPLE':
        return pd.read_csv(data/'ratings.csv'), dict(user_name='userId', item_name='movieId', rating_name='rating')
    ratings = pd.read_csv(data/'u.data', delimiter='\t', header=None, names=['user', 'movie', 'rating', 'timestamp'])
    movies = pd.read_csv(data/'u.item', delimiter='|', encoding='latin-1', usecols=(0, 1), names=('movie', 'title'), header=None)
    return ratings.merge(movies)[['user', 'title', 'rating']], dict(user_name='user', item_name='title', rating_name='rating')

def valid_idx(n:int) -> list:
    from fastcourse.splitters import RandomSplitter
    return RandomSplitter(SPLIT['valid_pct'], SPLIT['seed'])(range(n))[1]

def train(learn, task:dict):
    "The task's schedule, with the same calls in fastai and fastcourse."
    if task['schedule'] == 'fine_tune': learn.fine_tune(task['epochs'], base_lr=task['lr'])
    else: learn.fit_one_cycle(task['epochs'], task['lr'], wd=task['wd'])


# ---------------------------------------------------------------- the contenders

def run_fastai(task:dict, data:Path, a) -> dict:
    from fastai.callback.progress import ProgressCallback
    from fastai.metrics import RocAucBinary, accuracy
    t0 = time.perf_counter()
    seed_everything(a.seed)
    df, names = load_table(task, data)
    vidx = valid_idx(len(df))
    if task['kind'] == 'tabular':
        from fastai.tabular.all import Categorify, FillMissing, Normalize, TabularDataLoaders, tabular_learner
        dls = TabularDataLoaders.from_df(df, data, procs=[Categorify, FillMissing, Normalize], valid_idx=vidx, bs=task['bs'], **names)
        learn = tabular_learner(dls, layers=task['layers'], metrics=[accuracy, RocAucBinary()])
    else:
        from fastai.collab import CollabDataLoaders, collab_learner
        dls = CollabDataLoaders.from_df(df, bs=task['bs'], **names, **SPLIT)
        kw = dict(use_nn=True, layers=task['layers']) if task['use_nn'] else dict(n_factors=task['n_factors'])
        learn = collab_learner(dls, y_range=task['y_range'], **kw)
    learn.remove_cb(ProgressCallback)
    timer = fastai_timer(None)
    learn.add_cb(timer)
    t1 = time.perf_counter(); train(learn, task); t2 = time.perf_counter()
    rec = learn.recorder
    final = dict(zip(rec.metric_names[1:-1], rec.values[-1]))
    res = {'final_train_loss': float(final['train_loss']), 'final_valid_loss': float(final['valid_loss'])}
    if 'accuracy' in final: res['final_accuracy'] = float(final['accuracy'])
    if 'roc_auc_score' in final: res['final_roc_auc'] = float(final['roc_auc_score'])
    return {'_t0': t0, 'setup_s': t1 - t0, 'fit_s': t2 - t1, 'epoch_s': list(timer.times), **res,
            'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds), 'valid_digest': digest(map(str, dls.valid_ds.items.index))}

def run_fastcourse(task:dict, data:Path, a) -> dict:
    from fastcourse.callback import accuracy
    from fastcourse.ranking import RocAucBinary
    t0 = time.perf_counter()
    seed_everything(a.seed)
    df, names = load_table(task, data)
    if task['kind'] == 'tabular':
        from fastcourse.tabular import tabular_learner
        from fastcourse.tabular_procs import Categorify, FillMissing, Normalize
        from fastcourse.tabular_loaders import TabularDataLoaders
        dls = TabularDataLoaders.from_df(df, data, procs=[Categorify, FillMissing, Normalize], valid_idx=valid_idx(len(df)),
                                         bs=task['bs'], **names)
        learn = tabular_learner(dls, layers=task['layers'], metrics=[accuracy, RocAucBinary()])
    else:
        from fastcourse.collab import CollabDataLoaders, collab_learner
        dls = CollabDataLoaders.from_df(df, bs=task['bs'], **names, **SPLIT)
        kw = dict(use_nn=True, layers=task['layers']) if task['use_nn'] else dict(n_factors=task['n_factors'])
        learn = collab_learner(dls, y_range=task['y_range'], **kw)
    learn.remove_cb(learn.progress)
    timer = fastcourse_timer(None)
    learn.add_cb(timer)
    t1 = time.perf_counter(); train(learn, task); t2 = time.perf_counter()
    rec = learn.recorder
    res = {'final_train_loss': float(rec.final('train_loss')), 'final_valid_loss': float(rec.final('valid_loss'))}
    if task['metric'] == 'accuracy': res['final_accuracy'] = float(rec.final('accuracy'))
    if task['metric'] == 'accuracy': res['final_roc_auc'] = float(rec.final('roc_auc_score'))
    return {'_t0': t0, 'setup_s': t1 - t0, 'fit_s': t2 - t1, 'epoch_s': list(timer.times), **res,
            'n_train': dls.train.n, 'n_valid': dls.valid.n, 'valid_digest': digest(map(str, dls.to.splits[1]))}


# ---------------------------------------------------------------- the bare PyTorch loop

def bare_model(task:dict, to):
    "The task's architecture in plain PyTorch: the tabular MLP, the dot product with biases, or the embedding MLP."
    import torch
    from torch import nn
    def emb(ni, nf):
        e = nn.Embedding(ni, nf)
        with torch.no_grad(): nn.init.trunc_normal_(e.weight, std=0.01, a=-0.02, b=0.02)
        return e
    sz = lambda n: min(600, round(1.6 * n ** 0.56))
    ns = [len(to.classes[c]) for c in to.cat_names]

    class MLP(nn.Module):
        def __init__(self, n_cont, layers, n_out, y_range=None):
            super().__init__()
            self.embs = nn.ModuleList([emb(n, sz(n)) for n in ns])
            self.bn_cont = nn.BatchNorm1d(n_cont) if n_cont else None
            sizes, blocks = [sum(sz(n) for n in ns) + n_cont, *layers], []
            for ni, no in zip(sizes[:-1], sizes[1:]): blocks += [nn.Linear(ni, no, bias=False), nn.ReLU(inplace=True), nn.BatchNorm1d(no)]
            self.layers, self.y_range = nn.Sequential(*blocks, nn.Linear(sizes[-1], n_out)), y_range
        def forward(self, cats, conts=None):
            x = torch.cat([e(cats[:, i]) for i, e in enumerate(self.embs)] + ([self.bn_cont(conts)] if self.bn_cont else []), 1)
            x = self.layers(x)
            if self.y_range is None: return x
            lo, hi = self.y_range
            return (torch.sigmoid(x) * (hi - lo) + lo)[:, 0]

    class DotBias(nn.Module):
        def __init__(self, nf, y_range):
            super().__init__()
            (nu, ni), self.y_range = ns, y_range
            self.u, self.i, self.ub, self.ib = emb(nu, nf), emb(ni, nf), emb(nu, 1), emb(ni, 1)
        def forward(self, x):
            u, i = x[:, 0], x[:, 1]
            lo, hi = self.y_range
            return torch.sigmoid((self.u(u) * self.i(i)).sum(1) + self.ub(u)[:, 0] + self.ib(i)[:, 0]) * (hi - lo) + lo

    if task['kind'] == 'tabular': return MLP(len(to.cont_names), task['layers'], len(to.vocab))
    if task['use_nn']: return MLP(0, task['layers'], 1, task['y_range'])
    return DotBias(task['n_factors'], task['y_range'])

def run_bare(task:dict, data:Path, a) -> dict:
    import torch
    import torch.nn.functional as F
    from fastcourse.splitters import RandomSplitter
    from fastcourse.tabular_data import TabularPandas
    from fastcourse.tabular_procs import Categorify, FillMissing, NormalizeTab
    from fastcourse.data import RegressionBlock
    t0 = time.perf_counter()
    seed_everything(a.seed)
    df, names = load_table(task, data)
    if task['kind'] == 'tabular':
        splits = RandomSplitter(**SPLIT)(range(len(df)))
        to = TabularPandas(df, [Categorify, FillMissing, NormalizeTab], splits=splits, **names)
    else:
        cols = [names['user_name'], names['item_name']]
        to = TabularPandas(df, [Categorify], cols, [], names['rating_name'], RegressionBlock(), RandomSplitter(**SPLIT)(range(len(df))),
                           with_cont=False)
    classify = task['kind'] == 'tabular'
    t_idx, v_idx = (torch.tensor(s) for s in to.splits)
    part = lambda idx: ([to.cats[idx], to.conts[idx]] if classify else [to.cats[idx]]) + [to.ys[idx] if classify else to.ys[idx][:, 0]]
    trn, val = part(t_idx), part(v_idx)
    model = bare_model(task, to)
    loss_f = F.cross_entropy if classify else F.mse_loss
    bs, n = task['bs'], len(t_idx)
    n_iter = n // bs  # the training loader drops the last incomplete batch, as the libraries' do
    opt = torch.optim.AdamW(model.parameters(), lr=task['lr'], **{**ADAM, 'weight_decay': task['wd'] or ADAM['weight_decay']})
    phases = [(task['epochs'], task['lr'], ONE_CYCLE['pct_start'], ONE_CYCLE['div'])]
    if task['schedule'] == 'fine_tune': phases = [(1, task['lr'], 0.99, ONE_CYCLE['div']), (task['epochs'], task['lr'] / 2, 0.3, 5.)]
    t1, times = time.perf_counter(), []
    for n_epoch, lr, pct_start, div in phases:
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=n_epoch * n_iter, pct_start=pct_start, anneal_strategy='cos', div_factor=div,
            final_div_factor=ONE_CYCLE['div_final'] / div, cycle_momentum=True, base_momentum=ONE_CYCLE['moms'][1],
            max_momentum=ONE_CYCLE['moms'][0])
        for _ in range(n_epoch):
            e0 = time.perf_counter()
            model.train()
            perm, tot = torch.randperm(n), 0.
            for i in range(n_iter):
                b = [t[perm[i * bs:(i + 1) * bs]] for t in trn]
                loss = loss_f(model(*b[:-1]), b[-1])
                loss.backward(); opt.step(); opt.zero_grad(set_to_none=True); sched.step()
                tot += loss.item() * bs
            model.eval()
            vtot, right = 0., 0
            with torch.no_grad():
                for i in range(0, len(v_idx), bs):
                    b = [t[i:i + bs] for t in val]
                    out = model(*b[:-1])
                    vtot += loss_f(out, b[-1], reduction='sum').item()
                    if classify: right += (out.argmax(1) == b[-1]).sum().item()
            times.append(time.perf_counter() - e0)
    t2 = time.perf_counter()
    res = {'final_train_loss': tot / (n_iter * bs), 'final_valid_loss': vtot / len(v_idx)}
    if classify: res['final_accuracy'] = right / len(v_idx)
    return {'_t0': t0, 'setup_s': t1 - t0, 'fit_s': t2 - t1, 'epoch_s': times, **res, 'n_train': n, 'n_valid': len(v_idx),
            'valid_digest': digest(map(str, to.splits[1]))}

RUNNERS = {'fastai': run_fastai, 'fastcourse': run_fastcourse, 'bare': run_bare}


# ---------------------------------------------------------------- orchestration

def child_main(a):
    "Run one contender with one seed in this (fresh) process and write its numbers to `a.json`."
    harness.child_main(RUNNERS[a.contender], a, TASKS[a.task[0]], Path(a.data))

def run_child(name:str, contender:str, seed:int, data:Path, a, tmp) -> dict:
    "One contender with one seed: its numbers, or its error, with the seed."
    return {**harness.run_child(__file__, contender, data, Path(tmp)/f'{name}-{contender}-{seed}.json',
                                ['--task', name, '--seeds', str(seed), '--threads', str(a.threads)], f'{name}: {contender}, seed {seed}'),
            'seed': seed}

def summary(runs:list, metric:str) -> dict:
    ok = [r for r in runs if 'error' not in r]
    if not ok: return {'error': 'every run failed'}
    key = 'final_accuracy' if metric == 'accuracy' else 'final_valid_loss'
    vals, spe = [r[key] for r in ok], [r['s_per_epoch'] for r in ok]
    auc = {'roc_auc_per_seed': [r['final_roc_auc'] for r in ok]} if all('final_roc_auc' in r for r in ok) else {}
    return {'n_runs': len(ok), 's_per_epoch_median': statistics.median(spe), f'{metric}_mean': statistics.mean(vals),
            f'{metric}_min': min(vals), f'{metric}_max': max(vals), f'{metric}_per_seed': vals, **auc,
            'peak_rss_mb_max': max(r['peak_rss_mb'] for r in ok)}

def run_task(name:str, a) -> dict:
    task = TASKS[name]
    data = harness.dataset_path(task['dataset'])
    with tempfile.TemporaryDirectory() as tmp:
        runs = {c: [] for c in a.contenders}
        for seed in a.seeds:  # contenders interleaved, so that drift in the machine's speed hits all of them alike
            for c in a.contenders: runs[c].append(run_child(name, c, seed, data, a, tmp))
    summ = {c: summary(r, task['metric']) for c, r in runs.items()}
    ratios = {f'fastcourse/{o}_s_per_epoch': harness.ratio(summ, 's_per_epoch_median', den=o) for o in ('fastai', 'bare')}
    report = {'source': harness.source(), 'machine': harness.machine(), 'versions': harness.versions(),
              'settings': {'task': name, **task, **SPLIT, 'seeds': a.seeds,
              'torch_threads': a.threads, 'device': 'cpu', 'contenders': a.contenders, 'data': str(data)}, 'summary': summ,
              'ratios': ratios, 'runs': runs}
    out = harness.write_report(report, Path(a.results_dir)/f'{name}.json')
    print(f'\n## {name} ({task["schedule"]}, bs {task["bs"]}, seeds {a.seeds}, {a.threads} threads)')
    print(f'{"contender":<11} {"s/epoch":>8} {task["metric"] + " mean [min, max]":>32} {"peak MB":>8}')
    for c, r in summ.items():
        if 'error' in r: print(f'{c:<11} {r["error"]}'); continue
        m = task['metric']
        print(f'{c:<11} {r["s_per_epoch_median"]:8.3f} {r[m + "_mean"]:12.4f} [{r[m + "_min"]:.4f}, {r[m + "_max"]:.4f}] {r["peak_rss_mb_max"]:8.0f}')
    for k, v in ratios.items(): print(f'{k}: {"n/a" if v is None else f"{v:.2f}"}')
    digests = {r.get('valid_digest') for rs in runs.values() for r in rs if 'error' not in r}
    if len(digests) > 1: print('WARNING: the contenders validated on different rows (valid_digest differs).')
    print(f'written {out}')
    return report

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--task', action='append', choices=list(TASKS), help='task to run (repeatable; default: all)')
    p.add_argument('--seeds', default='0,1,2', help='comma-separated training seeds; every contender runs each')
    harness.add_common_args(p, CONTENDERS, device=False)  # the CPU only
    a = harness.parse(p, argv, CONTENDERS, one_task=True)
    a.seeds = [int(s) for s in a.seeds.split(',') if s]
    a.seed = a.seeds[0]
    return a

def main(argv=None): harness.main(parse_args(argv), child_main, lambda a: [run_task(name, a) for name in a.task or TASKS])

if __name__ == '__main__': main()
