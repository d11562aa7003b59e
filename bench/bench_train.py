"""Training speed, memory and accuracy of fastcourse against fastai 2.8.12 and a bare PyTorch loop.

For each task the contenders train the same torchvision `resnet18` (random init, `pretrained=False`) on the
same extracted data folders, with the same batch size, epochs, image size, seeds, one-cycle schedule,
`torch.set_num_threads`, device and number of DataLoader workers:

- `fastai`: `fastai.vision.all.ImageDataLoaders` + `vision_learner(dls, torchvision.models.resnet18, pretrained=False)`.
- `fastcourse`: `fastcourse.data.ImageDataLoaders` + `fastcourse.vision.vision_learner(dls, 'resnet18', pretrained=False)`.
- `bare`: a `torch.utils.data.DataLoader` over a tiny Dataset (torchvision.io decoding, the same resize-crop),
  torchvision's `resnet18` with its `fc` replaced by one `Linear` (NOT the fastai/fastcourse head: pooling, two
  BatchNorm/Dropout/Linear blocks), `AdamW`, `OneCycleLR`, cross-entropy, and an eval pass for the error rate.
- `bare_cl`: the same bare loop with model and images in channels-last memory format, which fastcourse's
  `vision_learner` uses by default.
- `fastcourse_nocache`: fastcourse without its `CPUMemoryCache` callback (which every learner has: on Linux it keeps
  the memory freed after a CPU batch for the next one instead of letting glibc return it to the system and fault it
  back in), to show how much of fastcourse's CPU time that saves.

Tasks:

- `mnist_sample`: MNIST 3s and 7s from `train/` and `valid/`, 28x28 as stored (3 channels), bs 64, no augmentation,
  `fit_one_cycle(1, 1e-3)`.
- `pets_128`: the Oxford-IIIT Pet images labelled by breed (`^(.+)_\\d+\\.jpg$`), random 20% validation split with
  seed 42, item transform `Resize(128)` (crop: random on train, centre on valid), no batch augmentation, bs 32,
  `fine_tune(2)`. fastai's `fine_tune` freezes the body for one epoch even when `pretrained=False` (so do fastcourse
  and the bare loop): 1 epoch with the body frozen (BatchNorm layers stay trainable) at `slice(2e-3)`, pct_start 0.99;
  then 2 epochs unfrozen at `slice(1e-5, 1e-3)`, pct_start 0.3, div 5. The bare loop does the same with 2 parameter
  groups (body, fc) and one `OneCycleLR` per phase on one `AdamW` (fastcourse also splits body/head; fastai splits a
  resnet in 3 groups, so its middle group gets 1e-4).
- `bare_cl`: the bare loop with model and images in channels-last memory format, as fastcourse's `vision_learner`
  does by default.
- `pets_224` (asked for by name; the GPU recipe): the same as `pets_128` at 224 px with bs 64. Run it with
  `--device cuda --precision bf16 --channels-last`: bf16 mixed precision (`to_bf16()` in both libraries, autocast in
  the bare loop) and every model in channels-last (fastai gets its `ChannelsLast` callback; use the `bare_cl`
  contender). On the CPU fastcourse's `to_bf16()` is a no-op, so bf16 numbers only compare on a GPU.

Besides seconds per epoch, each contender reports images per second: images trained and validated over the time of
all epochs.

Each contender runs in its own fresh subprocess of this script, one after the other, so that the peak resident
memory (`ru_maxrss` of that process; DataLoader worker processes are not included) and the imports do not leak from
one contender into the next. Seconds per epoch are wall clock from `before_epoch` to `after_epoch` (training plus
validation), as the libraries' own callbacks see them; the bare loop times the same span.

Run it from the repository root, with datasets from the offline mirror:

    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_train.py              # both tasks
    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_train.py --task pets_128
    FASTCOURSE_MIRROR=... python bench/bench_train.py --task pets_224 --device cuda --precision bf16 --channels-last \
        --contenders fastai,fastcourse,bare_cl --workers 8 --threads 8                            # on a GPU
    .venv/bin/python bench/bench_train.py --task mnist_sample --limit-batches 3 --results-dir /tmp/bench  # smoke test

Results go to `bench/results/<task>.json` (machine, versions, settings, per-contender numbers); a short table and the
fastcourse/fastai and fastcourse/bare ratios of seconds per epoch are printed. See bench/README.md for the targets.
"""
from __future__ import annotations
import argparse, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness  # noqa: E402
from harness import digest, fastai_timer, fastcourse_timer, seed_everything  # noqa: E402
CONTENDERS = ('fastai', 'fastcourse', 'bare', 'bare_cl', 'fastcourse_nocache')
TASKS = {
    'mnist_sample': dict(dataset='MNIST_SAMPLE', layout='folder', bs=64, size=None, schedule='fit_one_cycle',
                         epochs=1, lr_max=1e-3),
    'pets_128': dict(dataset='PETS', layout='name_re', subdir='images', pat=r'^(.+)_\d+\.jpg$', valid_pct=0.2,
                     split_seed=42, bs=32, size=128, schedule='fine_tune', epochs=2, freeze_epochs=1, base_lr=2e-3),
    # the GPU recipe: run with --device cuda --precision bf16 --channels-last (see bench/README.md)
    'pets_224': dict(dataset='PETS', layout='name_re', subdir='images', pat=r'^(.+)_\d+\.jpg$', valid_pct=0.2,
                     split_seed=42, bs=64, size=224, schedule='fine_tune', epochs=2, freeze_epochs=1, base_lr=2e-3),
}
DEFAULT_TASKS = ('mnist_sample', 'pets_128')  # the CPU tasks; pets_224 is asked for by name
# fastai's and fastcourse's defaults, which the bare loop copies
ONE_CYCLE = dict(div=25., div_final=1e5, pct_start=0.25, moms=(0.95, 0.85, 0.95))
FINE_TUNE = dict(lr_mult=100, pct_start=0.3, div=5., frozen_pct_start=0.99)
ADAM = dict(betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
NOTES = [("bare uses torchvision resnet18 with fc replaced by Linear(512, n_classes); fastai and fastcourse use "
          "their own head (concat pooling, BatchNorm/Dropout/Linear 1024->512->n_classes), so models differ in the head."),
         "pretrained=False: no ImageNet normalisation is added by either library, and none in the bare loop.",
         "peak_rss_mb is ru_maxrss of the contender's main process; DataLoader worker processes are not included.",
         "fastai's train_loss is its smoothed loss; fastcourse and bare report the epoch mean.",
         "fastcourse's vision_learner keeps model and images in channels-last memory format by default (ChannelsLast callback); "
         "fastai and `bare` use PyTorch's default (contiguous NCHW); `bare_cl` is the bare loop with channels-last, to show how much "
         "of the difference is the memory format.",
         "Every fastcourse learner fitting on the CPU keeps freed memory in the process between batches (CPUMemoryCache: glibc's "
         "mallopt thresholds, restored after fit); fastai and the bare loop run with glibc's defaults; `fastcourse_nocache` is "
         "fastcourse without that callback."]


# ---------------------------------------------------------------- the contenders

def library_dls(ImageDataLoaders, get_image_files, Resize, task:dict, data:Path, a):
    "The task's `DataLoaders`, built with fastai's or fastcourse's classes (both have the same factory methods)."
    kw = dict(bs=task['bs'], num_workers=a.workers, device=a.device)
    if task['layout'] == 'folder': return ImageDataLoaders.from_folder(data, train='train', valid='valid', **kw)
    fnames = sorted(get_image_files(data/task['subdir']))
    return ImageDataLoaders.from_name_re(data, fnames, task['pat'], valid_pct=task['valid_pct'], seed=task['split_seed'],
                                         item_tfms=Resize(task['size']), **kw)

def run_fastai(task:dict, data:Path, a) -> dict:
    from fastai.vision.all import (ChannelsLast, ImageDataLoaders, ProgressCallback, Resize, error_rate, get_image_files,
                                   vision_learner)
    from torchvision.models import resnet18
    t0 = time.perf_counter()
    seed_everything(a.seed)
    dls = library_dls(ImageDataLoaders, get_image_files, Resize, task, data, a)
    learn = vision_learner(dls, resnet18, pretrained=False, metrics=error_rate)
    learn.remove_cb(ProgressCallback)
    if a.channels_last: learn.add_cb(ChannelsLast())
    if a.precision == 'bf16': learn.to_bf16()
    timer = fastai_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**train_with_library(learn, task, timer, t0), '_t0': t0}
    rec = learn.recorder  # values hold [train_loss, valid_loss, metrics...], names also have 'epoch' and 'time'
    final = dict(zip(rec.metric_names[1:-1], rec.values[-1]))
    return {**res, 'final_train_loss': float(final['train_loss']), 'final_valid_loss': float(final['valid_loss']),
            'final_error_rate': float(final['error_rate']), 'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds),
            'valid_digest': digest(dls.valid_ds.items), 'vocab_size': len(dls.vocab)}

