"""Chapter 4's recipe (an AWD-LSTM language model on IMDB_SAMPLE, then a classifier on its encoder): fastcourse against fastai 2.8.12.

The contenders run the same recipe on the same extracted data folder, with the same seed, `torch.set_num_threads`
and device (the CPU by default); every DataLoader works in the main process (fastai's text loaders default to
`num_workers=0`, and fastcourse's have no workers):

- Data: IMDB_SAMPLE (`untar_data(URLs.IMDB_SAMPLE)`): `texts.csv`, 1000 movie reviews with columns label
  (negative/positive), text and is_valid (the last 200 rows). fastai reads the same extracted folder.
- Task `imdb_sample`, step 1, the language model: the texts only, a random 10% of the rows for validation, split by
  each library's `RandomSplitter(0.1, seed=42)` (both draw `torch.randperm` from seed 42, so the same rows: see
  `lm_valid_digest`), bs 64, seq_len 72; a new vocabulary from the training texts (min_freq 3, each library's own
  tokeniser); an AWD-LSTM with `emb_sz=128, n_hid=384, n_layers=2` (the rest of each library's `awd_lstm_lm_config`),
  `drop_mult=0.3`, from random weights; `fit_one_cycle(3, 1e-2)` (`--lm-epochs`). Then `save_encoder('enc')` into a
  temporary `learn.path`.
  - `fastai`: `TextDataLoaders.from_csv(path, 'texts.csv', text_col='text', is_lm=True, valid_pct=0.1, seed=42, bs=64,
    seq_len=72)`, `language_model_learner(dls, AWD_LSTM, config=dict(awd_lstm_lm_config, emb_sz=128, n_hid=384,
    n_layers=2), drop_mult=0.3, pretrained=False, metrics=[accuracy, Perplexity()])`.
  - `fastcourse`: `TextDataLoaders.from_csv(path/'texts.csv', is_lm=True, valid_col=None, seed=42, bs=64, seq_len=72)`,
    `language_model_learner(dls, AWD_LSTM, config=dict(emb_sz=128, n_hid=384, n_layers=2), drop_mult=0.3,
    pretrained=False)` (its default metrics: `lm_accuracy` and `Perplexity()`).
- Step 2, the classifier: the training rows and the 200 `is_valid` rows, labels from `label`, the language model's
  vocabulary (`text_vocab=`), bs 64; an AWD-LSTM classifier with the same sizes (the rest of `awd_lstm_clas_config`),
  `drop_mult=0.5`, `metrics=accuracy`; `load_encoder('enc')`, `unfreeze()`, `fit_one_cycle(4, 5e-3)` (`--clas-epochs`).
  - `fastai`: `TextDataLoaders.from_csv(path, 'texts.csv', text_col='text', label_col='label', valid_col='is_valid',
    text_vocab=dls_lm.vocab, bs=64)`, `text_classifier_learner(dls, AWD_LSTM, config=dict(awd_lstm_clas_config,
    emb_sz=128, n_hid=384, n_layers=2), drop_mult=0.5, pretrained=False, metrics=accuracy)`.
  - `fastcourse`: `TextDataLoaders.from_csv(path/'texts.csv', text_vocab=dls_lm.text_vocab, bs=64)`,
    `text_classifier_learner(dls, AWD_LSTM, config=dict(emb_sz=128, n_hid=384, n_layers=2), drop_mult=0.5,
    pretrained=False, metrics=accuracy)`.
  Both libraries' progress callbacks are removed (`learn.remove_cb(ProgressCallback)`).

Differences from a literal reading of the recipe, and between the libraries' APIs:
- fastai's `TextDataLoaders.from_csv` takes the folder and the file name (`from_csv(path, 'texts.csv', ...)`), and
  its `text_col`/`label_col` default to the columns 0 and 1, so they are named; fastcourse's takes the CSV file (or
  fastai's two arguments) and defaults to 'text', 'label' and 'is_valid'. fastai splits at random unless `valid_col`
  is given (its default is None); fastcourse uses `is_valid` when present, so its language model needs
  `valid_col=None`.
- fastai's `language_model_learner` and `text_classifier_learner` take `config` as the whole configuration (hence
  `dict(awd_lstm_lm_config, ...)`); fastcourse merges `config` into its defaults. Both download the WikiText-103
  weights unless `pretrained=False`, which both get here (the weights are not available offline). fastai's
  `text_classifier_learner` defaults to `drop_mult=0.5` and fastcourse's to 1; both get 0.5 here.
- fastai's vocabulary of a language model's loaders is `dls.vocab`; fastcourse's is `dls.text_vocab` (its
  `dls.vocab` is the same list for a language model, the classes for a classifier).
- `load_encoder` freezes the classifier in both libraries; both are unfrozen before `fit_one_cycle`.
- fastai's `from_csv` reads with `delimiter=None` (pandas sniffs the separator with its python engine and warns a
  ParserWarning); that is fastai's default and part of its `prep_s`.
- fastai's language-model loaders have no token count: `lm_train_tokens` is the sum of its training texts' lengths
  (`dls.train.lens`), as fastcourse's `dls.train.n_tok` is.

Each contender reports, for each step: the seconds to build its DataLoaders (`prep_s`: reading, tokenising and
numericalising; fastai tokenises with spaCy in `defaults.cpus` worker processes, fastcourse with its own rules in
the main process), seconds per epoch (wall clock from `before_epoch` to `after_epoch`, training plus validation),
tokens (language model) or texts (classifier) per second over the time of all epochs, the final losses and metrics
from the recorder, the vocabulary size, training tokens, the number of parameters, and the peak resident memory
after the step (`ru_maxrss` of the contender's process: it never goes down, so the classifier's is the peak of the
whole run). Each contender runs in its own fresh subprocess of this script, one after the other for each seed, so
that memory and imports do not leak from one contender into the next.

Run it from the repository root, with datasets from the offline mirror:

    bench/run.sh text                                                    # seeds 42 1 2
    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/bench_text.py --seeds 42
    FASTCOURSE_MIRROR=... .venv/bin/python bench/bench_text.py --smoke --seeds 42   # smoke test

`--smoke` runs 1 epoch of each step on 200 rows (the first 160 training rows and the first 40 `is_valid` rows: the
first 200 rows of texts.csv hold no validation row) and writes `imdb_sample-smoke.json` to the temporary folder
unless `--results-dir` is given; its numbers mean nothing.

A third contender, `fastcourse_nocache`, is fastcourse with its `CPUMemoryCache` callback removed from both learners
(the cache keeps freed memory in the process between batches, to avoid page faults; it raises the peak resident
memory), so the cost and gain of that cache show side by side.

Results go to `bench/results/imdb_sample.json` for seed 42 and `imdb_sample-seed<N>.json` for any other seed (the
device is added to the name when it is not the CPU), as bench_segmentation.py and bench_tta.py name theirs: machine,
versions, settings, per-contender numbers. A short table per seed, with the fastcourse/fastai ratios of seconds per
epoch of each step and of the preparation, is printed, and a summary over the seeds when there are several.
"""
from __future__ import annotations
import argparse, statistics, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness  # noqa: E402
from harness import digest, epoch_timer, peak_rss_mb, seed_everything  # noqa: E402

