"""Chapter 3's recipe (a U-Net segmenting CamVid tiny, trained from scratch): fastcourse against fastai 2.8.12.

Both contenders run the same recipe on the same extracted data folder, with the same seed, `torch.set_num_threads`,
device and number of DataLoader workers:

- Data: CamVid tiny (`untar_data(URLs.CAMVID_TINY)`): 100 PNG street photos of 96x128 px in `images/`, each with its
  mask `labels/<stem>_P.png`, and the 32 class names in `codes.txt` (split on whitespace; index 30 is 'Void').
- Split: 20% of the photos for validation, the SAME 20 files for both libraries (their RandomSplitters may pick
  different files from the same seed): the image files sorted by name,
  `torch.randperm(100, generator=torch.Generator().manual_seed(42))`, the files at the first 20 indices are the
  validation set. Each library gets it through its `FuncSplitter(lambda f: f.name in valid_names)`.
- `DataBlock(blocks=(ImageBlock, MaskBlock(codes)), get_y=<image file -> its mask file>, splitter=...,
  batch_tfms=aug_transforms())`, bs 8: no resize (every photo is 96x128); on the batch, each library's default
  augmentation (flips, rotation, zoom, warp and lighting on training batches; images and masks get the same geometry).
  - `fastai`: everything from `fastai.vision.all`, `get_items=get_image_files`, `.dataloaders(path/'images', ...)`.
  - `fastcourse`: `fastcourse.data` and `fastcourse.transforms`; its `DataBlock` takes the list of image files
    (sorted by name) as its source (`get_items=None`): `.dataloaders(fnames, path=path, ...)`.
- Model: a U-Net on torchvision's `resnet18` with random weights (`pretrained=False`: fastai cannot download weights
  offline, and neither library adds a normalisation then), built by
  `unet_learner(dls, resnet18, pretrained=False, metrics=acc_camvid)`, cross-entropy over pixels (each library's default).
  - `fastai`: `fastai.vision.all.unet_learner` with `torchvision.models.resnet18`: a `DynamicUnet` (PixelShuffle/ICNR
    upsampling, a doubled middle convolution, a last ResBlock over the input joined back in).
  - `fastcourse`: `fastcourse.segmentation.unet_learner` with `'resnet18'`: its `UNet` (nearest-neighbour upsampling
    and two conv-BN-ReLU per decoder block, 256 channels at the bottom halving to 32, the input joined back in before
    a last conv-BN-ReLU and 1x1 convolution).
  THE TWO U-NETS ARE DIFFERENT MODELS (different decoders, sizes and costs): seconds per epoch compare the two models
  and the two training loops together, not the loops alone. Each contender reports its number of parameters.
- Metric `acc_camvid`: pixel accuracy over the pixels whose target is not 'Void' (one function for both libraries).
  After training, `dice_multi` on the validation photos: the mean over classes of each class's Dice coefficient, 'Void'
  left out, which weighs a rare class as much as the road (one function for both libraries; fastcourse's `DiceMulti`
  must agree with it).
- Training: `fine_tune(8, base_lr=2e-3, freeze_epochs=3)` (`--epochs`, `--freeze-epochs`): 3 epochs with the encoder
  frozen (BatchNorm stays trainable), then 8 epochs of everything; each library's defaults otherwise.

Each contender reports seconds per epoch (wall clock from `before_epoch` to `after_epoch`, training plus validation,
over all freeze and unfreeze epochs), images per second (images trained and validated over the time of all epochs),
the seconds of `fine_tune`, the final losses and `acc_camvid` from the recorder, the number of parameters of its model,
and the peak resident memory. The settings also give the accuracy of the trivial baseline: predict, everywhere, the
most frequent non-void class of the training masks, scored on the non-void pixels of the validation masks. Each
contender runs in its own fresh subprocess of this script, one after the other, so that the peak resident memory
(`ru_maxrss` of that process; DataLoader worker processes are not included) and the imports do not leak from one
contender into the next.

Run it from the repository root, with datasets from the offline mirror:

    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_segmentation.py
    FASTCOURSE_MIRROR=... .venv/bin/python bench/bench_segmentation.py --epochs 1 --freeze-epochs 1 --limit-batches 2 \\
        --results-dir /tmp/bench  # smoke test

Results go to `bench/results/camvid_tiny.json` (machine, versions, settings, per-contender numbers); a short table
and the fastcourse/fastai ratio of seconds per epoch are printed.
"""
from __future__ import annotations
import argparse, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import digest, fastai_timer, fastcourse_timer, seed_everything  # noqa: E402