def run_fastcourse(task:dict, data:Path, a, memory_cache:bool=True) -> dict:
    from fastcourse.data import get_image_files
    from fastcourse.image_data import ImageDataLoaders
    from fastcourse.callback import error_rate
    from fastcourse.cpu_memory import CPUMemoryCache
    from fastcourse.transforms import Resize
    from fastcourse.vision import vision_learner
    t0 = time.perf_counter()
    seed_everything(a.seed)
    dls = library_dls(ImageDataLoaders, get_image_files, Resize, task, data, a)
    learn = vision_learner(dls, 'resnet18', metrics=error_rate, pretrained=False)  # channels-last by default
    learn.remove_cb(learn.progress)
    if not memory_cache: learn.remove_cb(CPUMemoryCache)
    if a.precision == 'bf16': learn.to_bf16()
    timer = fastcourse_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**train_with_library(learn, task, timer, t0), '_t0': t0}
    rec = learn.recorder
    return {**res, 'final_train_loss': float(rec.final('train_loss')), 'final_valid_loss': float(rec.final('valid_loss')),
            'final_error_rate': float(rec.final('error_rate')), 'n_train': len(dls.train.dataset),
            'n_valid': len(dls.valid.dataset), 'valid_digest': digest(dls.valid.dataset.items), 'vocab_size': len(dls.vocab)}