NAME = 'imdb_sample'
CONTENDERS = ('fastai', 'fastcourse', 'fastcourse_nocache')
CFG = dict(emb_sz=128, n_hid=384, n_layers=2)
RECIPE = dict(dataset='IMDB_SAMPLE', csv='texts.csv', arch='AWD_LSTM', config=CFG, pretrained=False,
              lm_split='RandomSplitter(0.1, seed=42) over the rows', lm_valid_pct=0.1, lm_split_seed=42, lm_bs=64, seq_len=72,
              min_freq=3, lm_drop_mult=0.3, lm_lr_max=1e-2, lm_metrics='accuracy of the next token, perplexity',
              clas_split='is_valid column', clas_bs=64, clas_drop_mult=0.5, clas_lr_max=5e-3, clas_metrics='accuracy',
              clas_schedule='load_encoder, unfreeze, fit_one_cycle', num_workers=0)
NOTES = ["Each library tokenises its own way (fastai: spaCy and its rules, in defaults.cpus worker processes; fastcourse: "
         "its own regex tokeniser and rules, in the main process), so vocabularies and token counts differ a little, "
         "and lm_prep_s / clas_prep_s compare the tokenisers as much as the libraries.",
         "The language models' validation rows are chosen by each library's RandomSplitter(0.1, seed=42) (lm_valid_digest); "
         "fastcourse's loaders keep no row indices, so its lm_valid_digest is the split its from_df computes, "
         "RandomSplitter(0.1, 42) over the rows. The classifiers' validation rows are the is_valid rows (clas_valid_digest).",
         "fastai's train_loss is its smoothed loss; fastcourse reports the epoch mean. Both libraries add the language "
         "model's activation regularisation (AR/TAR, alpha 2, beta 1) to the loss that is backpropagated only: the recorded "
         "losses are the plain cross-entropy.",
         "Every fastcourse learner fitting on the CPU keeps freed memory in the process between batches (CPUMemoryCache); "
         "fastai runs with glibc's defaults.",
         "epoch_s, s_per_epoch, images_per_s and n_epochs_run at the top of each contender's results (added by the shared "
         "write_child_results) cover the epochs of both steps, language model first; epoch_images counts tokens for the "
         "language model's epochs and texts for the classifier's. Use lm_* and clas_* for each step.",
         "peak_rss_mb is ru_maxrss of the contender's process, which never goes down: lm_peak_rss_mb is the peak after the "
         "language model, clas_peak_rss_mb (= peak_rss_mb) the peak of the whole run.",
         "Both libraries' DataLoaders work in the main process (num_workers 0).",
         "Both classifiers pad each text at the front in whole 72-token chunks and run each chunk only on the texts that "
         "have reached it (fastai: the first real_bs rows of a batch sorted by length; fastcourse: the rows holding real "
         "tokens in that chunk, gathered by index). fastai sorts its validation batches by length too; fastcourse keeps "
         "the validation set's order, so its validation batches mix lengths. clas_s_per_epoch and the classifiers' peak "
         "memory compare those choices as well as the training loops (the language models have no padding)."]


