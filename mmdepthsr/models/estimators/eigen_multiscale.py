"""Three-scale network of Eigen & Fergus (2015): depth, normals, semantics.

Paper: D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
sections 3 (model), 3.1-3.3 (losses) and 3.4 (training procedure); layer
details follow the authors' Theano release (``models/iccv15``).

Scale 1 is an ImageNet conv stack (``VGG16(valid_conv1=True,
out_indices=(5,))`` or ``AlexNet``) followed by
:class:`~mmdepthsr.models.heads.EigenScale1Head`; scales 2 and 3 and the
task stacks are :class:`~mmdepthsr.models.decoders.EigenMultiScaleDecoder`.
For a 228 x 304 input scale 2 predicts a 55 x 74 map and scale 3 a
109 x 147 map; output ``j`` is centred on input row/column ``4 j + 5``
(scale 2) or ``2 j + 5`` (scale 3).

Input normalisation: the data preprocessor normalises for scale 1 (VGG:
``mean=[123.68, 116.779, 103.939], std=[1] * 3``; AlexNet: x - 128); the
scales-2/3 image path undoes it and applies ``(x - 109.314) / 76.183``.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import torch

from mmdepthsr.registry import MODELS

from ..decoders import EIGEN_TASK_ORDER
from ..heads import EIGEN_FINE_MEAN, EIGEN_FINE_STD
from ..losses import EIGEN_LOG_DEPTH_SCALE
from .base import BaseDenseEstimator, SampleList

__all__ = ['EigenMultiScale']

_HEADS = {
    'depth': 'EigenDepthHead',
    'normal': 'EigenNormalHead',
    'seg': 'EigenSemSegHead',
}
#: Scales each stage runs and trains.
_STAGES = {
    'scales12': ((1, 2), (1, 2)),
    'scale3': ((1, 2, 3), (3,)),
    'all': ((1, 2, 3), (1, 2, 3)),
}


@MODELS.register_module()
class EigenMultiScale(BaseDenseEstimator):
    """Eigen & Fergus 2015 multi-scale, multi-task network.

    Stages (paper section 3.4; switch them with :meth:`set_stage`):

    * ``'scales12'``: scales 1 and 2 run and are trained on the 55 x 74
      targets; scale 3 is frozen and not run. Losses
      ``loss_{task}_s2``.
    * ``'scale3'``: scales 1 and 2 are frozen (``requires_grad=False``,
      eval mode, run under ``torch.no_grad``) and scale 3 is trained, by
      default on one random 55 x 74 crop of its 109 x 147 grid per batch
      (``scale3_crop``; release: offsets drawn uniformly in ``[0, 54) x
      [0, 73)``, about 3x faster than the whole grid). Losses
      ``loss_{task}_s3``.
    * ``'all'``: everything is trained, with the losses of both scales (our
      option for fine-tuning end to end; not in the paper).

    The estimator runs the scales and the stages; everything
    task-specific is the task heads' (:class:`EigenDepthHead`,
    :class:`EigenNormalHead`, :class:`EigenSemSegHead`, held by the decoder
    and reachable as :attr:`heads`): their losses, the ground truth sampled
    at the centre of each output's receptive field (input row/column
    ``4 j + 5`` or ``2 j + 5``) and the prediction post-processing.

    Outputs: ``mode='tensor'`` returns ``{task: (N, C, h, w)}`` of the last
    scale the stage runs (depth as ``ln(depth) / log_depth_scale``, unit
    normals, class logits). ``predict`` lets each head upsample it
    bilinearly onto the input pixels it covers (replicating the edges into
    the uncovered border) and write ``pred_depth`` (metres,
    ``exp(out * log_depth_scale)``), ``pred_normal`` (re-normalised),
    ``seg_logits`` and ``pred_sem_seg`` through
    :meth:`~BaseDenseEstimator.postprocess_dense`.

    Args:
        backbone (dict): Scale-1 conv stack, e.g. ``dict(type='VGG16',
            valid_conv1=True, out_indices=(5,))`` or ``dict(type='AlexNet')``.
        tasks (Sequence[str]): Subset of ``('depth', 'normal', 'seg')``.
            Defaults to ``('depth', 'normal')`` (the release's joint model).
        num_classes (int, optional): Classes of the ``'seg'`` task.
        losses (dict[str, dict], optional): Per task, overrides of the loss
            config of its head (its ``loss_decode``): depth
            ``EigenGradientDepthLoss`` (log space, weight 1), normal
            ``NormalCosineLoss`` (weight 10), seg ``CrossEntropyLoss``
            (weight 1).
        stage (str): ``'scales12'``, ``'scale3'`` or ``'all'``. Defaults to
            ``'scales12'``.
        scale3_crop (Sequence[int], optional): ``(h, w)`` of the random
            crop of the scale-3 grid that the ``'scale3'`` stage trains on
            (see :meth:`EigenMultiScaleDecoder.forward_scale3`); None trains
            on the whole grid. The ``'all'`` stage always uses the whole
            grid. Defaults to (55, 74), the release's.
        decoder (dict, optional): Overrides of the
            ``EigenMultiScaleDecoder`` arguments; ``heads`` maps a task to
            overrides of its head (e.g. ``dict(depth=dict(use_prior_bias=
            False))``). The scale-1 ``in_channels`` / ``in_size`` are
            measured on the backbone when not given.
        input_size (Sequence[int]): (H, W) of the input, fixed by the fully
            connected layers. Defaults to (228, 304).
        log_depth_scale (float): Divisor of ``ln(depth)`` in the depth
            target space, passed to the depth head. Defaults to 0.45723134
            (NYU, from the release).
        fine_mean (float): Image mean of scales 2-3 (0-255). Defaults to
            109.314.
        fine_std (float): Image std of scales 2-3. Defaults to 76.183.
        data_preprocessor (dict, optional): ``DenseDataPreprocessor``
            config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        backbone: Dict,
        tasks: Sequence[str] = ('depth', 'normal'),
        num_classes: Optional[int] = None,
        losses: Optional[Dict[str, Dict]] = None,
        stage: str = 'scales12',
        scale3_crop: Optional[Sequence[int]] = (55, 74),
        decoder: Optional[Dict] = None,
        input_size: Sequence[int] = (228, 304),
        log_depth_scale: float = EIGEN_LOG_DEPTH_SCALE,
        fine_mean: float = EIGEN_FINE_MEAN,
        fine_std: float = EIGEN_FINE_STD,
        data_preprocessor: Optional[Dict] = None,
        init_cfg: Optional[Dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        unknown = set(tasks) - set(EIGEN_TASK_ORDER)
        if not tasks or unknown:
            raise ValueError(
                'EigenMultiScale: `tasks` must be a non-empty subset of '
                f'{EIGEN_TASK_ORDER}, got {tuple(tasks)}.'
            )
        if 'seg' in tasks and not num_classes:
            raise ValueError(
                'EigenMultiScale: the "seg" task needs `num_classes`.'
            )
        losses = dict(losses or {})
        if set(losses) - set(tasks):
            raise ValueError(
                f'EigenMultiScale: losses given for {sorted(losses)} but '
                f'the tasks are {tuple(tasks)}.'
            )
        self.tasks = tuple(t for t in EIGEN_TASK_ORDER if t in tasks)
        self.num_classes = num_classes
        self.input_size = tuple(int(s) for s in input_size)
        self.scale3_crop = (
            None if scale3_crop is None else tuple(int(s) for s in scale3_crop)
        )
        self.log_depth_scale = log_depth_scale
        self.fine_mean = fine_mean
        self.fine_std = fine_std
        self.backbone = MODELS.build(backbone)

        decoder = dict(decoder or {})
        decoder.setdefault('type', 'EigenMultiScaleDecoder')
        head_overrides = decoder.pop('heads', {}) or {}
        heads = {}
        for task in self.tasks:
            head = dict(type=_HEADS[task])
            if task == 'seg':
                head['num_classes'] = num_classes
            if task == 'depth':
                head['log_depth_scale'] = log_depth_scale
            if task in losses:
                head['loss_decode'] = losses[task]
            head.update(head_overrides.get(task, {}))
            heads[task] = head
        decoder['heads'] = heads
        scale1 = dict(decoder.get('scale1') or {})
        if 'in_channels' not in scale1 or 'in_size' not in scale1:
            c, h, w = self._feature_shape()
            scale1.setdefault('in_channels', c)
            scale1.setdefault('in_size', (h, w))
        decoder['scale1'] = scale1
        self.decoder = MODELS.build(decoder)

        self.set_stage(stage)

    @property
    def heads(self) -> torch.nn.ModuleDict:
        """The task heads, ``{task: EigenTaskHead}`` (held by the decoder,
        which runs them)."""
        return self.decoder.heads

    @torch.no_grad()
    def _feature_shape(self) -> Tuple[int, int, int]:
        """(C, H, W) of the backbone's last output for ``input_size``."""
        was_training = self.backbone.training
        self.backbone.eval()
        feat = self.backbone(torch.zeros(1, 3, *self.input_size))[-1]
        self.backbone.train(was_training)
        return tuple(feat.shape[1:])

    # ------------------------------------------------------------------
    # stages
    def _scale_parameters(self, scale: int) -> List[torch.nn.Parameter]:
        params = self.decoder.scale_parameters(scale)
        if scale == 1:
            params = list(self.backbone.parameters()) + params
        return params

    def set_stage(self, stage: str) -> None:
        """Select which scales run and which are trained.

        Args:
            stage (str): ``'scales12'``, ``'scale3'`` or ``'all'``.
        """
        if stage not in _STAGES:
            raise ValueError(
                f'EigenMultiScale: `stage` must be one of {tuple(_STAGES)}, '
                f'got "{stage}".'
            )
        self.stage = stage
        self.run_scales, self.train_scales = _STAGES[stage]
        for scale in (1, 2, 3):
            trained = scale in self.train_scales
            for param in self._scale_parameters(scale):
                param.requires_grad_(trained)
        self.train(self.training)

    def train(self, mode: bool = True) -> 'EigenMultiScale':
        """Set the training mode; frozen scales 1-2 stay in eval mode."""
        super().train(mode)
        if getattr(self, 'stage', None) == 'scale3':
            self.backbone.eval()
            self.decoder.scale1.eval()
        return self

    # ------------------------------------------------------------------
    # forward
    def _check_input(self, inputs: torch.Tensor) -> None:
        if tuple(inputs.shape[-2:]) != self.input_size:
            raise ValueError(
                f'EigenMultiScale is built for {self.input_size} (H, W) '
                'inputs (its fully connected layers fix the size), got '
                f'{tuple(inputs.shape[-2:])}; crop or resize the images to '
                f'{self.input_size} in the pipeline.'
            )

    def _fine_input(self, inputs: torch.Tensor) -> torch.Tensor:
        """The image normalised for scales 2 and 3."""
        return self.data_preprocessor.renormalize(
            inputs, self.fine_mean, self.fine_std
        )

    def forward_scales(
        self,
        inputs: torch.Tensor,
        scale3_crop: Optional[Sequence[int]] = None,
    ) -> Dict[int, Dict[str, torch.Tensor]]:
        """Predictions of every scale the stage runs.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images from the preprocessor.
            scale3_crop (Sequence[int], optional): ``(top, left, h, w)``
                crop of the scale-3 grid to predict. Defaults to None.

        Returns:
            dict[int, dict[str, Tensor]]: ``{2: {task: (N, C, 55, 74)}}``
            and, when scale 3 runs, ``3: {task: (N, C, 109, 147)}`` (or the
            crop's size).
        """
        self._check_input(inputs)
        img = self._fine_input(inputs)
        with torch.set_grad_enabled(
            torch.is_grad_enabled() and 2 in self.train_scales
        ):
            features = self.backbone(inputs)[-1]
            outs = {2: self.decoder.forward_scale2(features, img)}
        if 3 in self.run_scales:
            outs[3] = self.decoder.forward_scale3(
                img, outs[2], crop=scale3_crop
            )
        return outs

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> Dict[str, torch.Tensor]:
        """Predictions of the last scale the stage runs.

        Returns:
            dict[str, Tensor]: Task to ``(N, C, h, w)``.
        """
        outs = self.forward_scales(inputs)
        return outs[max(outs)]

    # ------------------------------------------------------------------
    # loss
    def _draw_scale3_crop(
        self, in_hw: Sequence[int]
    ) -> Optional[Tuple[int, int, int, int]]:
        """A random ``(top, left, h, w)`` crop of the scale-3 grid for the
        ``'scale3'`` stage (one per batch, from the torch RNG), else None."""
        if self.stage != 'scale3' or self.scale3_crop is None:
            return None
        full_h, full_w = self.decoder.scale3_grid(in_hw)
        h, w = self.scale3_crop
        if h > full_h or w > full_w:
            raise ValueError(
                f'EigenMultiScale: scale3_crop {self.scale3_crop} is larger '
                f'than the {(full_h, full_w)} scale-3 grid.'
            )
        top = int(torch.randint(0, full_h - h + (h == full_h), ()).item())
        left = int(torch.randint(0, full_w - w + (w == full_w), ()).item())
        return top, left, h, w

    def loss(
        self, inputs: torch.Tensor, data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Losses of the trained scales, from the task heads.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images from the preprocessor.
            data_samples (list[DenseDataSample]): Samples with the ground
                truth of every task on the input grid.

        Returns:
            dict[str, Tensor]: ``loss_<task>_s<scale>`` per task and trained
            scale (2 and/or 3), scale 2 first.
        """
        crop = self._draw_scale3_crop(inputs.shape[-2:])
        outs = self.forward_scales(inputs, scale3_crop=crop)
        losses = {}
        for scale in (2, 3):
            if scale not in self.train_scales:
                continue
            for task, head in self.heads.items():
                losses.update(
                    head.loss_by_feat(
                        {scale: outs[scale][task]},
                        data_samples,
                        input_hw=inputs.shape[-2:],
                        crop=crop,
                    )
                )
        return losses

    # ------------------------------------------------------------------
    # predict
    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Predict every task; each head writes its ``pred_*`` fields.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images from the preprocessor.
            data_samples (list[DenseDataSample], optional): Samples; built
                from the input shape when None.

        Returns:
            list[DenseDataSample]: Samples with ``pred_depth`` ``(1, H, W)``
            in metres, ``pred_normal`` ``(3, H, W)`` unit vectors,
            ``seg_logits`` ``(C, H, W)`` and ``pred_sem_seg`` ``(1, H, W)``
            at the ground truth's size (else ``ori_shape``).
        """
        outs = self.forward_scales(inputs)
        samples = self.ensure_samples(inputs, data_samples)
        for task, head in self.heads.items():
            pred = head.predict_by_feat(
                {scale: outs[scale][task] for scale in outs},
                samples,
                input_hw=inputs.shape[-2:],
            )
            head.postprocess(pred, samples, self.postprocess_dense)
        return samples
