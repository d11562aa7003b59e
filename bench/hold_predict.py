"""How much faster one batch predicts on the CPU while `hold_cpu_memory()` keeps freed memory (chapter 2d's claim).

Each run is a fresh process (glibc's thresholds adapt as a process runs, so the modes must not share one): a model
from random weights in eval mode and channels-last, 64 random images at 224 px, one warm-up forward pass, then the
median of 5 timed passes, with glibc's default settings (`none`) or inside `hold_cpu_memory()` (`hold`), alternating
for `--repeats` rounds, 2 threads. Writes bench/results/hold_predict.json.

    .venv/bin/python bench/hold_predict.py
"""
import json, statistics, subprocess, sys, time
from pathlib import Path
from fastcore.script import call_parse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

ARCHS = ('efficientnet_lite0', 'resnet18')

def one_run(arch:str, hold:bool) -> float:
    "Median seconds of 5 forward passes of a batch of 64 images at 224 px, in this process."
    import torch, torchvision
    from fastcourse.cpu_memory import hold_cpu_memory
    from fastcourse.vision import arch_spec
    torch.set_num_threads(2); torch.manual_seed(0)
    net = torchvision.models.resnet18() if arch == 'resnet18' else arch_spec(arch).create(pretrained=False)
    net = net.eval().to(memory_format=torch.channels_last)
    x = torch.randn(64, 3, 224, 224).contiguous(memory_format=torch.channels_last)
    if hold: hold_cpu_memory()  # the process ends without releasing: nothing else runs in it
    with torch.no_grad():
        net(x); ts = []
        for _ in range(5):
            t = time.perf_counter(); net(x); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

@call_parse
def main(repeats:int=2, # rounds of both modes for each architecture
         child:str=None, # internal: 'ARCH:MODE', run once in this process and print the seconds
         out:str='bench/results/hold_predict.json'): # where to write the results
    "Time each architecture of `ARCHS` predicting a batch with and without holding memory, each run in a fresh process."
    if child:
        arch, mode = child.split(':'); print(one_run(arch, mode == 'hold')); return
    res = {a: {'none': [], 'hold': []} for a in ARCHS}
    for _ in range(repeats):
        for a in ARCHS:
            for mode in ('none', 'hold'):
                r = subprocess.run([sys.executable, __file__, '--child', f'{a}:{mode}'], capture_output=True, text=True, check=True)
                res[a][mode].append(round(float(r.stdout.split()[-1]), 3))
                print(a, mode, res[a][mode][-1], flush=True)
    summary = {}
    for a, r in res.items():
        none_s, hold_s = statistics.median(r['none']), statistics.median(r['hold'])
        summary[a] = dict(none_s=none_s, hold_s=hold_s, speedup=round(none_s / hold_s, 2))
    print(json.dumps(summary, indent=1))
    Path(out).write_text(json.dumps(dict(what=__doc__.splitlines()[0], command='python bench/hold_predict.py', runs=res, summary=summary,
        source=harness.source(), machine=harness.machine(), versions=harness.versions()), indent=1) + '\n')
