"""The headline numbers of every file in bench/results, as markdown: which commit and when, seconds per epoch, the
final metrics, peak memory and the ratios. bench/README.md's tables are copied from this, not typed from the JSON.

    .venv/bin/python bench/summary.py [bench/results]
"""
from __future__ import annotations
import json, sys
from pathlib import Path

# per-contender numbers worth a column, in this order, when a results file has them
TIMES = ('s_per_epoch', 'lm_s_per_epoch', 'clas_s_per_epoch', 's_per_epoch_median', 'tta_s', 'model_step_s', 'images_per_s')
METRICS = ('final_error_rate', 'final_accuracy', 'tta_accuracy', 'final_acc_camvid', 'final_dice_multi', 'lm_accuracy', 'clas_accuracy',
           'accuracy_mean', 'valid_mse_mean', 'mean_error', 'runs_at_or_under_0.20')
MEMORY = ('peak_rss_mb', 'peak_rss_mb_max')

def fmt(v) -> str:
    if isinstance(v, float): return f'{v:.4f}' if abs(v) < 1 else f'{v:.2f}' if abs(v) < 100 else f'{v:,.0f}'
    return '' if v is None else str(v)

def rounded(o):
    "`o` with every float at 4 significant digits, for reading."
    if isinstance(o, dict): return {k: rounded(v) for k, v in o.items()}
    if isinstance(o, list): return [rounded(v) for v in o]
    return float(f'{o:.4g}') if isinstance(o, float) else o

def source_line(rep:dict) -> str:
    src = rep.get('source')
    if not src: return 'source: not recorded (written before the harness recorded it)'
    changed = src.get('uncommitted_changes')
    extra = '' if changed == [] else f', with uncommitted changes to {changed}' if changed else ', commit unknown'
    return f"source: commit {(src.get('commit') or '?')[:10]}{extra}, finished {src.get('finished_utc')}"

def contenders(rep:dict) -> dict:
    "Contender -> its numbers: `results` in the comparisons with fastai, `summary` in the tabular ones."
    per = rep.get('results') or {k: v for k, v in rep.get('summary', {}).items() if isinstance(v, dict) and 'n_runs' in v}
    return {c: r for c, r in per.items() if isinstance(r, dict)}

def table(name:str, rep:dict) -> str:
    "One results file as a markdown section."
    lines = [f'### {name}', '', source_line(rep), '']
    per = contenders(rep)
    if per:
        cols = [k for k in TIMES + METRICS + MEMORY if any(k in r for r in per.values())]
        lines += ['| contender | ' + ' | '.join(cols) + ' |', '|---' * (len(cols) + 1) + '|']
        for c, r in per.items():
            lines.append(f'| {c} | ' + (r['error'] if 'error' in r else ' | '.join(fmt(r.get(k)) for k in cols)) + ' |')
        lines.append('')
    for k, v in (rep.get('ratios') or {}).items(): lines.append(f'- {k}: {"n/a" if v is None else f"{v:.2f}"}')
    if not per and 'summary' in rep: lines.append('```\n' + json.dumps(rounded(rep['summary']), indent=1) + '\n```')
    return '\n'.join(lines) + '\n'

def main(folder=Path(__file__).resolve().parent/'results'):
    files = sorted(Path(folder).glob('*.json'))
    if not files: sys.exit(f'no results files in {folder}: run bench/run.sh first.')
    print('\n'.join(table(f.stem, json.loads(f.read_text())) for f in files))

if __name__ == '__main__': main(*sys.argv[1:2])
