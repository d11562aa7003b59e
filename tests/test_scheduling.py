"How `./course.sh test` schedules the tests: two pytest-xdist workers, the slowest tests first, each worker with its share of the cores."
import os, re, subprocess, sys
from pathlib import Path
import pytest
from conftest import SLOW_FIRST, slow_first, thread_share
from test_notebooks import notebooks

def test_slow_first_puts_the_listed_tests_in_front_in_their_order():
    names = ['a', SLOW_FIRST[2], 'b', SLOW_FIRST[0], 'c']
    assert [names[i] for i in slow_first(names)] == [SLOW_FIRST[0], SLOW_FIRST[2], 'a', 'b', 'c']

def test_slow_first_names_tests_that_exist():
    "A renamed notebook or test would otherwise drop silently to the back of the queue, and CI would take longer."
    tests = Path(__file__).parent
    names = {f'test_notebook[{nb}]' for nb in notebooks}
    names |= {m for f in tests.glob('test_*.py') for m in re.findall(r'^def (test_\w+)\(', f.read_text(), re.M)}
    assert set(SLOW_FIRST) <= names, sorted(set(SLOW_FIRST) - names)

def test_thread_share(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv('PYTEST_XDIST_WORKER_COUNT', '2'); assert thread_share() == max(1, cores // 2)
    monkeypatch.setenv('PYTEST_XDIST_WORKER_COUNT', str(4 * cores)); assert thread_share() == 1
    monkeypatch.setenv('PYTEST_XDIST_WORKER_COUNT', '1'); assert thread_share() is None
    monkeypatch.delenv('PYTEST_XDIST_WORKER_COUNT'); assert thread_share() is None

def test_notebooks_started_by_a_worker_use_its_share_of_the_cores():
    share = thread_share()
    if share is None: pytest.skip('not one of several pytest-xdist workers (./course.sh test runs two)')
    if os.environ.get('OMP_NUM_THREADS') != str(share): pytest.skip(f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} was set outside the tests")
    r = subprocess.run([sys.executable, '-c', 'import torch; print(torch.get_num_threads())'], capture_output=True, text=True)
    assert r.returncode == 0 and int(r.stdout) == share, r.stderr[-2000:]
