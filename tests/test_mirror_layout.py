"`untar_data` on every archive of the mirror gives the layout documented in the mirror's README."
import csv, os
import pytest
from fastcourse.external import URLs, untar_data

pytestmark = pytest.mark.skipif(not os.environ.get('FASTCOURSE_MIRROR'), reason='FASTCOURSE_MIRROR is not set: no offline mirror to check')

def n_files(p, pat='*'): return sum(1 for f in p.glob(pat) if f.is_file())
def n_rows(p): 
    with open(p, newline='', encoding='utf-8') as f: return sum(1 for _ in csv.reader(f)) - 1

@pytest.fixture(scope='module')
def fresh(tmp_path_factory):
    "Extract each archive into a cache of its own, so the test sees untar_data's work, not an old cache."
    base = tmp_path_factory.mktemp('home')
    return lambda url: untar_data(url, base=base)

def test_pets(fresh):
    p = fresh(URLs.PETS)
    imgs = sorted((p/'images').glob('*.jpg'))
    assert p.name == 'oxford-iiit-pet' and len(imgs) == 370
    assert len({f.name.rsplit('_', 1)[0] for f in imgs}) == 37

def test_camvid_tiny(fresh):
    p = fresh(URLs.CAMVID_TINY)
    assert n_files(p/'images') == 100 and n_files(p/'labels', '*_P.png') == 100
    assert len((p/'codes.txt').read_text().split()) == 32

def test_mnist_sample(fresh):
    p = fresh(URLs.MNIST_SAMPLE)
    assert [n_files(p/s/d) for s in ('train', 'valid') for d in '37'] == [6131, 6265, 1010, 1028]
    assert (p/'labels.csv').exists()

def test_mnist_tiny(fresh):
    p = fresh(URLs.MNIST_TINY)
    assert n_files(p/'train', '*/*.png') + n_files(p/'valid', '*/*.png') == 1408 and n_files(p/'test') == 20
    assert (p/'labels.csv').exists()

def test_imagenette_160(fresh):
    p = fresh(URLs.IMAGENETTE_160)
    classes = sorted(d.name for d in (p/'train').iterdir())
    assert len(classes) == 10 and classes == sorted(d.name for d in (p/'val').iterdir())
    assert all(n_files(p/'train'/c) == 150 and n_files(p/'val'/c) == 50 for c in classes)

def test_imdb_sample(fresh):
    p = fresh(URLs.IMDB_SAMPLE)
    with open(p/'texts.csv', newline='', encoding='utf-8') as f: header = next(csv.reader(f))
    assert header == ['label', 'text', 'is_valid'] and n_rows(p/'texts.csv') == 1000

def test_imdb(fresh):
    p = fresh(URLs.IMDB)
    counts = {f'{s}/{d}': n_files(p/s/d) for s, d in [('train', 'pos'), ('train', 'neg'), ('test', 'pos'), ('test', 'neg'), ('train', 'unsup')]}
    assert counts == {'train/pos': 12500, 'train/neg': 12500, 'test/pos': 12500, 'test/neg': 12500, 'train/unsup': 50000}
    assert (p/'imdb.vocab').exists() and (p/'README').exists()

def test_adult_sample(fresh): assert n_rows(fresh(URLs.ADULT_SAMPLE)/'adult.csv') == 32561
def test_ml_sample(fresh): assert n_rows(fresh(URLs.ML_SAMPLE)/'ratings.csv') == 6031

def test_ml_100k(fresh):
    p = fresh(URLs.ML_100k)
    assert p.name == 'ml-100k' and len((p/'u.data').read_text().splitlines()) == 100_000
    assert (p/'u.item').exists() and (p/'u.user').exists()

def test_every_url_is_checked(): assert set(URLs.all()) == {'PETS', 'IMAGENETTE_160', 'CAMVID_TINY', 'MNIST_SAMPLE', 'MNIST_TINY', 'IMDB', 'IMDB_SAMPLE', 'ADULT_SAMPLE', 'ML_SAMPLE', 'ML_100k'}
