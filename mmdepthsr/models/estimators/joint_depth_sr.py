"""Joint monocular depth estimation and guided depth super-resolution (v2 /
v3), with an optional semantic branch.

One class, :class:`JointDepthSR`; its config decides the variant:

- **v2**: a colour encoder over the HR RGB image and a depth encoder over
  the bicubic-upsampled LR depth, both with features at strides 2, 4, 8
  and 16; the features are fused scale by scale (concatenation, 3x3 conv,
  BN, ReLU) and feed two :class:`~mmdepthsr.models.decoders.
  ProgressiveDecoder` s, an MDE decoder and an SR decoder, each predicting
  at 1/16, 1/8, 1/4, 1/2 and 1 of the input size with a loss at every
  resolution (deep supervision). The two tasks are coupled through the
  shared features and the losses only.
- **v3**: v2 plus task interaction units between the decoders at each
  resolution: ``sr_fusion`` (:class:`DepthGuidedSRFusion`, MDE features
  refine the SR features), optionally ``depth_fusion``
  (:class:`SRGuidedDepthFusion`, the reverse), and optionally a semantic
  decoder (``num_classes``) with ``sem_to_depth`` / ``depth_to_sem``
  (SOSD-Net's S2D / D2S units, He et al., arXiv 2101.07422) for tri-task
  training. Every unit is a config (None = off), so v2 vs v3 is one flag.

The nearest published designs are BridgeNet (Tang et al., ACM MM 2021:
separate MDE and DSR networks joined by bridges) and DuCos (Yan et al.,
2025: MDE features injected into every DSR stage); the v2 / v3 layout here
is this toolbox's own.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import nn

from mmdepthsr.registry import MODELS
from mmdepthsr.structures.depth_norm import denormalize_depth

from ..decoders.progressive_decoder import DECODER_SCALES
from ..utils import stack_field
from .base import SampleList
from .base_sr import BaseGuidedSREstimator

GT_DOWNSAMPLE_MODES = ('masked_mean', 'nearest')
MDE_INPUTS = ('fused', 'colour')
_TASKS = ('sr', 'depth', 'seg')


def downsample_depth_gt(
    gt: torch.Tensor, factor: int, mode: str = 'masked_mean'
) -> torch.Tensor:
    """Validity-aware downsampling of a depth ground truth.

    ``'masked_mean'``: every output pixel is the mean of the valid (finite,
    ``> 0``) pixels of its ``factor x factor`` block, 0 (invalid) when the
    block has none. ``'nearest'``: the pixel at offset ``factor // 2`` of
    each block (invalid stays invalid).

    Args:
        gt (Tensor): ``(N, 1, H, W)`` depth, 0 = invalid; ``H`` and ``W``
            divisible by ``factor``.
        factor (int): Integer downsampling factor (1 returns ``gt``).
        mode (str): ``'masked_mean'`` or ``'nearest'``.

    Returns:
        Tensor: ``(N, 1, H / factor, W / factor)``.

    Raises:
        ValueError: On an unknown mode or a size not divisible by
            ``factor``.

    Examples:
        >>> gt = torch.tensor([[[[1., 3., 0., 0.], [0., 2., 0., 4.]]]])
        >>> downsample_depth_gt(gt, 2)
        tensor([[[[2., 4.]]]])
    """
    if mode not in GT_DOWNSAMPLE_MODES:
        raise ValueError(
            f'downsample_depth_gt: mode must be one of {GT_DOWNSAMPLE_MODES},'
            f' got {mode!r}.'
        )
    if factor == 1:
        return gt
    if gt.shape[-2] % factor or gt.shape[-1] % factor:
        raise ValueError(
            f'downsample_depth_gt: size {tuple(gt.shape[-2:])} is not '
            f'divisible by {factor}.'
        )
    if mode == 'nearest':
        return gt[..., factor // 2 :: factor, factor // 2 :: factor]
    valid = (gt > 0) & torch.isfinite(gt)
    total = F.avg_pool2d(torch.where(valid, gt, torch.zeros_like(gt)), factor)
    count = F.avg_pool2d(valid.to(gt.dtype), factor)
    return torch.where(count > 0, total / count.clamp(min=1e-12), 0.0)


def _scale_weights(name: str, arg: str, weights) -> Tuple[float, ...]:
    weights = tuple(float(w) for w in weights)
    if len(weights) != len(DECODER_SCALES) or any(w < 0 for w in weights):
        raise ValueError(
            f'{name}: `{arg}` must be {len(DECODER_SCALES)} non-negative '
            f'weights (scales 1/16, 1/8, 1/4, 1/2, 1), got {weights}.'
        )
    return weights


class _ConcatConvFusion(nn.Module):
    """Concatenate two maps, then ``conv3x3 - BN - ReLU``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.block(torch.cat([a, b], dim=1))


