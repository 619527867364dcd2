"""Base of guided depth super-resolution estimators, and the bicubic
baseline.

A guided DSR model maps an HR colour image ``(N, 3, H, W)`` and an LR depth
``(N, 1, H/s, W/s)`` to an HR depth ``(N, 1, H, W)``. Networks work in the
normalised depth units of their input (PMBANet, Sunbaoli/PMBANet_DSR,
reads depth divided into ``[0, 1]``; the NYU v2 protocol of DKN / JIIF
normalises each image by its min-max range); losses and metrics work in
metres. :class:`BaseGuidedSREstimator` holds that bookkeeping once, so
that a model only implements :meth:`~BaseGuidedSREstimator.forward_sr`.
"""

from abc import abstractmethod
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F

from mmdepthsr.registry import MODELS
from mmdepthsr.structures.depth_norm import DEPTH_NORM_MODES, denormalize_depth

from ..utils import pil_bicubic_resize, stack_field, stack_lr_depth
from ..utils.tiling import (
    BLEND_MODES,
    check_tile_batch_size,
    slide_inference,
)
from .base import BaseDenseEstimator, SampleList

_TEST_CFG_DEFAULTS = dict(
    mode='whole',
    patch_size=None,
    stride=None,
    normalize=None,
    blend='mean',
    margin=0,
    tile_batch_size=16,
)


def _sample_name(sample, index: int) -> str:
    return str(sample.metainfo.get('img_path', f'sample {index}'))


