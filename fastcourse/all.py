"Everything a chapter notebook needs, in one import: `from fastcourse.all import *` (library modules import explicitly)."
# Hand-written, not exported from a notebook: one line per module, in layering order.
from .course import *  # noqa: F403
from .questionnaire import *  # noqa: F403
from .external import *  # noqa: F403
from .transforms import *  # noqa: F403
from .data_core import *  # noqa: F403
from .show import *  # noqa: F403
from .data import *  # noqa: F403
from .optim import *  # noqa: F403
from .layers import *  # noqa: F403
from .callback import *  # noqa: F403
from .learner import *  # noqa: F403
from .training import *  # noqa: F403
from .tracker import *  # noqa: F403
from .metrics import *  # noqa: F403
from .inference import *  # noqa: F403
from .models import *  # noqa: F403
from .vision import *  # noqa: F403
from .segmentation import *  # noqa: F403
from .tta import *  # noqa: F403
from .text_data import *  # noqa: F403
from .awd_lstm import *  # noqa: F403
from .text import *  # noqa: F403
from .tabular_data import *  # noqa: F403
from .tabular_loaders import *  # noqa: F403
from .tabular import *  # noqa: F403
from .collab import *  # noqa: F403
