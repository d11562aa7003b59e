"""Chapter 1k's recipe (key-point regression: where is the digit?, resnet18 from scratch): fastcourse against fastai 2.8.12.

Both contenders run the same recipe on the same extracted data folder, with the same seed, `torch.set_num_threads`,
device and number of DataLoader workers:

- Data: MNIST tiny (`untar_data(URLs.MNIST_TINY)`, through fastcourse's `untar_data` for both): the image files of
  `train/` then those of `valid/`, each folder sorted by path (709 + 699 handwritten 3s and 7s, 28x28 PNG). Each digit
  is pasted on a black 64x64 'L' canvas with its top-left corner at `(x, y)` drawn by
  `random.Random(zlib.crc32(f.name.encode()))`: `(rnd.randrange(64 - 28), rnd.randrange(64 - 28))`, so an item always
  looks the same. The target is ONE point, the digit's centre `(x + 14, y + 14)` in pixels (x across, y down).
- Split: the `train/` and `valid/` folders (`GrandparentSplitter()` in both libraries).
- `DataBlock(blocks=(ImageBlock, PointBlock), get_x=canvas_rgb, get_y=centre, splitter=GrandparentSplitter(),
  batch_tfms=aug_transforms())`, bs 32: no item transform besides each library's `PointScaler` (pixels to -1..1);
  on the batch, each library's default augmentation (flips, rotation, zoom, warp and lighting on training batches;
  the points move with the pixels). The items are the list of image files, given to `.dataloaders(files, ...)`.
  - `get_x` returns the canvas converted to RGB, not the 'L' canvas of the notebook: fastai's `ImageBlock` reads
    its items with `PILImage.create`, which keeps a PIL image as it is (its `mode='RGB'` applies to files only),
    so an 'L' canvas becomes a 1-channel batch that fastai's 3-channel resnet18 refuses ("expected input[32, 1,
    64, 64] to have 3 channels"). fastcourse's `ImageBlock` makes 3 channels of either; an RGB canvas is the same
    3-channel batch for both.
  - `get_y` returns a float tensor of shape (1, 2): what fastai's `TensorPoint.create` makes of it, and one of
    the shapes fastcourse's `get_points` takes.
  - `fastai`: everything from `fastai.vision.all`.
  - `fastcourse`: `fastcourse.data`, `fastcourse.points`, `fastcourse.splitters`, `fastcourse.augment`.
- Model: torchvision's `resnet18` with random weights (`pretrained=False`: fastai cannot download ImageNet weights
  offline, and neither library adds a normalisation then), `vision_learner(dls, resnet18, y_range=(-1, 1),
  pretrained=False)`, each library's own head (concat pooling, BatchNorm/Dropout/Linear, 512 hidden, 2 outputs,
  `SigmoidRange(-1, 1)`) and its default loss for points (`MSELossFlat` in both).
  - `fastai`: `fastai.vision.all.vision_learner` with `torchvision.models.resnet18`; the head's linear layers
    start from plain Kaiming-normal weights (and have no bias).
  - `fastcourse`: `fastcourse.vision.vision_learner` with `'resnet18'`. With a `y_range`, it starts the head's last
    linear layer at 0.1x its Kaiming scale with a zero bias, so that the first predictions sit mid-range, where the
    sigmoid is steep: THIS IS AN INTENDED DIFFERENCE between the contenders (the recipe of each library), not an
    accident of the benchmark. fastcourse also keeps model and images in channels-last memory format by default
    (the `ChannelsLast` callback); fastai uses PyTorch's default (contiguous NCHW).
- A third contender, `fastcourse_kaiming`, is fastcourse with the head's last layer re-drawn after `vision_learner` as
  fastai draws it (plain Kaiming-normal weights, zero bias), to measure what the mid-range start is worth.
- Training: `fine_tune(8, base_lr=1e-2, freeze_epochs=2)` (`--epochs`, `--freeze-epochs`, `--lr`): 2 epochs with the
  body frozen (BatchNorm stays trainable), then 8 epochs of everything; each library's defaults otherwise.

Each contender reports seconds per epoch (wall clock from `before_epoch` to `after_epoch`, training plus validation,
over all freeze and unfreeze epochs), images per second (images trained and validated over the time of all epochs),
the seconds of `fine_tune`, the final train and valid losses from its recorder (valid loss: the MSE in -1..1 units),
the number of parameters of its model and the peak resident memory. After training, from its validation predictions
and targets (`learn.get_preds()`), ONE function outside both libraries (`point_errors`) gives the validation MSE
(-1..1 units) and the mean distance in pixels of the 64x64 canvas between the predicted and the true centres; each
contender also checks that its targets are the true centres of its validation files, in order. The settings give the
baseline: predict the mean training point (from the targets, in -1..1 units) for every validation image, with its MSE
and mean pixel distance. Each contender runs in its own fresh subprocess of this script, one after the other, so that
the peak resident memory (`ru_maxrss` of that process; DataLoader worker processes are not included) and the imports
do not leak from one contender into the next.

Run it from the repository root, with datasets from the offline mirror:

    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_points.py
    FASTCOURSE_MIRROR=... .venv/bin/python bench/bench_points.py --epochs 1 --freeze-epochs 1 --limit-batches 2 \\
        --results-dir /tmp/bench  # smoke test

Results go to `bench/results/digits_points.json` (machine, versions, settings, per-contender numbers); a short table
and the fastcourse/fastai ratios are printed.
"""
from __future__ import annotations
import argparse, random, sys, tempfile, time, zlib
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import digest, fastai_timer, fastcourse_timer, seed_everything  # noqa: E402

