"""Import every module of `fastcourse` on its own, to catch one that only imports after another module did.

Each module is imported in a child process forked from a parent that has loaded torch and torchvision but nothing of
`fastcourse`, as many at a time as there are cores. A fresh interpreter per module would pay torch's import again
each time: on CI's two cores the step took 52 s that way and takes 12 s this way. Exits 1, naming them, if any module
fails.
"""
import importlib, os, sys, traceback
from pathlib import Path

def module_names(pkg:Path) -> list:
    "The package and each of its modules, by import name."
    return [pkg.name] + [f'{pkg.name}.{f.stem}' for f in sorted(pkg.glob('*.py')) if f.stem != '__init__']

def import_in_child(name:str) -> int:
    "Fork a child that imports `name` and exits 0 if it could; its pid."
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid: return pid
    try: importlib.import_module(name)
    except BaseException:
        traceback.print_exc(); sys.stderr.flush(); os._exit(1)
    os._exit(0)

def main(pkg:Path=Path(__file__).resolve().parent.parent/'fastcourse') -> int:
    import torch, torchvision  # noqa: F401  the slow part of every import, done once
    if any(m == pkg.name or m.startswith(pkg.name + '.') for m in sys.modules):
        raise RuntimeError(f'{pkg.name} is already imported here, so its modules would not be imported on their own')
    todo, running, failed = module_names(pkg), {}, []
    while todo or running:
        while todo and len(running) < (os.cpu_count() or 1):
            name = todo.pop(0); running[import_in_child(name)] = name
        pid, status = os.wait()
        name = running.pop(pid)
        if os.waitstatus_to_exitcode(status) != 0: failed.append(name)
    for name in failed: print(f'importing {name} on its own failed (traceback above)', file=sys.stderr)
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
