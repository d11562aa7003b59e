"""What the benchmark scripts share: each contender runs in a fresh child process of its script, the parent collects
their numbers into one report.

- In the child: seeding, an epoch-timer callback for either library, peak memory, and `child_main`, which runs one
  contender and writes what every contender reports (`write_child_results`).
- In the parent: the dataset (through fastcourse's `untar_data`, so the mirror works), the common command-line
  options, `run_child` (one fresh subprocess), the machine and versions, and the report file with its ratios.
"""
from __future__ import annotations
import argparse, hashlib, importlib.metadata, importlib.util, json, os, platform, random, resource, subprocess, sys, time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------- child processes (one contender each)

def seed_everything(seed:int):
    import numpy as np, torch
    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)

def peak_rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if sys.platform == 'darwin' else r / 2**10  # bytes on macOS, KiB on Linux

def digest(paths) -> str:
    "Short hash of a set of file names, to check every contender validates on the same items."
    return hashlib.sha1('\n'.join(sorted(Path(p).name for p in paths)).encode()).hexdigest()[:12]

def epoch_timer(base, cancel_train, cancel_valid, limit:int|None):
    "A callback class (subclass of the library's `base`) timing each epoch; with `limit`, it cuts epochs short (debug)."
    class EpochTimer(base):
        order = 95  # after the Recorder, so `after_epoch` closes the epoch
        def __init__(self):
            super().__init__()
            self.times, self.images, self._t0 = [], [], 0.
        def before_epoch(self): self._t0, self._n = time.perf_counter(), 0
        def after_epoch(self): self.times.append(time.perf_counter() - self._t0); self.images.append(self._n)
        def after_batch(self):
            self._n += len(self.learn.yb[0])
            if limit and self.iter + 1 >= limit: raise (cancel_train if self.training else cancel_valid)()
    return EpochTimer

def fastai_timer(limit:int|None):
    "An `epoch_timer` for fastai whose Recorder keeps a phase's losses when `limit` (`--limit-batches`) cuts it short."
    from fastai.callback.core import Callback, CancelTrainException, CancelValidException
    class Timer(epoch_timer(Callback, CancelTrainException, CancelValidException, limit)):
        def after_cancel_train(self): self.learn.recorder.cancel_train = False  # fastai drops a cancelled phase's losses
        def after_cancel_validate(self): self.learn.recorder.cancel_valid = False
    return Timer()

def fastcourse_timer(limit:int|None):
    "An `epoch_timer` for fastcourse whose Recorder keeps a phase's mean loss when `limit` (`--limit-batches`) cuts it short."
    from fastcourse.callback import Callback, CancelTrainException, CancelValidateException
    class Timer(epoch_timer(Callback, CancelTrainException, CancelValidateException, limit)):
        # fastcourse's Recorder marks a cancelled phase NaN; this runs after it (order 95 > 50) and takes the mark back
        def after_cancel_train(self): self.learn.recorder._res.pop('train', None)
        def after_cancel_validate(self): self.learn.recorder._res.pop('valid', None)
    return Timer()

def write_child_results(res:dict, t0:float, json_path):
    "Add what every contender reports (import time, s/epoch, images/s, peak memory, threads) to `res`; write it to `json_path`."
    import torch
    res['import_s'] = res.pop('_t0') - t0  # imports of torch and the contender's library
    res.update(s_per_epoch=sum(res['epoch_s']) / len(res['epoch_s']), total_s=time.perf_counter() - t0,
               peak_rss_mb=peak_rss_mb(), torch_num_threads=torch.get_num_threads(), n_epochs_run=len(res['epoch_s']))
    if 'epoch_images' in res: res['images_per_s'] = sum(res['epoch_images']) / sum(res['epoch_s'])
    Path(json_path).write_text(json.dumps(res, indent=1))

def child_main(runner, a, *args):
    "Run one contender, `runner(*args, a)`, in this (fresh) process with `a.threads` threads; write its numbers to `a.json`."
    t0 = time.perf_counter()
    import torch
    torch.set_num_threads(a.threads)
    write_child_results(runner(*args, a), t0, a.json)


# ---------------------------------------------------------------- the parent process

def dataset_path(dataset:str) -> Path:
    "Download/extract `URLs.<dataset>` through fastcourse's `untar_data` (the mirror when `FASTCOURSE_MIRROR` is set)."
    from fastcourse.external import URLs, untar_data
    return Path(untar_data(getattr(URLs, dataset)))

def warm_file_cache(path:Path):
    "Read every file once so the first contender does not pay for a cold disk cache."
    for p in path.rglob('*'):
        if p.is_file(): p.read_bytes()

def versions() -> dict:
    def v(pkg):
        try: return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError: return None
    return {'python': platform.python_version(), **{p: v(p) for p in ('torch', 'torchvision', 'fastai', 'fastcourse', 'fastcore')}}

def machine() -> dict:
    return {'platform': platform.platform(), 'processor': platform.processor() or platform.machine(),
            'cpu_count': os.cpu_count(), 'cpus_usable': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else None}

