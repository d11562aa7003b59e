"The course layer: questionnaires match the chapters, `doc` works from a plain install, and no torch is imported."
import json, os, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from fastcourse.questionnaire import Questionnaire, chapters, load_questions

def _calls(nb:Path) -> list[str]:
    "Chapters whose questionnaire notebook `nb` shows."
    src = ''.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')
    return re.findall(r"questionnaire\('([^']+)'\)", src)

def test_every_chapter_shows_its_own_questionnaire():
    shown = {}
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        for ch in _calls(nb): shown[ch] = nb.stem
    assert shown, 'no notebook shows a questionnaire'
    assert set(shown) == set(chapters()), f'notebooks show {sorted(shown)}, the package has {chapters()}'
    for ch, nb in shown.items(): assert ch == nb, f'{nb}.ipynb shows the questionnaire of {ch}'
    for ch in chapters():
        qs = load_questions(ch)
        assert len(qs) >= 5, ch
        for i, q in enumerate(qs, 1): assert q['q'].endswith('?') or q['q'].endswith('.'), (ch, i, q)
        assert all(q['a'] for q in qs), f'{ch}: a question has no reference answer'

def test_questionnaire_keeps_answers_atomically(tmp_path):
    q = Questionnaire('02_pets', tmp_path)
    q.answer(3, 'no gradients')
    data = json.loads((tmp_path/'02_pets.json').read_text())
    assert data['answers'] == {'3': 'no gradients'} and data['chapter'] == '02_pets'
    assert [p.name for p in tmp_path.iterdir()] == ['02_pets.json']  # nothing temporary left behind

def test_text_fallback_outside_jupyter(tmp_path):
    code = "from fastcourse.questionnaire import questionnaire; questionnaire('07_sgd_from_scratch')"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, 'FASTCOURSE_ANSWERS': str(tmp_path), 'PYTHONPATH': str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert 'answered 0 of 16' in r.stdout and ' 1. How does a grey 28x28 image look' in r.stdout

def test_course_modules_import_no_torch():
    code = "import sys, fastcourse.course, fastcourse.questionnaire; assert 'torch' not in sys.modules, 'torch imported'"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert r.returncode == 0, r.stderr

def test_doc_after_plain_install_outside_repo(tmp_path):
    "Install the package (no deps, no project files) into a folder and call `doc` from elsewhere: links and 'taught in' work."
    target = tmp_path/'site'
    r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--no-build-isolation', '--target', str(target), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (target/'fastcourse'/'taught.json').exists() and (target/'fastcourse'/'questionnaires'/'02_pets.md').exists()
    code = ("import fastcourse, fastcourse.course as c; from fastcourse.external import untar_data; "
            "assert fastcourse.__file__.startswith(%r), fastcourse.__file__; c.doc(untar_data); c.doc(len)" % str(target))
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path, env={**env, 'PYTHONPATH': str(target)})
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'Taught in: 01a_external.ipynb' in r.stdout, r.stdout
    assert 'https://fastcourse.github.io/fastcourse/external.html#untar_data' in r.stdout
    assert re.search(r'https://github.com/fastcourse/fastcourse/blob/v[\d.]+/fastcourse/external.py#L\d+', r.stdout)
    assert 'len(obj, /)' in r.stdout
