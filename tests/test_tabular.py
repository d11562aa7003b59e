"Tables and ratings outside the notebooks: exports load in a fresh interpreter, tampered exports are refused, no leakage."
import json, os, subprocess, sys, textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fastcourse.collab import CollabDataLoaders, collab_learner
from fastcourse.saving import load_learner
from fastcourse.tabular import tabular_learner
from fastcourse.tabular_loaders import TabularDataLoaders

ROOT = Path(__file__).resolve().parent.parent

def toy_table(n=400, seed=0) -> pd.DataFrame:
    "A small table whose target depends on a category and a number, with missing values in both kinds of column."
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({'colour': rng.choice(['red', 'green', 'blue'], n), 'size': rng.normal(10, 3, n)})
    df['big_red'] = np.where((df.colour == 'red') & (df['size'] > 10), 'yes', 'no')
    df.loc[::17, 'size'] = np.nan
    df.loc[::23, 'colour'] = None
    return df

def test_valid_rows_do_not_leak_into_preprocessing():
    df = toy_table()
    valid = list(range(300, 400))
    shifted = df.copy(); shifted.loc[valid, 'size'] = 1e6  # absurd validation values
    a = TabularDataLoaders.from_df(df, cat_names='colour', cont_names='size', y_names='big_red', valid_idx=valid, device='cpu')
    b = TabularDataLoaders.from_df(shifted, cat_names='colour', cont_names='size', y_names='big_red', valid_idx=valid, device='cpu')
    na, nb = (next(p for p in d.to.procs if type(p).__name__ == 'NormalizeTab') for d in (a, b))
    assert na.means == nb.means and na.stds == nb.stds  # learnt from the training rows only
    assert torch.equal(a.train.tensors[1], b.train.tensors[1])

def test_tabular_export_loads_in_a_fresh_interpreter(tmp_path):
    "load_learner rebuilds model and preprocessing from plain data; fastcourse.tabular is imported by the loader, not by the user."
    torch.manual_seed(0)
    df = toy_table()
    dls = TabularDataLoaders.from_df(df, tmp_path, cat_names='colour', cont_names='size', y_names='big_red', valid_pct=0.25, seed=0,
                                     bs=32, device='cpu')
    learn = tabular_learner(dls, layers=[16])
    learn.remove_cb(learn.progress)
    learn.fit_one_cycle(2, 1e-2)
    learn.export('toy.pkl')
    row = {'colour': 'purple', 'size': None}  # an unseen category and a missing number
    expected = learn.predict(row)[2].tolist()
    script = textwrap.dedent(f'''
        import json, sys
        from fastcourse.saving import load_learner
        assert 'fastcourse.tabular' not in sys.modules
        learn = load_learner({str(tmp_path / 'toy.pkl')!r})
        label, idx, probs = learn.predict({row!r})
        print('PROBS', json.dumps(probs.tolist()))
    ''')
    r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, 'PYTHONPATH': str(ROOT)}, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    probs = json.loads(r.stdout.split('PROBS')[1])
    assert np.allclose(probs, expected, atol=1e-5)

def test_tampered_tabular_export_is_refused(tmp_path):
    df = toy_table()
    dls = TabularDataLoaders.from_df(df, tmp_path, cat_names='colour', cont_names='size', y_names='big_red', seed=0, device='cpu')
    tabular_learner(dls, layers=[8]).export('toy.pkl')
    def tampered(name, change):
        obj = torch.load(tmp_path/'toy.pkl', weights_only=True)
        change(obj['config']['data'])
        torch.save(obj, tmp_path/name)
        return tmp_path/name
    with pytest.raises(ValueError, match="Unknown tabular proc 'os.system'"):
        load_learner(tampered('a.pkl', lambda d: d['table']['procs'][0].update(cls='os.system')))
    with pytest.raises(ValueError, match=r"lacks \['vocab'\]: it was not written by fastcourse"):
        load_learner(tampered('b.pkl', lambda d: d['table'].pop('vocab')))
    with pytest.raises(ValueError, match="Unknown kind of data 'pickle'"):
        load_learner(tampered('c.pkl', lambda d: d.update(kind='pickle')))

def test_collab_unknown_user_is_an_error_not_an_index():
    rng = np.random.default_rng(0)
    ratings = pd.DataFrame({'user': rng.integers(0, 30, 600), 'item': rng.integers(0, 20, 600), 'rating': rng.integers(1, 6, 600)})
    dls = CollabDataLoaders.from_df(ratings, seed=0, device='cpu')
    learn = collab_learner(dls, n_factors=4, y_range=(0, 5.5))
    known = ratings.iloc[dls.to.splits[0][0]]
    assert 0 < learn.predict({'user': known.user, 'item': known['item']})[0] < 5.5
    with pytest.raises(ValueError, match='user 999 is not in the training data'): learn.predict({'user': 999, 'item': known['item']})
    with pytest.raises(KeyError, match=r"Column\(s\) \['item'\] not in the rows"): learn.predict({'user': known.user})
