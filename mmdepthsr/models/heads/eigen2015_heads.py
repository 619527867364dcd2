"""Task-specific stacks of the Eigen & Fergus (2015) three-scale network.

Paper: D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
section 3 (model) and 3.1-3.3 (tasks). Layer details follow the authors'
Theano release (``models/iccv15``).

Each task owns the layers after the shared first conv of scales 2 and 3
(``C`` output channels: 1 for depth, 3 for normals, the class count for
semantics; shapes for a 228 x 304 input):

==============  ==========================================  =============
layer           op                                          output
==============  ==========================================  =============
conv_s2_2       conv 5x5 pad 2, 160 -> 64; ReLU             64 x 55 x 74
conv_s2_3       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 55 x 74
conv_s2_4       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 55 x 74
conv_s2_5       conv 5x5 pad 2, 64 -> C; linear             C x 55 x 74
conv_s3_2       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 109 x 147
conv_s3_3       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 109 x 147
conv_s3_4       conv 5x5 pad 2, 64 -> C; linear             C x 109 x 147
==============  ==========================================  =============

The release's "transpose" flag on the last convs is a weight layout only:
they are stride-1 same-size convolutions, not upsampling layers.

* Depth regresses ``ln(depth) / 0.45723134`` (as Eigen 2014); scale 2 adds a
  learned per-pixel bias map (``depths_bias`` in the release, not in the
  paper), optional here because it fixes the input size.
* Normals are L2-normalised per pixel, ``n / sqrt(|n|^2 + 1e-4)``, after
  both scales.
* Semantics output ``C`` class logits.

Each head also follows the head contract of
:class:`~mmdepthsr.models.heads.BaseDenseHead` without its prediction convs
(the stacks above are their own, and scale 3 reads the scale-2 predictions
of every task, so :class:`~mmdepthsr.models.decoders.EigenMultiScaleDecoder`
runs them): it owns its loss, brings the ground truth to its prediction
grids (:meth:`EigenTaskHead.loss_by_feat`), places its finest prediction on
the input grid in output units (:meth:`EigenTaskHead.predict_by_feat`) and
writes it into the data samples (:meth:`EigenTaskHead.postprocess`). Loss
keys are ``loss_<task>_s2`` and ``loss_<task>_s3``, where ``s2`` / ``s3``
name the paper's scales 2 and 3 (outputs at 1/4 and 1/2 of the input), not
the size denominator of the ``BaseDenseHead`` keys.
"""

import math
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS

from ..losses import EIGEN_LOG_DEPTH_SCALE
from ..utils import resize, stack_field
from ..utils.init_cfg import InitCfg, copy_init_cfg
from .base_dense_head import SampleList
from .seg_head import write_pred_sem_seg

__all__ = [
    'EigenTaskHead',
    'EigenDepthHead',
    'EigenNormalHead',
    'EigenSemSegHead',
    'EIGEN_TASK_HEAD_INIT',
]

#: The release's initialisation of the task stacks: every conv
#: N(0, 0.01^2), biases 0 (the depth bias map starts at 0).
EIGEN_TASK_HEAD_INIT = (
    dict(type='Normal', std=0.01, bias=0.0, layer='Conv2d'),
)