def source(repo:Path=HERE) -> dict:
    "What was measured: the commit of the checkout holding `repo`, files other than results that differ from it, the UTC time."
    def git(*args):
        try: return subprocess.run(['git', *args], cwd=repo, capture_output=True, text=True, check=True).stdout.rstrip()
        except (OSError, subprocess.CalledProcessError): return None  # no git, or not a checkout (an installed copy)
    commit = git('rev-parse', 'HEAD')
    # the results files change while a series of benchmarks runs; any other change means the commit is not the code
    changed = git('status', '--porcelain', '--', ':(top)', ':(top,exclude)bench/results') if commit else None  # whole tree
    return {'commit': commit, 'uncommitted_changes': None if changed is None else [l[3:] for l in changed.splitlines()],
            'finished_utc': datetime.now(timezone.utc).isoformat(timespec='seconds')}

def add_common_args(p:argparse.ArgumentParser, contenders:tuple, device:bool=True, results_dir:bool=True):
    "The options every script has: contenders, threads, device, results folder (bench/results), and the child process's."
    p.add_argument('--contenders', default=','.join(contenders), help='comma-separated, run in this order')
    p.add_argument('--threads', type=int, default=2, help='torch.set_num_threads, for every contender')
    if device: p.add_argument('--device', default='cpu', help="'cpu' or 'cuda', for every contender")
    if results_dir: p.add_argument('--results-dir', default=str(HERE/'results'), help='where the results files go')
    p.add_argument('--contender', choices=contenders, help=argparse.SUPPRESS)  # child process mode
    p.add_argument('--data', help=argparse.SUPPRESS)
    p.add_argument('--json', help=argparse.SUPPRESS)

def parse(p:argparse.ArgumentParser, argv, contenders:tuple, one_task:bool=False):
    "Parse `argv` with `p`; refuse unknown contenders, and a child process without `--data`, `--json` (and one `--task`)."
    a = p.parse_args(argv)
    a.contenders = [c.strip() for c in a.contenders.split(',') if c.strip()]
    bad = [c for c in a.contenders if c not in contenders]
    if bad: p.error(f'unknown contender(s) {bad}; choose from {list(contenders)}')
    if a.contender and (not a.data or not a.json or (one_task and len(a.task or []) != 1)):
        p.error(f'--contender needs {"one --task, " if one_task else ""}--data and --json')
    return a

def main(a, child_main, run):
    "In a child process, run its contender; in the parent, check fastai is installed if it is a contender, then `run(a)`."
    if a.contender: return child_main(a)
    if 'fastai' in a.contenders and importlib.util.find_spec('fastai') is None:
        sys.exit("fastai is not installed: `pip install -e '.[bench]'` (or bench/run.sh), or leave it out with --contenders.")
    run(a)

def run_child(script, contender:str, data:Path, out:Path, args:list[str], title:str) -> dict:
    "Run `script` for one contender in a fresh process; its numbers, or an 'error' naming the exit code."
    cmd = [sys.executable, str(Path(script).resolve()), '--contender', contender, '--data', str(data), '--json', str(out), *args]
    print(f'\n=== {title} ===', flush=True)
    rc = subprocess.run(cmd, check=False).returncode
    if rc != 0 or not out.exists(): return {'error': f'child process exited with code {rc}'}
    return json.loads(out.read_text())

def ratio(res:dict, key:str, num:str='fastcourse', den:str='fastai') -> float|None:
    "`res[num][key] / res[den][key]`, or None when either contender is missing or failed."
    a, b = (res.get(c, {}).get(key) for c in (num, den))
    return a / b if a and b else None

def report(res:dict, settings:dict, notes:list, ratios:dict) -> dict:
    "Source, machine, versions, settings, notes, every contender's numbers and the ratios."
    threads = {c: r.get('torch_num_threads') for c, r in res.items()}
    return {'source': source(), 'machine': {**machine(), 'torch_get_num_threads': threads}, 'versions': versions(),
            'settings': settings, 'notes': notes, 'results': res, 'ratios': ratios}

def write_report(report:dict, out:Path) -> Path:
    "Write `report` to `out` (making its folder) and return the path."
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    return out

def results_name(name:str, a, *tags:str) -> str:
    "`<name>.json` on the CPU with seed 42; the device, any other seed and `tags` are added to the name."
    return (name + ('' if a.device == 'cpu' else f'-{a.device}') + ('' if a.seed == 42 else f'-seed{a.seed}')
            + ''.join(f'-{t}' for t in tags) + '.json')

def print_ratios_and_digests(report:dict, keys=('valid_digest',), what:str='items'):
    "The ratios, then a warning if the contenders validated on different items."
    for k, v in report['ratios'].items(): print(f'{k}: {"n/a" if v is None else f"{v:.2f}"}')
    ok = [r for r in report['results'].values() if 'error' not in r]
    for key in keys:
        if len({r.get(key) for r in ok}) > 1: print(f'WARNING: the contenders validated on different {what} ({key} differs).')