NAME = 'camvid_tiny'
CONTENDERS = ('fastai', 'fastcourse')
RECIPE = dict(dataset='CAMVID_TINY', images='images', labels='labels/<stem>_P.png', codes='codes.txt', valid_pct=0.2,
              split_seed=42, split='image files sorted by name, torch.randperm(n, manual_seed(42)), first 20% valid',
              item_tfms=None, batch_tfms='aug_transforms()', bs=8,
              arch='U-Net on torchvision resnet18, pretrained=False (each library its own U-Net)',
              loss="each library's default: cross-entropy over pixels", metric="acc_camvid (pixel accuracy, 'Void' ignored)",
              metric_after="dice_multi on the validation photos after training ('Void' ignored)",
              schedule='fine_tune', base_lr=2e-3)
NOTES = ["The two U-Nets are different models: fastai's DynamicUnet (PixelShuffle/ICNR upsampling, a doubled middle "
         "convolution, a last ResBlock over the input joined back in) and fastcourse's UNet (nearest-neighbour "
         "upsampling, two conv-BN-ReLU per decoder block, 256 channels at the bottom halving to 32). So s_per_epoch "
         "and images_per_s compare the models (see n_params) together with the training loops, not the loops alone, "
         "and the accuracies compare the models as much as the libraries.",
         "Both libraries validate on the same 20 files (valid_digest), chosen outside them with torch.randperm and seed 42.",
         "Each library draws its own augmentations and shuffles in its own way, so the runs differ even from the same seed.",
         "With pretrained=False neither library normalises the inputs; both fine_tune runs freeze the encoder for "
         "freeze_epochs all the same (BatchNorm layers stay trainable).",
         "fastcourse's unet_learner keeps model and images in channels-last memory format by default (ChannelsLast "
         "callback); fastai uses PyTorch's default (contiguous NCHW).",
         "Every fastcourse learner fitting on the CPU keeps freed memory in the process between batches (CPUMemoryCache); "
         "fastai runs with glibc's defaults.",
         "fastai's train_loss is its smoothed loss; fastcourse reports the epoch mean.",
         "fastai splits its U-Net into 3 parameter groups (encoder stem to layer2, layer3-4, decoder) and fastcourse "
         "into 2 (encoder, decoder); fine_tune's slice(lo, hi) spreads the rates over the groups differently.",
         "trivial_baseline_acc (settings): the most frequent non-void class of the training masks predicted everywhere, "
         "scored on the non-void pixels of the validation masks.",
         "peak_rss_mb is ru_maxrss of the contender's main process; DataLoader worker processes are not included.",
         "model_step_s: after training, the median time of one bare training step (forward, cross-entropy, backward, AdamW) of "
         "the contender's model on a random batch of 8 images of 96x128, outside either library's loop and data pipeline, in "
         "each library's default memory format (fastai contiguous, fastcourse channels-last): the cost of the model alone."]


# ---------------------------------------------------------------- shared by the contenders and the main process

def read_codes(data:Path) -> list[str]: return (data/'codes.txt').read_text().split()

def image_files(data:Path) -> list[Path]:
    "The photos, sorted by name (the order the split is drawn in)."
    return sorted(p for p in (data/'images').iterdir() if p.suffix.lower() == '.png')

def valid_names(data:Path) -> set[str]:
    "The names of the validation photos: the same for every contender, whatever its library's RandomSplitter does."
    import torch
    files = image_files(data)
    idx = torch.randperm(len(files), generator=torch.Generator().manual_seed(RECIPE['split_seed'])).tolist()
    return {files[i].name for i in idx[:int(RECIPE['valid_pct'] * len(files))]}

def label_func(o) -> Path:
    "Image file -> its mask file (`images/x.png` -> `labels/x_P.png`)."
    o = Path(o)
    return o.parent.parent/'labels'/f'{o.stem}_P{o.suffix}'

