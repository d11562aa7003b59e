"""The GPU-run tooling: each bundle carries the data its notebooks use, the run script refuses the wrong bundle, and the
benchmark's GPU options name their results apart from the CPU ones."""
import importlib.util, json, os, re, shutil, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def load(path:Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

bundle = load(ROOT/'tools'/'gpu_bundle.py')

@pytest.mark.parametrize('part', sorted(bundle.PARTS))
def test_bundle_carries_the_data_its_notebooks_use(part):
    from fastcourse.external import URLs
    spec = bundle.PARTS[part]
    for nb in spec['notebooks']:
        src = (ROOT/'nbs'/f'{nb}.ipynb').read_text()
        for name in set(re.findall(r'URLs\.(\w+)', src)):
            fname = getattr(URLs, name).rsplit('/', 1)[-1]
            assert fname in spec['archives'], f'{nb} uses URLs.{name} ({fname}), which part {part!r} does not carry'
    mirror = os.environ.get('FASTCOURSE_MIRROR')
    if mirror and Path(mirror, 'checksums.json').is_file():
        sums = json.loads(Path(mirror, 'checksums.json').read_text())
        assert set(spec['archives']) <= set(sums), f'not in the mirror: {set(spec["archives"]) - set(sums)}'

def test_bench_part_runs_the_gpu_task():
    bench = load(ROOT/'bench'/'bench_train.py')
    assert 'pets_224' in bench.TASKS and 'pets_224' not in bench.DEFAULT_TASKS
    from fastcourse.external import URLs
    assert getattr(URLs, bench.TASKS['pets_224']['dataset']).rsplit('/', 1)[-1] in bundle.PARTS['bench']['archives']
    a = bench.parse_args(['--task', 'pets_224', '--device', 'cuda', '--precision', 'bf16', '--channels-last'])
    assert (a.precision, a.channels_last) == ('bf16', True)
    assert bench.results_name('pets_224', a) == 'pets_224-cuda-bf16.json'
    assert bench.results_name('mnist_sample', bench.parse_args([])) == 'mnist_sample.json'  # the CPU results keep their names
    assert '--precision' in bench.child_args(a) and '--channels-last' in bench.child_args(a)  # every contender gets them

def run_script(tmp_path, *args, part=None):
    "tools/gpu_run.sh from a scratch copy of the repo layout, with `.carry/part` holding `part`."
    (tmp_path/'tools').mkdir()
    shutil.copy2(ROOT/'tools'/'gpu_run.sh', tmp_path/'tools'/'gpu_run.sh')
    if part: (tmp_path/'.carry').mkdir(); (tmp_path/'.carry'/'part').write_text(part + '\n')
    return subprocess.run(['bash', str(tmp_path/'tools'/'gpu_run.sh'), *args], capture_output=True, text=True, check=False,
                          env={**os.environ, 'OUT': str(tmp_path/'out')})

def test_gpu_run_refuses_another_bundle(tmp_path):
    r = run_script(tmp_path, 'tables', part='pets')
    assert r.returncode == 2 and "holds 'pets', not 'tables'" in r.stderr and 'gpu_bundle.py tables' in r.stderr
    assert not (tmp_path/'out').exists()  # stopped before installing or running anything

def test_gpu_run_names_its_parts(tmp_path):
    r = run_script(tmp_path, 'everything')
    assert r.returncode == 2 and all(p in r.stderr for p in bundle.PARTS)

def test_gpu_run_without_a_bundle(tmp_path):
    r = run_script(tmp_path, 'bench')
    assert r.returncode == 2 and "holds 'nothing'" in r.stderr
