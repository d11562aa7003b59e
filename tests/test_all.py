"`fastcourse.all`, the one import for notebooks and for code written for fastai."

def test_all_gives_what_fastai_code_expects():
    "`from fastcourse.all import *` brings the library and what fastai's `all` modules bring besides: fastbook's first lines run."
    ns = {}
    exec('from fastcourse.all import *', ns)
    missing = [k for k in ('torch', 'nn', 'F', 'np', 'pd', 'plt', 'Path', 'Image', 'L', 'first', 'coll_repr',
                           'Learner', 'untar_data', 'URLs', 'vision_learner', 'ImageDataLoaders', 'Hook', 'ActivationStats') if k not in ns]
    assert not missing, missing
    assert ns['first'](ns['L']([3, 4])) == 3 and ns['coll_repr'](list(range(20)), 3).startswith('(#20) [0, 1, 2')
    assert ns['F'].relu(ns['torch'].tensor([-1., 2.])).tolist() == [0., 2.]
