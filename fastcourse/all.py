"Everything a chapter notebook needs, in one import: `from fastcourse.all import *` (library modules import explicitly)."
# Hand-written, not exported from a notebook: one line per module, in layering order.
from .course import *  # noqa: F403
from .questionnaire import *  # noqa: F403
from .checks import *  # noqa: F403
from .torch_core import *  # noqa: F403
from .external import *  # noqa: F403
from .transforms import *  # noqa: F403
from .augment import *  # noqa: F403
from .categories import *  # noqa: F403
from .multilabel import *  # noqa: F403
from .points import *  # noqa: F403
from .data_core import *  # noqa: F403
from .show import *  # noqa: F403
from .splitters import *  # noqa: F403
from .data import *  # noqa: F403
from .image_files import *  # noqa: F403
from .pipelines import *  # noqa: F403
from .image_data import *  # noqa: F403
from .optim import *  # noqa: F403
from .optimizers import *  # noqa: F403
from .layers import *  # noqa: F403
from .callback import *  # noqa: F403
from .cpu_memory import *  # noqa: F403
from .learner import *  # noqa: F403
from .training import *  # noqa: F403
from .lr_finder import *  # noqa: F403
from .hooks import *  # noqa: F403
from .tracker import *  # noqa: F403
from .metrics import *  # noqa: F403
from .ranking import *  # noqa: F403
from .progress import *  # noqa: F403
from .inference import *  # noqa: F403
from .saving import *  # noqa: F403
from .models import *  # noqa: F403
from .vision import *  # noqa: F403
from .interpret import *  # noqa: F403
from .segmentation import *  # noqa: F403
from .tta import *  # noqa: F403
from .losses import *  # noqa: F403
from .text_data import *  # noqa: F403
from .text_loaders import *  # noqa: F403
from .text_block import *  # noqa: F403
from .awd_lstm import *  # noqa: F403
from .text import *  # noqa: F403
from .tabular_procs import *  # noqa: F403
from .tabular_data import *  # noqa: F403
from .tabular_loaders import *  # noqa: F403
from .tabular import *  # noqa: F403
from .collab import *  # noqa: F403

# What fastai's `all` modules also give, so that code written for fastai and its book runs as it is: the usual
# libraries under their usual names, the fastcore helpers the book calls (`L`, `first`, `range_of`, `coll_repr`, `save_pickle`,
# chapter 8's `delegates`, and chapter 19's `store_attr`, `GetAttr`, `Self`, `defaults`, `parallel`, `patch`), and fastprogress's bars.
import math, os, random, re  # noqa: E402, F401
import matplotlib  # noqa: E402, F401
from functools import partial  # noqa: E402, F401
from pathlib import Path  # noqa: E402, F401
import matplotlib.pyplot as plt  # noqa: E402, F401
import numpy as np  # noqa: E402, F401
import pandas as pd  # noqa: E402, F401
import torch  # noqa: E402, F401
import torch.nn.functional as F  # noqa: E402, F401
from torch import Tensor, nn  # noqa: E402, F401
from PIL import Image  # noqa: E402, F401
from fastcore.basics import GetAttr, Self, defaults, first, range_of, store_attr  # noqa: E402, F401
from fastcore.meta import delegates  # noqa: E402, F401
from fastcore.basics import patch  # noqa: E402, F401
from fastcore.foundation import L, coll_repr  # noqa: E402, F401
from fastcore.parallel import ProcessPoolExecutor, parallel  # noqa: E402, F401
from fastcore.xtras import load_pickle, save_pickle  # noqa: E402, F401
from fastprogress.fastprogress import master_bar, progress_bar  # noqa: E402, F401