@MODELS.register_module()
class JointDepthSR(BaseGuidedSREstimator):
    """Joint MDE + guided DSR (v2; v3 with interaction units).

    Data flow for an ``(N, 3, H, W)`` image and an ``(N, 1, H/s, W/s)`` LR
    depth (``H``, ``W`` divisible by 16):

    1. ``up = bicubic(lr_depth)`` to ``H x W`` (``upsample_mode``), inside
       the model.
    2. ``colour_encoder(img)`` and ``depth_encoder(up)``: four maps each,
       fine to coarse. The ``i``-th map is resized bilinearly to
       ``H / 2^(i+1)`` when its size differs, so backbones with strides 4
       .. 32 (ResNet res2 .. res5) fit the 2 .. 16 grid (each map moves up
       one octave; documented trade-off for reusing ImageNet backbones).
    3. Per scale, ``fused_i = ReLU(BN(conv3x3(cat(colour_i, depth_i))))``
       with ``fuse_channels[i]`` channels.
    4. Two :class:`ProgressiveDecoder` s (and a third, semantic one when
       ``num_classes`` is set) run stage by stage, 1/16 to 1. The SR and
       semantic decoders read ``fused``; the MDE decoder reads ``fused``
       (``mde_input='fused'``, the v2 design: the MDE branch also sees the
       LR depth) or the colour features alone (``'colour'``: a true
       monocular branch).
    5. At every stage in ``fusion_stages`` the interaction units refine the
       stage features before the heads, all from the features before any
       unit ran: ``sr = sr_fusion(sr, depth)``, ``depth =
       depth_fusion(depth, sr)``, then ``depth = sem_to_depth(depth, seg)``
       and ``seg = depth_to_sem(seg, depth)``. Refined features also feed
       the next stage.
    6. Heads at every stage. The SR head predicts a residual over the
       bicubic ``up`` averaged to that scale when ``sr_residual=True``
       (default; the LR depth already is a good coarse answer), else the
       depth itself. The MDE head predicts depth directly. Both are in the
       normalised units of ``lr_depth`` (per-patch max normalisation of the
       grid-patch protocol).

    Losses (:meth:`loss`): every depth prediction is de-normalised with the
    sample's ``depth_norm_min`` / ``depth_norm_max`` and compared in metres
    with ``gt_depth`` downsampled to its scale (:func:`downsample_depth_gt`,
    ``gt_downsample``; default masked mean: the mean of the valid pixels of
    each block, so holes neither shrink nor vanish the target). Keys
    ``loss_sr_s{16,8,4,2,1}``, ``loss_depth_s...``, ``loss_seg_s...``
    (``gt_sem_seg`` subsampled by nearest, 255 = ignore), each times its
    per-scale weight; a weight of 0 skips that loss (its head then gets no
    gradient: use ``find_unused_parameters`` in distributed training).

    Prediction (:meth:`predict`): ``pred_sr_depth`` and ``pred_depth`` in
    metres, plus ``seg_logits`` and ``pred_sem_seg`` with the semantic
    branch, whole-image or tiled (``test_cfg`` as
    :class:`BaseGuidedSREstimator`; tiles: both depths de-normalised per
    tile, logits stitched as they are).

    Args:
        scale_factor (int): The SR factor ``s``.
        colour_encoder (dict, optional): Backbone over the image, built from
            ``MODELS``; returns four maps. Defaults to
            ``dict(type='LightConvEncoder', in_channels=3)``.
        depth_encoder (dict, optional): Backbone over the upsampled depth.
            Defaults to ``dict(type='LightConvEncoder', in_channels=1)``.
        colour_channels (Sequence[int], optional): Channels of the colour
            encoder's maps; defaults to its ``out_channels`` attribute.
        depth_channels (Sequence[int], optional): Same for the depth
            encoder.
        fuse_channels (Sequence[int]): Channels of the fused maps at strides
            2, 4, 8, 16. Defaults to (32, 64, 128, 256).
        decoder_channels (Sequence[int]): Widths of the five stages of every
            decoder, coarse to fine. Defaults to (128, 64, 32, 16, 16).
        mde_input (str): ``'fused'`` or ``'colour'``. Defaults to
            ``'fused'``.
        sr_residual (bool): SR heads predict a residual over the bicubic
            upsampling; their weights and biases then start at zero, so
            the untrained model outputs the bicubic upsampling and training
            starts from that baseline. Defaults to True.
        upsample_mode (str): Interpolation of the LR depth to the HR size.
            Defaults to ``'bicubic'``.
        sr_fusion (dict, optional): Unit config ``x = SR, guide = MDE``,
            e.g. ``dict(type='DepthGuidedSRFusion')``; ``channels`` and
            ``guide_channels`` are filled in. None (v2) = off.
        depth_fusion (dict, optional): Unit ``x = MDE, guide = SR``, e.g.
            ``dict(type='SRGuidedDepthFusion')``. Defaults to None.
        num_classes (int, optional): Semantic classes; None = no semantic
            branch.
        sem_to_depth (dict, optional): Unit ``x = MDE, guide = semantic``
            (e.g. ``dict(type='SemanticToDepth')``); needs
            ``num_classes``.
        depth_to_sem (dict, optional): Unit ``x = semantic, guide = MDE``
            (e.g. ``dict(type='DepthToSemantic')``); needs ``num_classes``.
        fusion_stages (Sequence[int]): Decoder stages (0 = 1/16 .. 4 =
            full) that get the units. Defaults to all five.
        loss_sr (dict, optional): SR loss. Defaults to ``L1Loss``.
        loss_depth (dict, optional): MDE loss. Defaults to ``L1Loss``.
        loss_seg (dict, optional): Semantic loss. Defaults to
            ``dict(type='CrossEntropyLoss', ignore_index=255)``.
        sr_loss_weights (Sequence[float]): Per scale, 1/16 .. 1. Defaults
            to (0.125, 0.25, 0.5, 0.5, 1.0) (unknown in the source report;
            chosen so that the full-resolution loss dominates).
        depth_loss_weights (Sequence[float]): Defaults to (0.125, 0.25, 0.5,
            0.5, 1.0).
        seg_loss_weights (Sequence[float]): Defaults to (0.125, 0.25, 0.5,
            0.5, 1.0).
        gt_downsample (str): ``'masked_mean'`` or ``'nearest'`` for the
            depth targets. Defaults to ``'masked_mean'``.
        test_cfg (dict, optional): As :class:`BaseGuidedSREstimator`.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    raw_output_keys = ('seg_logits',)

    def __init__(
        self,
        scale_factor: int,
        colour_encoder: Optional[dict] = None,
        depth_encoder: Optional[dict] = None,
        colour_channels: Optional[Sequence[int]] = None,
        depth_channels: Optional[Sequence[int]] = None,
        fuse_channels: Sequence[int] = (32, 64, 128, 256),
        decoder_channels: Sequence[int] = (128, 64, 32, 16, 16),
        mde_input: str = 'fused',
        sr_residual: bool = True,
        upsample_mode: str = 'bicubic',
        sr_fusion: Optional[dict] = None,
        depth_fusion: Optional[dict] = None,
        num_classes: Optional[int] = None,
        sem_to_depth: Optional[dict] = None,
        depth_to_sem: Optional[dict] = None,
        fusion_stages: Sequence[int] = (0, 1, 2, 3, 4),
        loss_sr: Optional[dict] = None,
        loss_depth: Optional[dict] = None,
        loss_seg: Optional[dict] = None,
        sr_loss_weights: Sequence[float] = (0.125, 0.25, 0.5, 0.5, 1.0),
        depth_loss_weights: Sequence[float] = (0.125, 0.25, 0.5, 0.5, 1.0),
        seg_loss_weights: Sequence[float] = (0.125, 0.25, 0.5, 0.5, 1.0),
        gt_downsample: str = 'masked_mean',
        test_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            scale_factor=scale_factor,
            loss_sr=loss_sr,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        name = type(self).__name__
        if mde_input not in MDE_INPUTS:
            raise ValueError(
                f'{name}: mde_input must be one of {MDE_INPUTS}, got '
                f'{mde_input!r}.'
            )
        if gt_downsample not in GT_DOWNSAMPLE_MODES:
            raise ValueError(
                f'{name}: gt_downsample must be one of '
                f'{GT_DOWNSAMPLE_MODES}, got {gt_downsample!r}.'
            )
        if num_classes is None and (
            sem_to_depth is not None or depth_to_sem is not None
        ):
            raise ValueError(
                f'{name}: sem_to_depth / depth_to_sem need the semantic '
                'branch; set num_classes.'
            )
        if num_classes is not None and (
            not isinstance(num_classes, int) or num_classes < 2
        ):
            raise ValueError(
                f'{name}: num_classes must be an integer >= 2 or None, got '
                f'{num_classes!r}.'
            )
        stages = tuple(sorted(set(int(k) for k in fusion_stages)))
        if any(k not in range(len(DECODER_SCALES)) for k in stages):
            raise ValueError(
                f'{name}: fusion_stages must be in 0..4 (1/16 .. 1), got '
                f'{tuple(fusion_stages)}.'
            )
        self.fusion_stages = stages
        self.mde_input = mde_input
        self.sr_residual = bool(sr_residual)
        self.upsample_mode = upsample_mode
        self.gt_downsample = gt_downsample
        self.num_classes = num_classes
        self.loss_weights = dict(
            sr=_scale_weights(name, 'sr_loss_weights', sr_loss_weights),
            depth=_scale_weights(
                name, 'depth_loss_weights', depth_loss_weights
            ),
            seg=_scale_weights(name, 'seg_loss_weights', seg_loss_weights),
        )

        self.colour_encoder = MODELS.build(
            colour_encoder or dict(type='LightConvEncoder', in_channels=3)
        )
        self.depth_encoder = MODELS.build(
            depth_encoder or dict(type='LightConvEncoder', in_channels=1)
        )
        colour_channels = self._encoder_channels(
            self.colour_encoder, colour_channels, 'colour'
        )
        depth_channels = self._encoder_channels(
            self.depth_encoder, depth_channels, 'depth'
        )
        fuse_channels = tuple(int(c) for c in fuse_channels)
        if len(fuse_channels) != 4 or min(fuse_channels) < 1:
            raise ValueError(
                f'{name}: fuse_channels must be 4 positive integers, got '
                f'{fuse_channels}.'
            )
        self.fusions = nn.ModuleList(
            _ConcatConvFusion(c + d, f)
            for c, d, f in zip(colour_channels, depth_channels, fuse_channels)
        )
        decoder_channels = tuple(decoder_channels)

        def decoder(in_channels, out_channels, zero_init_heads=False):
            return MODELS.build(
                dict(
                    type='ProgressiveDecoder',
                    in_channels=in_channels,
                    channels=decoder_channels,
                    out_channels=out_channels,
                    zero_init_heads=zero_init_heads,
                )
            )

        mde_in = fuse_channels if mde_input == 'fused' else colour_channels
        # residual SR heads start at zero: the untrained model is the
        # bicubic upsampling of the LR depth
        self.sr_decoder = decoder(
            fuse_channels, 1, zero_init_heads=self.sr_residual
        )
        self.depth_decoder = decoder(mde_in, 1)
        self.seg_decoder = None
        if num_classes is not None:
            self.seg_decoder = decoder(fuse_channels, num_classes)
        self.loss_depth = MODELS.build(loss_depth or dict(type='L1Loss'))
        self.loss_seg = (
            None
            if num_classes is None
            else MODELS.build(
                loss_seg or dict(type='CrossEntropyLoss', ignore_index=255)
            )
        )
        self.sr_fusion = self._build_units(sr_fusion, decoder_channels)
        self.depth_fusion = self._build_units(depth_fusion, decoder_channels)
        self.sem_to_depth = self._build_units(sem_to_depth, decoder_channels)
        self.depth_to_sem = self._build_units(depth_to_sem, decoder_channels)

    def _encoder_channels(self, encoder, channels, which) -> Tuple[int, ...]:
        name = type(self).__name__
        if channels is None:
            channels = getattr(encoder, 'out_channels', None)
        if channels is None or len(tuple(channels)) != 4:
            raise ValueError(
                f'{name}: the {which} encoder must return 4 maps; give '
                f'`{which}_channels` (4 channel counts, strides 2 .. 16) or '
                'use a backbone with an `out_channels` attribute, got '
                f'{channels}.'
            )
        return tuple(int(c) for c in channels)

    def _build_units(
        self, cfg: Optional[dict], widths: Sequence[int]
    ) -> Optional[nn.ModuleDict]:
        """One unit per fusion stage; ``x`` and ``guide`` have the stage's
        decoder width."""
        if cfg is None:
            return None
        return nn.ModuleDict(
            {
                f's{DECODER_SCALES[k]}': MODELS.build(
                    dict(cfg, channels=widths[k], guide_channels=widths[k])
                )
                for k in self.fusion_stages
            }
        )

    @property
    def is_v3(self) -> bool:
        """True when any interaction unit is on."""
        return any(
            u is not None
            for u in (
                self.sr_fusion,
                self.depth_fusion,
                self.sem_to_depth,
                self.depth_to_sem,
            )
        )

    def _encode(self, encoder, x: torch.Tensor) -> List[torch.Tensor]:
        feats = list(encoder(x))
        if len(feats) != 4:
            raise ValueError(
                f'{type(self).__name__}: an encoder returned {len(feats)} '
                'maps; expected 4 (strides 2, 4, 8, 16).'
            )
        height, width = x.shape[-2:]
        for i, feat in enumerate(feats):
            size = (height >> (i + 1), width >> (i + 1))
            if tuple(feat.shape[-2:]) != size:
                feats[i] = F.interpolate(
                    feat, size=size, mode='bilinear', align_corners=False
                )
        return feats

    def forward_multiscale(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> Dict[str, List[torch.Tensor]]:
        """All predictions at all five scales.

        Args:
            img (Tensor): ``(N, 3, H, W)`` image, ``H``, ``W`` divisible by
                16.
            lr_depth (Tensor): ``(N, 1, H/s, W/s)`` LR depth (normalised).

        Returns:
            dict[str, list[Tensor]]: ``'sr'`` and ``'depth'`` (five
            ``(N, 1, H / k, W / k)`` maps, ``k = 16, 8, 4, 2, 1``, in the
            units of ``lr_depth``) and, with the semantic branch, ``'seg'``
            (five ``(N, num_classes, H / k, W / k)`` logit maps).

        Raises:
            ValueError: If ``H`` or ``W`` is not divisible by 16.
        """
        name = type(self).__name__
        height, width = img.shape[-2:]
        if height % 16 or width % 16:
            raise ValueError(
                f'{name}: the input size {(height, width)} must be divisible '
                'by 16 (four stride-2 encoder stages); use patches or a '
                'size_divisor that is a multiple of 16.'
            )
        kwargs = {}
        if self.upsample_mode in ('bilinear', 'bicubic'):
            kwargs['align_corners'] = False
        up = F.interpolate(
            lr_depth, size=(height, width), mode=self.upsample_mode, **kwargs
        )
        colour = self._encode(self.colour_encoder, img)
        depth = self._encode(self.depth_encoder, up)
        fused = [f(c, d) for f, c, d in zip(self.fusions, colour, depth)]
        mde_in = fused if self.mde_input == 'fused' else colour
        decoders = dict(sr=(self.sr_decoder, fused))
        decoders['depth'] = (self.depth_decoder, mde_in)
        if self.seg_decoder is not None:
            decoders['seg'] = (self.seg_decoder, fused)
        feats = {task: None for task in decoders}
        outs = {task: [] for task in decoders}
        for k, scale in enumerate(DECODER_SCALES):
            feats = {
                task: dec.forward_stage(k, feats[task], inputs)
                for task, (dec, inputs) in decoders.items()
            }
            if k in self.fusion_stages:
                feats = self._interact(f's{scale}', feats)
            for task, (dec, _) in decoders.items():
                outs[task].append(dec.forward_head(k, feats[task]))
            if self.sr_residual:
                base = F.avg_pool2d(up, scale) if scale > 1 else up
                outs['sr'][-1] = outs['sr'][-1] + base
        return outs

    def _interact(
        self, key: str, feats: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """Apply the units of one stage; every unit reads the features as
        they were before any unit of this stage ran."""
        out = dict(feats)
        if self.sr_fusion is not None:
            out['sr'] = self.sr_fusion[key](feats['sr'], feats['depth'])
        if self.depth_fusion is not None:
            out['depth'] = self.depth_fusion[key](feats['depth'], feats['sr'])
        if self.sem_to_depth is not None:
            out['depth'] = self.sem_to_depth[key](out['depth'], feats['seg'])
        if self.depth_to_sem is not None:
            out['seg'] = self.depth_to_sem[key](feats['seg'], feats['depth'])
        return out

    def forward_sr(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """Full-resolution SR depth ``(N, 1, H, W)`` (units of
        ``lr_depth``)."""
        return self.forward_multiscale(img, lr_depth)['sr'][-1]

    def forward_test(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> Dict[str, torch.Tensor]:
        """Full-resolution outputs: ``'sr_depth'`` and ``'depth'``
        ``(N, 1, H, W)`` in the units of ``lr_depth``, and ``'seg_logits'``
        ``(N, num_classes, H, W)`` with the semantic branch."""
        outs = self.forward_multiscale(img, lr_depth)
        result = dict(sr_depth=outs['sr'][-1], depth=outs['depth'][-1])
        if 'seg' in outs:
            result['seg_logits'] = outs['seg'][-1]
        return result

    def loss(
        self, inputs: torch.Tensor, data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Deep-supervision losses of every branch at every scale.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample]): With ``lr_depth``,
                ``gt_depth`` (metres, 0 = invalid) and, with the semantic
                branch, ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: ``loss_{sr,depth,seg}_s{16,8,4,2,1}`` (scales
            with weight 0 left out).
        """
        name = type(self).__name__
        lr = self.extract_lr_depth(inputs, data_samples)
        outs = self.forward_multiscale(inputs, lr)
        gt = stack_field(data_samples, 'gt_depth').to(inputs)
        if tuple(gt.shape[-2:]) != tuple(inputs.shape[-2:]):
            raise ValueError(
                f'{name}: gt_depth batch {tuple(gt.shape)} does not match '
                f'the input {tuple(inputs.shape)}; training ground truth '
                'must have the image size.'
            )
        gt_seg = None
        if 'seg' in outs:
            gt_seg = stack_field(data_samples, 'gt_sem_seg').to(
                inputs.device, torch.long
            )
        losses = {}
        for k, scale in enumerate(DECODER_SCALES):
            target = None
            for task in _TASKS:
                weight = self.loss_weights[task][k]
                if task not in outs or weight == 0:
                    continue
                pred = outs[task][k]
                if task == 'seg':
                    s0 = scale // 2
                    seg = gt_seg[..., s0::scale, s0::scale]
                    loss = self.loss_seg(pred, seg)
                else:
                    if target is None:
                        target = downsample_depth_gt(
                            gt, scale, self.gt_downsample
                        )
                    pred = denormalize_depth(pred, data_samples)
                    loss_fn = self.loss_sr if task == 'sr' else self.loss_depth
                    loss = loss_fn(pred, target)
                losses[f'loss_{task}_s{scale}'] = weight * loss
        return losses

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Predict ``pred_sr_depth`` and ``pred_depth`` (metres), and
        ``seg_logits`` / ``pred_sem_seg`` with the semantic branch, at each
        sample's ground-truth size.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample]): With ``lr_depth``.

        Returns:
            list[DenseDataSample]: The filled samples.
        """
        outs = self.inference(inputs, data_samples)
        self.postprocess_dense(
            outs['sr_depth'], data_samples, key='pred_sr_depth'
        )
        self.postprocess_dense(outs['depth'], data_samples, key='pred_depth')
        if 'seg_logits' in outs:
            self.postprocess_dense(
                outs['seg_logits'],
                data_samples,
                key='seg_logits',
                gt_key='gt_sem_seg',
            )
            for sample in data_samples:
                sample.pred_sem_seg = PixelData(
                    data=sample.seg_logits.data.argmax(0, keepdim=True)
                )
        return data_samples

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> Dict[str, torch.Tensor]:
        """Raw full-resolution outputs (normalised units), as
        :meth:`forward_test`."""
        lr = self.extract_lr_depth(inputs, data_samples)
        return self.forward_test(inputs, lr)


__all__ = ['GT_DOWNSAMPLE_MODES', 'JointDepthSR', 'downsample_depth_gt']