def train_with_library(learn, task:dict, timer, t0:float) -> dict:
    "Run the task's schedule on a fastai or fastcourse `learn`; both have the same `fit_one_cycle`/`fine_tune`."
    t1 = time.perf_counter()
    if task['schedule'] == 'fit_one_cycle': learn.fit_one_cycle(task['epochs'], task['lr_max'])
    else: learn.fine_tune(task['epochs'], base_lr=task['base_lr'], freeze_epochs=task['freeze_epochs'])
    t2 = time.perf_counter()
    return {'setup_s': t1 - t0, 'fit_s': t2 - t1, 'epoch_s': list(timer.times), 'epoch_images': list(timer.images)}


# ---------------------------------------------------------------- the bare PyTorch loop

def bare_items(task:dict, data:Path):
    "(train files, valid files, label of a file): the same folders, split and labels as the libraries."
    import re, torch
    if task['layout'] == 'folder':
        files = lambda d: sorted(p for p in (data/d).rglob('*') if p.suffix.lower() in ('.png', '.jpg', '.jpeg'))
        return files('train'), files('valid'), lambda p: p.parent.name
    fnames = sorted(p for p in (data/task['subdir']).iterdir() if p.suffix.lower() in ('.jpg', '.jpeg', '.png'))
    idx = torch.randperm(len(fnames), generator=torch.Generator().manual_seed(task['split_seed'])).tolist()
    cut = int(task['valid_pct'] * len(fnames))
    pat = re.compile(task['pat'])
    return [fnames[i] for i in idx[cut:]], [fnames[i] for i in idx[:cut]], lambda p: pat.search(p.name).group(1)

