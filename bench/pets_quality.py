"""Quality of the pets chapter's recipes on the data at hand, pretrained vs from scratch on the same budget.

Runs `fastcourse.vision.train_pets` (exactly the chapter's recipes: cat vs dog with `fine_tune(1, freeze_epochs=2)`,
then 37 breeds with presizing, augmentation, head-only then full training) with ImageNet weights for several training
seeds, and once with `pretrained=False`, each run in a fresh process, and writes `bench/results/pets_quality.json` with the
error rates, the seconds taken, the commit and the machine.

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/pets_quality.py [--arch efficientnet_lite0] [--size 224] [--train-seeds 42,0,1]
"""
from __future__ import annotations
import argparse, json, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

KINDS = ('pretrained', 'from_scratch')

def child_main(a):
    "One run of the recipes in this fresh process: ImageNet weights or not (`--contender`), with training seed `a.train_seed`."
    import time, torch
    torch.set_num_threads(a.threads)
    from fastcourse.vision import train_pets
    t = time.perf_counter()
    res = train_pets(a.arch, pretrained=a.contender == 'pretrained', size=a.size, train_seed=a.train_seed)
    res.update(train_seed=a.train_seed, seconds=round(time.perf_counter() - t, 1), torch_num_threads=torch.get_num_threads())
    Path(a.json).write_text(json.dumps(res))

def run_all(a):
    "Every training seed with ImageNet weights, then from scratch once on the same budget, each in a fresh process."
    seeds = [int(s) for s in a.train_seeds.split(',')]
    data = harness.dataset_path('PETS')
    harness.warm_file_cache(data)
    jobs = [(k, s) for k in a.contenders for s in (seeds if k == 'pretrained' else seeds[:1])]
    runs = {k: [] for k in a.contenders}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, seed in jobs:
            r = harness.run_child(__file__, kind, data, Path(tmp)/f'{kind}-{seed}.json',
                                  ['--threads', str(a.threads), '--arch', a.arch, '--size', str(a.size), '--train-seed', str(seed)],
                                  f'{kind}, training seed {seed}')
            if 'error' in r: sys.exit(f'{kind}, training seed {seed}: {r["error"]}; nothing written.')
            runs[kind].append(r)
            print(kind, r, flush=True)
    summary = {'targets': {'cat_error_rate': 0.03, 'breeds_error_rate': 0.20}}
    if runs.get('pretrained'):
        pre = runs['pretrained']
        for k in ('cat_error_rate', 'breeds_error_rate'): summary[f'pretrained_mean_{k}'] = sum(r[k] for r in pre) / len(pre)
        summary['meets_targets'] = {k: all(r[k] <= v for r in pre) for k, v in summary['targets'].items()}
    out = {'what': 'pets chapter recipes (fastcourse.vision.train_pets) on the data at hand, 20% validation split with seed 42; '
                   'pretrained runs repeated with several training seeds, since one photo is 1.35 points of error on 74',
           'command': f'python bench/pets_quality.py --arch {a.arch} --size {a.size} --threads {a.threads} '
                      f'--train-seeds {a.train_seeds} --contenders {",".join(a.contenders)}',
           'recipe': {'cat': 'Resize(size), bs 16, vision_learner(train_bn=False).fine_tune(1, freeze_epochs=2)',
                      'breeds': 'Resize(size*460//224) + aug_transforms(size, min_scale=0.75), bs 32, train_bn=False; '
                                'fit_one_cycle(16, 1e-2, wd=0.5) frozen, then unfreeze(freeze_bn=True) and '
                                'fit_one_cycle(3, slice(1e-5, 5e-4), pct_start=0.3, div=5, wd=0.5)'},
           'arch': a.arch, 'size': a.size, 'summary': summary, 'runs': runs,
           'source': harness.source(), 'machine': harness.machine(), 'versions': harness.versions()}
    path = harness.write_report(out, Path(a.results_dir)/'pets_quality.json')
    print(json.dumps(summary, indent=1))
    print('wrote', path)

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--arch', default='efficientnet_lite0'); p.add_argument('--size', type=int, default=224)
    p.add_argument('--train-seeds', default='42,0,1', help='training seeds of the pretrained runs (the split stays seed 42)')
    p.add_argument('--train-seed', type=int, help=argparse.SUPPRESS)  # child process: its one seed
    harness.add_common_args(p, KINDS, device=False)
    a = harness.parse(p, argv, KINDS)
    if a.contender and a.train_seed is None: p.error('--contender needs --train-seed')
    return a

def main(argv=None): harness.main(parse_args(argv), child_main, run_all)

if __name__ == '__main__': main()