NAME = 'digits_points'
CONTENDERS = ('fastai', 'fastcourse', 'fastcourse_kaiming')
S, D = 64, 28  # the canvas's side, the digits' side (pixels)
RECIPE = dict(dataset='MNIST_TINY', items='image files of train/ then valid/, each sorted', canvas=f'{S}x{S} black, digit pasted',
              corner='random.Random(zlib.crc32(f.name.encode())): (randrange(64 - 28), randrange(64 - 28))',
              target='one point, the digit centre (x + 14, y + 14) in pixels', get_x='canvas converted to RGB',
              split='GrandparentSplitter(): train/ vs valid/', item_tfms=None, batch_tfms='aug_transforms()', bs=32,
              arch='torchvision resnet18, pretrained=False, each library its own head', y_range=(-1, 1), loss='MSELossFlat',
              schedule='fine_tune(epochs, base_lr, freeze_epochs)')
NOTES = ["Both contenders read the same image files (the same sorted list) and validate on valid/; valid_digest checks it, and "
         "targets_max_err_px checks that each library's targets are the true centres of its validation files, in order.",
         "get_x returns the canvas in RGB: fastai's PILImage.create keeps a PIL 'L' image as one channel, which its 3-channel "
         "resnet18 refuses; fastcourse would make 3 channels of either.",
         "fastcourse's vision_learner with a y_range starts the head's last linear layer at 0.1x its Kaiming scale with a zero bias "
         "(first predictions mid-range, where the sigmoid is steep); fastai uses plain Kaiming-normal weights: an intended "
         "difference between the recipes.",
         "fastcourse_kaiming is fastcourse with that last layer re-drawn as fastai draws it (plain Kaiming-normal, zero bias): "
         "the difference between it and fastcourse is what the mid-range start is worth.",
         "fastcourse's head's last linear layer has a bias (2 parameters), fastai's has none.",
         "pretrained=False: neither library normalises the inputs; both fine_tune runs freeze the body for freeze_epochs all the "
         "same (BatchNorm layers stay trainable). Both split resnet18 into 3 parameter groups (stem to layer2, layer3-4, head).",
         "fastcourse's vision_learner keeps model and images in channels-last memory format by default (ChannelsLast callback); "
         "fastai uses PyTorch's default (contiguous NCHW).",
         "Every fastcourse learner fitting on the CPU keeps freed memory in the process between batches (CPUMemoryCache); "
         "fastai runs with glibc's defaults.",
         "fastai's train_loss is its smoothed loss; fastcourse reports the epoch mean.",
         "valid_mse and valid_px (results) come from one function outside both libraries (point_errors) on learn.get_preds(): "
         "the mean squared error in -1..1 units, and the mean distance between predicted and true centres in pixels of the "
         "64x64 canvas. baseline_mse and baseline_px (settings): the mean training point predicted for every validation image.",
         "peak_rss_mb is ru_maxrss of the contender's main process; DataLoader worker processes are not included."]