def make_dataset(files, labels, size:int|None, train:bool):
    "Decode with torchvision.io (RGB); resize-crop like `Resize(size)`: cover the square, crop random/centre."
    import torch
    import torchvision.transforms.v2.functional as TF
    from torchvision.io import ImageReadMode, decode_image

    class ImageFiles(torch.utils.data.Dataset):
        def __len__(self): return len(files)
        def __getitem__(self, i):
            x = decode_image(str(files[i]), mode=ImageReadMode.RGB)
            if size is None: return x, labels[i]
            H, W = x.shape[-2:]
            s = max(size / H, size / W)
            ch, cw = min(H, round(size / s)), min(W, round(size / s))
            top = int(torch.randint(0, H - ch + 1, ())) if train else (H - ch) // 2
            left = int(torch.randint(0, W - cw + 1, ())) if train else (W - cw) // 2
            return TF.resized_crop(x, top, left, ch, cw, [size, size], antialias=True), labels[i]
    return ImageFiles()

def bare_loaders(task:dict, data:Path, a):
    import torch
    trn, val, label = bare_items(task, data)
    vocab = sorted({label(p) for p in trn})
    o2i = {v: i for i, v in enumerate(vocab)}
    kw = dict(batch_size=task['bs'], num_workers=a.workers, persistent_workers=a.workers > 0,
              pin_memory=torch.device(a.device).type == 'cuda')
    mk = lambda fs, train: torch.utils.data.DataLoader(make_dataset(fs, [o2i[label(p)] for p in fs], task['size'], train),
                                                       shuffle=train, drop_last=train and len(fs) > task['bs'], **kw)
    return mk(trn, True), mk(val, False), vocab, val

def bare_model(n_out:int):
    import torch, torchvision
    m = torchvision.models.resnet18(weights=None)
    m.fc = torch.nn.Linear(m.fc.in_features, n_out)
    return m

def set_frozen(model, frozen:bool):
    "Freeze or unfreeze everything but `fc`; BatchNorm layers stay trainable (fastai's `train_bn=True`)."
    import torch
    for name, mod in model.named_children():
        if name == 'fc': continue
        for m in mod.modules():
            bn = isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            for p in m.parameters(recurse=False): p.requires_grad_(bn or not frozen)

def one_cycle(opt, max_lrs, n_epoch:int, n_iter:int, pct_start:float, div:float):
    "`OneCycleLR` shaped like fastai's `fit_one_cycle`: cosine up from lr/div, cosine down to lr/div_final, moms cycled."
    import torch
    return torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=max_lrs, total_steps=n_epoch * n_iter, pct_start=pct_start, anneal_strategy='cos',
        div_factor=div, final_div_factor=ONE_CYCLE['div_final'] / div, cycle_momentum=True,
        base_momentum=ONE_CYCLE['moms'][1], max_momentum=ONE_CYCLE['moms'][0])

def bare_epoch(model, trn, val, opt, sched, device, limit:int|None, channels_last:bool=False, precision:str='fp32'):
    "Train one epoch, then validate: (train loss, valid loss, error rate, images seen), losses the mean over items."
    import torch
    import torch.nn.functional as F
    dev = torch.device(device)
    # bf16 autocast, as the libraries' `to_bf16` do (bf16 needs no gradient scaling)
    amp = lambda: torch.autocast(dev.type, dtype=torch.bfloat16, enabled=precision == 'bf16')
    model.train()
    tot, n = 0., 0
    for i, (xb, yb) in enumerate(trn):
        if limit and i >= limit: break
        xb, yb = xb.to(device, non_blocking=True).float().div_(255), yb.to(device, non_blocking=True)
        if channels_last: xb = xb.contiguous(memory_format=torch.channels_last)
        with amp(): loss = F.cross_entropy(model(xb), yb)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True); sched.step()
        tot, n = tot + loss.item() * len(yb), n + len(yb)
    model.eval()
    vtot, wrong, vn = 0., 0, 0
    with torch.no_grad():
        for i, (xb, yb) in enumerate(val):
            if limit and i >= limit: break
            xb, yb = xb.to(device, non_blocking=True).float().div_(255), yb.to(device, non_blocking=True)
            if channels_last: xb = xb.contiguous(memory_format=torch.channels_last)
            with amp(): out = model(xb).float()
            vtot += F.cross_entropy(out, yb, reduction='sum').item()
            wrong += (out.argmax(1) != yb).sum().item()
            vn += len(yb)
    return tot / max(n, 1), vtot / max(vn, 1), wrong / max(vn, 1), n + vn