# ---------------------------------------------------------------- shared by the contenders

def item_timer(Callback, cancel_train, cancel_valid):
    "The shared epoch timer, counting tokens (a language model's (bs, seq_len) targets) or texts (a classifier's (bs,) labels)."
    class ItemTimer(epoch_timer(Callback, cancel_train, cancel_valid, None)):
        def after_batch(self): self._n += self.learn.yb[0].numel()
    return ItemTimer()

def step_numbers(prefix:str, timer, t_prep:float, t_fit:float) -> dict:
    return {f'{prefix}_prep_s': t_prep, f'{prefix}_fit_s': t_fit, f'{prefix}_epoch_s': list(timer.times),
            f'{prefix}_epoch_items': list(timer.images), f'{prefix}_s_per_epoch': sum(timer.times) / len(timer.times),
            f'{prefix}_{"tokens" if prefix == "lm" else "texts"}_per_s': sum(timer.images) / sum(timer.times),
            f'{prefix}_peak_rss_mb': peak_rss_mb()}

def n_params(model) -> int: return sum(p.numel() for p in model.parameters())

def a_epochs(a) -> tuple[int, int]: return (1, 1) if a.smoke else (a.lm_epochs, a.clas_epochs)

def joined(lm:dict, clas:dict, t0:float) -> dict:
    "Both steps' numbers, with the keys `write_child_results` expects covering the epochs of both."
    return {**lm, **clas, '_t0': t0, 'epoch_s': lm['lm_epoch_s'] + clas['clas_epoch_s'],
            'epoch_images': lm['lm_epoch_items'] + clas['clas_epoch_items']}


