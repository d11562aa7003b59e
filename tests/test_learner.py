"Learner behaviour that needs a real process: Ctrl-C (SIGINT) during fit, page faults between batches."
import subprocess, sys, textwrap

import pytest

def test_sigint_stops_after_the_batch_and_learner_stays_usable():
    script = textwrap.dedent('''
        import os, signal, torch
        from torch import nn
        from fastcourse.callback import Callback
        from fastcourse.learner import Learner, synthetic_dls
        from fastcourse.optim import SGD
        class CtrlC(Callback):
            order = -10  # the signal lands before the learner's end-of-batch check
            def after_batch(self):
                if self.training and self.epoch == 1 and self.iter == 2: os.kill(os.getpid(), signal.SIGINT)
        torch.manual_seed(0)
        learn = Learner(synthetic_dls(), nn.Linear(1, 1), loss_func=nn.MSELoss(), opt_func=SGD, lr=0.1)
        learn.fit(5, cbs=CtrlC())
        print('STOPPED AT', learn.epoch, learn.iter)
        learn.fit(3)
        print('VALID', learn.recorder.final('valid_loss'))
    ''')
    r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'Interrupted: stopped after epoch 1, batch 2' in r.stdout and 'STOPPED AT 1 2' in r.stdout
    assert float(r.stdout.split('VALID')[-1]) < 0.1

def test_cpu_memory_cache_stops_page_faults_between_batches():
    "On glibc, fitting and predicting on the CPU reuse the memory of the previous batch; without `CPUMemoryCache` it is faulted back in."
    script = textwrap.dedent('''
        import os, resource, statistics, torch, torchvision
        from torch import nn
        from fastcourse.callback import Callback
        from fastcourse.cpu_memory import CPUMemoryCache, hold_cpu_memory, release_cpu_memory
        from fastcourse.data_core import DataLoader, DataLoaders
        from fastcourse.learner import Learner
        if not os.confstr('CS_GNU_LIBC_VERSION').startswith('glibc'): print('NOT GLIBC'); raise SystemExit
        class Faults(Callback):
            "Minor page faults of each training batch."
            def before_fit(self): self.faults = []
            def before_batch(self): self._f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            def after_batch(self):
                if self.training: self.faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - self._f0)
        torch.manual_seed(0)
        ds = [(torch.randn(3, 128, 128), torch.tensor(i % 2)) for i in range(16 * 32)]  # 16 training batches, 8 predicted
        dls = DataLoaders(DataLoader(ds, 32, shuffle=True, num_workers=0), DataLoader(ds[:32], 32, num_workers=0))
        def faults(cache):
            "Median page faults of a training batch in `fit`, and of a batch predicted by `get_preds`."
            learn = Learner(dls, torchvision.models.resnet18(num_classes=2), loss_func=nn.CrossEntropyLoss(), cbs=Faults())
            if not cache: learn.remove_cb(CPUMemoryCache)
            learn.fit(1)
            assert not getattr(learn, 'cpu_memory_cache', None) or not learn.cpu_memory_cache.held
            pred = []  # get_preds runs no callbacks: count around each forward pass
            learn.model.register_forward_pre_hook(lambda m, i: pred.append(-resource.getrusage(resource.RUSAGE_SELF).ru_minflt))
            learn.model.register_forward_hook(lambda m, i, o: pred.append(pred.pop() + resource.getrusage(resource.RUSAGE_SELF).ru_minflt))
            learn.get_preds(dl=DataLoader(ds, 64, num_workers=0))
            return statistics.median(learn.faults.faults[4:]), statistics.median(pred[2:])  # after the first batches grow the heap
        with_cache = faults(True)
        without = faults(False)  # after the first fit gave its memory back
        hold_cpu_memory(); hold_cpu_memory(); release_cpu_memory()  # holds nest: one release is not the last
        nested = faults(False)
        release_cpu_memory()
        print('FAULTS', *with_cache, *without, nested[0])
    ''')
    # Rarely (2 runs in about 15), glibc serves every predicted batch without faults even without the cache, and the
    # comparison then measures nothing. That premise is not what is under test, so a run where it fails is repeated,
    # in a fresh process, up to twice; the assertions on the cache are unchanged.
    for attempt in range(3):
        r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        if 'NOT GLIBC' in r.stdout: pytest.skip('the C library is not glibc: CPUMemoryCache does nothing here')
        fit_with, pred_with, fit_without, pred_without, fit_nested = map(float, r.stdout.split('FAULTS')[-1].split())
        print(f'median page faults per batch, fit / get_preds: {fit_with} / {pred_with} with the cache, {fit_without} / {pred_without} without')
        if fit_without > 1000 and pred_without > 1000: break
    assert fit_without > 1000 and pred_without > 1000, 'the workload should page-fault without the cache'
    assert fit_with < fit_without / 10 and pred_with < pred_without / 10
    assert fit_nested < fit_without / 10, f'an inner release gave the memory back while an outer hold wanted it: {fit_nested}'

