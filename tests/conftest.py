"Shared fixtures (a temporary cache, synthetic archives, a loopback HTTP server serving a mirror folder) and test scheduling."
import functools, hashlib, http.server, io, json, os, tarfile, threading
from pathlib import Path
import pytest

# Under pytest-xdist (`./course.sh test` runs two workers) each worker, and the notebooks it starts, gets its share of the
# cores for torch's threads: two notebooks with two threads each on two cores would wait on each other's threads.
def thread_share() -> int|None:
    "torch threads for this xdist worker and the notebooks it runs: its share of the cores; None when not one of several workers."
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '0'))
    if workers < 2: return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)
    return max(1, cores // workers)

if (_share := thread_share()) is not None: os.environ.setdefault('OMP_NUM_THREADS', str(_share))  # a value set outside wins

# The tests that take minutes, in the order two workers should start them (from --durations of a two-worker run on the
# 2-core CI machine: 08 1012 s, 04 991 s, 02 476 s, 03 228 s, page faults 138 s, 07 131 s; everything else ~600 s).
# They go first. xdist's load scheduler (--maxschedchunk 1) hands the first worker items 0-1 and the second items 2-3,
# then one test each time a worker starts its queued one. So one worker runs 08 then 03, the other 04 then 02, and the
# short tests fill in behind: the longest-first schedule (91 tests in 1805 s on CI, against 2020 s when 08 and 04
# ran back to back on one worker).
SLOW_FIRST = ['test_notebook[08_tta.ipynb]', 'test_notebook[03_segmentation.ipynb]',
              'test_notebook[04_imdb.ipynb]', 'test_notebook[02_pets.ipynb]',
              'test_cpu_memory_cache_stops_page_faults_between_batches', 'test_notebook[07_sgd_from_scratch.ipynb]']

def slow_first(names:list) -> list:
    "Indices that order test `names` with those of `SLOW_FIRST` at the front, in its order; the others keep theirs."
    rank = {n: i for i, n in enumerate(SLOW_FIRST)}
    return sorted(range(len(names)), key=lambda i: rank.get(names[i], len(rank)))

def pytest_collection_modifyitems(config, items):
    items[:] = [items[i] for i in slow_first([it.name for it in items])]

@pytest.fixture
def home(tmp_path, monkeypatch):
    "An empty download cache for one test."
    monkeypatch.setenv('FASTCOURSE_HOME', str(tmp_path/'home'))
    return tmp_path/'home'

def make_tgz(dest:Path, members:dict) -> Path:
    "Write a .tgz at `dest` holding `members` (name → bytes)."
    with tarfile.open(dest, 'w:gz') as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    return dest

def write_checksums(folder:Path, overrides:dict|None=None):
    "checksums.json for every archive in `folder`, as the real mirror has it."
    sums = {p.name: {'size': p.stat().st_size, 'sha256': hashlib.sha256(p.read_bytes()).hexdigest()}
            for p in sorted(folder.iterdir()) if p.suffix in ('.tgz', '.zip')}
    sums.update(overrides or {})
    (folder/'checksums.json').write_text(json.dumps(sums))

class _Handler(http.server.SimpleHTTPRequestHandler):
    cut = set()  # file names served with a full Content-Length but only half the body, then the connection drops
    def log_message(self, *a): pass
    def do_GET(self):
        self.server.requests.append(self.path)
        name = self.path.lstrip('/')
        if name in self.cut:
            data = (Path(self.directory)/name).read_bytes()
            self.send_response(200); self.send_header('Content-Length', str(len(data))); self.end_headers()
            self.wfile.write(data[:len(data) // 2]); self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

@pytest.fixture
def http_mirror(tmp_path):
    "(folder, base URL, server) of a mirror served over HTTP on 127.0.0.1."
    folder = tmp_path/'mirror'; folder.mkdir()
    handler = type('H', (_Handler,), {'cut': set()})
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(handler, directory=str(folder)))
    srv.requests, srv.handler = [], handler
    th = threading.Thread(target=srv.serve_forever, daemon=True); th.start()
    yield folder, f'http://127.0.0.1:{srv.server_address[1]}/', srv
    srv.shutdown(); srv.server_close()