# ---------------------------------------------------------------- the contenders (child processes)

def run_fastai(data:Path, a) -> dict:
    from fastai.text.all import (AWD_LSTM, CancelTrainException, CancelValidException, Callback, Perplexity,
                                 ProgressCallback, TextDataLoaders, accuracy, awd_lstm_clas_config, awd_lstm_lm_config,
                                 language_model_learner, text_classifier_learner)
    t0 = time.perf_counter()
    seed_everything(a.seed)
    r, (e_lm, e_clas) = RECIPE, a_epochs(a)
    with tempfile.TemporaryDirectory() as tmp:
        # the language model
        t = time.perf_counter()
        dls_lm = TextDataLoaders.from_csv(data, r['csv'], text_col='text', is_lm=True, valid_pct=r['lm_valid_pct'],
                                          seed=r['lm_split_seed'], bs=r['lm_bs'], seq_len=r['seq_len'], device=a.device)
        t_prep = time.perf_counter() - t
        learn = language_model_learner(dls_lm, AWD_LSTM, config=dict(awd_lstm_lm_config, **CFG), drop_mult=r['lm_drop_mult'],
                                       pretrained=False, metrics=[accuracy, Perplexity()])
        learn.path = Path(tmp)
        learn.remove_cb(ProgressCallback)
        timer = item_timer(Callback, CancelTrainException, CancelValidException)
        learn.add_cb(timer)
        t = time.perf_counter(); learn.fit_one_cycle(e_lm, r['lm_lr_max']); t_fit = time.perf_counter() - t
        final = dict(zip(learn.recorder.metric_names[1:-1], learn.recorder.values[-1]))  # names also have 'epoch' and 'time'
        lm = {**step_numbers('lm', timer, t_prep, t_fit), 'lm_final_train_loss': float(final['train_loss']),
              'lm_final_valid_loss': float(final['valid_loss']), 'lm_accuracy': float(final['accuracy']),
              'lm_perplexity': float(final['perplexity']), 'lm_vocab_size': len(dls_lm.vocab),
              'lm_train_tokens': int(sum(dls_lm.train.lens.coll)), 'lm_n_train': len(dls_lm.train_ds),
              'lm_n_valid': len(dls_lm.valid_ds), 'lm_valid_digest': digest(map(str, dls_lm.valid_ds.items.index)),
              'lm_n_params': n_params(learn.model)}
        learn.save_encoder('enc')
        # the classifier on its encoder
        t = time.perf_counter()
        dls = TextDataLoaders.from_csv(data, r['csv'], text_col='text', label_col='label', valid_col='is_valid',
                                       text_vocab=dls_lm.vocab, bs=r['clas_bs'], device=a.device)
        t_prep = time.perf_counter() - t
        learn = text_classifier_learner(dls, AWD_LSTM, config=dict(awd_lstm_clas_config, **CFG), drop_mult=r['clas_drop_mult'],
                                        pretrained=False, metrics=accuracy)
        learn.path = Path(tmp)
        learn.remove_cb(ProgressCallback)
        learn.load_encoder('enc')
        learn.unfreeze()
        timer = item_timer(Callback, CancelTrainException, CancelValidException)
        learn.add_cb(timer)
        t = time.perf_counter(); learn.fit_one_cycle(e_clas, r['clas_lr_max']); t_fit = time.perf_counter() - t
        final = dict(zip(learn.recorder.metric_names[1:-1], learn.recorder.values[-1]))
        clas = {**step_numbers('clas', timer, t_prep, t_fit), 'clas_final_train_loss': float(final['train_loss']),
                'clas_final_valid_loss': float(final['valid_loss']), 'clas_accuracy': float(final['accuracy']),
                'clas_n_train': len(dls.train_ds), 'clas_n_valid': len(dls.valid_ds),
                'clas_valid_digest': digest(map(str, dls.valid_ds.items.index)), 'clas_n_params': n_params(learn.model),
                'classes': list(dls.vocab[1])}
    return joined(lm, clas, t0)

