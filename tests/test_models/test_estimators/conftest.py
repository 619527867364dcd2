"""Models shared by the estimator tests (built once: they are large)."""

import pytest
import torch

from mmdepthsr.registry import MODELS


@pytest.fixture(scope='session')
def eigen2015_three_tasks():
    """EigenMultiScale with an AlexNet scale 1, depth, normals and 4-class
    semantics, its weights drawn after ``torch.manual_seed(0)``; tests set
    the stage and the mode they need."""
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='EigenMultiScale',
            backbone=dict(type='AlexNet'),
            tasks=('depth', 'normal', 'seg'),
            num_classes=4,
            data_preprocessor=dict(
                type='DenseDataPreprocessor', mean=[128.0] * 3, std=[1.0] * 3
            ),
        )
    )
