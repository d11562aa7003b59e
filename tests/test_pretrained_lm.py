"""Pretrained language models in fastai's format: the same scores as fastai's own loader gives, the download through
untar_data (from a mirror), and the learners that start from it.

The fixture (tests/fixtures/fastai_awd_lstm) is a tiny AWD-LSTM saved by fastai 2.8.12 in the layout of its published
WikiText-103 archive, with the scores fastai's `load_pretrained` path gives; tools/make_awd_lstm_fixture.py wrote it."""
import pickle, shutil
from pathlib import Path

import pandas as pd
import pytest
import torch

from conftest import make_tgz, write_checksums
from fastcourse.awd_lstm import AWD_LSTM, get_language_model, load_pretrained_lm, load_vocab
from fastcourse.text import language_model_learner, text_classifier_learner
from fastcourse.text_loaders import TextDataLoaders

FIX = Path(__file__).resolve().parent/'fixtures'/'fastai_awd_lstm'
CFG = dict(emb_sz=8, n_hid=12, n_layers=3)  # the fixture's sizes
OUT = torch.load(FIX/'fastai_outputs.pt', weights_only=True)

def scores(model, vocab, text):
    model.eval(); model.reset()
    with torch.no_grad(): return model(torch.tensor([[vocab.index(t) if t in vocab else 0 for t in text]]))[0]  # (seq, vocab)

@pytest.mark.parametrize('vocab_key,logits_key', [('vocab', 'logits'), ('new_vocab', 'new_logits')])
def test_same_scores_as_fastai(vocab_key, logits_key):
    "Loaded for fastai's own vocabulary, and for another one, the model scores a text exactly as fastai's does."
    vocab = OUT[vocab_key]
    m = load_pretrained_lm(get_language_model(len(vocab), CFG), FIX/'lstm_fwd.pth', FIX/'itos_wt103.pkl', vocab)
    torch.testing.assert_close(scores(m, vocab, OUT['text']), OUT[logits_key], atol=1e-5, rtol=1e-5)

def test_fastai2_layout_and_optimizer_wrapper(tmp_path):
    "Files saved by fastai 2 lack v1's dropped-out copy of weight_hh_l0; files saved with an optimiser wrap the weights in 'model'."
    sd = torch.load(FIX/'lstm_fwd.pth', weights_only=True)
    v2 = {k: v for k, v in sd.items() if not k.endswith('.module.weight_hh_l0')}
    assert len(v2) == len(sd) - 3
    for i, obj in enumerate([v2, {'model': v2, 'opt': {'state': {}, 'param_groups': []}}]):
        torch.save(obj, tmp_path/f'w{i}.pth')
        m = load_pretrained_lm(get_language_model(len(OUT['vocab']), CFG), tmp_path/f'w{i}.pth', FIX/'itos_wt103.pkl', OUT['vocab'])
        torch.testing.assert_close(scores(m, OUT['vocab'], OUT['text']), OUT['logits'], atol=1e-5, rtol=1e-5)

def test_taking_the_dropped_out_copy_would_be_wrong(tmp_path):
    "The fixture's v1 copy of weight_hh_l0 has dropout applied: a loader that took it instead of `_raw` gives other scores."
    sd = torch.load(FIX/'lstm_fwd.pth', weights_only=True)
    for i in range(3): sd[f'0.rnns.{i}.weight_hh_l0_raw'] = sd[f'0.rnns.{i}.module.weight_hh_l0']
    torch.save(sd, tmp_path/'copy.pth')
    m = load_pretrained_lm(get_language_model(len(OUT['vocab']), CFG), tmp_path/'copy.pth', FIX/'itos_wt103.pkl', OUT['vocab'])
    assert (scores(m, OUT['vocab'], OUT['text']) - OUT['logits']).abs().max() > 1e-2

# --- the learners, with the fixture served as `wt103-fwd.tgz` by a mirror folder

TEXTS = ['The movie was great . The plot was good !', 'The film was awful , but the acting was not bad .',
         'I liked this movie . It was a great film , a zombie sequel !', 'Bad plot , bad acting . The cinematography was great though .'] * 6