def run_fastcourse(data:Path, a, cache:bool=True) -> dict:
    import pandas as pd
    from fastcourse.callback import CancelTrainException, CancelValidateException, Callback, accuracy
    from fastcourse.progress import ProgressCallback
    from fastcourse.cpu_memory import CPUMemoryCache
    from fastcourse.splitters import RandomSplitter
    from fastcourse.text import AWD_LSTM, language_model_learner, text_classifier_learner
    from fastcourse.text_loaders import TextDataLoaders
    t0 = time.perf_counter()
    seed_everything(a.seed)
    r, (e_lm, e_clas) = RECIPE, a_epochs(a)
    csv = data/r['csv']
    with tempfile.TemporaryDirectory() as tmp:
        # the language model
        t = time.perf_counter()
        dls_lm = TextDataLoaders.from_csv(csv, is_lm=True, valid_col=None, valid_pct=r['lm_valid_pct'], seed=r['lm_split_seed'],
                                          bs=r['lm_bs'], seq_len=r['seq_len'], device=a.device)
        t_prep = time.perf_counter() - t
        learn = language_model_learner(dls_lm, AWD_LSTM, config=CFG, drop_mult=r['lm_drop_mult'], pretrained=False)  # metrics: lm_accuracy, perplexity
        learn.path = Path(tmp)
        learn.remove_cb(ProgressCallback)
        if not cache: learn.remove_cb(CPUMemoryCache)
        timer = item_timer(Callback, CancelTrainException, CancelValidateException)
        learn.add_cb(timer)
        t = time.perf_counter(); learn.fit_one_cycle(e_lm, r['lm_lr_max']); t_fit = time.perf_counter() - t
        rec = learn.recorder
        n_rows = len(pd.read_csv(csv))
        lm = {**step_numbers('lm', timer, t_prep, t_fit), 'lm_final_train_loss': float(rec.final('train_loss')),
              'lm_final_valid_loss': float(rec.final('valid_loss')), 'lm_accuracy': float(rec.final('lm_accuracy')),
              'lm_perplexity': float(rec.final('perplexity')), 'lm_vocab_size': len(dls_lm.text_vocab),
              'lm_train_tokens': int(dls_lm.train.n_tok), 'lm_n_train': len(dls_lm.train.docs),
              'lm_n_valid': len(dls_lm.valid.docs),
              # the loaders keep no row indices: the split their from_df computes
              'lm_valid_digest': digest(map(str, RandomSplitter(r['lm_valid_pct'], r['lm_split_seed'])(range(n_rows))[1])),
              'lm_n_params': n_params(learn.model)}
        learn.save_encoder('enc')
        # the classifier on its encoder
        t = time.perf_counter()
        dls = TextDataLoaders.from_csv(csv, text_vocab=dls_lm.text_vocab, bs=r['clas_bs'], device=a.device)
        t_prep = time.perf_counter() - t
        learn = text_classifier_learner(dls, AWD_LSTM, config=CFG, drop_mult=r['clas_drop_mult'], metrics=accuracy, pretrained=False)
        learn.path = Path(tmp)
        learn.remove_cb(ProgressCallback)
        if not cache: learn.remove_cb(CPUMemoryCache)
        learn.load_encoder('enc')
        learn.unfreeze()
        timer = item_timer(Callback, CancelTrainException, CancelValidateException)
        learn.add_cb(timer)
        t = time.perf_counter(); learn.fit_one_cycle(e_clas, r['clas_lr_max']); t_fit = time.perf_counter() - t
        rec = learn.recorder
        row = {s: i for i, s in enumerate(pd.read_csv(csv)['text'])}  # the validation texts back to their rows
        clas = {**step_numbers('clas', timer, t_prep, t_fit), 'clas_final_train_loss': float(rec.final('train_loss')),
                'clas_final_valid_loss': float(rec.final('valid_loss')), 'clas_accuracy': float(rec.final('accuracy')),
                'clas_n_train': len(dls.train.docs), 'clas_n_valid': len(dls.valid.docs),
                'clas_valid_digest': digest(str(row[s]) for s in dls.valid.texts), 'clas_n_params': n_params(learn.model),
                'classes': list(dls.vocab)}
    return joined(lm, clas, t0)


