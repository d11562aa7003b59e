"""Quality of the pets chapter's recipes on the data at hand, pretrained vs from scratch on the same budget.

Runs `fastcourse.vision.train_pets` (exactly the chapter's recipes: cat vs dog with `fine_tune(1, freeze_epochs=2)`,
then 37 breeds with presizing, augmentation, head-only then full training) with ImageNet weights for several training
seeds, and once with `pretrained=False`, and writes `bench/results/pets_quality.json` with the error rates, the seconds
taken and the machine.

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/pets_quality.py [--arch efficientnet_lite0] [--size 224]
"""
import argparse, json, platform, time
from pathlib import Path
import torch, torchvision
import fastcourse
from fastcourse.vision import train_pets

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--arch', default='efficientnet_lite0'); p.add_argument('--size', type=int, default=224)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--train-seeds', default='42,0,1', help='training seeds of the pretrained runs (the split stays seed 42)')
    p.add_argument('--out', default=str(Path(__file__).parent/'results'/'pets_quality.json'))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    seeds = [int(s) for s in a.train_seeds.split(',')]
    runs = {'pretrained': [], 'from_scratch': []}
    # every training seed with ImageNet weights; from scratch once, on the same budget, for contrast
    for pretrained, seed in [(True, s) for s in seeds] + [(False, seeds[0])]:
        t = time.time()
        res = train_pets(a.arch, pretrained=pretrained, size=a.size, train_seed=seed)
        res.update(train_seed=seed, seconds=round(time.time() - t, 1))
        runs['pretrained' if pretrained else 'from_scratch'].append(res)
        print(('pretrained' if pretrained else 'from scratch'), res, flush=True)
    mean = lambda k: sum(r[k] for r in runs['pretrained']) / len(runs['pretrained'])
    summary = {'pretrained_mean_cat_error_rate': mean('cat_error_rate'), 'pretrained_mean_breeds_error_rate': mean('breeds_error_rate'),
               'targets': {'cat_error_rate': 0.03, 'breeds_error_rate': 0.20}}
    summary['meets_targets'] = {k: all(r[k] <= v for r in runs['pretrained']) for k, v in summary['targets'].items()}
    out = {'what': 'pets chapter recipes (fastcourse.vision.train_pets) on the data at hand, 20% validation split with seed 42; '
                   'pretrained runs repeated with several training seeds, since one photo is 1.35 points of error on 74',
           'command': f'python bench/pets_quality.py --arch {a.arch} --size {a.size} --threads {a.threads} --train-seeds {a.train_seeds}',
           'recipe': {'cat': 'Resize(size), bs 16, vision_learner(train_bn=False).fine_tune(1, freeze_epochs=2)',
                      'breeds': 'Resize(size*460//224) + aug_transforms(size, min_scale=0.75), bs 32, train_bn=False; '
                                'fit_one_cycle(8, 1e-2) frozen, then unfreeze and fit_one_cycle(3, slice(1e-5, 5e-4), pct_start=0.3, div=5)'},
           'arch': a.arch, 'size': a.size, 'summary': summary, 'runs': runs,
           'machine': {'platform': platform.platform(), 'processor': platform.processor(), 'torch_threads': torch.get_num_threads(),
                       'device': 'cuda' if torch.cuda.is_available() else 'cpu'},
           'versions': {'python': platform.python_version(), 'torch': torch.__version__, 'torchvision': torchvision.__version__,
                        'fastcourse': fastcourse.__version__}}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(json.dumps(summary, indent=1))
    print('wrote', a.out)

if __name__ == '__main__': main()
