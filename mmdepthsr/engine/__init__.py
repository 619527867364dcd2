from .alternating_training_hook import (
    AlternatingPhase,
    AlternatingTrainingHook,
)
from .config_validation import (
    VALID_TOP_LEVEL_KEYS,
    ConfigValidationError,
    validate_config,
)
from .dump_predictions_hook import DumpPredictionsHook
from .freezing import matches_prefix
from .optim_wrappers import CPUAutocastOptimWrapper, configure_amp
from .rng_state_hook import RNGStateHook, get_rng_state, set_rng_state
from .runner import DenseRunner
from .staged_training_hook import (
    StagedOptimWrapperConstructor,
    StagedTrainingHook,
)
from .visualization_hook import DenseVisualizationHook

__all__ = [
    'AlternatingPhase',
    'AlternatingTrainingHook',
    'ConfigValidationError',
    'VALID_TOP_LEVEL_KEYS',
    'validate_config',
    'CPUAutocastOptimWrapper',
    'configure_amp',
    'RNGStateHook',
    'get_rng_state',
    'set_rng_state',
    'DenseRunner',
    'StagedOptimWrapperConstructor',
    'StagedTrainingHook',
    'matches_prefix',
    'DumpPredictionsHook',
    'DenseVisualizationHook',
]