# ---------------------------------------------------------------- shared by the contenders and the main process

def image_files(data:Path) -> list[Path]:
    "The digits: the PNG files of `train/`, then those of `valid/`, each folder sorted by path."
    return [p for split in ('train', 'valid') for p in sorted((data/split).rglob('*.png'))]

def corner(f) -> tuple[int, int]:
    "Where the top-left corner of digit `f` goes on the canvas, `(x, y)`: drawn from its file name, the same every time."
    rnd = random.Random(zlib.crc32(Path(f).name.encode()))
    return rnd.randrange(S - D), rnd.randrange(S - D)

def canvas_rgb(f):
    "Digit `f` pasted on a black `S`x`S` canvas, in RGB (both libraries' ImageBlock then make the same 3-channel image)."
    from PIL import Image
    im = Image.new('L', (S, S))
    with Image.open(f) as digit: im.paste(digit, corner(f))
    return im.convert('RGB')

def centre(f):
    "The target: the centre of digit `f` on its canvas, `[[x, y]]` in pixels, a float tensor of shape (1, 2)."
    import torch
    x, y = corner(f)
    return torch.tensor([[x + D / 2, y + D / 2]])

def to_unit(px):
    "Pixels of the canvas -> -1 (left, top edge) to 1 (right, bottom edge), as both libraries' PointScaler."
    return px * 2 / S - 1

def point_errors(preds, targs) -> dict:
    """The validation MSE (-1..1 units) and the mean distance in pixels of the canvas between predicted and true
    centres, from `preds` (n, 2) and `targs` (n, 1, 2) in -1..1 units. The same function for both libraries."""
    import torch
    p, t = (torch.as_tensor(x).as_subclass(torch.Tensor).detach().float().cpu().reshape(-1, 2) for x in (preds, targs))
    if p.shape != t.shape: raise ValueError(f'predictions {tuple(p.shape)} and targets {tuple(t.shape)} do not pair up')
    return {'mse': float(((p - t) ** 2).mean()), 'px': float(((p - t) * S / 2).norm(dim=-1).mean())}

def targets_max_err_px(targs, files) -> float:
    "How far (pixels) the targets of `get_preds` lie from the true centres of the validation `files`, in order."
    import torch
    t = torch.as_tensor(targs).as_subclass(torch.Tensor).float().cpu().reshape(-1, 2)
    true = torch.cat([centre(f) for f in files])
    if t.shape != true.shape: raise ValueError(f'{len(t)} validation targets for {len(true)} validation files')
    return float(((t + 1) * S / 2 - true).abs().max())

def baseline(data:Path) -> dict:
    "The mean training point (from the targets, -1..1 units) predicted for every validation image: its MSE and pixel distance."
    import torch
    files = image_files(data)
    pts = {s: to_unit(torch.cat([centre(f) for f in files if f.parent.parent.name == s])) for s in ('train', 'valid')}
    mean = pts['train'].mean(0)
    err = point_errors(mean.expand_as(pts['valid']), pts['valid'][:, None])
    return {'n_train': len(pts['train']), 'n_valid': len(pts['valid']), 'mean_train_point': mean.tolist(),
            'baseline_mse': err['mse'], 'baseline_px': err['px']}


# ---------------------------------------------------------------- the contenders (child processes)