@pytest.fixture
def wt103_mirror(tmp_path, home, monkeypatch):
    "A mirror folder whose wt103-fwd.tgz holds the fixture; the cache (`home`) starts empty."
    mirror = tmp_path/'mirror'; mirror.mkdir()
    make_tgz(mirror/'wt103-fwd.tgz', {f'wt103-fwd/{n}': (FIX/n).read_bytes() for n in ('lstm_fwd.pth', 'itos_wt103.pkl')})
    write_checksums(mirror)
    monkeypatch.setenv('FASTCOURSE_MIRROR', str(mirror))
    return mirror

def lm_dls(path):
    return TextDataLoaders.from_df(pd.DataFrame({'text': TEXTS}), path=path, is_lm=True, valid_col=None, valid_pct=0.25, seed=0,
                                   min_freq=1, bs=4, seq_len=8, device='cpu')

def test_language_model_learner_starts_from_the_download(wt103_mirror, home, tmp_path):
    dls = lm_dls(tmp_path)
    learn = language_model_learner(dls, config=CFG, pretrained=True)
    assert (home/'models'/'wt103-fwd'/'lstm_fwd.pth').is_file()  # downloaded once into the models cache
    old_vocab, sd = OUT['vocab'], torch.load(FIX/'lstm_fwd.pth', weights_only=True)
    emb, bias = learn.model[0].emb.weight.detach().clone(), learn.model[1].decoder.bias.detach().clone()
    vocab = list(dls.text_vocab)
    shared = [t for t in vocab if t in old_vocab]
    assert {'movie', 'great', 'xxmaj', '.'} <= set(shared) and {'zombie', 'cinematography'} <= set(vocab) - set(shared)
    for t in vocab:
        j = old_vocab.index(t) if t in old_vocab else None
        want_e = sd['0.encoder.weight'][j] if j is not None else sd['0.encoder.weight'].mean(0)
        want_b = sd['1.decoder.bias'][j] if j is not None else sd['1.decoder.bias'].mean(0)
        torch.testing.assert_close(emb[vocab.index(t)], want_e)
        torch.testing.assert_close(bias[vocab.index(t)], want_b)
    torch.testing.assert_close(learn.model[0].rnns[2].module.weight_hh_l0.detach(), sd['0.rnns.2.weight_hh_l0_raw'])
    # frozen but the last group: the embeddings (and the decoder's bias) train first, the LSTMs wait
    assert learn.model[0].emb.weight.requires_grad and not any(p.requires_grad for p in learn.model[0].rnns.parameters())
    before = learn.model[0].rnns[0].module.weight_ih_l0.detach().clone()
    learn.fit(1, 1e-2)
    assert torch.equal(learn.model[0].rnns[0].module.weight_ih_l0.detach(), before) and not torch.equal(learn.model[0].emb.weight.detach(), emb)
    # the second learner finds the cache: the mirror is not asked again
    (wt103_mirror/'wt103-fwd.tgz').unlink()
    again = language_model_learner(dls, config=CFG)
    torch.testing.assert_close(again.model[0].emb.weight, emb)

def test_classifier_and_named_files(wt103_mirror, tmp_path):
    dls_lm = lm_dls(tmp_path)
    df = pd.DataFrame({'text': TEXTS, 'label': ['pos', 'neg', 'pos', 'neg'] * 6, 'is_valid': [False] * 16 + [True] * 8})
    dls = TextDataLoaders.from_df(df, path=tmp_path, text_vocab=dls_lm.text_vocab, bs=4, seq_len=8, device='cpu')
    clas = text_classifier_learner(dls, config=CFG, pretrained=True)
    lm = language_model_learner(dls_lm, config=CFG, pretrained=True)
    torch.testing.assert_close(clas.model[0].module.emb.weight, lm.model[0].emb.weight)  # the same encoder
    assert not any(p.requires_grad for p in clas.model[0].parameters()) and all(p.requires_grad for p in clas.model[1].parameters())
    # pretrained_fnames: files of one's own in path/model_dir, named without their extensions
    (tmp_path/'models').mkdir()
    shutil.copy(FIX/'lstm_fwd.pth', tmp_path/'models'/'mine.pth'); shutil.copy(FIX/'itos_wt103.pkl', tmp_path/'models'/'mine.pkl')
    own = language_model_learner(dls_lm, config=CFG, pretrained=False, pretrained_fnames=('mine', 'mine'))
    torch.testing.assert_close(own.model[0].emb.weight, lm.model[0].emb.weight)

