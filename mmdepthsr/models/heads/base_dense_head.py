"""The contract of every dense task head.

A head turns decoder features into the predictions of one task and owns
everything task-specific around them, as ``BaseDecodeHead`` does in
mmsegmentation:

- :meth:`BaseDenseHead.forward`: one prediction per input map (deep
  supervision: a decoder may hand over its features at several scales);
- :meth:`BaseDenseHead.loss`: target preparation (ground truth brought to
  every prediction's scale, ignore index, valid masks), de-normalisation of
  depth, the loss modules and their per-scale weights;
- :meth:`BaseDenseHead.predict`: the full-resolution prediction in output
  units (metres for depth, logits for segmentation, unit vectors for
  normals), and :meth:`BaseDenseHead.postprocess`, which writes it and any
  derived field (``pred_sem_seg``) into the data samples.

Loss keys follow one scheme for every model, ``loss_<task>[_<detail>]`` with
``<task>`` one of :data:`TASKS` or a task added with :func:`register_task`;
a head with several scales names them ``loss_<task>_s<k>`` (``k`` = the
scale's denominator: ``s16`` is 1/16 of the input size, ``s1`` the input
size). Balancers and logs group losses by that ``<task>``.

Where a loss compares a coarse prediction with the ground truth, two
conventions exist. By default the ground truth is brought *down* to the
prediction's scale (deep supervision, :mod:`mmdepthsr.models.utils.
targets`). With ``upsample_to_input=True`` the predictions are upsampled
bilinearly to the input size instead, and the losses and the prediction
use them at full resolution, as DeepLab computes its segmentation loss on
logits upsampled to the label size; the loss keys stay the same.
"""

import re
from abc import ABCMeta, abstractmethod
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS

from ..utils import resize
from ..utils.arg_checks import check_map_channels

#: The built-in tasks a head may serve; the ``<task>`` of every loss key.
TASKS = ('depth', 'sr', 'seg', 'normal')

#: Tasks added with :func:`register_task`, in the order they were added.
_EXTRA_TASKS: List[str] = []

SampleList = List


def register_task(name: str) -> str:
    """Add a task that heads may serve, besides the built-in :data:`TASKS`.

    Call it once where the head of the new task is defined (registering a
    known task again does nothing). A task name is lower-case letters and
    digits, starting with a letter: no underscore, so that a loss key
    ``loss_<task>_<detail>`` always names its task unambiguously.

    Args:
        name (str): The task, e.g. ``'edge'``.

    Returns:
        str: ``name``.

    Raises:
        ValueError: If ``name`` is not a valid task name.

    Examples:
        >>> register_task('edge')
        'edge'
        >>> 'edge' in registered_tasks()
        True
    """
    if not isinstance(name, str) or not re.fullmatch(r'[a-z][a-z0-9]*', name):
        raise ValueError(
            'register_task: a task name is lower-case letters and digits, '
            f'starting with a letter (no underscore), got {name!r}.'
        )
    if name not in TASKS and name not in _EXTRA_TASKS:
        _EXTRA_TASKS.append(name)
    return name


def registered_tasks() -> Tuple[str, ...]:
    """The tasks a head may serve: :data:`TASKS`, then the registered
    ones."""
    return TASKS + tuple(_EXTRA_TASKS)