def run_fastai(data:Path, a) -> dict:
    from fastai.vision.all import (DataBlock, GrandparentSplitter, ImageBlock, PointBlock, ProgressCallback, aug_transforms,
                                   vision_learner)
    from torchvision.models import resnet18
    t0 = time.perf_counter()
    seed_everything(a.seed)
    db = DataBlock(blocks=(ImageBlock, PointBlock), get_x=canvas_rgb, get_y=centre, splitter=GrandparentSplitter(),
                   batch_tfms=aug_transforms())
    dls = db.dataloaders(image_files(data), bs=RECIPE['bs'], num_workers=a.workers, device=a.device)
    learn = vision_learner(dls, resnet18, y_range=RECIPE['y_range'], pretrained=False)
    learn.remove_cb(ProgressCallback)
    timer = fastai_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**fit(learn, timer, a, t0), '_t0': t0}
    rec = learn.recorder  # values hold [train_loss, valid_loss], names also have 'epoch' and 'time'
    final = dict(zip(rec.metric_names[1:-1], rec.values[-1]))
    learn.remove_cb(timer)  # it would cut get_preds short under --limit-batches
    preds, targs = learn.get_preds()  # every validation canvas, after timing
    return {**res, **results(preds, targs, dls.valid_ds.items), 'final_train_loss': float(final['train_loss']),
            'final_valid_loss': float(final['valid_loss']), 'loss_func': type(learn.loss_func).__name__ + ' of ' +
            type(learn.loss_func.func).__name__, 'n_params': n_params(learn.model),
            'n_param_groups': len(learn.splitter(learn.model)), 'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds)}

def run_fastcourse(data:Path, a, kaiming:bool=False) -> dict:
    "fastcourse's recipe; `kaiming`: the head's last layer re-drawn as fastai draws it (plain Kaiming-normal, zero bias)."
    from torch import nn
    from fastcourse.data import DataBlock, ImageBlock
    from fastcourse.points import PointBlock
    from fastcourse.splitters import GrandparentSplitter
    from fastcourse.augment import aug_transforms
    from fastcourse.vision import vision_learner
    t0 = time.perf_counter()
    seed_everything(a.seed)
    db = DataBlock((ImageBlock, PointBlock), get_x=canvas_rgb, get_y=centre, splitter=GrandparentSplitter(),
                   batch_tfms=aug_transforms())
    dls = db.dataloaders(image_files(data), path=data, bs=RECIPE['bs'], num_workers=a.workers, device=a.device)
    learn = vision_learner(dls, 'resnet18', y_range=RECIPE['y_range'], pretrained=False)  # channels-last by default
    if kaiming:  # undo the mid-range start, to measure what it is worth
        last = [m for m in learn.model[1].modules() if isinstance(m, nn.Linear)][-1]
        nn.init.kaiming_normal_(last.weight); nn.init.zeros_(last.bias)
    learn.remove_cb(learn.progress)
    timer = fastcourse_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**fit(learn, timer, a, t0), '_t0': t0}
    rec = learn.recorder
    learn.remove_cb(timer)  # it would cut get_preds short under --limit-batches
    preds, targs = learn.get_preds()  # every validation canvas, after timing
    return {**res, **results(preds, targs, dls.valid.dataset.items), 'final_train_loss': float(rec.final('train_loss')),
            'final_valid_loss': float(rec.final('valid_loss')), 'loss_func': type(learn.loss_func).__name__,
            'n_params': n_params(learn.model), 'n_param_groups': len(learn.splitter(learn.model)),
            'n_train': len(dls.train.dataset), 'n_valid': len(dls.valid.dataset)}

def results(preds, targs, valid_items) -> dict:
    "What the bench computes itself from a contender's validation predictions: the same for both libraries."
    err = point_errors(preds, targs)
    return {'valid_mse': err['mse'], 'valid_px': err['px'], 'targets_max_err_px': targets_max_err_px(targs, valid_items),
            'preds_shape': list(preds.shape), 'targs_shape': list(targs.shape), 'valid_digest': digest(valid_items)}

def n_params(model) -> int: return sum(p.numel() for p in model.parameters())

def fit(learn, timer, a, t0:float) -> dict:
    "Train with the recipe's schedule; fastai's and fastcourse's `fine_tune` take the same arguments."
    t1 = time.perf_counter()
    learn.fine_tune(a.epochs, base_lr=a.lr, freeze_epochs=a.freeze_epochs)
    t2 = time.perf_counter()
    return {'setup_s': t1 - t0, 'fit_s': t2 - t1, 'epoch_s': list(timer.times), 'epoch_images': list(timer.images)}


RUNNERS = {'fastai': run_fastai, 'fastcourse': run_fastcourse, 'fastcourse_kaiming': partial(run_fastcourse, kaiming=True)}

def child_main(a):
    "Run one contender in this (fresh) process and write its numbers to `a.json`."
    harness.child_main(RUNNERS[a.contender], a, Path(a.data))


# ---------------------------------------------------------------- orchestration (main process)

def settings(a) -> dict:
    return {'task': NAME, **RECIPE, 'epochs': a.epochs, 'freeze_epochs': a.freeze_epochs, 'base_lr': a.lr, 'seed': a.seed,
            'num_workers': a.workers, 'torch_threads': a.threads, 'device': a.device, 'limit_batches': a.limit_batches,
            'contender_order': a.contenders}