class InValid:
    "Splitter function: is this file one of the validation photos? (A class, so DataLoader workers can pickle it.)"
    def __init__(self, names): self.names = set(names)
    def __call__(self, f) -> bool: return Path(f).name in self.names

def camvid_acc(void:int):
    "`acc_camvid`: pixel accuracy over the pixels whose target is not `void`; the same function for both libraries."
    def acc_camvid(inp, targ):
        mask = targ != void
        return (inp.argmax(1)[mask] == targ[mask]).float().mean()
    return acc_camvid

def dice_multi(preds, targs, void:int) -> float:
    """Mean over the classes of the Dice coefficient 2|A&B|/(|A|+|B|) on the pixels whose target is not `void`; classes
    neither predicted nor present are skipped (as fastai's DiceMulti does). The same function for both libraries."""
    import torch
    n = preds.shape[1]
    preds, targs = (torch.as_tensor(x).as_subclass(torch.Tensor) for x in (preds, targs))  # fastai's TensorMask as a plain tensor
    p, t = preds.argmax(1).flatten(), targs.long().flatten()
    keep = t != void
    p, t = p[keep], t[keep]
    tp, pred_n, true_n = (torch.bincount(x, minlength=n).double() for x in (t[p == t], p, t))
    seen = (pred_n + true_n) > 0
    seen[void] = False
    return float((2 * tp[seen] / (pred_n + true_n)[seen]).mean())

def trivial_baseline(data:Path) -> dict:
    "Accuracy on the validation non-void pixels of predicting the training masks' most frequent non-void class."
    import numpy as np, torch
    from PIL import Image
    codes, vn = read_codes(data), valid_names(data)
    void = codes.index('Void')
    counts = lambda files: sum(torch.bincount(torch.from_numpy(np.array(Image.open(label_func(f)))).long().flatten(),
                                              minlength=len(codes)) for f in files)
    trn = counts([f for f in image_files(data) if f.name not in vn])
    val = counts([f for f in image_files(data) if f.name in vn])
    trn[void], val[void] = 0, 0
    c = int(trn.argmax())
    return {'trivial_baseline_class': codes[c], 'trivial_baseline_acc': float(val[c] / val.sum())}


# ---------------------------------------------------------------- the contenders (child processes)

def run_fastai(data:Path, a) -> dict:
    from fastai.vision.all import (DataBlock, FuncSplitter, ImageBlock, MaskBlock, ProgressCallback, aug_transforms, get_c,
                                   get_image_files, unet_learner)
    from torchvision.models import resnet18
    t0 = time.perf_counter()
    seed_everything(a.seed)
    codes = read_codes(data)
    db = DataBlock(blocks=(ImageBlock, MaskBlock(codes)), get_items=get_image_files, get_y=label_func,
                   splitter=FuncSplitter(InValid(valid_names(data))), batch_tfms=aug_transforms())
    dls = db.dataloaders(data/'images', bs=RECIPE['bs'], num_workers=a.workers, device=a.device)
    learn = unet_learner(dls, resnet18, pretrained=False, metrics=camvid_acc(codes.index('Void')))
    learn.remove_cb(ProgressCallback)
    timer = fastai_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**fit(learn, timer, a, t0), '_t0': t0}
    rec = learn.recorder  # values hold [train_loss, valid_loss, metrics...], names also have 'epoch' and 'time'
    final = dict(zip(rec.metric_names[1:-1], rec.values[-1]))
    learn.remove_cb(timer)  # it would cut get_preds short under --limit-batches
    preds, targs = learn.get_preds()  # every validation photo, after timing
    return {**res, 'final_train_loss': float(final['train_loss']), 'final_valid_loss': float(final['valid_loss']),
            'final_acc_camvid': float(final['acc_camvid']), 'final_dice_multi': dice_multi(preds, targs, codes.index('Void')),
            'n_params': n_params(learn.model),
            'model_step_s': model_step_s(learn.model, a, channels_last=False),  # fastai's default memory format
            'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds), 'valid_digest': digest(dls.valid_ds.items),
            'n_codes': get_c(dls)}  # fastai's mask DataLoaders have no `vocab`/`c`: unet_learner asks get_c too

