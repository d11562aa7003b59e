"""Chapter 8's recipe (from scratch with MixUp and label smoothing, then test-time augmentation): fastcourse against fastai 2.8.12.

Both contenders run the same recipe on the same extracted data folders, with the same seed, `torch.set_num_threads`,
device and number of DataLoader workers:

- Data: Imagenette 160 px (`untar_data(URLs.IMAGENETTE_160)`), labels from the folder names, split by the `train/` and
  `val/` folders (the mirror's sample: 1500 training and 500 validation images, 10 classes).
  `ImageDataLoaders.from_folder(path, train='train', valid='val', item_tfms=Resize(80),
  batch_tfms=[*aug_transforms(size=64, min_scale=0.35), Normalize.from_stats(*imagenet_stats)], bs=64)`: a random
  80 px crop per image (centre crop on valid), then on the batch a random resized crop to 64 px keeping at least 35%
  of the area, flips, rotation, zoom, warp and lighting (training only), and ImageNet normalisation.
- Model: torchvision's `resnet18` with random weights (`pretrained=False`) and the library's own head, built by
  `vision_learner(dls, resnet18, pretrained=False, metrics=accuracy, loss_func=LabelSmoothingCrossEntropy(), cbs=MixUp(0.4))`.
  - `fastai`: everything from `fastai.vision.all`, the arch given as `torchvision.models.resnet18`.
  - `fastcourse`: `fastcourse.data`, `fastcourse.transforms`, `fastcourse.vision` (the arch given as `'resnet18'`),
    `fastcourse.callback.accuracy`, and `LabelSmoothingCrossEntropy`/`MixUp` from `fastcourse.tta`.
- Training: `fit_one_cycle(8, 3e-3)` (the epochs: `--epochs`), each library's defaults otherwise.
- Then on the validation set: plain predictions `learn.get_preds()`, and `learn.tta(n=4)` (4 passes through the
  training-time transforms, averaged, blended with the plain prediction with beta 0.25). Every contender is seeded
  again right before `tta`, so both start it from the same RNG state.

Each contender reports seconds per epoch (wall clock from `before_epoch` to `after_epoch`, training plus validation),
images per second (images trained and validated over the time of all epochs), the seconds of `fit`, `get_preds` and
`tta` and their ratio, the final losses and accuracy from the recorder, and the accuracy of the plain and the TTA
predictions. Each contender runs in its own fresh subprocess of this script, one after the other, so that the peak
resident memory (`ru_maxrss` of that process; DataLoader worker processes are not included) and the imports do not
leak from one contender into the next.

Run it from the repository root, with datasets from the offline mirror:

    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_tta.py
    FASTCOURSE_MIRROR=... .venv/bin/python bench/bench_tta.py --epochs 1 --limit-batches 2 --results-dir /tmp/bench  # smoke test

Results go to `bench/results/imagenette_tta.json` (machine, versions, settings, per-contender numbers); a short table
and the fastcourse/fastai ratios of seconds per epoch and TTA seconds are printed.
"""
from __future__ import annotations
import argparse, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import digest, fastai_timer, fastcourse_timer, seed_everything  # noqa: E402

NAME = 'imagenette_tta'
CONTENDERS = ('fastai', 'fastcourse')
RECIPE = dict(dataset='IMAGENETTE_160', train='train', valid='val', resize=80, size=64, min_scale=0.35,
              normalize='imagenet_stats', bs=64, arch='torchvision resnet18, pretrained=False',
              loss='LabelSmoothingCrossEntropy()', mixup_alpha=0.4, schedule='fit_one_cycle', lr_max=3e-3, tta_n=4,
              tta_beta=0.25)
NOTES = ["Both libraries apply the same kinds of augmentation in training and TTA, but each draws its own random numbers "
         "its own way, so tta_accuracy differs between them even though both start tta from the same seed.",
         "tta makes n+1 passes over the validation set (n augmented, one plain), and the augmented ones also run the batch "
         "augmentations, so tta_over_get_preds is above 5.",
         "fastai builds a new DataLoader, with new worker processes, for every prediction pass; fastcourse's get_preds reuses "
         "the validation loader's persistent workers and its tta builds one augmented loader for its n passes, so get_preds_s "
         "and tta_s include different worker start-up costs.",
         "fastcourse's vision_learner keeps model and images in channels-last memory format by default (ChannelsLast "
         "callback); fastai uses PyTorch's default (contiguous NCHW).",
         "Every fastcourse learner fitting on the CPU keeps freed memory in the process between batches (CPUMemoryCache); "
         "fastai runs with glibc's defaults.",
         "fastai's train_loss is its smoothed loss; fastcourse reports the epoch mean. With MixUp both are losses on mixed "
         "images and targets, so they are higher than the validation loss.",
         "fastai splits a resnet into 3 parameter groups and fastcourse into 2 (body, head); fit_one_cycle gives every "
         "group the same lr here.",
         "peak_rss_mb is ru_maxrss of the contender's main process; DataLoader worker processes are not included."]