def _as_tuple(value, length: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * length


class BaseDenseHead(BaseModule, metaclass=ABCMeta):
    """Base of the dense task heads: per-scale prediction convs, loss and
    prediction contract.

    A head receives ``len(scales)`` feature maps, map ``i`` at
    ``1 / scales[i]`` of the input size with ``in_channels[i]`` channels,
    and predicts ``out_channels`` maps from each with a ``kernel_size``
    conv (``pred_convs[i]``, with bias). Subclasses set :attr:`task` and
    implement :meth:`loss_by_feat`, where prediction ``i`` lies at
    ``1 / pred_scales[i]`` of the input size.

    Args:
        in_channels (int | Sequence[int]): Channels of each input map (an
            int is used for every scale).
        out_channels (int): Channels of a prediction.
        scales (Sequence[int]): Denominator of each input map's size,
            coarse to fine or in any order; the last one is the prediction
            that :meth:`predict` returns. Defaults to ``(1,)``.
        loss_decode (dict): Loss config, built from ``MODELS``.
        loss_weights (float | Sequence[float]): Weight of the loss at each
            scale; 0 skips that scale's loss. Defaults to 1.0.
        kernel_size (int): Kernel of the prediction convs. Defaults to 3.
        zero_init (bool): Start the prediction convs at zero weights and
            bias (a residual head then starts as the identity). Defaults to
            False.
        upsample_to_input (bool): Upsample every prediction bilinearly
            (``align_corners=False``) by its scale, ``(h_i, w_i) -> (k_i
            h_i, k_i w_i)`` = the input size, inside :meth:`forward`, so
            that losses and the prediction compare full-resolution maps
            with the ground truth at the input size (DeepLab) instead of
            bringing the ground truth down to ``1 / k_i``. Loss keys keep
            the scales of the inputs (``loss_<task>_s<k>``). Defaults to
            False.
        init_cfg (dict, optional): Initialisation config.
    """

    #: The task of the head, one of :func:`registered_tasks`.
    task: str = ''
    #: How tiled inference treats the output: ``'depth'`` (normalised
    #: units, de-normalised per tile) or ``'raw'`` (stitched as it is).
    output_kind: str = 'raw'
    #: Data-sample field that :meth:`postprocess` writes.
    pred_key: str = ''
    #: Ground-truth field whose size the prediction is resized to.
    gt_key: str = ''

    def __init__(
        self,
        in_channels: Union[int, Sequence[int]],
        out_channels: int,
        scales: Sequence[int] = (1,),
        loss_decode: Optional[dict] = None,
        loss_weights: Union[float, Sequence[float]] = 1.0,
        kernel_size: int = 3,
        zero_init: bool = False,
        upsample_to_input: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        tasks = registered_tasks()
        if self.task not in tasks:
            raise TypeError(
                f'{name}: the class attribute `task` must be one of {tasks},'
                f' got {self.task!r}; add a new task with '
                'mmdepthsr.models.heads.register_task(name).'
            )
        self.scales = tuple(int(s) for s in scales)
        if not self.scales or min(self.scales) < 1:
            raise ValueError(
                f'{name}: `scales` must be positive integers, got {scales}.'
            )
        self.in_channels = tuple(
            int(c) for c in _as_tuple(in_channels, len(self.scales))
        )
        self.loss_weights = tuple(
            float(w) for w in _as_tuple(loss_weights, len(self.scales))
        )
        for arg, values in (
            ('in_channels', self.in_channels),
            ('loss_weights', self.loss_weights),
        ):
            if len(values) != len(self.scales):
                raise ValueError(
                    f'{name}: `{arg}` has {len(values)} entries for '
                    f'{len(self.scales)} scales {self.scales}.'
                )
        if any(w < 0 for w in self.loss_weights):
            raise ValueError(
                f'{name}: loss weights must be non-negative, got '
                f'{self.loss_weights}.'
            )
        self.out_channels = int(out_channels)
        self.upsample_to_input = bool(upsample_to_input)
        self.pred_convs = nn.ModuleList(
            nn.Conv2d(
                c, self.out_channels, kernel_size, padding=kernel_size // 2
            )
            for c in self.in_channels
        )
        self.zero_init = bool(zero_init)
        if self.zero_init:
            for conv in self.pred_convs:
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)
        self.loss_decode = MODELS.build(loss_decode)

    def init_weights(self) -> None:
        """Initialise as configured; zero-initialised convs stay zero."""
        super().init_weights()
        if self.zero_init:
            for conv in self.pred_convs:
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)

    @property
    def pred_scales(self) -> Tuple[int, ...]:
        """Denominator of the size of each prediction of :meth:`forward`:
        :attr:`scales`, or all 1 with ``upsample_to_input``."""
        if self.upsample_to_input:
            return (1,) * len(self.scales)
        return self.scales

    def upsample_preds(
        self, preds: Sequence[torch.Tensor]
    ) -> List[torch.Tensor]:
        """Bring the predictions to :attr:`pred_scales`.

        Args:
            preds (Sequence[Tensor]): ``(N, C, h_i, w_i)`` at ``1 /
                scales[i]`` of the input size.

        Returns:
            list[Tensor]: With ``upsample_to_input``, ``(N, C, k_i h_i, k_i
            w_i)`` (bilinear, ``align_corners=False``; ``k_i =
            scales[i]``), else ``preds`` unchanged.
        """
        if not self.upsample_to_input:
            return list(preds)
        return [
            resize(
                pred,
                (k * pred.shape[-2], k * pred.shape[-1]),
                mode='bilinear',
                align_corners=False,
            )
            for pred, k in zip(preds, self.scales)
        ]

    def loss_key(self, index: int) -> str:
        """``loss_<task>`` for a one-scale head, else
        ``loss_<task>_s<scale>``."""
        if len(self.scales) == 1:
            return f'loss_{self.task}'
        return f'loss_{self.task}_s{self.scales[index]}'

    def check_feats(self, feats: Sequence[torch.Tensor]) -> None:
        """Raise a clear error when ``feats`` does not fit the head."""
        check_map_channels(
            type(self).__name__,
            feats,
            self.in_channels,
            what=f'feature maps (scales {self.scales})',
            kind='feature',
        )

    def forward(
        self, feats: Sequence[torch.Tensor], **kwargs
    ) -> List[torch.Tensor]:
        """One prediction per feature map.

        Args:
            feats (Sequence[Tensor]): ``len(scales)`` maps ``(N, C_i, h_i,
                w_i)``.

        Returns:
            list[Tensor]: ``(N, out_channels, h_i, w_i)`` each (``k_i h_i,
            k_i w_i`` with ``upsample_to_input``), in the head's raw units
            (normalised depth, logits, unnormalised normals).
        """
        self.check_feats(feats)
        return self.upsample_preds(
            [conv(f) for conv, f in zip(self.pred_convs, feats)]
        )

    def loss(
        self, feats: Sequence[torch.Tensor], data_samples: SampleList, **kwargs
    ) -> Dict[str, torch.Tensor]:
        """Losses of a batch: :meth:`forward`, then :meth:`loss_by_feat`.

        Args:
            feats (Sequence[Tensor]): As :meth:`forward`.
            data_samples (list[DenseDataSample]): With the ground truth.
            **kwargs: Extra inputs of :meth:`forward` (e.g. ``lr_depth`` of
                a residual SR head).

        Returns:
            dict[str, Tensor]: ``loss_<task>[_s<k>]``.
        """
        return self.loss_by_feat(self.forward(feats, **kwargs), data_samples)

    @abstractmethod
    def loss_by_feat(
        self, preds: Sequence[torch.Tensor], data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Losses of the raw predictions of :meth:`forward`."""

    def predict(
        self, feats: Sequence[torch.Tensor], data_samples: SampleList, **kwargs
    ) -> torch.Tensor:
        """The finest prediction in output units (:meth:`predict_by_feat`)."""
        return self.predict_by_feat(
            self.forward(feats, **kwargs), data_samples
        )

    def predict_by_feat(
        self, preds: Sequence[torch.Tensor], data_samples: SampleList
    ) -> torch.Tensor:
        """The prediction of the last scale in output units.

        Args:
            preds (Sequence[Tensor]): Raw predictions of :meth:`forward`.
            data_samples (list[DenseDataSample]): The batch (depth heads
                read their normalisation statistics).

        Returns:
            Tensor: ``(N, out_channels, h, w)``.
        """
        return self.to_output_units(preds[-1], data_samples)

    def to_output_units(
        self, pred: torch.Tensor, data_samples: SampleList
    ) -> torch.Tensor:
        """Raw prediction to output units; the identity by default."""
        return pred

    def postprocess(
        self,
        pred: torch.Tensor,
        data_samples: SampleList,
        fit: Callable,
    ) -> SampleList:
        """Write a full-resolution prediction into the samples.

        Args:
            pred (Tensor): ``(N, out_channels, H, W)`` in output units,
                covering the (padded) network input.
            data_samples (list[DenseDataSample]): The samples to fill.
            fit (callable): ``fit(pred, data_samples, key=..., gt_key=...)``
                cuts the padding away and resizes to each sample's
                evaluation size (the estimator's ``postprocess_dense``).

        Returns:
            list[DenseDataSample]: The samples with :attr:`pred_key`.
        """
        return fit(pred, data_samples, key=self.pred_key, gt_key=self.gt_key)