RUNNERS = {'fastai': run_fastai, 'fastcourse': run_fastcourse,
           'fastcourse_nocache': lambda data, a: run_fastcourse(data, a, cache=False)}

def child_main(a):
    "Run one contender in this (fresh) process and write its numbers to `a.json`."
    harness.child_main(RUNNERS[a.contender], a, Path(a.data))


# ---------------------------------------------------------------- orchestration (main process)

def settings(a) -> dict:
    lm_e, clas_e = a_epochs(a)
    return {'task': NAME, **RECIPE, 'lm_epochs': lm_e, 'clas_epochs': clas_e, 'seed': a.seed, 'torch_threads': a.threads,
            'device': a.device, 'smoke': a.smoke, 'contender_order': a.contenders}

def child_args(a) -> list[str]:
    return ['--lm-epochs', str(a.lm_epochs), '--clas-epochs', str(a.clas_epochs), '--seeds', str(a.seed),
            '--threads', str(a.threads), '--device', a.device, *(['--smoke'] if a.smoke else [])]

def smoke_data(data:Path, folder:Path) -> Path:
    "200 rows of texts.csv in `folder`: the first 160 training rows and the first 40 validation rows."
    import pandas as pd
    df = pd.read_csv(data/RECIPE['csv'])
    v = df['is_valid'].astype(bool)
    pd.concat([df[~v].head(160), df[v].head(40)]).to_csv(folder/RECIPE['csv'], index=False)
    return folder

def run_seed(data:Path, a, tmp:Path) -> dict:
    res = {c: harness.run_child(__file__, c, data, tmp/f'{c}-{a.seed}.json', child_args(a), f'{NAME}: {c}, seed {a.seed}')
           for c in a.contenders}
    report = harness.report(res, {**settings(a), 'data': str(data)}, NOTES, ratios(res))
    print_table(report, harness.write_report(report, Path(a.results_dir)/harness.results_name(NAME, a, *(['smoke'] if a.smoke else []))))
    return report

def run_all(a) -> list[dict]:
    data = harness.dataset_path(RECIPE['dataset'])  # extracted here, once, so no contender's time includes it
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        if a.smoke: data = smoke_data(data, Path(tmp))
        harness.warm_file_cache(data)
        for seed in a.seeds:
            a.seed = seed
            reports.append(run_seed(data, a, Path(tmp)))
    if len(reports) > 1: print_summary(reports)
    return reports

KEYS = ('lm_s_per_epoch', 'clas_s_per_epoch', 'lm_prep_s', 'clas_prep_s')

def ratios(res:dict) -> dict:
    "Each fastcourse contender's seconds, and peak memory, over fastai's."
    return {f'{c}/fastai_{k}': harness.ratio(res, k, c) for c in ('fastcourse', 'fastcourse_nocache') if c in res for k in (*KEYS, 'peak_rss_mb')}

def fmt(v, spec:str) -> str: return 'n/a' if v is None else format(v, spec)