# --- bad input

def test_no_weights_here_says_pretrained_false(tmp_path, home, monkeypatch):
    "A mirror without the archive (an offline machine): the error names the way out, and nothing is left in the cache."
    mirror = tmp_path/'mirror'; mirror.mkdir(); write_checksums(mirror)
    monkeypatch.setenv('FASTCOURSE_MIRROR', str(mirror))
    with pytest.raises(FileNotFoundError, match="(?s)has no 'wt103-fwd.tgz'.*pretrained=False"): language_model_learner(lm_dls(tmp_path), config=CFG)
    assert not (home/'models').exists() and not list(home.rglob('*wt103*'))

def test_archive_without_vocabulary(tmp_path, home, monkeypatch):
    mirror = tmp_path/'mirror'; mirror.mkdir()
    make_tgz(mirror/'wt103-fwd.tgz', {'wt103-fwd/lstm_fwd.pth': (FIX/'lstm_fwd.pth').read_bytes()})
    write_checksums(mirror); monkeypatch.setenv('FASTCOURSE_MIRROR', str(mirror))
    with pytest.raises(FileNotFoundError, match=r'should hold itos_wt103.pkl \(or one .pkl file\)'): language_model_learner(lm_dls(tmp_path), config=CFG)

def test_other_sizes_are_named(wt103_mirror, tmp_path):
    with pytest.raises(ValueError, match='emb_sz=8, n_hid=12, n_layers=3; this model has emb_sz=8, n_hid=16, n_layers=2.*pretrained=False'):
        language_model_learner(lm_dls(tmp_path), config=dict(CFG, n_hid=16, n_layers=2))

class Boom:
    def __reduce__(self): return (print, ('this must never run',))

@pytest.mark.parametrize('payload,msg', [([Boom()], 'asks for builtins.print'), ({'the': 0}, 'not a list of token strings'),
                                         (['the', 3], 'not a list of token strings')])
def test_vocabulary_that_is_not_a_list_of_strings(tmp_path, capsys, payload, msg):
    "A vocabulary pickle that would run code (or is not a list of tokens) is refused; the model keeps its weights."
    (tmp_path/'v.pkl').write_bytes(pickle.dumps(payload))
    m = get_language_model(len(OUT['vocab']), CFG)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    with pytest.raises(ValueError, match=msg): load_pretrained_lm(m, FIX/'lstm_fwd.pth', tmp_path/'v.pkl', OUT['vocab'])
    assert 'must never run' not in capsys.readouterr().out
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in before.items())
    with pytest.raises(ValueError, match=msg): load_vocab(tmp_path/'v.pkl')

def test_weights_that_are_not_an_awd_lstm(tmp_path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path/'lin.pth')
    with pytest.raises(ValueError, match="not a fastai AWD-LSTM language model"):
        load_pretrained_lm(get_language_model(len(OUT['vocab']), CFG), tmp_path/'lin.pth', FIX/'itos_wt103.pkl', OUT['vocab'])
    with pytest.raises(ValueError, match='30 embeddings but the vocabulary has 5 tokens'):
        (tmp_path/'short.pkl').write_bytes(pickle.dumps(OUT['vocab'][:5]))
        load_pretrained_lm(AWD_LSTM(len(OUT['vocab']), **CFG), FIX/'lstm_fwd.pth', tmp_path/'short.pkl', OUT['vocab'])
    with pytest.raises(ValueError, match='has 30 embeddings but new_vocab has 29 tokens'):
        load_pretrained_lm(AWD_LSTM(len(OUT['vocab']), **CFG), FIX/'lstm_fwd.pth', FIX/'itos_wt103.pkl', OUT['vocab'][:-1])
