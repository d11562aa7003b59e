"`fastcourse.all`, the one import for notebooks and for code written for fastai."

def test_all_gives_what_fastai_code_expects():
    "`from fastcourse.all import *` brings the library and what fastai's `all` modules bring besides: fastbook's first lines run."
    ns = {}
    exec('from fastcourse.all import *', ns)
    missing = [k for k in ('torch', 'nn', 'F', 'np', 'pd', 'plt', 'Path', 'Image', 'L', 'first', 'coll_repr', 'tensor', 'Module',
                           'TextBlock', 'Learner', 'untar_data', 'URLs', 'vision_learner', 'ImageDataLoaders', 'Hook', 'ActivationStats',
                           'partial', 'range_of', 'Optimizer', 'PILImageBW', 'ConvLayer', 'Flatten', 'to_cpu', 'subplots',
                           'TensorImage', 'image2tensor', 'Tensor', 'store_attr', 'GetAttr', 'Self', 'defaults', 'parallel',
                           'progress_bar', 'MultiCategoryBlock', 'accuracy_multi', 'TfmdLists', 'Transform', 'pca', 'create_body',
                           'PointBlock', 'show_points', 'to_np', 'delegates', 'patch', 'xresnet50', 'XResNet', 'ResBlock',
                           'SubwordTokenizer', 'math', 'os', 'random', 're', 'matplotlib', 'event', 'HookCallback', 'pad_input',
                           'RocAuc', 'RocAucBinary', 'RocAucMulti', 'F1ScoreMulti', 'PrecisionMulti', 'RecallMulti', 'SchedCos',
                           'SchedLin', 'SchedNo', 'SchedExp', 'SchedPoly', 'sched_cos', 'combined_cos', 'show_images', 'Flip',
                           'Dihedral', 'Rotate', 'Zoom', 'Warp', 'Brightness', 'Contrast', 'RandomErasing', 'CutMix',
                           'download_images', 'resize_images', 'ShortEpochCallback', 'RAdam', 'QHAdam', 'Lamb', 'Larc',
                           'Lookahead', 'ranger', 'sgd_step', 'weight_decay', 'average_grad', 'adam_step', 'debias', 'APScoreBinary',
                           'APScoreMulti', 'model_sizes', 'num_features_model', 'dummy_eval', 'in_channels',
                           'TerminateOnNaNCallback', 'df_shrink', 'df_shrink_dtypes', 'tokenize_df', 'OptimWrapper', 'L1LossFlat',
                           'BCELossFlat', 'FocalLoss', 'FocalLossFlat', 'DiceLoss', 'LabelSmoothingCrossEntropyFlat')
               if k not in ns]
    assert not missing, missing
    assert ns['first'](ns['L']([3, 4])) == 3 and ns['coll_repr'](list(range(20)), 3).startswith('(#20) [0, 1, 2')
    assert ns['F'].relu(ns['torch'].tensor([-1., 2.])).tolist() == [0., 2.]
    assert list(ns['parallel'](abs, [-1, -2], n_workers=0)) == [1, 2] and ns['defaults'].cpus >= 1  # fastbook's chapter 19


def test_all_pickles_like_fastbook(tmp_path):
    "fastbook's chapter 9 keeps its `TabularPandas` with `save_pickle` and `load_pickle`: both come with `fastcourse.all`."
    ns = {}
    exec('from fastcourse.all import *', ns)
    df = ns['pd'].DataFrame({'job': ['a', 'b', 'a', None], 'hours': [1., 2., None, 4.], 'y': [0., 1., 0., 1.]})
    to = ns['TabularPandas'](df, cat_names='job', cont_names='hours', y_names='y', splits=([0, 1, 2], [3]))
    ns['save_pickle'](tmp_path/'to.pkl', to)
    again = ns['load_pickle'](tmp_path/'to.pkl')
    assert again.train.xs.equals(to.train.xs) and again.classes == to.classes


def test_all_runs_fastbooks_embedding_nn():
    "fastbook's chapter 8 ends by subclassing `TabularModel` under `@delegates`, which `fastcourse.all` brings, as fastai's does."
    ns = {}
    exec('from fastcourse.all import *\n'
         '@delegates(TabularModel)\n'
         'class EmbeddingNN(TabularModel):\n'
         '    def __init__(self, *args, **kwargs): super().__init__(*args, n_cont=0, out_sz=1, **kwargs)\n'
         'model = EmbeddingNN([(944, 74), (1665, 102)], layers=[100, 50])\n', ns)
    import inspect, torch
    assert {'ps', 'y_range'} <= set(inspect.signature(ns['EmbeddingNN']).parameters)  # delegated: TabularModel's keyword arguments
    assert ns['model'](torch.tensor([[1, 2], [3, 4]]), torch.zeros(2, 0)).shape == (2, 1)
