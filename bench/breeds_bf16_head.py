"""Does training in bfloat16 cost the breeds head accuracy? A paired test over many seeds, on the CPU.

On the H200 the first breeds recipe erred more in bf16 than in fp32 on each of three seeds (0.203 against 0.171 on
average, bench/results/breeds_gpu.json), and `breeds_bf16_preds.py` showed that bf16 at prediction time alone changes
no answer. This checks the training side, for the stage that decides most of the error: the head trained on the frozen
body. The frozen body runs once over `--passes` augmented passes of the training set, each batch twice, in float32
and under CPU bfloat16 autocast (`breeds_head_screen.cache_features`). Then, for each seed, one head trains on the
float32 features in float32 and another on the bf16 features under bf16 autocast (`MixedPrecision`, what `to_bf16()`
adds on a GPU), with the same random numbers: the same passes in the same order, the same initial weights. The
difference in validation error, seed by seed, is bf16's effect.

    FASTCOURSE_MIRROR=../shared/data .venv/bin/python bench/breeds_bf16_head.py

The CPU emulates bf16 (2-core machine: about 15 minutes to cache 12 passes, then a few seconds a head). What it does
not cover: the three unfrozen epochs (the body's backward pass in bf16), and CUDA's own bf16 kernels, which round
at other places than the CPU's. Writes bench/results/breeds_bf16_head.json.
"""
import json, math, sys, time, torch
from pathlib import Path
from fastcore.script import call_parse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from breeds_head_screen import cache_features, train_head  # noqa: E402

HEADS = {'chapter': dict(epochs=16, wd=0.5), 'first': {}}  # 02_pets' head stage now, and the first recipe's (8 epochs, wd 0.01)

def paired(a:list, b:list) -> dict:
    "Mean of `b - a`, in photos of the 74, with its standard error, and how many seeds `b` did worse, better, the same."
    d = [round((y - x) * 74) for x, y in zip(a, b)]
    m = sum(d) / len(d)
    se = math.sqrt(sum((v - m) ** 2 for v in d) / (len(d) - 1) / len(d))
    return dict(mean_extra_wrong=round(m, 2), standard_error=round(se, 2), worse=sum(v > 0 for v in d),
                better=sum(v < 0 for v in d), same=sum(v == 0 for v in d))

@call_parse
def main(passes:int=12, # augmented passes over the training set to cache
         seeds:int=40, # training seeds, 0 onwards
         out:str='bench/results/breeds_bf16_head.json'): # where to write the results
    "Train each head of `HEADS` in float32 and in bf16 on `seeds` seeds; write their errors and the paired difference."
    torch.set_num_threads(2)
    t = time.time(); feats = cache_features(passes, bf16=True); cached_s = time.time() - t
    diff = [(a.float() - b.float()).abs().mean() / a.abs().mean() for p in range(passes)
            for (a, _), (b, _) in zip(feats['passes'][p], feats['bf16']['passes'][p])]
    res = {}
    for name, kw in HEADS.items():
        runs = {prec: [train_head(f, i, bf16=prec == 'bf16', **kw) for i in range(seeds)]
                for prec, f in (('fp32', feats), ('bf16', feats['bf16']))}
        errs = {prec: [round(e, 4) for e, _ in r] for prec, r in runs.items()}
        res[name] = dict(changes=kw or 'none (the first recipe: 8 epochs, wd 0.01)',
                         **{prec: dict(mean_error=round(sum(e) / seeds, 4), worst_error=max(e), runs_over_0_20=sum(v > 0.2 for v in e),
                                       mean_valid_loss=round(sum(l for _, l in runs[prec]) / seeds, 4), errors=e)
                            for prec, e in errs.items()},
                         bf16_minus_fp32=paired(errs['fp32'], errs['bf16']))
        print(name, {p: {k: v for k, v in res[name][p].items() if k != 'errors'} for p in ('fp32', 'bf16')},
              res[name]['bf16_minus_fp32'], flush=True)
    Path(out).write_text(json.dumps(dict(what=__doc__.splitlines()[0], command='python bench/breeds_bf16_head.py',
        passes=passes, seeds=f'0-{seeds - 1}', caching_seconds=round(cached_s),
        feature_difference=f'bf16 against fp32 pooled features: mean absolute difference {sum(diff) / len(diff):.3f} of the mean absolute feature',
        heads=res, source=harness.source(), machine=harness.machine(), versions=harness.versions()), indent=1) + '\n')