def test_cpu_memory_cache_does_not_leave_its_memory_to_forked_workers():
    "Data loader workers forked at validation get no copy of the memory the training batches left in the process."
    script = textwrap.dedent('''
        import os, sys, torch, torchvision
        from torch import nn
        from fastcourse import cpu_memory
        from fastcourse.callback import Callback
        from fastcourse.cpu_memory import CPUMemoryCache
        from fastcourse.data_core import DataLoader, DataLoaders
        from fastcourse.learner import Learner
        if not os.confstr('CS_GNU_LIBC_VERSION').startswith('glibc'): print('NOT GLIBC'); raise SystemExit
        def pss(pid): return sum(int(l.split()[1]) for l in open(f'/proc/{pid}/smaps_rollup') if l.startswith('Pss:')) / 1024
        def tree_mb():
            "Memory of this process and its children (proportional set sizes, MiB): shared pages counted once."
            me, tot = os.getpid(), pss(os.getpid())
            for pid in filter(str.isdigit, os.listdir('/proc')):
                try:
                    if int(open(f'/proc/{pid}/stat').read().split()[3]) == me: tot += pss(pid)
                except OSError: pass
            return tot
        class Memory(Callback):
            def after_batch(self):
                if not self.training and self.iter == 0: self.learn.tree_mb = tree_mb()  # the workers are running
        mode = sys.argv[1]
        if mode == 'no_trim': cpu_memory.trim_cpu_memory = lambda: None  # hold, but let the workers fork from the held memory
        torch.manual_seed(0)
        ds = [(torch.randn(3, 128, 128), torch.tensor(i % 2)) for i in range(6 * 32)]
        dls = DataLoaders(DataLoader(ds, 32, shuffle=True, num_workers=0), DataLoader(ds[:64], 32, num_workers=2))
        learn = Learner(dls, torchvision.models.resnet18(num_classes=2), loss_func=nn.CrossEntropyLoss(), cbs=Memory())
        if mode == 'without': learn.remove_cb(CPUMemoryCache)
        learn.fit(1)
        print('TREE', learn.tree_mb)
    ''')
    mb = {}
    for mode in ('without', 'no_trim', 'cache'):  # each in a fresh process
        r = subprocess.run([sys.executable, '-c', script, mode], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        if 'NOT GLIBC' in r.stdout: pytest.skip('the C library is not glibc: CPUMemoryCache does nothing here')
        mb[mode] = float(r.stdout.split('TREE')[-1])
    print('memory of the process and its validation workers (MiB):', {k: round(v) for k, v in mb.items()})
    assert mb['cache'] < mb['no_trim'], mb  # trimming before the workers fork keeps the held memory out of them
    # Without the cache, glibc's adaptive thresholds leave a varying amount in the process (1127 to 1389 MiB in three
    # runs of this script on one machine, 941 in a CI run), so the two trees can come within a few MiB in either order.
    # What the cache may cost is the fragmentation 02j documents for ResNet-18 at 128 pixels: about 3%, not more.
    assert mb['cache'] <= 1.03 * mb['without'], mb