class EigenTaskHead(BaseModule):
    """The scale-2 and scale-3 conv stacks of one task, its loss and its
    prediction post-processing.

    Targets: the ground truth ``(N, C, H, W)`` on the input grid is sampled
    at the centre of each output's receptive field, input row/column
    ``stride j + 5`` with ``stride`` 4 at scale 2 and 2 at scale 3 (see
    :attr:`GRID_STRIDES`), so invalid pixels (depth 0, zero normal, label
    255) stay invalid.

    Args:
        out_channels (int): Channels ``C`` of the prediction.
        s2_in_channels (int): Channels of the scale-2 concat (scale-1
            features + pooled conv_s2_1). Defaults to 160 (64 + 96).
        s3_in_channels (int): Channels of the scale-3 concat. Defaults to 64.
        channels (int): Width of the hidden convs. Defaults to 64.
        kernel_size (int): Kernel of every conv (same padding). Defaults
            to 5.
        loss_decode (dict, optional): Overrides of the task's default loss
            config :attr:`default_loss` (e.g. ``dict(loss_weight=1.0)``).
        init_cfg (dict | list[dict], optional): Defaults to the release's
            N(0, 0.01^2) weights and zero biases.
    """

    #: The task of the head, one of ``BaseDenseHead``'s ``TASKS``.
    task: str = ''
    #: Tiled inference stitches the outputs as they are.
    output_kind: str = 'raw'
    #: Data-sample field that :meth:`postprocess` writes.
    pred_key: str = ''
    #: Ground-truth field of the loss and of the evaluation size.
    gt_key: str = ''
    #: Loss config of the task (before ``loss_decode`` overrides).
    default_loss: Dict = {}
    #: Input pixels between neighbouring outputs of scale 2 and scale 3.
    GRID_STRIDES = {2: 4, 3: 2}
    #: Input row/column of the receptive-field centre of output 0.
    GRID_OFFSET = 5

    def __init__(
        self,
        out_channels: int,
        s2_in_channels: int = 160,
        s3_in_channels: int = 64,
        channels: int = 64,
        kernel_size: int = 5,
        loss_decode: Optional[Dict] = None,
        init_cfg: InitCfg = EIGEN_TASK_HEAD_INIT,
    ):
        super().__init__(init_cfg=copy_init_cfg(init_cfg))
        if out_channels < 1:
            raise ValueError(
                f'{type(self).__name__}: `out_channels` must be positive, '
                f'got {out_channels}.'
            )
        self.out_channels = int(out_channels)
        pad = kernel_size // 2

        def conv(cin, cout):
            return nn.Conv2d(cin, cout, kernel_size, padding=pad)

        self.conv_s2_2 = conv(s2_in_channels, channels)
        self.conv_s2_3 = conv(channels, channels)
        self.conv_s2_4 = conv(channels, channels)
        self.conv_s2_5 = conv(channels, self.out_channels)
        self.conv_s3_2 = conv(s3_in_channels, channels)
        self.conv_s3_3 = conv(channels, channels)
        self.conv_s3_4 = conv(channels, self.out_channels)
        self.relu = nn.ReLU(inplace=True)
        loss = dict(self.default_loss)
        loss.update(loss_decode or {})
        self.loss_decode = MODELS.build(self.check_loss(loss))

    def check_loss(self, cfg: Dict) -> Dict:
        """Check (and complete) the loss config; the identity here."""
        return cfg

    def scale_parameters(self, scale: int) -> List[nn.Parameter]:
        """The parameters of the layers of scale 2 or 3."""
        if scale not in (2, 3):
            raise ValueError(
                f'{type(self).__name__}: `scale` must be 2 or 3, got {scale}.'
            )
        return [
            p
            for name, p in self.named_parameters()
            if name.startswith(f'conv_s{scale}_')
            or (scale == 2 and name == 'prior_bias')
        ]

    def finish(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        """Map the last linear conv's output to the prediction."""
        return x

    def forward_scale2(self, x: torch.Tensor) -> torch.Tensor:
        """Scale-2 prediction.

        Args:
            x (Tensor): ``(N, s2_in_channels, h, w)`` concat (55 x 74).

        Returns:
            Tensor: ``(N, C, h, w)``.
        """
        x = self.relu(self.conv_s2_2(x))
        x = self.relu(self.conv_s2_3(x))
        x = self.relu(self.conv_s2_4(x))
        return self.finish(self.conv_s2_5(x), 2)

    def forward_scale3(self, x: torch.Tensor) -> torch.Tensor:
        """Scale-3 prediction.

        Args:
            x (Tensor): ``(N, s3_in_channels, h, w)`` concat (109 x 147).

        Returns:
            Tensor: ``(N, C, h, w)``.
        """
        x = self.relu(self.conv_s3_2(x))
        x = self.relu(self.conv_s3_3(x))
        return self.finish(self.conv_s3_4(x), 3)

    # ------------------------------------------------------------------
    # head contract
    def loss_key(self, scale: int) -> str:
        """``loss_<task>_s<scale>``."""
        return f'loss_{self.task}_s{scale}'

    def targets(
        self,
        gt: torch.Tensor,
        scale: int,
        pred_hw: Sequence[int],
        crop: Optional[Sequence[int]] = None,
    ) -> torch.Tensor:
        """Ground truth at the receptive-field centres of a prediction.

        Args:
            gt (Tensor): ``(N, C, H, W)`` ground truth on the input grid.
            scale (int): 2 or 3.
            pred_hw (Sequence[int]): ``(h, w)`` of the prediction.
            crop (Sequence[int], optional): ``(top, left, h, w)`` of the
                scale-3 grid that the prediction covers (see
                :meth:`EigenMultiScaleDecoder.forward_scale3`). Defaults to
                None (the whole grid).

        Returns:
            Tensor: ``(N, C, h, w)``; output ``(i, j)`` takes input pixel
            ``(stride i + 5, stride j + 5)``.
        """
        stride = self.GRID_STRIDES[scale]
        if crop is not None:
            # output (i, j) of the crop is (top + i, left + j) of the grid,
            # centred on input pixel stride (top + i) + 5
            gt = gt[..., stride * crop[0] :, stride * crop[1] :]
        h, w = pred_hw
        first = self.GRID_OFFSET
        return gt[..., first::stride, first::stride][..., :h, :w]

    def loss_by_feat(
        self,
        preds: Mapping[int, torch.Tensor],
        data_samples: SampleList,
        input_hw: Sequence[int],
        crop: Optional[Sequence[int]] = None,
    ) -> Dict[str, torch.Tensor]:
        """Losses of the predictions of the trained scales.

        Args:
            preds (Mapping[int, Tensor]): Scale (2 or 3) to its ``(N, C, h,
                w)`` prediction.
            data_samples (list[DenseDataSample]): Samples with
                :attr:`gt_key` on the input grid.
            input_hw (Sequence[int]): ``(H, W)`` of the network input.
            crop (Sequence[int], optional): ``(top, left, h, w)`` of the
                scale-3 grid that the scale-3 prediction covers. Defaults
                to None.

        Returns:
            dict[str, Tensor]: ``loss_<task>_s<scale>`` per scale.

        Raises:
            ValueError: If the ground truth is not on the input grid.
        """
        gt = stack_field(data_samples, self.gt_key)
        if tuple(gt.shape[-2:]) != tuple(input_hw):
            raise ValueError(
                f'{type(self).__name__}: training needs `{self.gt_key}` on '
                f'the input grid {tuple(input_hw)}, got '
                f'{tuple(gt.shape[-2:])}; crop it with the image.'
            )
        losses = {}
        for scale, pred in preds.items():
            target = self.targets(
                gt, scale, pred.shape[-2:], crop if scale == 3 else None
            )
            losses[self.loss_key(scale)] = self.loss_decode(
                pred, self.target_dtype(target, pred)
            )
        return losses

    def target_dtype(
        self, target: torch.Tensor, pred: torch.Tensor
    ) -> torch.Tensor:
        """The target in the loss's dtype: the prediction's here."""
        return target.to(pred.dtype)

    def predict_by_feat(
        self,
        preds: Mapping[int, torch.Tensor],
        data_samples: SampleList,
        input_hw: Sequence[int],
    ) -> torch.Tensor:
        """The finest prediction on the input grid, in output units.

        The prediction is upsampled bilinearly onto the input pixels it
        covers, from (4, 4) on, and its edges are replicated into the
        border; then :meth:`to_output_units` applies.

        Args:
            preds (Mapping[int, Tensor]): Scale to its ``(N, C, h, w)``
                prediction; the largest scale is used.
            data_samples (list[DenseDataSample]): The batch.
            input_hw (Sequence[int]): ``(H, W)`` of the network input.

        Returns:
            Tensor: ``(N, C, H, W)``.
        """
        pred = preds[max(preds)]
        in_h, in_w = input_hw
        stride = in_h // pred.shape[-2]
        top = left = 4
        rh, rw = stride * pred.shape[-2], stride * pred.shape[-1]
        out = resize(pred, (rh, rw), mode='bilinear')
        out = F.pad(
            out,
            (left, in_w - left - rw, top, in_h - top - rh),
            mode='replicate',
        )
        return self.to_output_units(out, data_samples)

    def to_output_units(
        self, pred: torch.Tensor, data_samples: SampleList
    ) -> torch.Tensor:
        """Raw prediction to output units; the identity here."""
        return pred

    def postprocess(
        self, pred: torch.Tensor, data_samples: SampleList, fit: Callable
    ) -> SampleList:
        """Write :attr:`pred_key` at each sample's evaluation size.

        Args:
            pred (Tensor): ``(N, C, H, W)`` from :meth:`predict_by_feat`.
            data_samples (list[DenseDataSample]): The samples to fill.
            fit (callable): The estimator's ``postprocess_dense``.

        Returns:
            list[DenseDataSample]: The samples with :attr:`pred_key`.
        """
        return fit(pred, data_samples, key=self.pred_key, gt_key=self.gt_key)


@MODELS.register_module()
class EigenDepthHead(EigenTaskHead):
    """Depth stacks: one channel of ``ln(depth) / log_depth_scale``.

    Loss: ``EigenGradientDepthLoss`` in that log space (weight 1).
    Prediction: metres, ``exp(out * log_depth_scale)`` (after the
    upsampling, which works in log space).

    Args:
        use_prior_bias (bool): Add the release's learned per-pixel bias map
            (``depths_bias``, zero-initialised) to the scale-2 output. It
            ties the model to the ``prior_size`` grid. Defaults to True.
        prior_size (tuple[int, int]): (H, W) of the scale-2 output. Defaults
            to (55, 74) (228 x 304 input).
        log_depth_scale (float): Divisor of ``ln(depth)`` in the prediction
            space. Defaults to 0.45723134 (NYU, from the release).
        init_depth (float, optional): Depth in metres that the untrained
            network predicts everywhere: the biases of the last conv of
            scale 2 and of scale 3 start at ``ln(init_depth) /
            log_depth_scale`` instead of 0 (= 1 m). Not in the release (it
            learns the offset over a long schedule); with random weights
            and the release's x0.001 learning rates on those convs the
            offset takes hundreds of iterations, which short runs lack
            (configs/eigen2015/README.md, "SynthRooms learning check").
            Defaults to None (the release's zero biases).
        s3_pass_through (bool): Start scale 3 as the identity on the
            scale-2 prediction: the centre taps of conv_s3_2, conv_s3_3
            and conv_s3_4 that carry input channel 0 (where
            ``EigenMultiScaleDecoder`` puts the depth prediction, depth
            being the first task) to output channel 0 are set to 1 and the
            three biases to 0, the other weights keep the release's init.
            The ReLUs pass the prediction where it is positive, i.e. beyond
            1 m. Not in the release, whose random scale 3 starts by
            ignoring the scale-2 map and needs a long schedule to learn to
            carry it (configs/eigen2015/README.md, "SynthRooms learning
            check"). Defaults to False.
        **kwargs: :class:`EigenTaskHead` arguments but ``out_channels``.
    """

    task = 'depth'
    pred_key = 'pred_depth'
    gt_key = 'gt_depth'
    default_loss = dict(type='EigenGradientDepthLoss')

    def __init__(
        self,
        use_prior_bias: bool = True,
        prior_size: Sequence[int] = (55, 74),
        log_depth_scale: float = EIGEN_LOG_DEPTH_SCALE,
        init_depth: Optional[float] = None,
        s3_pass_through: bool = False,
        **kwargs,
    ):
        if init_depth is not None and not init_depth > 0:
            raise ValueError(
                'EigenDepthHead: init_depth must be a positive depth in '
                f'metres or None, got {init_depth}.'
            )
        self.init_depth = None if init_depth is None else float(init_depth)
        self.s3_pass_through = bool(s3_pass_through)
        # set first: the base class builds the loss, which check_loss
        # validates against it
        self.log_depth_scale = log_depth_scale
        super().__init__(out_channels=1, **kwargs)
        self.prior_size = tuple(int(s) for s in prior_size)
        self.prior_bias = (
            nn.Parameter(torch.zeros(1, 1, *self.prior_size))
            if use_prior_bias
            else None
        )

    def init_weights(self):
        """The release's init, then ``init_depth`` and ``s3_pass_through``."""
        super().init_weights()
        with torch.no_grad():
            if self.init_depth is not None:
                offset = math.log(self.init_depth) / self.log_depth_scale
                self.conv_s2_5.bias.fill_(offset)
                self.conv_s3_4.bias.fill_(offset)
            if self.s3_pass_through:
                for conv in (self.conv_s3_2, self.conv_s3_3, self.conv_s3_4):
                    centre = conv.weight.shape[-1] // 2
                    conv.weight[0, 0, centre, centre] = 1.0
                    conv.bias.zero_()

    def check_loss(self, cfg: Dict) -> Dict:
        """The loss must work in this head's log space."""
        scale = cfg.setdefault('log_space_scale', self.log_depth_scale)
        space = cfg.get('pred_space', 'log')
        if scale != self.log_depth_scale or space != 'log':
            raise ValueError(
                'EigenDepthHead: the head predicts ln(depth) / '
                f'{self.log_depth_scale}; the depth loss must use '
                f"pred_space='log' and log_space_scale="
                f'{self.log_depth_scale}, got {space!r} and {scale}.'
            )
        return cfg

    def finish(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        """Add the bias map at scale 2."""
        if scale != 2 or self.prior_bias is None:
            return x
        if tuple(x.shape[-2:]) != self.prior_size:
            raise ValueError(
                f'EigenDepthHead: the per-pixel bias map is '
                f'{self.prior_size} (H, W) but the scale-2 output is '
                f'{tuple(x.shape[-2:])}; set `prior_size` or '
                '`use_prior_bias=False`.'
            )
        return x + self.prior_bias

    def to_output_units(
        self, pred: torch.Tensor, data_samples: SampleList
    ) -> torch.Tensor:
        """Log depth to metres, ``exp(pred * log_depth_scale)``."""
        return torch.exp(pred * self.log_depth_scale)


@MODELS.register_module()
class EigenNormalHead(EigenTaskHead):
    """Surface-normal stacks: three channels, L2-normalised per pixel.

    Loss: ``NormalCosineLoss`` with weight 10 relative to depth (the
    release's "scale relative normals cost"). Prediction: unit vectors,
    re-normalised after resizing to the evaluation size.

    Args:
        eps (float): ``n / sqrt(|n|^2 + eps)``. Defaults to 1e-4 (release).
        **kwargs: :class:`EigenTaskHead` arguments but ``out_channels``.
    """

    task = 'normal'
    pred_key = 'pred_normal'
    gt_key = 'gt_normal'
    default_loss = dict(type='NormalCosineLoss', loss_weight=10.0)

    def __init__(self, eps: float = 1e-4, **kwargs):
        super().__init__(out_channels=3, **kwargs)
        self.eps = eps

    def finish(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        """Normalise to (almost) unit length, differentiably."""
        return x * torch.rsqrt((x**2).sum(1, keepdim=True) + self.eps)

    def postprocess(
        self, pred: torch.Tensor, data_samples: SampleList, fit: Callable
    ) -> SampleList:
        """Write ``pred_normal``, re-normalised after resizing."""
        fit(pred, data_samples, key=self.pred_key, gt_key=self.gt_key)
        for sample in data_samples:
            sample.pred_normal = PixelData(
                data=F.normalize(sample.pred_normal.data, dim=0)
            )
        return data_samples


@MODELS.register_module()
class EigenSemSegHead(EigenTaskHead):
    """Semantic stacks: ``num_classes`` logits.

    Loss: ``CrossEntropyLoss`` (ignore 255, weight 1). Prediction:
    ``seg_logits`` and their argmax ``pred_sem_seg``.

    Args:
        num_classes (int): Number of classes (NYU: 4, 13 or 40).
        **kwargs: :class:`EigenTaskHead` arguments but ``out_channels``.
    """

    task = 'seg'
    pred_key = 'seg_logits'
    gt_key = 'gt_sem_seg'
    default_loss = dict(type='CrossEntropyLoss')

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(out_channels=num_classes, **kwargs)
        self.num_classes = int(num_classes)

    def target_dtype(
        self, target: torch.Tensor, pred: torch.Tensor
    ) -> torch.Tensor:
        """Class ids as ``long``."""
        return target.long()

    def postprocess(
        self, pred: torch.Tensor, data_samples: SampleList, fit: Callable
    ) -> SampleList:
        """Write ``seg_logits`` and their argmax ``pred_sem_seg``."""
        fit(pred, data_samples, key=self.pred_key, gt_key=self.gt_key)
        return write_pred_sem_seg(data_samples)
