"""What keeping CPU memory between batches (`CPUMemoryCache`) saves on the pets chapter's own recipe.

Runs `fastcourse.vision.train_pets` (the chapter's two recipes with pretrained EfficientNet-Lite0 at 224 px: cat vs dog,
then 37 breeds) and then `get_preds` over the validation photos (four passes), each in a fresh process, with the
cache as every learner has it (`cache`) and with `hold_cpu_memory` turned into a no-op (`none`, glibc's default
behaviour), alternating `none, cache` for `--repeats` rounds. Writes `bench/results/cpu_memory_cache.json` with the
seconds, peak resident memory (`ru_maxrss` of the process, DataLoader workers not included), minor page faults and the
error rates of each run; the error rates must be equal in both modes (the same computation, only the allocator differs).

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/bench_memory.py [--repeats 2] [--threads 2]
"""
import argparse, json, platform, resource, statistics, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent

def child(mode:str, threads:int, out:str):
    "One run in this process: train the chapter's recipes, then predict; `mode` 'none' disables the cache."
    import torch
    torch.set_num_threads(threads)
    from fastcourse import callback, learner
    if mode == 'none':  # what fastai and a plain PyTorch loop get: glibc's default thresholds
        callback.hold_cpu_memory = learner.hold_cpu_memory = lambda *args, **kwargs: False
    from fastcourse.data import ImageDataLoaders, get_image_files
    from fastcourse.external import URLs, untar_data
    from fastcourse.transforms import Resize
    from fastcourse.vision import train_pets, vision_learner
    t0 = time.perf_counter()
    res = train_pets()
    t1 = time.perf_counter()
    path = untar_data(URLs.PETS)/'images'
    dls = ImageDataLoaders.from_name_re(path, get_image_files(path), r'^(.+)_\d+\.jpg$', valid_pct=0.2, seed=42,
                                        item_tfms=Resize(224), bs=64)
    learn = vision_learner(dls, 'efficientnet_lite0', pretrained=True)
    t2 = time.perf_counter()
    for _ in range(4): learn.get_preds()
    t3 = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    Path(out).write_text(json.dumps({**res, 'mode': mode, 'train_pets_s': t1 - t0, 'get_preds_4x_s': t3 - t2,
                                     'n_valid': len(dls.valid.dataset), 'peak_rss_mb': ru.ru_maxrss / 1024,
                                     'minor_faults': ru.ru_minflt}))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=2); p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', default=str(HERE/'results'/'cpu_memory_cache.json'))
    p.add_argument('--child', nargs=2, help=argparse.SUPPRESS)  # mode, json path
    a = p.parse_args()
    if a.child: return child(a.child[0], a.threads, a.child[1])
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.repeats):
            for mode in ('none', 'cache'):
                out = Path(tmp)/f'{mode}-{i}.json'
                subprocess.run([sys.executable, __file__, '--threads', str(a.threads), '--child', mode, str(out)], check=True,
                               stdout=subprocess.DEVNULL)  # the progress bars
                runs.append(json.loads(out.read_text()))
                print({k: round(v, 3) if isinstance(v, float) else v for k, v in runs[-1].items()}, flush=True)
    med = lambda mode, k: statistics.median(r[k] for r in runs if r['mode'] == mode)
    summary = {m: {k: med(m, k) for k in ('train_pets_s', 'get_preds_4x_s', 'peak_rss_mb', 'minor_faults')} for m in ('none', 'cache')}
    summary['speedup_train_pets'] = summary['none']['train_pets_s'] / summary['cache']['train_pets_s']
    summary['speedup_get_preds'] = summary['none']['get_preds_4x_s'] / summary['cache']['get_preds_4x_s']
    summary['same_error_rates'] = len({(r['cat_error_rate'], r['breeds_error_rate']) for r in runs}) == 1
    import torch, fastcourse
    report = {'what': __doc__.splitlines()[0], 'command': f'python bench/bench_memory.py --repeats {a.repeats} --threads {a.threads}',
              'machine': {'platform': platform.platform(), 'processor': platform.processor() or platform.machine(),
                          'libc': platform.libc_ver()},
              'versions': {'python': platform.python_version(), 'torch': torch.__version__, 'fastcourse': fastcourse.__version__},
              'summary': summary, 'runs': runs}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(report, indent=1))
    print(json.dumps(summary, indent=1)); print('written', a.out)

if __name__ == '__main__': main()
