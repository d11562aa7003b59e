"""Does bfloat16 change the breeds model's answers? Train the chapter's first breeds recipe in float32 on the CPU, then
predict the 74 validation photos twice, in float32 and under CPU bf16 autocast, and count the predictions that differ.

On the H200 the first recipe's bf16 runs erred more than its fp32 runs (bench/results/breeds_gpu.json). This separates
one possible cause, bf16 rounding at prediction time, from training noise. It prints its result:

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/breeds_bf16_preds.py

(CPUs without native bf16 emulate it: the bf16 pass takes about 35 s on the 2-core machine.)
"""
import sys, time, torch
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from breeds_recipes import BASE, train_breeds  # noqa: E402  the recipe itself, shared with the CPU search

torch.set_num_threads(1)  # as in the run recorded in bench/README.md, which shared the machine with a sweep
learn, _ = train_breeds(42, **BASE)
p32, targ = learn.get_preds()[:2]
t = time.time()
with torch.autocast('cpu', dtype=torch.bfloat16): p16 = learn.get_preds()[0].float()
print(f'bf16 predictions: {time.time() - t:.0f} s')
a32, a16 = p32.argmax(1), p16.argmax(1)
print(f'error fp32 {(a32 != targ).float().mean():.4f}, bf16 {(a16 != targ).float().mean():.4f}; predictions that differ: '
      f'{(a32 != a16).sum().item()} of {len(targ)}; largest change of a probability: {(p32 - p16).abs().max():.3f}')