def run_fastcourse(data:Path, a) -> dict:
    from fastcourse.data import DataBlock, ImageBlock, MaskBlock
    from fastcourse.splitters import FuncSplitter
    from fastcourse.metrics import DiceMulti
    from fastcourse.segmentation import unet_learner
    from fastcourse.augment import aug_transforms
    t0 = time.perf_counter()
    seed_everything(a.seed)
    codes = read_codes(data)
    db = DataBlock((ImageBlock, MaskBlock(codes)), get_y=label_func, splitter=FuncSplitter(InValid(valid_names(data))),
                   batch_tfms=aug_transforms())
    dls = db.dataloaders(image_files(data), path=data, bs=RECIPE['bs'], num_workers=a.workers, device=a.device)
    learn = unet_learner(dls, 'resnet18', pretrained=False, metrics=camvid_acc(codes.index('Void')))  # channels-last by default
    learn.remove_cb(learn.progress)
    timer = fastcourse_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**fit(learn, timer, a, t0), '_t0': t0}
    rec = learn.recorder
    learn.remove_cb(timer)  # it would cut get_preds short under --limit-batches
    preds, targs = learn.get_preds()  # every validation photo, after timing
    dice = dice_multi(preds, targs, codes.index('Void'))
    ours = DiceMulti(ignore_idx=codes.index('Void'))(preds, targs)  # the library's metric must agree with the bench's function
    if abs(ours - dice) > 1e-6: raise AssertionError(f'fastcourse DiceMulti {ours} differs from the bench dice_multi {dice}')
    return {**res, 'final_train_loss': float(rec.final('train_loss')), 'final_valid_loss': float(rec.final('valid_loss')),
            'final_acc_camvid': float(rec.final('acc_camvid')), 'final_dice_multi': dice, 'n_params': n_params(learn.model),
            'model_step_s': model_step_s(learn.model, a, channels_last=True),  # fastcourse's default memory format
            'n_train': len(dls.train.dataset), 'n_valid': len(dls.valid.dataset),
            'valid_digest': digest(dls.valid.dataset.items), 'n_codes': dls.c}

def n_params(model) -> int: return sum(p.numel() for p in model.parameters())

def model_step_s(model, a, channels_last:bool, n:int=6) -> float:
    "Median seconds of one bare training step (forward, backward, AdamW) of `model` on a random batch of the recipe's size."
    import torch
    import torch.nn.functional as F
    model.train().to(a.device)
    for p in model.parameters(): p.requires_grad_(True)
    x = torch.randn(RECIPE['bs'], 3, 96, 128, device=a.device)
    y = torch.randint(0, 32, (RECIPE['bs'], 96, 128), device=a.device)
    if channels_last: model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    opt, times = torch.optim.AdamW(model.parameters(), lr=1e-5), []
    for i in range(n + 2):  # two warm-up steps
        t = time.perf_counter()
        F.cross_entropy(model(x), y).backward(); opt.step(); opt.zero_grad(set_to_none=True)
        if i >= 2: times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]

def fit(learn, timer, a, t0:float) -> dict:
    "Train with the recipe's schedule; fastai's and fastcourse's `fine_tune` take the same arguments."
    t1 = time.perf_counter()
    learn.fine_tune(a.epochs, base_lr=RECIPE['base_lr'], freeze_epochs=a.freeze_epochs)
    t2 = time.perf_counter()
    return {'setup_s': t1 - t0, 'fit_s': t2 - t1, 'epoch_s': list(timer.times), 'epoch_images': list(timer.images)}


RUNNERS = {'fastai': run_fastai, 'fastcourse': run_fastcourse}

def child_main(a):
    "Run one contender in this (fresh) process and write its numbers to `a.json`."
    harness.child_main(RUNNERS[a.contender], a, Path(a.data))


# ---------------------------------------------------------------- orchestration (main process)

def settings(a) -> dict:
    return {'task': NAME, **RECIPE, 'epochs': a.epochs, 'freeze_epochs': a.freeze_epochs, 'seed': a.seed,
            'num_workers': a.workers, 'torch_threads': a.threads, 'device': a.device, 'limit_batches': a.limit_batches,
            'contender_order': a.contenders}

