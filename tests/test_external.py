"The real download path of `untar_data`, exercised against a mirror served over loopback HTTP."
import os
import pytest
from conftest import make_tgz, write_checksums
import fastcourse.external as ext
from fastcourse.external import URLs, untar_data, download_url

def _tiny(folder):
    "A stand-in for mnist_tiny.tgz with the same top folder."
    return make_tgz(folder/'mnist_tiny.tgz', {'mnist_tiny/labels.csv': b'name,label\n', 'mnist_tiny/train/3/1.png': os.urandom(5000),
                                             'mnist_tiny/valid/7/2.png': os.urandom(5000)})

def _leftovers(home):
    "Temporary or partial files and folders left in the cache."
    return [p for p in home.rglob('.*')] if home.exists() else []

def test_download_from_http_mirror(home, http_mirror, monkeypatch):
    folder, base, srv = http_mirror
    _tiny(folder); write_checksums(folder)
    monkeypatch.setenv('FASTCOURSE_MIRROR', base)
    path = untar_data(URLs.MNIST_TINY)
    assert path == home/'data'/'mnist_tiny'
    assert sorted(p.name for p in path.iterdir()) == ['labels.csv', 'train', 'valid']
    assert (home/'archive'/'mnist_tiny.tgz').read_bytes() == (folder/'mnist_tiny.tgz').read_bytes()
    assert srv.requests == ['/checksums.json', '/mnist_tiny.tgz']
    assert untar_data(URLs.MNIST_TINY) == path and len(srv.requests) == 2  # cached: no new request
    untar_data(URLs.MNIST_TINY, force_download=True)
    assert srv.requests[2:] == ['/checksums.json', '/mnist_tiny.tgz']
    assert (path/'train'/'3'/'1.png').exists() and not _leftovers(home)

def test_checksum_mismatch_over_http(home, http_mirror, monkeypatch):
    folder, base, _ = http_mirror
    _tiny(folder); write_checksums(folder, {'mnist_tiny.tgz': {'size': (folder/'mnist_tiny.tgz').stat().st_size, 'sha256': 'f' * 64}})
    monkeypatch.setenv('FASTCOURSE_MIRROR', base)
    with pytest.raises(ValueError, match='checksum mismatch'): untar_data(URLs.MNIST_TINY)
    assert not (home/'archive'/'mnist_tiny.tgz').exists() and not (home/'data'/'mnist_tiny').exists() and not _leftovers(home)

def test_wrong_size_over_http(home, http_mirror, monkeypatch):
    folder, base, _ = http_mirror
    _tiny(folder); write_checksums(folder, {'mnist_tiny.tgz': {'size': 12345, 'sha256': '0' * 64}})
    monkeypatch.setenv('FASTCOURSE_MIRROR', base)
    with pytest.raises(ValueError, match='expected 12,345 bytes'): untar_data(URLs.MNIST_TINY)
    assert not _leftovers(home)

def test_connection_dropped_mid_download(home, http_mirror, monkeypatch):
    folder, base, srv = http_mirror
    _tiny(folder); write_checksums(folder)
    srv.handler.cut.add('mnist_tiny.tgz')
    monkeypatch.setenv('FASTCOURSE_MIRROR', base)
    with pytest.raises(ConnectionError, match='Could not download'): untar_data(URLs.MNIST_TINY)
    assert not (home/'archive'/'mnist_tiny.tgz').exists() and not (home/'data'/'mnist_tiny').exists() and not _leftovers(home)

def test_mirror_without_the_archive(home, http_mirror, monkeypatch):
    folder, base, _ = http_mirror
    write_checksums(folder)
    monkeypatch.setenv('FASTCOURSE_MIRROR', base)
    with pytest.raises(FileNotFoundError, match="has no 'mnist_tiny.tgz'"): untar_data(URLs.MNIST_TINY)

def test_mirror_without_checksums(home, http_mirror, monkeypatch):
    folder, base, _ = http_mirror
    _tiny(folder)
    monkeypatch.setenv('FASTCOURSE_MIRROR', base)
    with pytest.raises(RuntimeError, match='checksums.json'): untar_data(URLs.MNIST_TINY)

def test_unreachable_server_names_url_cache_and_mirror(home, monkeypatch):
    monkeypatch.delenv('FASTCOURSE_MIRROR', raising=False)
    url = 'http://127.0.0.1:9/some_data.tgz'  # nothing listens on the discard port
    with pytest.raises(ConnectionError) as e: untar_data(url)
    msg = str(e.value)
    assert url in msg and str(home/'archive'/'some_data.tgz') in msg and 'FASTCOURSE_MIRROR' in msg

def test_bad_mirror_setting(home, monkeypatch, tmp_path):
    monkeypatch.setenv('FASTCOURSE_MIRROR', str(tmp_path/'no_such_folder'))
    with pytest.raises(FileNotFoundError, match='FASTCOURSE_MIRROR'): untar_data(URLs.MNIST_TINY)

def test_download_url_checks_public_style_md5(tmp_path, http_mirror):
    folder, base, _ = http_mirror
    arc = _tiny(folder)
    import hashlib
    good = (arc.stat().st_size, 'md5:' + hashlib.md5(arc.read_bytes()).hexdigest())
    assert download_url(base + 'mnist_tiny.tgz', tmp_path/'a.tgz', good).read_bytes() == arc.read_bytes()
    with pytest.raises(ValueError, match='md5 checksum mismatch'): download_url(base + 'mnist_tiny.tgz', tmp_path/'b.tgz', (good[0], 'md5:' + '0' * 32))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != 'mirror') == ['a.tgz']

def test_second_extraction_keeps_the_first_finished_copy(home, http_mirror, monkeypatch):
    "Two processes extracting the same dataset: the one that finishes second keeps the other's folder, which may already be in use."
    folder, base, _ = http_mirror
    _tiny(folder); write_checksums(folder)
    monkeypatch.setenv('FASTCOURSE_MIRROR', base)
    dest = home/'data'/'mnist_tiny'
    real = ext.safe_members
    def other_process_finishes_first(archive):
        (dest/'train').mkdir(parents=True); (dest/'in_use.txt').write_text('opened by another notebook')
        return real(archive)
    monkeypatch.setattr(ext, 'safe_members', other_process_finishes_first)
    assert untar_data(URLs.MNIST_TINY) == dest
    assert (dest/'in_use.txt').exists() and not _leftovers(home)  # not swapped out; our own copy discarded
    monkeypatch.setattr(ext, 'safe_members', real)
    untar_data(URLs.MNIST_TINY, force_download=True)  # asked for a fresh copy: that one replaces it
    assert not (dest/'in_use.txt').exists() and (dest/'valid'/'7'/'2.png').exists() and not _leftovers(home)
