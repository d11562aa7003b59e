"""CI's own tools: `tools/import_each.py` names a module that only imports after another one did."""
import subprocess, sys, textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def test_import_each_names_the_module_that_needs_another_imported_first(tmp_path):
    pkg = tmp_path/'pkgx'
    pkg.mkdir()
    (pkg/'__init__.py').write_text('')
    (pkg/'a.py').write_text('X = 1\n')
    (pkg/'b.py').write_text('from pkgx.a import X\n')  # imports what it needs: fine on its own
    (pkg/'c.py').write_text('import sys\nX = sys.modules["pkgx.a"].X\n')  # works only once something imported pkgx.a
    run = lambda: subprocess.run([sys.executable, '-c', textwrap.dedent(f'''
        import sys; from pathlib import Path
        sys.path[:0] = [{str(tmp_path)!r}, {str(ROOT/'tools')!r}]
        import import_each
        sys.exit(import_each.main(Path({str(pkg)!r})))''')], capture_output=True, text=True, timeout=300)
    r = run()
    assert r.returncode == 1, r.stderr
    named = [l for l in r.stderr.splitlines() if l.startswith('importing ')]
    assert named == ['importing pkgx.c on its own failed (traceback above)'], r.stderr
    assert "KeyError: 'pkgx.a'" in r.stderr  # the child's traceback is shown
    (pkg/'c.py').write_text('import pkgx.a\nX = pkgx.a.X\n')
    r = run()
    assert r.returncode == 0 and 'importing ' not in r.stderr, r.stderr