def print_table(report:dict, out:Path):
    st = report['settings']
    print(f'\n## {NAME}, seed {st["seed"]}  (AWD-LSTM {CFG}: LM fit_one_cycle({st["lm_epochs"]}, {st["lm_lr_max"]}), then classifier '
          f'load_encoder, unfreeze, fit_one_cycle({st["clas_epochs"]}, {st["clas_lr_max"]}); bs 64, {st["torch_threads"]} threads, '
          f'{st["device"]})')
    if st['smoke']: print('   SMOKE RUN: 200 rows, 1 epoch per step; the numbers mean nothing')
    print(f'{"":<11} {"--------------- language model ---------------":<50} {"---------- classifier ----------":<34}')
    print(f'{"contender":<11} {"prep s":>6} {"s/epoch":>7} {"tok/s":>6} {"vocab":>6} {"trn tok":>7} {"val loss":>8} {"acc":>6}  '
          f'{"prep s":>6} {"s/epoch":>7} {"txt/s":>6} {"val loss":>8} {"acc":>6}  {"peak MB":>7}')
    for c, r in report['results'].items():
        if 'error' in r: print(f'{c:<11} {r["error"]}'); continue
        print(f'{c:<11} {r["lm_prep_s"]:6.1f} {r["lm_s_per_epoch"]:7.2f} {r["lm_tokens_per_s"]:6.0f} {r["lm_vocab_size"]:6d} '
              f'{r["lm_train_tokens"]:7d} {r["lm_final_valid_loss"]:8.4f} {r["lm_accuracy"]:6.4f}  {r["clas_prep_s"]:6.1f} '
              f'{r["clas_s_per_epoch"]:7.2f} {r["clas_texts_per_s"]:6.0f} {r["clas_final_valid_loss"]:8.4f} {r["clas_accuracy"]:6.4f}  '
              f'{r["peak_rss_mb"]:7.0f}')
        print(f'{"":<11} epochs (s): LM {" ".join(f"{t:.1f}" for t in r["lm_epoch_s"])}, '
              f'classifier {" ".join(f"{t:.1f}" for t in r["clas_epoch_s"])}')
    harness.print_ratios_and_digests(report, ('lm_valid_digest', 'clas_valid_digest'), 'rows')
    print(f'written {out}')

def print_summary(reports:list):
    "Over the seeds: the median seconds per epoch and preparation, the mean accuracies, and the ratios of the medians."
    print(f'\n## {NAME}: summary over seeds {[r["settings"]["seed"] for r in reports]} (medians of seconds, means of accuracies)')
    print(f'{"contender":<11} {"LM prep s":>9} {"LM s/ep":>8} {"LM acc":>7} {"clas prep s":>11} {"clas s/ep":>9} {"clas acc":>8}')
    med = {}
    for c in reports[0]['results']:
        runs = [r['results'][c] for r in reports if 'error' not in r['results'].get(c, {'error': 1})]
        if not runs: print(f'{c:<11} every run failed'); continue
        med[c] = {k: statistics.median(r[k] for r in runs) for k in KEYS}
        acc = lambda k: statistics.mean(r[k] for r in runs)
        print(f'{c:<11} {med[c]["lm_prep_s"]:9.1f} {med[c]["lm_s_per_epoch"]:8.2f} {acc("lm_accuracy"):7.4f} '
              f'{med[c]["clas_prep_s"]:11.1f} {med[c]["clas_s_per_epoch"]:9.2f} {acc("clas_accuracy"):8.4f}')
    for k in KEYS:
        v = med['fastcourse'][k] / med['fastai'][k] if {'fastcourse', 'fastai'} <= med.keys() else None
        print(f'fastcourse/fastai_{k} (medians): {fmt(v, ".2f")}')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--lm-epochs', type=int, default=3, help="epochs of the language model's fit_one_cycle")
    p.add_argument('--clas-epochs', type=int, default=4, help="epochs of the classifier's fit_one_cycle")
    p.add_argument('--seeds', type=int, nargs='+', default=[42, 1, 2],
                   help='training seeds, one results file each; every contender runs each (the LM split always uses 42)')
    p.add_argument('--smoke', action='store_true', help='test the script: 200 rows, 1 epoch per step, results named -smoke')
    p.add_argument('--results-dir', default=None, help='default: bench/results (the temporary folder with --smoke)')
    harness.add_common_args(p, CONTENDERS, results_dir=False)
    a = harness.parse(p, argv, CONTENDERS)
    if a.results_dir is None: a.results_dir = tempfile.gettempdir() if a.smoke else str(HERE/'results')
    a.seed = a.seeds[0]
    return a

def main(argv=None): harness.main(parse_args(argv), child_main, run_all)

if __name__ == '__main__': main()
