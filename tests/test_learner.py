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
    "On glibc, a learner fitting on the CPU reuses the memory of the previous batch; without `CPUMemoryCache` it faults it back in."
    script = textwrap.dedent('''
        import os, resource, statistics, torch, torchvision
        from torch import nn
        from fastcourse.callback import Callback, CPUMemoryCache
        from fastcourse.data import DataLoader, DataLoaders
        from fastcourse.learner import Learner
        if not os.confstr('CS_GNU_LIBC_VERSION').startswith('glibc'): print('NOT GLIBC'); raise SystemExit
        class Faults(Callback):
            "Minor page faults of each training batch."
            def before_fit(self): self.faults = []
            def before_batch(self): self._f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            def after_batch(self):
                if self.training: self.faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - self._f0)
        torch.manual_seed(0)
        ds = [(torch.randn(3, 128, 128), torch.tensor(i % 2)) for i in range(8 * 32)]
        dls = DataLoaders(DataLoader(ds, 32, shuffle=True, num_workers=0), DataLoader(ds[:32], 32, num_workers=0))
        def faults(cache):
            learn = Learner(dls, torchvision.models.resnet18(num_classes=2), loss_func=nn.CrossEntropyLoss(), cbs=Faults())
            if not cache: learn.remove_cb(CPUMemoryCache)
            learn.fit(1)
            assert not getattr(learn, 'cpu_memory_cache', None) or not learn.cpu_memory_cache.held
            return statistics.median(learn.faults.faults[3:])
        with_cache = faults(True)
        without = faults(False)  # after the first fit gave its memory back
        print('FAULTS', with_cache, without)
    ''')
    r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    if 'NOT GLIBC' in r.stdout: pytest.skip('the C library is not glibc: CPUMemoryCache does nothing here')
    with_cache, without = map(float, r.stdout.split('FAULTS')[-1].split())
    assert without > 1000, f'the workload should page-fault without the cache: {without}'
    assert with_cache < without / 10, (with_cache, without)
    print(f'median page faults per batch: {with_cache} with the cache, {without} without')