class BaseGuidedSREstimator(BaseDenseEstimator):
    """Base of the guided depth SR estimators.

    Subclasses implement :meth:`forward_sr`. The base class

    - batches ``lr_depth`` of the data samples (checked against
      ``scale_factor`` and the image size; when the data preprocessor pads
      the images, the LR maps are padded by edge replication to
      ``1 / s`` of the padded size, and the padded part of the output is cut
      away again);
    - :meth:`loss`: de-normalises the output with each sample's
      ``depth_norm_min`` / ``depth_norm_max``
      (:func:`~mmdepthsr.structures.depth_norm.denormalize_depth`),
      then applies ``loss_sr`` against ``gt_depth`` in metres (key
      ``'loss_sr'``);
    - :meth:`predict`: whole-image or tiled inference (``test_cfg``), output
      in metres as ``pred_sr_depth`` at the ground truth's size;
    - :meth:`_forward`: the raw network output (normalised units).

    Tiled inference (``test_cfg=dict(mode='slide', patch_size=...)``) uses
    :func:`~mmdepthsr.models.utils.slide_inference`:

    - ``normalize=None``: the tiles see ``lr_depth`` as the pipeline made
      it (e.g. normalised by the whole image's statistics) and the stitched
      output is de-normalised with the sample's recorded statistics;
    - ``normalize='max'`` or ``'minmax'``: the tile rule of patch training.
      A pipeline-normalised ``lr_depth`` is first brought back to metres
      with the recorded statistics; then every LR tile is normalised by its
      own LR statistics, and each tile output is de-normalised before the
      tiles are stitched. The HR ground truth is never used.

    Whole-image inference with ``normalize='max'`` or ``'minmax'`` applies the
    same rule to the whole (padded) image as one tile, so a patch-trained
    model also sees normalised units when it runs on the whole image.

    Several outputs: a subclass may override :meth:`forward_test` to return
    a dict of ``(N, C, H, W)`` tensors (e.g. the SR depth and the monocular
    depth of a joint model). :meth:`inference` then returns a dict with the
    same keys: every entry is de-normalised (whole image: with the recorded
    statistics; tiles: per tile), except those named in the class
    attribute ``raw_output_keys`` (e.g. segmentation logits), which are
    stitched as returned. :meth:`predict` of this class handles the
    single-tensor case; subclasses with dict outputs write their own.

    Args:
        scale_factor (int, optional): The SR factor ``s``; None only for a
            subclass that reads no LR depth (a monocular multi-task model).
        loss_sr (dict, optional): Config of the reconstruction loss, built
            from ``MODELS``. Defaults to None: :attr:`default_loss_sr`
            (``dict(type='L1Loss')``).
        test_cfg (dict, optional): ``mode`` (``'whole'`` or ``'slide'``),
            and for ``'slide'``: ``patch_size`` (HR ``(h, w)``), ``stride``
            (defaults to ``patch_size``), ``normalize`` (None, ``'max'``,
            ``'minmax'``), ``blend`` (``'mean'``, ``'linear'``), ``margin``
            (HR pixels), ``tile_batch_size`` (tiles per forward pass, over
            all images of the batch; None: all at once; default 16).
            Defaults to ``dict(mode='whole')``.
        data_preprocessor (dict, optional): Config of the
            :class:`DenseDataPreprocessor`.
        init_cfg (dict, optional): Weight initialisation config.
    """

    #: Entries of a dict output of :meth:`forward_test` that are not depth:
    #: never de-normalised, stitched as returned in tiled inference.
    raw_output_keys: Tuple[str, ...] = ()
    #: Loss built when ``loss_sr`` is not given (None: no base SR loss, for
    #: subclasses whose heads own their losses).
    default_loss_sr: Optional[dict] = dict(type='L1Loss')

    def __init__(
        self,
        scale_factor: Optional[int],
        loss_sr: Optional[dict] = None,
        test_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        name = type(self).__name__
        if scale_factor is not None and (
            int(scale_factor) != scale_factor or scale_factor < 1
        ):
            raise ValueError(
                f'{name}: scale_factor must be a positive integer, got '
                f'{scale_factor}.'
            )
        self.scale_factor = None if scale_factor is None else int(scale_factor)
        loss_sr = loss_sr or self.default_loss_sr
        self.loss_sr = None if loss_sr is None else MODELS.build(loss_sr)
        self.test_cfg = self._check_test_cfg(test_cfg or {})

    def _check_test_cfg(self, test_cfg: dict) -> dict:
        name = type(self).__name__
        unknown = set(test_cfg) - set(_TEST_CFG_DEFAULTS)
        if unknown:
            raise KeyError(
                f'{name}: unknown test_cfg keys {sorted(unknown)}; allowed: '
                f'{sorted(_TEST_CFG_DEFAULTS)}.'
            )
        cfg = dict(_TEST_CFG_DEFAULTS, **test_cfg)
        if cfg['mode'] not in ('whole', 'slide'):
            raise ValueError(
                f'{name}: test_cfg.mode must be "whole" or "slide", got '
                f'{cfg["mode"]!r}.'
            )
        if cfg['mode'] == 'slide' and cfg['patch_size'] is None:
            raise ValueError(
                f'{name}: test_cfg.mode="slide" needs test_cfg.patch_size.'
            )
        if cfg['normalize'] not in (None, *DEPTH_NORM_MODES):
            raise ValueError(
                f'{name}: test_cfg.normalize must be None or one of '
                f'{DEPTH_NORM_MODES}, got {cfg["normalize"]!r}.'
            )
        if cfg['blend'] not in BLEND_MODES:
            raise ValueError(
                f'{name}: test_cfg.blend must be one of {BLEND_MODES}, got '
                f'{cfg["blend"]!r}.'
            )
        check_tile_batch_size(
            cfg['tile_batch_size'], f'{name}: test_cfg.tile_batch_size'
        )
        return cfg

    @abstractmethod
    def forward_sr(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """The network.

        Args:
            img (Tensor): ``(N, 3, H, W)`` preprocessed image.
            lr_depth (Tensor): ``(N, 1, H/s, W/s)`` LR depth, in the units
                the pipeline (or the tile rule) gives it.

        Returns:
            Tensor: ``(N, 1, H, W)`` HR depth in the units of ``lr_depth``.
        """

    def forward_test(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> Union[torch.Tensor, Dict[str, torch.Tensor]]:
        """The network at test time; :meth:`forward_sr` by default.

        Args:
            img (Tensor): ``(N, 3, H, W)`` preprocessed image.
            lr_depth (Tensor): ``(N, 1, H/s, W/s)`` LR depth.

        Returns:
            Tensor | dict[str, Tensor]: ``(N, 1, H, W)`` HR depth, or a dict
            of ``(N, C, H, W)`` outputs, in the units of ``lr_depth``
            (except ``raw_output_keys``).
        """
        return self.forward_sr(img, lr_depth)

    def extract_lr_depth(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList]
    ) -> torch.Tensor:
        """Batch the samples' ``lr_depth`` to match the padded inputs.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` batch (maybe padded).
            data_samples (list[DenseDataSample]): Samples with ``lr_depth``.

        Returns:
            Tensor: ``(N, 1, H/s, W/s)`` on the device of ``inputs``.

        Raises:
            ValueError: If the samples are missing, or an LR map is not its
                image divided by ``scale_factor``.
            KeyError: If a sample has no ``lr_depth``.
        """
        name, s = type(self).__name__, self.scale_factor
        if s is None:
            raise ValueError(
                f'{name} has no scale_factor: it reads no LR depth.'
            )
        if data_samples is None:
            raise ValueError(f'{name} needs data samples carrying `lr_depth`.')
        height, width = inputs.shape[-2:]
        if height % s or width % s:
            raise ValueError(
                f'{name}: the batch size {(height, width)} is not divisible '
                f'by scale_factor {s}; use a size_divisor that is a multiple '
                f'of {s} in the data preprocessor.'
            )
        lr_hw = (height // s, width // s)
        lrs, padded = [], False
        for i, sample in enumerate(data_samples):
            if 'lr_depth' not in sample:
                raise KeyError(
                    f'{name}: {_sample_name(sample, i)} has no `lr_depth`; '
                    'the pipeline must make it (GenerateLRDepth) or load it.'
                )
            recorded = sample.metainfo.get('scale_factor')
            if recorded is not None and int(recorded) != s:
                raise ValueError(
                    f'{name}: {_sample_name(sample, i)} was degraded with '
                    f'scale_factor {recorded}, the model expects {s}.'
                )
            lr = sample.lr_depth.data
            img_h, img_w = sample.metainfo.get('img_shape', (height, width))[
                :2
            ]
            h, w = lr.shape[-2:]
            if (h * s, w * s) != (img_h, img_w):
                raise ValueError(
                    f'{name}: lr_depth of {_sample_name(sample, i)} has '
                    f'size {(h, w)}, not its image {(img_h, img_w)} divided '
                    f'by scale_factor {s}.'
                )
            if (h, w) != lr_hw:
                pad = (0, lr_hw[1] - w, 0, lr_hw[0] - h)
                lr = F.pad(lr[None].float(), pad, mode='replicate')[0]
                padded = True
            lrs.append(lr)
        batch = torch.stack(lrs) if padded else stack_lr_depth(data_samples)
        return batch.to(device=inputs.device, dtype=inputs.dtype)

    def _check_output(self, pred, inputs: torch.Tensor):
        if isinstance(pred, dict):
            n, size = inputs.shape[0], tuple(inputs.shape[-2:])
            for key, value in pred.items():
                if (
                    value.dim() != 4
                    or value.shape[0] != n
                    or tuple(value.shape[-2:]) != size
                ):
                    raise ValueError(
                        f'{type(self).__name__}.forward_test returned '
                        f'{key!r} of shape {tuple(value.shape)}; expected '
                        f'({n}, C, {size[0]}, {size[1]}).'
                    )
            return pred
        expected = (inputs.shape[0], 1, *inputs.shape[-2:])
        if tuple(pred.shape) != expected:
            raise ValueError(
                f'{type(self).__name__}.forward_sr returned shape '
                f'{tuple(pred.shape)}; expected {expected}.'
            )
        return pred

    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """The reconstruction loss in metres.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample]): With ``lr_depth`` and
                ``gt_depth`` (metres, 0 = invalid).

        Returns:
            dict: ``loss_sr``.
        """
        lr = self.extract_lr_depth(inputs, data_samples)
        pred = self._check_output(self.forward_sr(inputs, lr), inputs)
        pred = denormalize_depth(pred, data_samples)
        gt = stack_field(data_samples, 'gt_depth').to(pred)
        if gt.shape != pred.shape:
            raise ValueError(
                f'{type(self).__name__}: gt_depth batch {tuple(gt.shape)} '
                f'does not match the output {tuple(pred.shape)}; training '
                'ground truth must have the image size.'
            )
        return dict(loss_sr=self.loss_sr(pred, gt))

    def _denormalize_output(self, pred, data_samples: SampleList):
        if not isinstance(pred, dict):
            return denormalize_depth(pred, data_samples)
        return {
            key: value
            if key in self.raw_output_keys
            else denormalize_depth(value, data_samples)
            for key, value in pred.items()
        }

    def inference(
        self, inputs: torch.Tensor, data_samples: SampleList
    ) -> Union[torch.Tensor, Dict[str, torch.Tensor]]:
        """HR depth in metres at the (padded) input size.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample]): With ``lr_depth``.

        Returns:
            Tensor | dict[str, Tensor]: ``(N, 1, H, W)`` in metres, or the
            dict of :meth:`forward_test` (depth entries in metres).
        """
        lr = self.extract_lr_depth(inputs, data_samples)
        cfg = self.test_cfg
        whole = cfg['mode'] == 'whole'
        if whole and cfg['normalize'] is None:
            pred = self._check_output(self.forward_test(inputs, lr), inputs)
            return self._denormalize_output(pred, data_samples)
        if cfg['normalize'] is not None:
            lr = denormalize_depth(lr, data_samples)
        pred = slide_inference(
            self.forward_test,
            inputs,
            lr,
            # whole image with a tile rule: the image is the one tile
            patch_size=tuple(inputs.shape[-2:])
            if whole
            else cfg['patch_size'],
            stride=None if whole else cfg['stride'],
            scale_factor=self.scale_factor,
            normalize=cfg['normalize'],
            blend=cfg['blend'],
            margin=0 if whole else cfg['margin'],
            raw_keys=self.raw_output_keys,
            tile_batch_size=cfg['tile_batch_size'],
        )
        if cfg['normalize'] is None:
            pred = self._denormalize_output(pred, data_samples)
        return pred

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Predict ``pred_sr_depth`` (metres) at each sample's GT size.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample]): With ``lr_depth``.

        Returns:
            list[DenseDataSample]: The samples with ``pred_sr_depth``
            ``(1, H, W)``.
        """
        pred = self.inference(inputs, data_samples)
        return self.postprocess_dense(pred, data_samples, key='pred_sr_depth')

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> torch.Tensor:
        """Raw output ``(N, 1, H, W)`` in the normalised units of the
        input."""
        lr = self.extract_lr_depth(inputs, data_samples)
        return self.forward_sr(inputs, lr)


@MODELS.register_module()
class BicubicBaseline(BaseGuidedSREstimator):
    """Bicubic upsampling of the LR depth: the reference row of DSR tables.

    Two bicubics, chosen by ``kernel``:

    - ``'torch'``: ``torch.nn.functional.interpolate(lr, size=(H, W),
      mode='bicubic', align_corners=False)``: Keys cubic convolution with
      ``a = -0.75``, edge pixels replicated.
    - ``'pil'``: :func:`~mmdepthsr.models.utils.pil_bicubic_resize`, equal
      to ``PIL.Image.fromarray(lr_float32, 'F').resize((W, H),
      Image.BICUBIC)``: Keys ``a = -0.5`` (as MATLAB's ``imresize``), taps
      outside the image dropped and the rest renormalised. This is the
      "Bicubic" row of the NYU v2 DSR tables (DKN, FDSR, DCTNet, JIIF,
      SGNet), whose LR maps are made by the same PIL resize.

    The two differ by a fraction of the depth step near depth edges and at
    the image border. Both maps are affine-equivariant (weights sum to 1),
    so the normalisation of the input does not change the result in
    metres. The model has no parameter and cannot be trained.

    Args:
        scale_factor (int): The SR factor ``s``.
        kernel (str): ``'torch'`` or ``'pil'``. Defaults to ``'torch'``.
        test_cfg (dict, optional): As in :class:`BaseGuidedSREstimator`.
        data_preprocessor (dict, optional): Config of the
            :class:`DenseDataPreprocessor`.
        init_cfg (dict, optional): Unused; kept for the common signature.

    Examples:
        >>> import torch
        >>> model = BicubicBaseline(scale_factor=2, kernel='pil')
        >>> model.forward_sr(torch.zeros(1, 3, 4, 4),
        ...                  torch.ones(1, 1, 2, 2)).shape
        torch.Size([1, 1, 4, 4])
    """

    KERNELS = ('torch', 'pil')

    def __init__(
        self,
        scale_factor: int,
        kernel: str = 'torch',
        test_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            scale_factor=scale_factor,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        if kernel not in self.KERNELS:
            raise ValueError(
                f'BicubicBaseline: kernel must be one of {self.KERNELS}, '
                f'got {kernel!r}.'
            )
        self.kernel = kernel

    def forward_sr(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """``(N, 1, H, W)`` bicubic upsampling (``kernel``) of ``lr_depth``
        to the size of ``img``."""
        size = tuple(img.shape[-2:])
        if self.kernel == 'pil':
            return pil_bicubic_resize(lr_depth, size)
        return F.interpolate(
            lr_depth, size=size, mode='bicubic', align_corners=False
        )

    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """The bicubic baseline has no parameter to train."""
        raise NotImplementedError(
            'BicubicBaseline has no parameter and nothing to train; use it '
            'with tools/test.py (mode="predict") only.'
        )


__all__ = ['BaseGuidedSREstimator', 'BicubicBaseline']
