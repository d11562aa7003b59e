"""Write tests/fixtures/fastai_awd_lstm/: a tiny AWD-LSTM language model saved by fastai itself, in the layout of fastai's
published WikiText-103 archive (`wt103-fwd.tgz`: `lstm_fwd.pth` + `itos_wt103.pkl`), and the outputs fastai's own
loader gives with it. tests/test_pretrained_lm.py checks that fastcourse loads it to the same outputs.

Needs fastai (the `bench` extra: `pip install -e ".[bench]"`). Run once; the files it writes are committed:
    python tools/make_awd_lstm_fixture.py
"""
import pickle
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
from fastai.text.core import defaults
from fastai.text.learner import clean_raw_keys, load_ignore_keys, match_embeds
from fastai.text.models.awdlstm import AWD_LSTM, awd_lstm_lm_config
from fastai.text.models.core import get_language_model

out = Path(__file__).resolve().parent.parent/'tests'/'fixtures'/'fastai_awd_lstm'
out.mkdir(parents=True, exist_ok=True)
cfg = dict(awd_lstm_lm_config, emb_sz=8, n_hid=12, n_layers=3)
words = 'the a movie film was is good bad great awful plot acting and but i it this not , . !'.split()
vocab = list(defaults.text_spec_tok) + words  # fastai's special tokens first, as in its WikiText-103 vocabulary

torch.manual_seed(0)
model = get_language_model(AWD_LSTM, len(vocab), config=cfg)
with torch.no_grad(): model[1].decoder.bias.normal_(0, 0.5)  # fastai starts it at zero; non-zero, so its conversion is checked too
# fastai v1's weight dropout also kept, as `module.weight_hh_l0`, the copy of each hidden-to-hidden matrix that its last forward
# pass used (dropped out, if that pass was training) beside the raw one (`weight_hh_l0_raw`), and saved both; fastai 2's
# `clean_raw_keys` drops the copy "for previous versions compatibility". We add one here, dropped out so that it differs from
# the raw weights: a loader that took it would give other outputs.
sd = OrderedDict()
for k, v in model.state_dict().items():
    sd[k] = v.clone()
    if k.endswith('.module.weight_ih_l0'): sd[k.replace('weight_ih_l0', 'weight_hh_l0')] = F.dropout(sd[k.replace('module.weight_ih_l0', 'weight_hh_l0_raw')], 0.5)
torch.save(sd, out/'lstm_fwd.pth')
(out/'itos_wt103.pkl').write_bytes(pickle.dumps(vocab))

def fastai_logits(new_vocab:list, tokens:list) -> torch.Tensor:
    "What fastai's `load_pretrained` makes of the files for `new_vocab`: the language model's scores for `tokens`."
    m = get_language_model(AWD_LSTM, len(new_vocab), config=cfg)
    wgts = match_embeds(torch.load(out/'lstm_fwd.pth', weights_only=True), pickle.loads((out/'itos_wt103.pkl').read_bytes()), new_vocab)
    load_ignore_keys(m, clean_raw_keys(wgts))
    m.eval(); m.reset()
    with torch.no_grad(): return m(torch.tensor([[new_vocab.index(t) if t in new_vocab else 0 for t in tokens]]))[0][0]  # (seq, vocab); 0 is xxunk

# A task's vocabulary: some tokens of the pretrained one in another order, and three it never saw.
new_vocab = list(defaults.text_spec_tok) + 'movie great the plot zombie was awful a sequel . film , cinematography'.split()
text = 'xxbos xxmaj the movie was great . the plot was awful , a zombie sequel'.split()
torch.save({'vocab': vocab, 'text': text, 'logits': fastai_logits(vocab, text), 'new_vocab': new_vocab,
            'new_logits': fastai_logits(new_vocab, text)}, out/'fastai_outputs.pt')
print(f'wrote {sorted(p.name for p in out.iterdir())} to {out}')
