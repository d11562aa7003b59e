"Every notebook in nbs/ is a test: run it top to bottom with nbdev-test, one pytest test per notebook."
import os, re, shutil, subprocess, sys
from pathlib import Path
import pytest

NBS = Path(__file__).resolve().parent.parent/'nbs'
notebooks = sorted(p.name for p in NBS.glob('*.ipynb'))
# Cells flagged `#| slow` / `#| cuda` run only when asked: FASTCOURSE_TEST_FLAGS="slow cuda" ./course.sh test
FLAGS = os.environ.get('FASTCOURSE_TEST_FLAGS', '')
# More nbdev-test options, e.g. '--save --cell-timing-min 10' (tools/gpu_run.sh: keep the executed notebooks' outputs)
NBDEV_TEST_ARGS = os.environ.get('FASTCOURSE_NBDEV_TEST_ARGS', '').split()

def test_found_notebooks(): assert {'index.ipynb', '01_data_loading.ipynb'} <= set(notebooks)

@pytest.mark.parametrize('nb', notebooks)
def test_notebook(nb, tmp_path):
    nbdev_test = Path(sys.executable).parent/'nbdev-test'  # the venv's; else the one on PATH (tools/gpu_run.sh)
    if not nbdev_test.exists(): nbdev_test = shutil.which('nbdev-test') or nbdev_test
    env = {**os.environ, 'FASTCOURSE_ANSWERS': str(tmp_path/'answers')}  # questionnaire cells never touch the learner's answers
    r = subprocess.run([str(nbdev_test), str(NBS/nb), '--flags', FLAGS, *NBDEV_TEST_ARGS], capture_output=True, text=True,
                       cwd=NBS, env=env)
    print(r.stdout)  # pytest shows it for a passed test with -rP (slow cells with --cell-timing-min)
    assert r.returncode == 0 and 'Success' in r.stdout, f'{nb} failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}'

def test_docs_sidebar_lists_every_notebook():
    "The docs site (nbs/sidebar.yml, custom_sidebar) shows every notebook: a new chapter cannot be left out of it."
    listed = set(re.findall(r'([\w.]+\.ipynb)', (NBS/'sidebar.yml').read_text()))
    assert listed == set(notebooks), f'missing from sidebar.yml: {sorted(set(notebooks) - listed)}; unknown: {sorted(listed - set(notebooks))}'
