"Learner behaviour that needs a real process: Ctrl-C (SIGINT) during fit."
import subprocess, sys, textwrap

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
