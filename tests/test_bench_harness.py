"""The benchmark scripts' shared harness (bench/harness.py): what each child reports, how the parent runs a child and
reads its numbers or its failure, the ratios and the results file names. A mistake here would put a wrong number in
bench/results/, so it is checked without running a benchmark."""
import argparse, importlib.util, json, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'bench'))
import harness  # noqa: E402

def test_child_results_add_the_shared_numbers(tmp_path):
    t0 = time.perf_counter() - 1.
    res = {'_t0': t0 + .25, 'epoch_s': [2., 4.], 'epoch_images': [100, 200]}
    harness.write_child_results(res, t0, tmp_path/'r.json')
    back = json.loads((tmp_path/'r.json').read_text())
    assert back['import_s'] == pytest.approx(.25) and '_t0' not in back
    assert back['s_per_epoch'] == 3. and back['images_per_s'] == 50. and back['n_epochs_run'] == 2
    assert back['total_s'] >= 1. and back['peak_rss_mb'] > 0 and back['torch_num_threads'] >= 1
    harness.write_child_results({'_t0': t0, 'epoch_s': [1.]}, t0, tmp_path/'tab.json')  # tables count no images
    assert 'images_per_s' not in json.loads((tmp_path/'tab.json').read_text())

def test_fastcourse_timer_cuts_epochs_short_and_keeps_their_losses():
    "--limit-batches: each pass stops after `limit` batches, and the Recorder still reports their mean loss (not NaN)."
    import math, torch
    from torch import nn
    from fastcourse.learner import Learner, synthetic_dls
    torch.manual_seed(0)
    learn = Learner(synthetic_dls(n=320, bs=16), nn.Linear(1, 1), loss_func=nn.MSELoss(), lr=0.1)  # 16 train batches
    timer = harness.fastcourse_timer(2)
    learn.fit(2, cbs=timer)
    assert timer.images == [64, 64] and len(timer.times) == 2  # two training and two validation batches of 16 per epoch
    for name in ('train_loss', 'valid_loss'): assert math.isfinite(learn.recorder.final(name))
    timer = harness.fastcourse_timer(None)
    learn.fit(1, cbs=timer)
    assert timer.images == [320]  # no limit: every item, trained on and validated

def test_fastai_timer_cuts_epochs_short_and_keeps_their_losses():
    pytest.importorskip('fastai')
    import math, torch
    from torch import nn
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    torch.manual_seed(0)
    x = torch.randn(320, 1); ds = list(zip(x, 3 * x + 2))
    dls = DataLoaders.from_dsets(ds[:256], ds[256:], bs=16, device='cpu')
    learn = Learner(dls, nn.Linear(1, 1), loss_func=nn.MSELoss(), lr=0.1)
    timer = harness.fastai_timer(2)
    learn.fit(2, cbs=timer)
    assert timer.images == [64, 64]  # two training and two validation batches of 16 per epoch
    train_loss, valid_loss = learn.recorder.values[-1][:2]
    assert math.isfinite(train_loss) and math.isfinite(valid_loss)

CHILD = '''import json, sys
a = dict(zip(sys.argv[1::2], sys.argv[2::2]))
if a['--contender'] == 'crashes': sys.exit(3)
if a['--contender'] == 'writes_nothing': sys.exit(0)
open(a['--json'], 'w').write(json.dumps({'contender': a['--contender'], 'data': a['--data'], 'extra': a['--x']}))
if a['--contender'] == 'fails_after_writing': sys.exit(1)  # its numbers are not to be trusted
'''

def test_run_child_returns_the_numbers_or_the_failure(tmp_path, capsys):
    script = tmp_path/'child.py'
    script.write_text(CHILD)
    ok = harness.run_child(script, 'fastcourse', tmp_path/'data', tmp_path/'fc.json', ['--x', '7'], 'task: fastcourse')
    assert ok == {'contender': 'fastcourse', 'data': str(tmp_path/'data'), 'extra': '7'}
    assert '=== task: fastcourse ===' in capsys.readouterr().out
    assert harness.run_child(script, 'crashes', tmp_path, tmp_path/'c.json', ['--x', '1'], 't') == {'error': 'child process exited with code 3'}
    assert harness.run_child(script, 'writes_nothing', tmp_path, tmp_path/'n.json', ['--x', '1'], 't') == {'error': 'child process exited with code 0'}
    assert harness.run_child(script, 'fails_after_writing', tmp_path, tmp_path/'f.json', ['--x', '1'], 't') == {'error': 'child process exited with code 1'}

