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

:class:`JointDepthSR` is a thin subclass of :class:`MultiTaskEncoderDecoder`
that turns the v2 / v3 arguments into the composition (``LightConvEncoder``
backbones, :class:`ConcatFusionNeck`, one :class:`ProgressiveDecoder` per
task, the interaction units, :class:`SRHead` / :class:`DepthHead` /
:class:`SegHead`) and loads checkpoints written before that composition
existed (:meth:`JointDepthSR.legacy_key_map`).
"""

from typing import Optional, Sequence, Tuple

from mmdepthsr.registry import MODELS

from ..backbones.light_conv_encoder import ENCODER_STRIDES
from ..decoders.progressive_decoder import DECODER_SCALES
from .multi_task_encoder_decoder import MultiTaskEncoderDecoder

MDE_INPUTS = ('fused', 'colour')


@MODELS.register_module()
class JointDepthSR(MultiTaskEncoderDecoder):
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

    Composition (attributes): ``backbone`` (colour encoder), ``lr_encoder``
    (depth encoder), ``neck`` (:class:`ConcatFusionNeck`), ``decoders`` and
    ``heads`` keyed by task (``'sr'``, ``'depth'``, ``'seg'``: SRHead,
    DepthHead, SegHead with the per-scale prediction convs), and
    ``interactions`` keyed by unit name (``sr_fusion``, ``depth_fusion``,
    ``sem_to_depth``, ``depth_to_sem``), each a ``ModuleDict`` over the
    scales ``s16`` .. ``s1`` of its stages.

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
        balancer (dict, optional): Loss balancer (``BALANCERS``) over the
            tasks ``sr``, ``depth`` (and ``seg``). None sums the losses.
        test_cfg (dict, optional): As :class:`BaseGuidedSREstimator`.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    #: Interaction arguments in application order: (name, target, guide).
    UNITS = (
        ('sr_fusion', 'sr', 'depth'),
        ('depth_fusion', 'depth', 'sr'),
        ('sem_to_depth', 'depth', 'seg'),
        ('depth_to_sem', 'seg', 'depth'),
    )

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
        balancer: Optional[dict] = None,
        test_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        name = type(self).__name__
        if mde_input not in MDE_INPUTS:
            raise ValueError(
                f'{name}: mde_input must be one of {MDE_INPUTS}, got '
                f'{mde_input!r}.'
            )
        if num_classes is None and (
            sem_to_depth is not None or depth_to_sem is not None
        ):
            raise ValueError(
                f'{name}: sem_to_depth / depth_to_sem need the semantic '
                'branch; set num_classes.'
            )
        num_scales = len(DECODER_SCALES)
        for arg, weights in (
            ('sr_loss_weights', sr_loss_weights),
            ('depth_loss_weights', depth_loss_weights),
            ('seg_loss_weights', seg_loss_weights),
        ):
            if len(tuple(weights)) != num_scales:
                raise ValueError(
                    f'{name}: `{arg}` must be {num_scales} non-negative '
                    'weights (scales 1/16, 1/8, 1/4, 1/2, 1), got '
                    f'{tuple(weights)}.'
                )
        fuse_channels = tuple(int(c) for c in fuse_channels)
        if (
            len(fuse_channels) != len(ENCODER_STRIDES)
            or min(fuse_channels) < 1
        ):
            raise ValueError(
                f'{name}: fuse_channels must be 4 positive integers, got '
                f'{fuse_channels}.'
            )
        stages = tuple(sorted({int(k) for k in fusion_stages}))
        if any(k not in range(num_scales) for k in stages):
            raise ValueError(
                f'{name}: fusion_stages must be in 0..4 (1/16 .. 1), got '
                f'{tuple(fusion_stages)}.'
            )
        neck = dict(type='ConcatFusionNeck', out_channels=fuse_channels)
        if colour_channels is not None:
            neck['in_channels'] = tuple(colour_channels)
        if depth_channels is not None:
            neck['guide_channels'] = tuple(depth_channels)
        decoder = dict(
            type='ProgressiveDecoder', channels=tuple(decoder_channels)
        )
        depth_head = dict(gt_downsample=gt_downsample)
        heads = dict(
            sr=dict(
                depth_head,
                type='SRHead',
                residual=sr_residual,
                loss_decode=loss_sr or dict(type='L1Loss'),
                loss_weights=tuple(sr_loss_weights),
            ),
            depth=dict(
                depth_head,
                type='DepthHead',
                loss_decode=loss_depth or dict(type='L1Loss'),
                loss_weights=tuple(depth_loss_weights),
            ),
        )
        decoders = dict(sr=decoder, depth=decoder)
        if num_classes is not None:
            heads['seg'] = dict(
                type='SegHead',
                num_classes=num_classes,
                loss_decode=loss_seg
                or dict(type='CrossEntropyLoss', ignore_index=255),
                loss_weights=tuple(seg_loss_weights),
            )
            decoders['seg'] = decoder
        units = dict(
            sr_fusion=sr_fusion,
            depth_fusion=depth_fusion,
            sem_to_depth=sem_to_depth,
            depth_to_sem=depth_to_sem,
        )
        interactions = [
            dict(
                units[unit],
                name=unit,
                target=target,
                guide=guide,
                stages=stages,
            )
            for unit, target, guide in self.UNITS
            if units[unit] is not None
        ]
        super().__init__(
            backbone=colour_encoder
            or dict(type='LightConvEncoder', in_channels=3),
            lr_encoder=depth_encoder
            or dict(type='LightConvEncoder', in_channels=1),
            neck=neck,
            decoders=decoders,
            decoder_inputs=dict(
                depth='neck' if mde_input == 'fused' else 'backbone'
            ),
            heads=heads,
            interactions=interactions,
            balancer=balancer,
            scale_factor=scale_factor,
            lr_upsample_mode=upsample_mode,
            feature_strides=ENCODER_STRIDES,
            size_divisor=DECODER_SCALES[0],
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.mde_input = mde_input
        self.num_classes = num_classes
        self.fusion_stages = stages

    @property
    def is_v3(self) -> bool:
        """True when any interaction unit is on."""
        return len(self.interactions) > 0

    @classmethod
    def legacy_key_map(cls) -> Tuple[Tuple[str, str], ...]:
        """``(old prefix, new prefix)`` pairs from the state-dict layout of
        the self-contained JointDepthSR (before the composable estimator)
        to this one; per-stage prediction convs moved from the decoders to
        the heads."""
        pairs = [
            ('colour_encoder.', 'backbone.'),
            ('depth_encoder.', 'lr_encoder.'),
            ('fusions.', 'neck.fusions.'),
        ]
        for task in ('sr', 'depth', 'seg'):
            pairs.append(
                (f'{task}_decoder.heads.', f'heads.{task}.pred_convs.')
            )
            pairs.append((f'{task}_decoder.', f'decoders.{task}.'))
        for unit, _, _ in cls.UNITS:
            pairs.append((f'{unit}.', f'interactions.{unit}.'))
        return tuple(pairs)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Rename the keys of a checkpoint in the old layout, then load."""
        legacy = prefix + 'colour_encoder.'
        if any(key.startswith(legacy) for key in state_dict):
            for key in list(state_dict):
                if not key.startswith(prefix):
                    continue
                rest = key[len(prefix) :]
                for old, new in self.legacy_key_map():
                    if rest.startswith(old):
                        state_dict[prefix + new + rest[len(old) :]] = (
                            state_dict.pop(key)
                        )
                        break
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


__all__ = ['JointDepthSR']