# ---------------------------------------------------------------- the contenders (child processes)

def library_dls(ImageDataLoaders, Resize, aug_transforms, Normalize, imagenet_stats, data:Path, a):
    "The recipe's `DataLoaders`, built with fastai's or fastcourse's classes (both have the same factory method)."
    r = RECIPE
    return ImageDataLoaders.from_folder(
        data, train=r['train'], valid=r['valid'], item_tfms=Resize(r['resize']),
        batch_tfms=[*aug_transforms(size=r['size'], min_scale=r['min_scale']), Normalize.from_stats(*imagenet_stats)],
        bs=r['bs'], num_workers=a.workers, device=a.device)

def run_fastai(data:Path, a) -> dict:
    from fastai.vision.all import (ImageDataLoaders, LabelSmoothingCrossEntropy, MixUp, Normalize, ProgressCallback, Resize,
                                   accuracy, aug_transforms, imagenet_stats, vision_learner)
    from torchvision.models import resnet18
    t0 = time.perf_counter()
    seed_everything(a.seed)
    dls = library_dls(ImageDataLoaders, Resize, aug_transforms, Normalize, imagenet_stats, data, a)
    learn = vision_learner(dls, resnet18, pretrained=False, metrics=accuracy, loss_func=LabelSmoothingCrossEntropy(),
                           cbs=MixUp(RECIPE['mixup_alpha']))
    learn.remove_cb(ProgressCallback)
    timer = fastai_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**fit(learn, timer, a), '_t0': t0}
    # read the recorder now: fastai's tta runs `before_fit` on the callbacks, which empties it
    rec = learn.recorder  # values hold [train_loss, valid_loss, metrics...], names also have 'epoch' and 'time'
    final = dict(zip(rec.metric_names[1:-1], rec.values[-1]))
    res.update(final_train_loss=float(final['train_loss']), final_valid_loss=float(final['valid_loss']),
               final_accuracy=float(final['accuracy']), n_train=len(dls.train_ds), n_valid=len(dls.valid_ds),
               valid_digest=digest(dls.valid_ds.items), vocab_size=len(dls.vocab))
    return {**res, **predict(learn, timer, a)}

def run_fastcourse(data:Path, a) -> dict:
    from fastcourse.callback import accuracy
    from fastcourse.image_data import ImageDataLoaders
    from fastcourse.augment import aug_transforms
    from fastcourse.transforms import Normalize, Resize, imagenet_stats
    from fastcourse.tta import LabelSmoothingCrossEntropy, MixUp
    from fastcourse.vision import vision_learner
    t0 = time.perf_counter()
    seed_everything(a.seed)
    dls = library_dls(ImageDataLoaders, Resize, aug_transforms, Normalize, imagenet_stats, data, a)
    learn = vision_learner(dls, 'resnet18', pretrained=False, metrics=accuracy, loss_func=LabelSmoothingCrossEntropy(),
                           cbs=MixUp(RECIPE['mixup_alpha']))  # channels-last by default
    learn.remove_cb(learn.progress)
    timer = fastcourse_timer(a.limit_batches)
    learn.add_cb(timer)
    res = {**fit(learn, timer, a), '_t0': t0}
    rec = learn.recorder
    res.update(final_train_loss=float(rec.final('train_loss')), final_valid_loss=float(rec.final('valid_loss')),
               final_accuracy=float(rec.final('accuracy')), n_train=len(dls.train.dataset),
               n_valid=len(dls.valid.dataset), valid_digest=digest(dls.valid.dataset.items), vocab_size=len(dls.vocab))
    return {**res, **predict(learn, timer, a)}

def fit(learn, timer, a) -> dict:
    "Train with the recipe's schedule; fastai's and fastcourse's `fit_one_cycle` take the same arguments."
    t1 = time.perf_counter()
    learn.fit_one_cycle(a.epochs, RECIPE['lr_max'])
    t2 = time.perf_counter()
    return {'fit_s': t2 - t1, 'epoch_s': list(timer.times), 'epoch_images': list(timer.images)}