def child_args(a) -> list[str]:
    return ['--epochs', str(a.epochs), '--freeze-epochs', str(a.freeze_epochs), '--seed', str(a.seed),
            '--workers', str(a.workers), '--threads', str(a.threads), '--device', a.device,
            *(['--limit-batches', str(a.limit_batches)] if a.limit_batches else [])]

def run_all(a) -> dict:
    data = harness.dataset_path(RECIPE['dataset'])  # extracted here, once, so no contender's time includes it
    harness.warm_file_cache(data)
    codes = read_codes(data)
    data_info = {'data': str(data), 'n_codes': len(codes), 'void_index': codes.index('Void'),
                 'valid_names': sorted(valid_names(data)), **trivial_baseline(data)}
    with tempfile.TemporaryDirectory() as tmp:
        res = {c: harness.run_child(__file__, c, data, Path(tmp)/f'{c}.json', child_args(a), f'{NAME}: {c}') for c in a.contenders}
    report = harness.report(res, {**settings(a), **data_info}, NOTES, ratios(res))
    out = harness.write_report(report, Path(a.results_dir)/harness.results_name(NAME, a))
    print_table(report, out)
    return report

def ratios(res:dict) -> dict:
    return {f'fastcourse/fastai_{k}': harness.ratio(res, k) for k in ('s_per_epoch', 'model_step_s')}

def print_table(report:dict, out:Path):
    st = report['settings']
    print(f'\n## {NAME}  (U-Net on resnet18 from scratch, fine_tune({st["epochs"]}, base_lr={st["base_lr"]}, '
          f'freeze_epochs={st["freeze_epochs"]}); bs {st["bs"]}, {st["num_workers"]} workers, {st["torch_threads"]} threads, '
          f'{st["device"]})')
    if st['limit_batches']: print(f'   DEBUG RUN: epochs cut to {st["limit_batches"]} batches')
    print(f'{"contender":<11} {"params M":>8} {"step s":>7} {"s/epoch":>8} {"img/s":>6} {"fit s":>7} {"peak MB":>8} {"trn loss":>8} '
          f'{"val loss":>8} {"acc":>6} {"dice":>6}  epochs (s)')
    for c, r in report['results'].items():
        if 'error' in r: print(f'{c:<11} {r["error"]}'); continue
        print(f'{c:<11} {r["n_params"] / 1e6:8.2f} {r["model_step_s"]:7.3f} {r["s_per_epoch"]:8.2f} {r["images_per_s"]:6.0f} {r["fit_s"]:7.1f} '
              f'{r["peak_rss_mb"]:8.0f} {r["final_train_loss"]:8.4f} {r["final_valid_loss"]:8.4f} '
              f'{r["final_acc_camvid"]:6.4f} {r["final_dice_multi"]:6.4f}  '
              f'{" ".join(f"{t:.1f}" for t in r["epoch_s"])}')
    print(f'trivial baseline (always {st["trivial_baseline_class"]!r}): acc {st["trivial_baseline_acc"]:.4f}')
    harness.print_ratios_and_digests(report)
    print("note: the two U-Nets are different models (see params): s/epoch compares models and loops together.")
    digests = {r.get('valid_digest') for r in report['results'].values() if 'error' not in r}
    if len(digests) == 1: print(f'valid_digest {digests.pop()}: the same validation files for every contender')
    print(f'written {out}')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--epochs', type=int, default=8, help='epochs of fine_tune after the frozen ones')
    p.add_argument('--freeze-epochs', type=int, default=3, help='epochs of fine_tune with the encoder frozen')
    p.add_argument('--seed', type=int, default=42, help='training seed (the validation split always uses 42)')
    p.add_argument('--workers', type=int, default=2, help='DataLoader worker processes, for every contender')
    p.add_argument('--limit-batches', type=int, default=None, help='debug: stop each train/valid pass after N batches')
    harness.add_common_args(p, CONTENDERS)
    return harness.parse(p, argv, CONTENDERS)

def main(argv=None): harness.main(parse_args(argv), child_main, run_all)

if __name__ == '__main__': main()
