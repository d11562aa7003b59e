"""Does bfloat16 change the breeds model's answers? Train the chapter's first breeds recipe in float32 on the CPU, then
predict the 74 validation photos twice, in float32 and under CPU bf16 autocast, and count the predictions that differ.

On the H200 the first recipe's bf16 runs erred more than its fp32 runs (bench/results/breeds_gpu.json). This separates
one possible cause, bf16 rounding at prediction time, from training noise. It prints its result:

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/breeds_bf16_preds.py

(CPUs without native bf16 emulate it: the bf16 pass takes about 35 s on the 2-core machine.)
"""
import time, torch
from fastcourse.callback import error_rate
from fastcourse.data import ImageDataLoaders, get_image_files
from fastcourse.external import URLs, untar_data
from fastcourse.transforms import Resize, aug_transforms
from fastcourse.vision import vision_learner

torch.set_num_threads(1)  # as in the run recorded in bench/README.md, which shared the machine with a sweep
torch.manual_seed(42)
path = untar_data(URLs.PETS)/'images'
dls = ImageDataLoaders.from_name_re(path, get_image_files(path), r'^(.+)_\d+\.jpg$', valid_pct=0.2, seed=42,
                                    item_tfms=Resize(460), batch_tfms=aug_transforms(size=224, min_scale=0.75), bs=32)
learn = vision_learner(dls, 'efficientnet_lite0', metrics=error_rate, train_bn=False)
learn.remove_cb(learn.progress)
learn.freeze(); learn.fit_one_cycle(8, 1e-2)
learn.unfreeze(); learn.fit_one_cycle(3, slice(1e-5, 5e-4), pct_start=0.3, div=5)
p32, targ = learn.get_preds()[:2]
t = time.time()
with torch.autocast('cpu', dtype=torch.bfloat16): p16 = learn.get_preds()[0].float()
print(f'bf16 predictions: {time.time() - t:.0f} s')
a32, a16 = p32.argmax(1), p16.argmax(1)
print(f'error fp32 {(a32 != targ).float().mean():.4f}, bf16 {(a16 != targ).float().mean():.4f}; predictions that differ: '
      f'{(a32 != a16).sum().item()} of {len(targ)}; largest change of a probability: {(p32 - p16).abs().max():.3f}')