def predict(learn, timer, a) -> dict:
    "Plain and TTA predictions on the whole validation set, timed; both libraries return `(preds, targs)`."
    # fastai runs the callbacks' batch events in get_preds/tta: the timer would cut them short with --limit-batches
    learn.remove_cb(timer)
    accuracy = lambda preds, targs: float((preds.argmax(1) == targs).float().mean())
    t0 = time.perf_counter()
    preds, targs = learn.get_preds()
    t1 = time.perf_counter()
    seed_everything(a.seed)  # both libraries start their augmented passes from the same RNG state
    tta_preds, tta_targs = learn.tta(n=RECIPE['tta_n'], beta=RECIPE['tta_beta'])
    t2 = time.perf_counter()
    return {'get_preds_s': t1 - t0, 'tta_s': t2 - t1, 'tta_over_get_preds': (t2 - t1) / (t1 - t0),
            'plain_accuracy': accuracy(preds, targs), 'tta_accuracy': accuracy(tta_preds, tta_targs),
            'n_predicted': len(targs)}


RUNNERS = {'fastai': run_fastai, 'fastcourse': run_fastcourse}

def child_main(a):
    "Run one contender in this (fresh) process and write its numbers to `a.json`."
    harness.child_main(RUNNERS[a.contender], a, Path(a.data))


# ---------------------------------------------------------------- orchestration (main process)

def settings(a) -> dict:
    return {'task': NAME, **RECIPE, 'epochs': a.epochs, 'seed': a.seed, 'num_workers': a.workers,
            'torch_threads': a.threads, 'device': a.device, 'limit_batches': a.limit_batches,
            'contender_order': a.contenders}

def child_args(a) -> list[str]:
    return ['--epochs', str(a.epochs), '--seed', str(a.seed), '--workers', str(a.workers), '--threads', str(a.threads),
            '--device', a.device, *(['--limit-batches', str(a.limit_batches)] if a.limit_batches else [])]

def run_all(a) -> dict:
    data = harness.dataset_path(RECIPE['dataset'])  # extracted here, once, so no contender's time includes it
    harness.warm_file_cache(data)
    with tempfile.TemporaryDirectory() as tmp:
        res = {c: harness.run_child(__file__, c, data, Path(tmp)/f'{c}.json', child_args(a), f'{NAME}: {c}') for c in a.contenders}
    report = harness.report(res, {**settings(a), 'data': str(data)}, NOTES, ratios(res))
    out = harness.write_report(report, Path(a.results_dir)/harness.results_name(NAME, a))
    print_table(report, out)
    return report

def ratios(res:dict) -> dict:
    return {f'fastcourse/fastai_{k}': harness.ratio(res, k) for k in ('s_per_epoch', 'tta_s')}

def print_table(report:dict, out:Path):
    st = report['settings']
    print(f'\n## {NAME}  (fit_one_cycle({st["epochs"]}, {st["lr_max"]}), MixUp({st["mixup_alpha"]}), label smoothing, '
          f'tta(n={st["tta_n"]}); bs {st["bs"]}, {st["num_workers"]} workers, {st["torch_threads"]} threads, {st["device"]})')
    if st['limit_batches']: print(f'   DEBUG RUN: epochs cut to {st["limit_batches"]} batches (predictions use the whole valid set)')
    print(f'{"contender":<11} {"s/epoch":>8} {"img/s":>6} {"fit s":>7} {"preds s":>8} {"tta s":>7} {"tta/prd":>7} '
          f'{"peak MB":>8} {"val loss":>8} {"acc":>6} {"plain":>6} {"tta":>6}  epochs (s)')
    for c, r in report['results'].items():
        if 'error' in r: print(f'{c:<11} {r["error"]}'); continue
        print(f'{c:<11} {r["s_per_epoch"]:8.2f} {r["images_per_s"]:6.0f} {r["fit_s"]:7.1f} {r["get_preds_s"]:8.2f} '
              f'{r["tta_s"]:7.2f} {r["tta_over_get_preds"]:7.2f} {r["peak_rss_mb"]:8.0f} {r["final_valid_loss"]:8.4f} '
              f'{r["final_accuracy"]:6.4f} {r["plain_accuracy"]:6.4f} {r["tta_accuracy"]:6.4f}  '
              f'{" ".join(f"{t:.1f}" for t in r["epoch_s"])}')
    harness.print_ratios_and_digests(report)
    print('note: the libraries draw their augmentations differently, so TTA accuracies differ even from the same seed.')
    print(f'written {out}')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--epochs', type=int, default=8, help='epochs of fit_one_cycle')
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--workers', type=int, default=2, help='DataLoader worker processes, for every contender')
    p.add_argument('--limit-batches', type=int, default=None,
                   help='debug: stop each train/valid pass of the fit after N batches (predictions still use the whole valid set)')
    harness.add_common_args(p, CONTENDERS)
    return harness.parse(p, argv, CONTENDERS)

def main(argv=None): harness.main(parse_args(argv), child_main, run_all)

if __name__ == '__main__': main()