def test_ratio_is_none_unless_both_contenders_have_the_number():
    res = {'fastcourse': {'s': 3.}, 'fastai': {'s': 4.}, 'bare': {'error': 'child process exited with code 1'}}
    assert harness.ratio(res, 's') == .75
    assert harness.ratio(res, 's', den='bare') is None and harness.ratio(res, 's', 'bare') is None
    assert harness.ratio(res, 's', den='bare_cl') is None  # not run

def test_results_names():
    a = argparse.Namespace(device='cpu', seed=42)
    assert harness.results_name('camvid_tiny', a) == 'camvid_tiny.json'  # the committed CPU results keep their names
    assert harness.results_name('imdb_sample', argparse.Namespace(device='cuda', seed=1), 'smoke') == 'imdb_sample-cuda-seed1-smoke.json'

def test_common_options_refuse_an_unknown_contender_and_a_child_without_its_files(capsys):
    p = argparse.ArgumentParser()
    p.add_argument('--task', action='append')
    harness.add_common_args(p, ('fastai', 'fastcourse'))
    a = harness.parse(p, ['--contenders', 'fastcourse, fastai'], ('fastai', 'fastcourse'))
    assert a.contenders == ['fastcourse', 'fastai'] and a.threads == 2 and a.device == 'cpu'
    for argv, msg in [(['--contenders', 'fastcourse,fastia'], "unknown contender(s) ['fastia']"),
                      (['--contender', 'fastai', '--data', 'd'], '--contender needs one --task, --data and --json'),
                      (['--contender', 'fastai', '--data', 'd', '--json', 'j'], '--contender needs one --task')]:
        with pytest.raises(SystemExit): harness.parse(p, argv, ('fastai', 'fastcourse'), one_task=True)
        assert msg in capsys.readouterr().err
    a = harness.parse(p, ['--contender', 'fastai', '--data', 'd', '--json', 'j', '--task', 't'], ('fastai', 'fastcourse'), one_task=True)
    assert a.contender == 'fastai' and a.task == ['t']

def test_main_runs_the_child_or_the_parent():
    calls, ns = [], argparse.Namespace
    child, parent = (lambda a: calls.append(('child', a.contender))), (lambda a: calls.append('parent'))
    harness.main(ns(contender='fastcourse', contenders=['fastcourse']), child, parent)
    harness.main(ns(contender=None, contenders=['fastcourse', 'bare']), child, parent)
    assert calls == [('child', 'fastcourse'), 'parent']

def test_source_names_the_commit_and_changes_other_than_results(tmp_path):
    "Results say which code they measured: the commit, and any changed file outside bench/results (which a series writes)."
    git = lambda *args: subprocess.run(['git', '-c', 'user.name=t', '-c', 'user.email=t@t', *args], cwd=tmp_path, check=True,
                                       capture_output=True, text=True).stdout.strip()
    assert harness.source(tmp_path)['commit'] is None  # not a checkout: nothing claimed
    git('init', '-q')
    (tmp_path/'bench'/'results').mkdir(parents=True)
    (tmp_path/'lib.py').write_text('x = 1\n'); (tmp_path/'bench'/'results'/'a.json').write_text('{}')
    git('add', '.'); git('commit', '-qm', 'first')
    src = harness.source(tmp_path/'bench')  # the harness asks from its own folder, bench/
    assert src == {**harness.source(tmp_path), 'finished_utc': src['finished_utc']}
    assert src['commit'] == git('rev-parse', 'HEAD') and src['uncommitted_changes'] == [] and src['finished_utc'].endswith('+00:00')
    (tmp_path/'bench'/'results'/'a.json').write_text('{"new": 1}'); (tmp_path/'bench'/'results'/'b.json').write_text('{}')
    assert harness.source(tmp_path/'bench')['uncommitted_changes'] == []
    (tmp_path/'lib.py').write_text('x = 2\n'); (tmp_path/'bench'/'new.py').write_text('')
    assert sorted(harness.source(tmp_path/'bench')['uncommitted_changes']) == ['bench/new.py', 'lib.py']