def bare_phases(task:dict, n_groups:int):
    "[(param-group lrs, epochs, pct_start, div, frozen)] for the task, mirroring `fit_one_cycle`/`fine_tune`."
    if task['schedule'] == 'fit_one_cycle':
        return [([task['lr_max']] * n_groups, task['epochs'], ONE_CYCLE['pct_start'], ONE_CYCLE['div'], False)]
    lr = task['base_lr']
    return [([lr / 10, lr], task['freeze_epochs'], FINE_TUNE['frozen_pct_start'], ONE_CYCLE['div'], True),  # slice(lr)
            ([lr / 2 / FINE_TUNE['lr_mult'], lr / 2], task['epochs'], FINE_TUNE['pct_start'], FINE_TUNE['div'], False)]

def run_bare(task:dict, data:Path, a, channels_last:bool=False) -> dict:
    import torch
    t0 = time.perf_counter()
    seed_everything(a.seed)
    trn, val, vocab, val_files = bare_loaders(task, data, a)
    model = bare_model(len(vocab)).to(a.device)
    if channels_last: model = model.to(memory_format=torch.channels_last)
    body = [p for n, p in model.named_parameters() if not n.startswith('fc.')]
    groups = [{'params': list(model.parameters())}] if task['schedule'] == 'fit_one_cycle' else \
             [{'params': body}, {'params': list(model.fc.parameters())}]
    opt = torch.optim.AdamW(groups, lr=1e-3, **ADAM)
    t1, times, images = time.perf_counter(), [], []
    for lrs, n_epoch, pct_start, div, frozen in bare_phases(task, len(groups)):
        set_frozen(model, frozen)
        sched = one_cycle(opt, lrs, n_epoch, len(trn), pct_start, div)
        for _ in range(n_epoch):
            e0 = time.perf_counter()
            trn_loss, val_loss, err, n_img = bare_epoch(model, trn, val, opt, sched, a.device, a.limit_batches,
                                                        channels_last, a.precision)
            times.append(time.perf_counter() - e0); images.append(n_img)
    t2 = time.perf_counter()
    return {'_t0': t0, 'setup_s': t1 - t0, 'fit_s': t2 - t1, 'epoch_s': times, 'epoch_images': images,
            'final_train_loss': trn_loss,
            'final_valid_loss': val_loss, 'final_error_rate': err, 'n_train': len(trn.dataset),
            'n_valid': len(val.dataset), 'valid_digest': digest(val_files), 'vocab_size': len(vocab)}


RUNNERS = {'fastai': run_fastai, 'fastcourse': run_fastcourse, 'bare': run_bare,
           'bare_cl': lambda task, data, a: run_bare(task, data, a, channels_last=True),
           'fastcourse_nocache': lambda task, data, a: run_fastcourse(task, data, a, memory_cache=False)}

def child_main(a):
    "Run one contender on one task in this (fresh) process and write its numbers to `a.json`."
    harness.child_main(RUNNERS[a.contender], a, TASKS[a.task[0]], Path(a.data))


# ---------------------------------------------------------------- orchestration (main process)

def settings(name:str, a) -> dict:
    return {'task': name, **TASKS[name], 'arch': 'torchvision resnet18, pretrained=False', 'seed': a.seed,
            'num_workers': a.workers, 'torch_threads': a.threads, 'device': a.device, 'precision': a.precision,
            'fastai_channels_last': a.channels_last, 'batch_augmentation': None,
            'one_cycle': ONE_CYCLE, 'fine_tune': FINE_TUNE, 'bare_adamw': ADAM, 'limit_batches': a.limit_batches,
            'contender_order': a.contenders}

