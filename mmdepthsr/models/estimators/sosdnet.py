"""SOSD-Net: joint monocular depth estimation and semantic segmentation.

Source: L. He, J. Lu, G. Wang, S. Song, J. Zhou, "SOSD-Net: Joint Semantic
Object Segmentation and Depth Estimation from Monocular images",
arXiv 2101.07422, 2021 (Sec. 3: network; Sec. 4: EM-like training). No
public code exists and only a summary of the paper was available: every
choice below is marked **[V]** (stated by the paper as summarised, or by
DeepLabv3+ for the shared part), **[I]** (our reading or a recommended
default) or **[?]** (not stated; our default). The EM-like alternating
schedule is a training hook, not part of the model
(``configs/_base_/schedules/sosdnet_em_*.py``).

Composition (:class:`SOSDNet` is a configuration of
:class:`MultiTaskEncoderDecoder`), shapes for a 3 x 256 x 512 Cityscapes
input with the defaults (19 classes, output stride 16):

==============  =========================================  ===============
module          what                                       output
==============  =========================================  ===============
backbone        Xception-65 [V]: low-level fp (stride 4)   256 x 64 x 128,
                and the top map                            2048 x 16 x 32
neck.necks.0    ASPP [V]: 1x1, atrous 6/12/18, image       fp, 256 x 16 x
                pooling, 256 each, 1x1 projection          32
neck.necks.1    DeepLabv3+ decoder [V]: fp -> 1x1 48,      common, 256 x
                concat with the upsampled ASPP map, two    64 x 128
                3x3 convs 256: the common representation
decoders.seg    ConvBranchDecoder: refine fp 1x1 48 [V],   F_s, 256 x 64
                one task conv 3x3 48 [?], concat with the  x 128
                upsampled ASPP map, **one** 3x3 conv 256
                [V count, ? width]
decoders.depth  the same with **two** 3x3 convs [V count]  F_d, 256 x 64
                                                           x 128
interactions.   S2D (:class:`SemanticToDepth`): map A      257 x 64 x 128
sem_to_depth    (2 -> 1 ch [V]) from the common
                representation [V], map B from F_s [V],
                BN in both [V, position I], sqrt(A B)
                [V], concat with F_d [V]
interactions.   D2S (:class:`DepthToSemantic`): 64 -> 32   288 x 64 x 128
depth_to_sem    on F_d [V], 64 -> 32 on the common
                representation [V], product [V], 1x1
                conv 32 [V], concat with F_s [V]
heads.depth     :class:`DepthHead`: S2D's last conv 257    1 x 256 x 512
                -> 1 (3x3 [?]), bilinear x4 [V]
heads.seg       :class:`SegHead`: D2S's last conv 288 ->   19 x 256 x 512
                C (3x3 [?]), bilinear x4 [V]
==============  =========================================  ===============

The units run with ``fuse=False`` so that the heads' prediction convs are
the paper's last convs of the units (the paper's S2D / D2S end in the
prediction). Both units read the task features *before* any unit ran: D2S
takes F_d, not the S2D output.

Deviation [I]: the paper refines fp once (its green block) and feeds the
refined map to the common decoder and to both task branches; the
DeepLabv3+ decoder keeps its projection internal, so each task branch
refines fp with its own 1x1 conv (about 12.4 k parameters per task).
"""

from typing import Optional, Sequence

from mmdepthsr.registry import MODELS

from .multi_task_encoder_decoder import MultiTaskEncoderDecoder

#: Which map feeds the size prior of a unit (map A of S2D, the second
#: factor of D2S): the common representation [V: the paper], or the
#: target task's own features [I: the reference notes' reading].
SIZE_PRIOR_SOURCES = ('common', 'task')

#: The tasks of SOSD-Net.
TASKS = ('depth', 'seg')

#: Index of the common representation in the neck's maps (fp, aspp,
#: common).
COMMON_INDEX = 2