def test_report_records_the_source():
    rep = harness.report({'fastcourse': {'torch_num_threads': 2}}, {'bs': 8}, [], {})
    assert set(rep['source']) == {'commit', 'uncommitted_changes', 'finished_utc'} and rep['machine']['torch_get_num_threads'] == {'fastcourse': 2}

@pytest.mark.parametrize('script,contender', [('bench_train', 'fastcourse'), ('bench_tabular', 'fastcourse'), ('bench_tta', 'fastcourse'),
                                               ('bench_segmentation', 'fastcourse'), ('bench_text', 'fastcourse'),
                                               ('bench_memory', 'cache'), ('pets_quality', 'from_scratch'), ('bench_points', 'fastcourse'),
                                               ('bench_optim', 'fastcourse')])
def test_every_script_builds_its_options_on_the_harness(script, contender):
    "Each script imports (without fastai) and its parser takes the common options."
    spec = importlib.util.spec_from_file_location(script, ROOT/'bench'/f'{script}.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a = mod.parse_args(['--contenders', contender, '--threads', '1'])
    assert a.contenders == [contender] and a.threads == 1 and a.results_dir

def test_pets_quality_child_needs_its_seed(capsys):
    spec = importlib.util.spec_from_file_location('pets_quality', ROOT/'bench'/'pets_quality.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with pytest.raises(SystemExit): mod.parse_args(['--contender', 'pretrained', '--data', 'd', '--json', 'j'])
    assert '--contender needs --train-seed' in capsys.readouterr().err
    a = mod.parse_args(['--contender', 'from_scratch', '--data', 'd', '--json', 'j', '--train-seed', '3'])
    assert a.contender == 'from_scratch' and a.train_seed == 3 and a.contenders == ['pretrained', 'from_scratch']

def test_summary_shows_the_source_numbers_and_ratios(tmp_path):
    "bench/summary.py prints what README's tables are copied from: the commit, each contender's numbers, the ratios."
    import summary
    res = {'fastai': {'s_per_epoch': 4., 'final_error_rate': .25, 'peak_rss_mb': 1500.}, 'fastcourse': {'s_per_epoch': 3.},
           'bare': {'error': 'child process exited with code 1'}}
    rep = {**harness.report(res, {}, [], {'fastcourse/fastai_s_per_epoch': harness.ratio(res, 's_per_epoch'), 'fastcourse/bare': None}),
           'source': {'commit': 'abcdef0123456789', 'uncommitted_changes': [], 'finished_utc': '2026-12-03T20:00:00+00:00'}}
    out = summary.table('t', rep)
    assert 'commit abcdef0123, finished 2026-12-03T20:00:00+00:00' in out and 'uncommitted' not in out
    assert '| fastai | 4.00 | 0.2500 | 1,500 |' in out and '| fastcourse | 3.00 |  |  |' in out
    assert '| bare | child process exited with code 1 |' in out
    assert '- fastcourse/fastai_s_per_epoch: 0.75' in out and '- fastcourse/bare: n/a' in out
    rep['source']['uncommitted_changes'] = ['fastcourse/learner.py']
    assert "uncommitted changes to ['fastcourse/learner.py']" in summary.table('t', rep)
    assert 'not recorded' in summary.table('t', {'summary': {'x': 1.23456}}) and '1.235' in summary.table('t', {'summary': {'x': 1.23456}})

def test_breeds_bf16_head_pairs_seed_by_seed():
    "The bf16 check's summary counts photos of the 74, seed by seed, with the standard error of their mean."
    from breeds_bf16_head import paired
    fp32, bf16 = [10/74, 12/74, 11/74, 9/74], [11/74, 12/74, 9/74, 12/74]  # differences +1, 0, -2, +3 photos
    res = paired(fp32, bf16)
    assert res == dict(mean_extra_wrong=0.5, standard_error=1.04, worse=2, better=1, same=1)
