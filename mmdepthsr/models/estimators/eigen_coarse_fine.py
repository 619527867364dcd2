"""Coarse + fine depth network of Eigen, Puhrsch & Fergus (2014).

Paper: D. Eigen, C. Puhrsch, R. Fergus, "Depth Map Prediction from a Single
Image using a Multi-Scale Deep Network", NIPS 2014, sections 3.1 (model),
3.2 (loss) and 3.3 (two-stage training); where the paper is silent the
authors' Theano release is followed, and the remaining decisions are listed
in ``configs/eigen2014/README.md``.

Geometry (NYU, input 228 x 304): both networks predict a 55 x 74 map, 1/4 of
the input, covering its central 220 x 296 pixels (a 4-pixel border is lost to
the valid convolutions of the fine network; output ``j`` is centred on input
row/column ``4 j + 5``). KITTI (input 172 x 576): the fine network sees only
the bottom ``fine_input_rows = 116`` rows (our choice; the release does not
fix it), its 27 x 142 output covers rows 60..167 and columns 4..571, and the
coarse network, which sees the whole image, predicts the same grid.

Input normalisation: the data preprocessor normalises for the coarse
(ImageNet) stack, ``mean=[128] * 3, std=[1] * 3`` (x - 128). The fine stack
undoes the preprocessor's mean/std and applies its own
``(x - 109.314) / 76.183`` (the release's NYU image statistics).

Target space: ``t = ln(depth) / log_depth_scale`` with the release's
``log_depth_scale = 0.45723134``; both heads are linear and regress ``t``.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from mmdepthsr.registry import MODELS

from ..heads import EIGEN_FINE_MEAN, EIGEN_FINE_STD
from ..losses import EIGEN_LOG_DEPTH_SCALE
from ..utils import resize, stack_field
from .base import BaseDenseEstimator, SampleList


@MODELS.register_module()
class EigenCoarseFine(BaseDenseEstimator):
    """Eigen 2014 coarse network (backbone + fc head) and fine network.

    Training runs in two stages (paper section 3.3):

    * ``stage='coarse'``: the backbone and the coarse head are trained
      against the targets; the fine head, if built, is frozen and unused.
    * ``stage='fine'``: the backbone and the coarse head are frozen
      (``requires_grad=False``, kept in eval mode so that dropout is off,
      run under ``torch.no_grad``) and the fine head is trained on their
      fixed outputs. Load the stage-1 weights with ``load_from``, or train
      both stages in one run with :meth:`set_stage` called by
      ``StagedTrainingHook``.

    Outputs: ``mode='tensor'`` returns the stage's ``(N, 1, h, w)``
    normalised log depth. ``predict`` returns metres,
    ``exp(out * log_depth_scale)``, placed back onto the input grid: the
    log-depth map is upsampled bilinearly x4 onto the region it covers
    (central 220 x 296 for 228 x 304), exponentiated, the uncovered border is
    filled by replicating the edge values, and
    :meth:`~BaseDenseEstimator.postprocess_dense` resizes the result to the
    ground truth (or ``ori_shape``).

    Loss: the ground-truth depth ``(N, 1, H, W)`` (on the input grid) is
    brought to the prediction grid. ``gt_sampling='nearest'`` takes the pixel
    at the centre of each output's receptive field (input row/column
    ``4 j + 5`` for NYU), so invalid zeros stay invalid and no depths are
    mixed across edges; ``'block_mean'`` averages the valid depths of each
    4 x 4 block (0 where none is valid), which keeps more of sparse LiDAR
    ground truth. The loss key names the task and the stage,
    ``loss_depth_coarse`` or ``loss_depth_fine``.

    Args:
        backbone (dict): Config of the conv stack, e.g. ``AlexNet``.
        coarse_head (dict): Config of :class:`EigenCoarseHead`.
        fine_head (dict, optional): Config of :class:`EigenFineHead`.
        loss (dict, optional): Config of the loss on the normalised log
            depth; its ``log_space_scale`` defaults to ``log_depth_scale``.
            Defaults to ``ScaleInvariantLogLoss`` (lambda 0.5, 'eigen'
            reduction).
        stage (str): ``'coarse'`` or ``'fine'``. Defaults to ``'coarse'``.
        input_size (Sequence[int]): (H, W) of the network input, fixed by
            the fully connected layers. Defaults to (228, 304).
        log_depth_scale (float): Divisor of ``ln(depth)`` in the target
            space. Defaults to 0.45723134 (NYU, from the release).
        fine_input_rows (int, optional): The fine network sees only the
            bottom rows of the input (KITTI: 116). Defaults to None (all).
        fine_mean (float): Image mean of the fine stack (0-255). Defaults to
            109.314.
        fine_std (float): Image std of the fine stack. Defaults to 76.183.
        gt_sampling (str): ``'nearest'`` or ``'block_mean'``, see above.
            Defaults to ``'nearest'``.
        data_preprocessor (dict, optional): Config of the
            ``DenseDataPreprocessor`` (Eigen: ``mean=[128] * 3, std=[1] * 3``).
        init_cfg (dict, optional): Initialisation config.
    """

    #: Stride of the prediction grid with respect to the input.
    OUTPUT_STRIDE = 4

    def __init__(
        self,
        backbone: Dict,
        coarse_head: Dict,
        fine_head: Optional[Dict] = None,
        loss: Optional[Dict] = None,
        stage: str = 'coarse',
        input_size: Sequence[int] = (228, 304),
        log_depth_scale: float = EIGEN_LOG_DEPTH_SCALE,
        fine_input_rows: Optional[int] = None,
        fine_mean: float = EIGEN_FINE_MEAN,
        fine_std: float = EIGEN_FINE_STD,
        gt_sampling: str = 'nearest',
        data_preprocessor: Optional[Dict] = None,
        init_cfg: Optional[Dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        self._check_stage(stage, fine_head is not None)
        if gt_sampling not in ('nearest', 'block_mean'):
            raise ValueError(
                'EigenCoarseFine: `gt_sampling` must be "nearest" or '
                f'"block_mean", got "{gt_sampling}".'
            )
        loss = dict(loss or dict(type='ScaleInvariantLogLoss'))
        loss_scale = loss.setdefault('log_space_scale', log_depth_scale)
        if loss_scale != log_depth_scale:
            raise ValueError(
                'EigenCoarseFine: the loss works in the space '
                f'ln(depth) / {loss_scale} but the model predicts '
                f'ln(depth) / {log_depth_scale}; set the same '
                '`log_space_scale` / `log_depth_scale` (or leave the '
                "loss's unset)."
            )
        self.stage = stage
        self.input_size = tuple(int(s) for s in input_size)
        self.log_depth_scale = log_depth_scale
        self.fine_input_rows = fine_input_rows
        self.fine_mean = fine_mean
        self.fine_std = fine_std
        self.gt_sampling = gt_sampling
        self.backbone = MODELS.build(backbone)
        self.coarse_head = MODELS.build(coarse_head)
        self.fine_head = (
            MODELS.build(fine_head) if fine_head is not None else None
        )
        self.loss_module = MODELS.build(loss)
        for module in self._frozen_modules():
            module.requires_grad_(False)

    @staticmethod
    def _check_stage(stage: str, has_fine_head: bool) -> None:
        if stage not in ('coarse', 'fine'):
            raise ValueError(
                f'EigenCoarseFine: `stage` must be "coarse" or "fine", got '
                f'"{stage}".'
            )
        if stage == 'fine' and not has_fine_head:
            raise ValueError(
                'EigenCoarseFine: stage "fine" needs a `fine_head`.'
            )

    def set_stage(self, stage: str) -> None:
        """Switch the training stage in place (one run for both stages,
        see :class:`~mmdepthsr.engine.StagedTrainingHook`).

        The parts the new stage trains get ``requires_grad=True``, the
        others ``False`` and eval mode (when the model is training).

        Args:
            stage (str): ``'coarse'`` or ``'fine'``.
        """
        self._check_stage(stage, self.fine_head is not None)
        self.stage = stage
        for module in (self.backbone, self.coarse_head, self.fine_head):
            if module is not None:
                module.requires_grad_(True)
        for module in self._frozen_modules():
            module.requires_grad_(False)
        self.train(self.training)

    def _frozen_modules(self):
        """The parts that the current stage does not train."""
        if self.stage == 'fine':
            return [self.backbone, self.coarse_head]
        return [self.fine_head] if self.fine_head is not None else []

    def train(self, mode: bool = True) -> 'EigenCoarseFine':
        """Set the training mode; frozen parts always stay in eval mode."""
        super().train(mode)
        for module in self._frozen_modules():
            module.eval()
        return self

    def _check_input(self, inputs: torch.Tensor) -> None:
        if tuple(inputs.shape[-2:]) != self.input_size:
            raise ValueError(
                f'EigenCoarseFine is built for {self.input_size} (H, W) '
                f'inputs (its fully connected layers fix the size), got '
                f'{tuple(inputs.shape[-2:])}; resize or crop the images to '
                f'{self.input_size} in the pipeline.'
            )

    def _fine_input(self, inputs: torch.Tensor) -> torch.Tensor:
        """The image normalised for the fine stack (bottom rows only when
        ``fine_input_rows`` is set)."""
        img = self.data_preprocessor.renormalize(
            inputs, self.fine_mean, self.fine_std
        )
        if self.fine_input_rows is not None:
            img = img[..., -self.fine_input_rows :, :]
        return img

    def extract_coarse(self, inputs: torch.Tensor) -> torch.Tensor:
        """Coarse prediction ``(N, 1, h, w)`` in the normalised log space."""
        return self.coarse_head(self.backbone(inputs)[-1])

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> torch.Tensor:
        """Prediction of the current stage.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images from the preprocessor.
            data_samples (list[DenseDataSample], optional): Unused.

        Returns:
            Tensor: ``(N, 1, h, w)`` normalised log depth (55 x 74 for NYU).
        """
        self._check_input(inputs)
        if self.stage == 'coarse':
            return self.extract_coarse(inputs)
        with torch.no_grad():
            coarse = self.extract_coarse(inputs)
        return self.fine_head(self._fine_input(inputs), coarse)

    def pred_region(
        self, input_hw: Tuple[int, int], pred_hw: Tuple[int, int]
    ) -> Tuple[int, int, int, int]:
        """The input pixels a prediction covers.

        Args:
            input_hw (tuple[int, int]): (H, W) of the input.
            pred_hw (tuple[int, int]): (h, w) of the prediction.

        Returns:
            tuple[int, int, int, int]: ``(top, left, height, width)``: the
            region of ``4 h x 4 w`` pixels centred in the fine network's
            input (the bottom ``fine_input_rows`` rows, or all).
        """
        (in_h, in_w), (h, w) = input_hw, pred_hw
        s = self.OUTPUT_STRIDE
        rows = self.fine_input_rows or in_h
        top = in_h - rows + (rows - s * h) // 2
        left = (in_w - s * w) // 2
        if min(top, left, rows - s * h, in_w - s * w) < 0:
            raise ValueError(
                f'EigenCoarseFine: a {h} x {w} prediction (stride {s}) does '
                f'not fit in the {rows} x {in_w} fine input; check the '
                'coarse head `out_size` and `fine_input_rows`.'
            )
        return top, left, s * h, s * w

    def gt_on_pred_grid(
        self, gt: torch.Tensor, pred_hw: Tuple[int, int]
    ) -> torch.Tensor:
        """Ground-truth depth on the prediction grid.

        Args:
            gt (Tensor): ``(N, 1, H, W)`` depth in metres on the input grid,
                0 = invalid.
            pred_hw (tuple[int, int]): (h, w) of the prediction.

        Returns:
            Tensor: ``(N, 1, h, w)`` depth, 0 = invalid.
        """
        s = self.OUTPUT_STRIDE
        top, left, rh, rw = self.pred_region(tuple(gt.shape[-2:]), pred_hw)
        region = gt[..., top : top + rh, left : left + rw]
        if self.gt_sampling == 'nearest':
            # Offset 1 in each s x s block: input row/column 4 j + 5 (NYU),
            # the centre of the fine network's receptive field of output j.
            return region[..., 1::s, 1::s]
        valid = (region > 0).to(region.dtype)
        total = F.avg_pool2d(region * valid, s)
        count = F.avg_pool2d(valid, s)
        return torch.where(count > 0, total / count.clamp(min=1e-12), 0.0)

    def loss(
        self, inputs: torch.Tensor, data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Scale-invariant loss of the current stage's prediction.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images from the preprocessor.
            data_samples (list[DenseDataSample]): Samples with ``gt_depth``
                ``(1, H, W)`` in metres on the input grid.

        Returns:
            dict[str, Tensor]: ``loss_depth_coarse`` or ``loss_depth_fine``
            (``loss_<task>_<detail>``, the detail naming the stage).
        """
        pred = self._forward(inputs)
        gt = stack_field(data_samples, 'gt_depth')
        if tuple(gt.shape[-2:]) != tuple(inputs.shape[-2:]):
            raise ValueError(
                'EigenCoarseFine: training needs `gt_depth` on the input '
                f'grid {tuple(inputs.shape[-2:])}, got '
                f'{tuple(gt.shape[-2:])}; crop/resize the depth together '
                'with the image in the training pipeline.'
            )
        target = self.gt_on_pred_grid(gt.to(pred.dtype), pred.shape[-2:])
        if not (target > 0).any():
            names = [s.metainfo.get('img_path', '?') for s in data_samples]
            raise ValueError(
                'EigenCoarseFine: no valid `gt_depth` (> 0) on the '
                f'{tuple(pred.shape[-2:])} prediction grid in the batch '
                f'{names}; check the depth loading and the crops.'
            )
        return {f'loss_depth_{self.stage}': self.loss_module(pred, target)}

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Predict depth in metres and write ``pred_depth``.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images from the preprocessor.
            data_samples (list[DenseDataSample], optional): Samples; built
                from the input shape when None.

        Returns:
            list[DenseDataSample]: Samples with ``pred_depth`` ``(1, H', W')``
            in metres at the ground truth's size (else ``ori_shape``).
        """
        pred = self._forward(inputs)
        in_h, in_w = inputs.shape[-2:]
        top, left, rh, rw = self.pred_region((in_h, in_w), pred.shape[-2:])
        log_depth = resize(pred, (rh, rw), mode='bilinear')
        depth = torch.exp(log_depth * self.log_depth_scale)
        depth = F.pad(
            depth,
            (left, in_w - left - rw, top, in_h - top - rh),
            mode='replicate',
        )
        samples = self.ensure_samples(inputs, data_samples)
        return self.postprocess_dense(depth, samples, 'pred_depth')
