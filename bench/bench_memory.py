"""What keeping CPU memory between batches (`CPUMemoryCache`) saves on the pets chapter's own recipe.

Runs `fastcourse.vision.train_pets` (the chapter's two recipes with pretrained EfficientNet-Lite0 at 224 px: cat vs dog,
then 37 breeds) and then `get_preds` over the validation photos (four passes), each in a fresh process, with the
cache as every learner has it (`cache`) and with `hold_cpu_memory` turned into a no-op (`none`, glibc's default
behaviour), alternating `none, cache` (the `--contenders`) for `--repeats` rounds. Writes `bench/results/cpu_memory_cache.json` with the
seconds, peak resident memory (`ru_maxrss` of the process, DataLoader workers not included), the peak memory of the
process and its DataLoader workers together (the sum of their proportional set sizes, so shared pages count once,
sampled every 0.5 s), minor page faults and the error rates of each run; the error rates must be equal in both modes
(the same computation, only the allocator differs).

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/bench_memory.py [--repeats 2] [--threads 2] [--results-dir DIR]
"""
from __future__ import annotations
import argparse, json, os, platform, resource, statistics, sys, tempfile, threading, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

MODES = ('none', 'cache')

def tree_mb() -> float:
    "Memory of this process and its children (sum of proportional set sizes, MiB; Linux)."
    def pss(pid):
        with open(f'/proc/{pid}/smaps_rollup') as f: return sum(int(l.split()[1]) for l in f if l.startswith('Pss:')) / 1024
    me, tot = os.getpid(), pss('self')
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/stat') as f: parent = int(f.read().split()[3])
            if parent == me: tot += pss(pid)
        except OSError: pass  # a worker that just exited
    return tot

def child_main(a):
    "One run in this fresh process: train the chapter's recipes, then predict; mode (`--contender`) 'none' disables the cache."
    import torch
    torch.set_num_threads(a.threads)
    from fastcourse import cpu_memory, learner
    if a.contender == 'none':  # what fastai and a plain PyTorch loop get: glibc's default thresholds
        cpu_memory.hold_cpu_memory = learner.hold_cpu_memory = lambda *args, **kwargs: False
    from fastcourse.data import get_image_files
    from fastcourse.image_data import ImageDataLoaders
    from fastcourse.transforms import Resize
    from fastcourse.vision import train_pets, vision_learner
    peak, done = [0.], threading.Event()
    def sample():
        while not done.wait(0.5): peak[0] = max(peak[0], tree_mb())
    threading.Thread(target=sample, daemon=True).start()
    t0 = time.perf_counter()
    res = train_pets()
    t1 = time.perf_counter()
    path = Path(a.data)/'images'
    dls = ImageDataLoaders.from_name_re(path, get_image_files(path), r'^(.+)_\d+\.jpg$', valid_pct=0.2, seed=42,
                                        item_tfms=Resize(224), bs=64)
    learn = vision_learner(dls, 'efficientnet_lite0', pretrained=True)
    t2 = time.perf_counter()
    for _ in range(4): learn.get_preds()
    t3 = time.perf_counter()
    done.set()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    Path(a.json).write_text(json.dumps({**res, 'mode': a.contender, 'train_pets_s': t1 - t0, 'get_preds_4x_s': t3 - t2,
                                        'n_valid': len(dls.valid.dataset), 'peak_rss_mb': ru.ru_maxrss / 1024, 'peak_tree_mb': peak[0],
                                        'minor_faults': ru.ru_minflt, 'torch_num_threads': torch.get_num_threads()}))

def run_all(a):
    "Alternate the modes for `a.repeats` rounds, each run in a fresh process; write the medians and every run."
    data = harness.dataset_path('PETS')
    harness.warm_file_cache(data)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.repeats):
            for mode in a.contenders:
                r = harness.run_child(__file__, mode, data, Path(tmp)/f'{mode}-{i}.json', ['--threads', str(a.threads)],
                                      f'round {i + 1}: {mode}')
                if 'error' in r: sys.exit(f'{mode}, round {i + 1}: {r["error"]}; nothing written.')
                runs.append(r)
                print({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}, flush=True)
    med = lambda mode, k: statistics.median(r[k] for r in runs if r['mode'] == mode)
    keys = ('train_pets_s', 'get_preds_4x_s', 'peak_rss_mb', 'peak_tree_mb', 'minor_faults')
    summary = {m: {k: med(m, k) for k in keys} for m in a.contenders}
    if set(a.contenders) == set(MODES):
        summary['speedup_train_pets'] = summary['none']['train_pets_s'] / summary['cache']['train_pets_s']
        summary['speedup_get_preds'] = summary['none']['get_preds_4x_s'] / summary['cache']['get_preds_4x_s']
    summary['same_error_rates'] = len({(r['cat_error_rate'], r['breeds_error_rate']) for r in runs}) == 1
    report = {'what': __doc__.splitlines()[0],
              'command': f'python bench/bench_memory.py --repeats {a.repeats} --threads {a.threads} --contenders {",".join(a.contenders)}',
              'source': harness.source(), 'machine': {**harness.machine(), 'libc': platform.libc_ver()},
              'versions': harness.versions(), 'summary': summary, 'runs': runs}
    out = harness.write_report(report, Path(a.results_dir)/'cpu_memory_cache.json')
    print(json.dumps(summary, indent=1)); print('written', out)

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=2, help='rounds of every mode')
    harness.add_common_args(p, MODES, device=False)
    return harness.parse(p, argv, MODES)

def main(argv=None): harness.main(parse_args(argv), child_main, run_all)

if __name__ == '__main__': main()