def child_args(a) -> list[str]:
    return ['--epochs', str(a.epochs), '--freeze-epochs', str(a.freeze_epochs), '--lr', repr(a.lr), '--seed', str(a.seed),
            '--workers', str(a.workers), '--threads', str(a.threads), '--device', a.device,
            *(['--limit-batches', str(a.limit_batches)] if a.limit_batches else [])]

def run_all(a) -> dict:
    data = harness.dataset_path(RECIPE['dataset'])  # extracted here, once, so no contender's time includes it
    harness.warm_file_cache(data)
    data_info = {'data': str(data), **baseline(data)}
    with tempfile.TemporaryDirectory() as tmp:
        res = {c: harness.run_child(__file__, c, data, Path(tmp)/f'{c}.json', child_args(a), f'{NAME}: {c}') for c in a.contenders}
    report = harness.report(res, {**settings(a), **data_info}, NOTES, ratios(res))
    out = harness.write_report(report, Path(a.results_dir)/harness.results_name(NAME, a))
    print_table(report, out)
    return report

def ratios(res:dict) -> dict:
    return {f'fastcourse/fastai_{k}': harness.ratio(res, k) for k in ('s_per_epoch', 'valid_mse', 'valid_px')}

def print_table(report:dict, out:Path):
    st = report['settings']
    print(f'\n## {NAME}  (resnet18 from scratch, y_range (-1, 1), fine_tune({st["epochs"]}, base_lr={st["base_lr"]}, '
          f'freeze_epochs={st["freeze_epochs"]}); bs {st["bs"]}, {st["num_workers"]} workers, {st["torch_threads"]} threads, '
          f'{st["device"]})')
    if st['limit_batches']: print(f'   DEBUG RUN: epochs cut to {st["limit_batches"]} batches')
    print(f'{"contender":<18} {"params M":>8} {"s/epoch":>8} {"img/s":>6} {"fit s":>7} {"peak MB":>8} {"trn loss":>8} '
          f'{"val loss":>8} {"val mse":>8} {"px dist":>7}  epochs (s)')
    for c, r in report['results'].items():
        if 'error' in r: print(f'{c:<18} {r["error"]}'); continue
        print(f'{c:<18} {r["n_params"] / 1e6:8.2f} {r["s_per_epoch"]:8.2f} {r["images_per_s"]:6.0f} {r["fit_s"]:7.1f} '
              f'{r["peak_rss_mb"]:8.0f} {r["final_train_loss"]:8.4f} {r["final_valid_loss"]:8.4f} {r["valid_mse"]:8.4f} '
              f'{r["valid_px"]:7.2f}  {" ".join(f"{t:.1f}" for t in r["epoch_s"])}')
    print(f'baseline (the mean training point for every validation image): mse {st["baseline_mse"]:.4f}, '
          f'px dist {st["baseline_px"]:.2f}')
    harness.print_ratios_and_digests(report)
    ok = {c: r for c, r in report['results'].items() if 'error' not in r}
    bad = {c: r['targets_max_err_px'] for c, r in ok.items() if r['targets_max_err_px'] > 1e-3}
    if bad: print(f'WARNING: targets that are not the true centres of the validation files (max error, px): {bad}')
    digests = {r.get('valid_digest') for r in ok.values()}
    if len(digests) == 1 and not bad:
        print(f'valid_digest {digests.pop()}: the same validation files and targets for every contender')
    print(f'written {out}')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--epochs', type=int, default=8, help='epochs of fine_tune after the frozen ones')
    p.add_argument('--freeze-epochs', type=int, default=2, help='epochs of fine_tune with the body frozen')
    p.add_argument('--lr', type=float, default=1e-2, help="fine_tune's base_lr")
    p.add_argument('--seed', type=int, default=42, help='training seed (the canvases do not depend on it)')
    p.add_argument('--workers', type=int, default=2, help='DataLoader worker processes, for every contender')
    p.add_argument('--limit-batches', type=int, default=None, help='debug: stop each train/valid pass after N batches')
    harness.add_common_args(p, CONTENDERS)
    return harness.parse(p, argv, CONTENDERS)

def main(argv=None): harness.main(parse_args(argv), child_main, run_all)

if __name__ == '__main__': main()