def child_args(a) -> list[str]:
    return ['--seed', str(a.seed), '--workers', str(a.workers), '--threads', str(a.threads), '--device', a.device,
            '--precision', a.precision, *(['--channels-last'] if a.channels_last else []),
            *(['--limit-batches', str(a.limit_batches)] if a.limit_batches else [])]

def results_name(name:str, a) -> str:
    "`<task>.json` for the CPU in fp32; the device and precision are added to the name otherwise."
    return f'{name}.json' if (a.device, a.precision) == ('cpu', 'fp32') else f'{name}-{a.device}-{a.precision}.json'

def run_task(name:str, a) -> dict:
    data = harness.dataset_path(TASKS[name]['dataset'])
    harness.warm_file_cache(data)
    with tempfile.TemporaryDirectory() as tmp:
        res = {c: harness.run_child(__file__, c, data, Path(tmp)/f'{name}-{c}.json', ['--task', name, *child_args(a)], f'{name}: {c}')
               for c in a.contenders}
    report = harness.report(res, {**settings(name, a), 'data': str(data)}, NOTES, ratios(res))
    print_table(name, report, harness.write_report(report, Path(a.results_dir)/results_name(name, a)))
    return report

def ratios(res:dict) -> dict:
    return {**{f'fastcourse/{o}_s_per_epoch': harness.ratio(res, 's_per_epoch', den=o) for o in ('fastai', 'bare', 'bare_cl')},
            'fastcourse_nocache/fastai_s_per_epoch': harness.ratio(res, 's_per_epoch', 'fastcourse_nocache')}

def print_table(name:str, report:dict, out:Path):
    st = report['settings']
    print(f'\n## {name}  ({st["schedule"]}, bs {st["bs"]}, {st["num_workers"]} workers, {st["torch_threads"]} threads, '
          f'{st["device"]}, {st["precision"]})')
    if report['settings']['limit_batches']: print(f'   DEBUG RUN: epochs cut to {report["settings"]["limit_batches"]} batches')
    print(f'{"contender":<18} {"s/epoch":>8} {"img/s":>8} {"total s":>8} {"peak MB":>8} {"val loss":>9} {"error":>7}  epochs (s)')
    for c, r in report['results'].items():
        if 'error' in r: print(f'{c:<18} {r["error"]}'); continue
        print(f'{c:<18} {r["s_per_epoch"]:8.2f} {r["images_per_s"]:8.0f} {r["total_s"]:8.1f} {r["peak_rss_mb"]:8.0f} '
              f'{r["final_valid_loss"]:9.4f} '
              f'{r["final_error_rate"]:7.4f}  {" ".join(f"{t:.1f}" for t in r["epoch_s"])}')
    harness.print_ratios_and_digests(report)
    print('note: the bare loop\'s model has a plain Linear head; fastai/fastcourse use their pooled BN/Dropout head.')
    print(f'written {out}')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--task', action='append', choices=list(TASKS), help='task to run (repeatable; default: mnist_sample and pets_128)')
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--workers', type=int, default=2, help='DataLoader worker processes, for every contender')
    p.add_argument('--precision', default='fp32', choices=('fp32', 'bf16'),
                   help="bf16: each library's `to_bf16()`, autocast in the bare loop (the GPU recipe)")
    p.add_argument('--channels-last', action='store_true',
                   help="give fastai its ChannelsLast callback too (fastcourse's vision_learner and bare_cl always use it)")
    p.add_argument('--limit-batches', type=int, default=None, help='debug: stop each train/valid pass after N batches')
    harness.add_common_args(p, CONTENDERS)
    return harness.parse(p, argv, CONTENDERS, one_task=True)

def main(argv=None): harness.main(parse_args(argv), child_main, lambda a: [run_task(name, a) for name in a.task or DEFAULT_TASKS])

if __name__ == '__main__': main()
