"""Child registries of MMEngine's roots.

Every registry names the package location that holds its modules, so that a
``type='X'`` lookup under ``default_scope='mmdepthsr'`` imports the module
lazily, as in mmsegmentation 1.x.
"""

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
)
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import (
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS,
)
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import (
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS,
)
from mmengine.registry import Registry

RUNNERS = Registry(
    'runner', parent=MMENGINE_RUNNERS, locations=['mmdepthsr.engine']
)
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMENGINE_RUNNER_CONSTRUCTORS,
    locations=['mmdepthsr.engine'],
)
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmdepthsr.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmdepthsr.engine'])

DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['mmdepthsr.datasets']
)
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    locations=['mmdepthsr.datasets'],
)
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    locations=['mmdepthsr.datasets.transforms'],
)

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, locations=['mmdepthsr.models']
)
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    locations=['mmdepthsr.models'],
)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMENGINE_WEIGHT_INITIALIZERS,
    locations=['mmdepthsr.models'],
)

OPTIMIZERS = Registry(
    'optimizer', parent=MMENGINE_OPTIMIZERS, locations=['mmdepthsr.engine']
)
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    locations=['mmdepthsr.engine'],
)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmdepthsr.engine'],
)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    locations=['mmdepthsr.engine'],
)

METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, locations=['mmdepthsr.evaluation']
)
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, locations=['mmdepthsr.evaluation']
)

# A root of its own: MMEngine allows one child per scope under a root, and
# ``mmdepthsr`` already holds the one under ``MODELS``. Building a balancer
# under ``default_scope='mmdepthsr'`` resolves to this registry.
BALANCERS = Registry(
    'balancer', scope='mmdepthsr', locations=['mmdepthsr.models.balancers']
)

TASK_UTILS = Registry(
    'task util', parent=MMENGINE_TASK_UTILS, locations=['mmdepthsr.models']
)

VISUALIZERS = Registry(
    'visualizer',
    parent=MMENGINE_VISUALIZERS,
    locations=['mmdepthsr.visualization'],
)
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMENGINE_VISBACKENDS,
    locations=['mmdepthsr.visualization'],
)
LOG_PROCESSORS = Registry(
    'log_processor',
    parent=MMENGINE_LOG_PROCESSORS,
    locations=['mmdepthsr.engine'],
)
INFERENCERS = Registry(
    'inferencer', parent=MMENGINE_INFERENCERS, locations=['mmdepthsr.apis']
)
