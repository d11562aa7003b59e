"""How closely chapter 4's tokeniser matches fastai's: the share of IMDB_SAMPLE reviews cut into the same tokens.

fastcourse's `tokenize1` is a regex tokeniser with fastai's text rules (`fix_html`, `replace_rep`, `replace_wrep`,
`replace_all_caps`, `replace_maj`, `lowercase`); fastai 2.8.12 runs the same rules around spaCy's English tokeniser
(`Tokenizer(WordTokenizer())`). Tokens that match matter beyond looks: fastcourse can start from fastai's WikiText-103
weights, whose vocabulary was made with fastai's tokens. This script tokenises the 1,000 reviews of `texts.csv` both
ways and reports how many come out identical, how many tokens each gives, and the most frequent differences (as
`fastcourse tokens -> fastai tokens`). It needs fastai and spaCy, which the bench environment has.

    FASTCOURSE_MIRROR=/path/to/shared/data .venv/bin/python bench/text_tokens.py            # → bench/results/imdb_tokens.json
    FASTCOURSE_MIRROR=... .venv/bin/python bench/text_tokens.py --top 40 --results-dir /tmp/b   # more differences, elsewhere
"""
from __future__ import annotations
import argparse, difflib, json, sys
from collections import Counter
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import machine, source, versions  # noqa: E402


def differences(ours:list, theirs:list, top:int) -> list:
    "The `top` most frequent replacements that turn our token lists into theirs, with their counts."
    c = Counter()
    for a, b in zip(ours, theirs):
        if a == b: continue
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op != 'equal': c[f"{' '.join(a[i1:i2])[:40]!r} -> {' '.join(b[j1:j2])[:40]!r}"] += 1
    return [[k, n] for k, n in c.most_common(top)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--top', type=int, default=15, help='how many of the most frequent differences to report')
    p.add_argument('--results-dir', default=str(HERE/'results'))
    a = p.parse_args(argv)
    from fastcourse.external import URLs, untar_data
    from fastcourse.text_data import tokenize1
    from fastai.text.all import Tokenizer, WordTokenizer
    texts = pd.read_csv(untar_data(URLs.IMDB_SAMPLE)/'texts.csv')['text'].tolist()
    ours = [tokenize1(t) for t in texts]
    tok = Tokenizer(WordTokenizer())  # spaCy 'en' with fastai's default rules, in this process
    theirs = [list(tok(t)) for t in texts]
    same = sum(a == b for a, b in zip(ours, theirs))
    res = {'machine': machine(), 'versions': versions(), 'source': source(),
           'settings': {'dataset': 'IMDB_SAMPLE', 'csv': 'texts.csv', 'n_texts': len(texts),
                        'fastai': 'Tokenizer(WordTokenizer()), spaCy English, defaults.text_proc_rules'},
           'results': {'identical_texts': same, 'identical_share': same / len(texts),
                       'fastcourse_tokens': sum(map(len, ours)), 'fastai_tokens': sum(map(len, theirs)),
                       'top_differences': differences(ours, theirs, a.top)}}
    out = Path(a.results_dir)/'imdb_tokens.json'
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + '\n')
    r = res['results']
    print(f"identical: {same} of {len(texts)} reviews ({same / len(texts):.1%}); tokens: fastcourse {r['fastcourse_tokens']:,}, "
          f"fastai {r['fastai_tokens']:,}")
    for k, n in r['top_differences']: print(f'{n:6d}  {k}')
    print(f'written to {out}')


if __name__ == '__main__': main()