@MODELS.register_module()
class SOSDNet(MultiTaskEncoderDecoder):
    """SOSD-Net (He et al., arXiv 2101.07422) as a composition.

    ``tasks`` and ``units`` give the baselines of the paper's comparison
    with the same network: one task alone (``tasks=('depth',)``,
    ``units=False``: backbone, ASPP, the task's branch and head), or both
    tasks without the S2D / D2S units (the branches meet only in the
    backbone and the ASPP). Only the units read the common representation,
    so without them the DeepLabv3+ decoder that makes it is left out.

    Args:
        num_classes (int, optional): Semantic classes (19 Cityscapes, 40 NYU
            v2); required with the ``'seg'`` task.
        tasks (Sequence[str]): ``'depth'`` and / or ``'seg'``. Defaults to
            both.
        units (bool): The S2D and D2S units (both tasks needed). Defaults
            to True.
        backbone (dict, optional): Returns ``(low_level, top)``. Defaults
            to ``dict(type='Xception65', output_stride=16)`` [V backbone,
            I stride].
        aspp (dict, optional): First shared neck; ``in_channels`` filled
            in. Returns ``(low_level, aspp)``. Defaults to
            ``dict(type='ASPP', channels=256, output_stride=16,
            separable=True)`` [V widths; I separable, the DeepLabv3+
            Xception setting].
        common_decoder (dict, optional): Second shared neck, the decoder of
            the common representation; returns ``[common]``. Defaults to
            ``dict(type='DeepLabV3PlusDecoder', channels=256,
            low_level_channels=48, separable=True)`` [V widths; ? separable].
        branch_channels (int): Width of the task-branch convs [?, 256 as
            the common representation]. Defaults to 256.
        branch_kernel_size (int): Their kernel [?]. Defaults to 3.
        refine_channels (int, optional): 1x1 refinement of fp in each
            branch [V 48, DeepLabv3+]. Defaults to 48.
        task_channels (int): Width of the one task conv on the refined fp
            [?]. Defaults to 48.
        task_kernel_size (int): Its kernel [?]. Defaults to 3.
        seg_num_convs (int): Convs of the semantic branch after the concat
            [V]. Defaults to 1.
        depth_num_convs (int): Of the depth branch [V]. Defaults to 2.
        s2d_size_prior (str): Input of S2D map A, ``'common'`` [V] or
            ``'task'`` (F_d; the reference notes' [I] reading). Defaults to
            ``'common'``.
        s2d_map_channels (int): Width of the first conv of maps A and B
            [V 2]. Defaults to 2.
        s2d_map_kernel_size (int): Its kernel [?]. Defaults to 3.
        s2d_norm (bool): BN after that conv, which absorbs the focal length
            [V BN, I position]. Defaults to True.
        d2s_size_prior (str): Input of the D2S size-prior path,
            ``'common'`` (two convs, ``d2s_mid_channels``) [V] or
            ``'task'`` (1x1 projection of F_s to the narrow width; the
            reference notes' [I] reading). Defaults to ``'common'``.
        d2s_mid_channels (tuple[int]): Widths of the D2S conv pairs [V].
            Defaults to (64, 32).
        d2s_kernel_size (int): Their kernel [?]. Defaults to 3.
        pred_kernel_size (int): Kernel of the last conv of S2D / D2S (the
            heads' prediction convs) [?]. Defaults to 3.
        upsample_to_input (bool): Heads upsample their predictions
            bilinearly to the input size before loss and prediction [V].
            Defaults to True.
        loss_depth (dict, optional): Depth loss [?]. Defaults to the masked
            ``L1Loss`` (metres on NYU; depth from disparity on Cityscapes)
            [I].
        loss_seg (dict, optional): Defaults to ``CrossEntropyLoss`` with
            ignore index 255 [I].
        depth_head (dict, optional): Overrides of the depth head config
            (default ``DepthHead``).
        seg_head (dict, optional): Overrides of the semantic head config
            (default ``SegHead``).
        balancer (dict, optional): Loss balancer (``BALANCERS``) over
            ``depth`` and ``seg``; None sums the losses (the paper).
        size_divisor (int): Input sizes must be divisible by it (the output
            stride). Defaults to 16.
        test_cfg (dict, optional): As :class:`MultiTaskEncoderDecoder`.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        num_classes: Optional[int] = None,
        tasks: Sequence[str] = ('depth', 'seg'),
        units: bool = True,
        backbone: Optional[dict] = None,
        aspp: Optional[dict] = None,
        common_decoder: Optional[dict] = None,
        branch_channels: int = 256,
        branch_kernel_size: int = 3,
        refine_channels: Optional[int] = 48,
        task_channels: int = 48,
        task_kernel_size: int = 3,
        seg_num_convs: int = 1,
        depth_num_convs: int = 2,
        s2d_size_prior: str = 'common',
        s2d_map_channels: int = 2,
        s2d_map_kernel_size: int = 3,
        s2d_norm: bool = True,
        d2s_size_prior: str = 'common',
        d2s_mid_channels=(64, 32),
        d2s_kernel_size: int = 3,
        pred_kernel_size: int = 3,
        upsample_to_input: bool = True,
        loss_depth: Optional[dict] = None,
        loss_seg: Optional[dict] = None,
        depth_head: Optional[dict] = None,
        seg_head: Optional[dict] = None,
        balancer: Optional[dict] = None,
        size_divisor: int = 16,
        test_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        name = type(self).__name__
        tasks = tuple(tasks)
        if (
            not tasks
            or not set(tasks) <= set(TASKS)
            or len(set(tasks)) != len(tasks)
        ):
            raise ValueError(
                f'{name}: tasks must be distinct entries of {TASKS}, got '
                f'{tasks}.'
            )
        if 'seg' in tasks and num_classes is None:
            raise ValueError(f'{name}: the "seg" task needs num_classes.')
        if units and len(tasks) < 2:
            raise ValueError(
                f'{name}: the S2D / D2S units link both tasks; a single-task '
                'model needs units=False.'
            )
        for arg, value in (
            ('s2d_size_prior', s2d_size_prior),
            ('d2s_size_prior', d2s_size_prior),
        ):
            if value not in SIZE_PRIOR_SOURCES:
                raise ValueError(
                    f'{name}: {arg} must be one of {SIZE_PRIOR_SOURCES}, got '
                    f'{value!r}.'
                )
        aspp = aspp or dict(
            type='ASPP', channels=256, output_stride=16, separable=True
        )
        neck = dict(
            type='SequentialNeck',
            necks=[
                aspp,
                common_decoder
                or dict(
                    type='DeepLabV3PlusDecoder',
                    channels=256,
                    low_level_channels=48,
                    separable=True,
                ),
            ],
            # (fp, aspp) of the ASPP, then the common representation.
            out_indices=(0, 1, COMMON_INDEX),
        )
        branch = dict(
            type='ConvBranchDecoder',
            channels=branch_channels,
            kernel_size=branch_kernel_size,
            low_level_index=0,
            global_index=1,
            refine_channels=refine_channels,
            task_channels=task_channels,
            task_kernel_size=task_kernel_size,
        )
        common = dict(context='neck', context_index=COMMON_INDEX)
        s2d = dict(
            type='SemanticToDepth',
            name='sem_to_depth',
            target='depth',
            guide='seg',
            map_channels=s2d_map_channels,
            map_kernel_size=s2d_map_kernel_size,
            norm=s2d_norm,
            fuse=False,
        )
        d2s = dict(
            type='DepthToSemantic',
            name='depth_to_sem',
            target='seg',
            guide='depth',
            mid_channels=tuple(d2s_mid_channels),
            kernel_size=d2s_kernel_size,
            fuse=False,
        )
        if s2d_size_prior == 'common':
            s2d.update(common)
        if d2s_size_prior == 'common':
            d2s.update(common)
        head = dict(
            kernel_size=pred_kernel_size, upsample_to_input=upsample_to_input
        )
        heads = dict(
            depth=dict(
                head,
                type='DepthHead',
                loss_decode=loss_depth or dict(type='L1Loss'),
            ),
            seg=dict(
                head,
                type='SegHead',
                num_classes=num_classes,
                loss_decode=loss_seg
                or dict(type='CrossEntropyLoss', ignore_index=255),
            ),
        )
        heads['depth'].update(depth_head or {})
        heads['seg'].update(seg_head or {})
        decoders = dict(
            depth=dict(branch, num_convs=depth_num_convs),
            seg=dict(branch, num_convs=seg_num_convs),
        )
        super().__init__(
            backbone=backbone or dict(type='Xception65', output_stride=16),
            # only the units read the common representation: without them
            # the shared part ends at the ASPP
            neck=neck if units else aspp,
            decoders={task: decoders[task] for task in tasks},
            heads={task: heads[task] for task in tasks},
            interactions=[s2d, d2s] if units else [],
            balancer=balancer,
            size_divisor=size_divisor,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.num_classes = num_classes
        self.units = bool(units)
        self.s2d_size_prior = s2d_size_prior
        self.d2s_size_prior = d2s_size_prior


__all__ = ['SIZE_PRIOR_SOURCES', 'SOSDNet']
