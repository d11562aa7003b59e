"Shared fixtures: a temporary cache, synthetic archives and a loopback HTTP server serving a mirror folder."
import functools, hashlib, http.server, io, json, tarfile, threading
from pathlib import Path
import pytest

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
