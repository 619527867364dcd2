"""Scales 1-3 of the Eigen & Fergus (2015) multi-scale network.

Paper: D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
section 3. Layer details follow the authors' Theano release
(``models/iccv15``). Shapes for a 3 x 228 x 304 input; scale 1 is
:class:`~mmdepthsr.models.heads.EigenScale1Head` (fc layers on the
backbone's pool5 features, upsampled and cropped; layer table in its
module):

==========  ===============================================  ==============
layer       op                                               output
==========  ===============================================  ==============
scale1      EigenScale1Head                                  64 x 55 x 74
conv_s2_1   conv 9x9/2, 96, pad 1 (image); ReLU              96 x 111 x 149
pool_s2_1   max 3x3/2 (floor)                                96 x 55 x 74
concat      [scale-1 features, pooled conv_s2_1]             160 x 55 x 74
(task)      conv_s2_2..5 per task                            C x 55 x 74
conv_s3_1   conv 9x9/2, 64, pad 1 (image); ReLU              64 x 111 x 149
pool_s3_1   max 3x3/1                                        64 x 109 x 147
upsample    scale-2 predictions nearest x2, last row and     sum C x 109 x
            column dropped                                   147
concat      [predictions, pooled conv_s3_1 minus its first   64 x 109 x 147
            sum C channels]
(task)      conv_s3_2..4 per task                            C x 109 x 147
==========  ===============================================  ==============

Output ``j`` of both the 55 x 74 and the 109 x 147 grid is centred on input
row/column ``4 j + 5`` and ``2 j + 5`` respectively (receptive-field centres
of the 9x9/2 conv and the pools), i.e. both cover input rows 5..221 and
columns 5..297.

Scale-2 predictions enter scale 3 in the canonical task order depth,
normal, seg: the release's depth+normals model drops the first 4 pooled
conv_s3_1 channels to keep the concat 64 wide. With many classes the
predictions may not fit in 64 channels; ``s3_concat='append'`` then keeps
all pooled channels (64 + sum C), our generalisation.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule, ModuleDict

from mmdepthsr.registry import MODELS

from ..heads.eigen2015_scale1_head import EigenScale1Head
from ..utils.init_cfg import InitCfg, copy_init_cfg

__all__ = ['EigenMultiScaleDecoder', 'EIGEN_TASK_ORDER']

#: Order of the tasks in the scale-3 concat and in the outputs.
EIGEN_TASK_ORDER = ('depth', 'normal', 'seg')

#: The release's initialisation of the shared first convs of scales 2, 3.
SHARED_CONV_INIT = (
    dict(type='Normal', std=0.001, bias=0.0, override=dict(name='conv_s2_1')),
    dict(type='Normal', std=0.001, bias=0.0, override=dict(name='conv_s3_1')),
)


@MODELS.register_module()
class EigenMultiScaleDecoder(BaseModule):
    """Scale 1 (fully connected head), scale 2 and scale 3 with task heads.

    Args:
        heads (dict[str, dict]): Task name (``'depth'``, ``'normal'``,
            ``'seg'``) to the config of its :class:`EigenTaskHead`
            (``EigenDepthHead``, ``EigenNormalHead``, ``EigenSemSegHead``);
            the decoder fills in their input widths.
        scale1 (dict, optional): Arguments of
            :class:`~mmdepthsr.models.heads.EigenScale1Head`.
        in_channels (int): Image channels of scales 2 and 3. Defaults to 3.
        s2_channels (int): Filters of conv_s2_1. Defaults to 96.
        s3_channels (int): Filters of conv_s3_1. Defaults to 64.
        first_kernel (int): Kernel of conv_s2_1 / conv_s3_1. Defaults to 9.
        first_padding (int): Their padding (cuda-convnet rule for 228 x
            304). Defaults to 1.
        s3_concat (str): ``'replace'`` (release: the scale-2 predictions
            replace the first pooled conv_s3_1 channels) or ``'append'``.
            Defaults to ``'replace'``.
        init_cfg (dict | list[dict], optional): Defaults to the release's
            N(0, 0.001^2) for conv_s2_1 and conv_s3_1, biases 0 (the scale-1
            head and the task heads carry their own).
    """

    def __init__(
        self,
        heads: Dict[str, Dict],
        scale1: Optional[Dict] = None,
        in_channels: int = 3,
        s2_channels: int = 96,
        s3_channels: int = 64,
        first_kernel: int = 9,
        first_padding: int = 1,
        s3_concat: str = 'replace',
        init_cfg: InitCfg = SHARED_CONV_INIT,
    ):
        super().__init__(init_cfg=copy_init_cfg(init_cfg))
        unknown = set(heads) - set(EIGEN_TASK_ORDER)
        if not heads or unknown:
            raise ValueError(
                'EigenMultiScaleDecoder: `heads` must map a non-empty subset '
                f'of {EIGEN_TASK_ORDER} to head configs, got {sorted(heads)}.'
            )
        if s3_concat not in ('replace', 'append'):
            raise ValueError(
                'EigenMultiScaleDecoder: `s3_concat` must be "replace" or '
                f'"append", got "{s3_concat}".'
            )
        self.tasks = tuple(t for t in EIGEN_TASK_ORDER if t in heads)
        self.s3_concat = s3_concat
        self.scale1 = EigenScale1Head(**(scale1 or {}))
        self.conv_s2_1 = nn.Conv2d(
            in_channels,
            s2_channels,
            first_kernel,
            stride=2,
            padding=first_padding,
        )
        self.pool_s2_1 = nn.MaxPool2d(3, stride=2)
        self.conv_s3_1 = nn.Conv2d(
            in_channels,
            s3_channels,
            first_kernel,
            stride=2,
            padding=first_padding,
        )
        self.pool_s3_1 = nn.MaxPool2d(3, stride=1)
        self.relu = nn.ReLU(inplace=True)

        s2_in = self.scale1.out_channels + s2_channels

        def build_heads(s3_in):
            return ModuleDict(
                {
                    t: MODELS.build(
                        dict(
                            heads[t],
                            s2_in_channels=s2_in,
                            s3_in_channels=s3_in,
                        )
                    )
                    for t in self.tasks
                }
            )

        self.heads = build_heads(s3_channels)
        self.pred_channels = sum(h.out_channels for h in self.heads.values())
        if s3_concat == 'append':
            # The task heads are small; rebuild them for the wider concat
            # once the prediction channels are known.
            self.heads = build_heads(s3_channels + self.pred_channels)
        elif self.pred_channels >= s3_channels:
            raise ValueError(
                f'EigenMultiScaleDecoder: the {self.pred_channels} scale-2 '
                'prediction channels do not fit in the '
                f'{s3_channels} conv_s3_1 channels they replace; use '
                "s3_concat='append'."
            )

    def scale_parameters(self, scale: int):
        """Parameters of scale 1 (the fc head), 2 or 3 (shared + task)."""
        if scale == 1:
            return list(self.scale1.parameters())
        shared = self.conv_s2_1 if scale == 2 else self.conv_s3_1
        params = list(shared.parameters())
        for head in self.heads.values():
            params += head.scale_parameters(scale)
        return params

    def forward_scale2(
        self, features: torch.Tensor, img: torch.Tensor
    ) -> Dict[str, torch.Tensor]:
        """Scales 1 and 2.

        Args:
            features (Tensor): ``(N, C, h, w)`` scale-1 backbone features
                (pool5 / conv5).
            img (Tensor): ``(N, 3, H, W)`` image normalised for scales 2-3.

        Returns:
            dict[str, Tensor]: Task to ``(N, C_task, 55, 74)`` prediction.
        """
        s1 = self.scale1(features)
        x = self.pool_s2_1(self.relu(self.conv_s2_1(img)))
        if x.shape[-2:] != s1.shape[-2:]:
            raise ValueError(
                f'EigenMultiScaleDecoder: scale 1 gives a '
                f'{tuple(s1.shape[-2:])} map but conv_s2_1 + pool a '
                f'{tuple(x.shape[-2:])} one for the '
                f'{tuple(img.shape[-2:])} image; adjust the scale-1 '
                '`out_size` / `crop_offset`.'
            )
        x = torch.cat([s1, x], dim=1)
        return {t: self.heads[t].forward_scale2(x) for t in self.tasks}

    def scale3_grid(self, in_hw: Sequence[int]) -> Tuple[int, int]:
        """``(h, w)`` of the whole scale-3 grid for an ``in_hw`` image
        (109 x 147 for 228 x 304)."""
        k = self.conv_s3_1.kernel_size[0]
        p = self.conv_s3_1.padding[0]
        return tuple((int(n) + 2 * p - k) // 2 + 1 - 2 for n in in_hw)

    def scale3_input_window(
        self, crop: Sequence[int]
    ) -> Tuple[int, int, int, int]:
        """Image window that scale 3 maps onto a crop of its output grid.

        Output ``(i, j)`` of the full grid is centred on input pixel
        ``(2 i + 5, 2 j + 5)``; a crop ``(top, left, h, w)`` of the grid
        needs the ``2 h + k + 3 - 2 p`` by ``2 w + k + 3 - 2 p`` input
        window (``k``, ``p``: kernel and padding of conv_s3_1) starting at
        ``(2 top, 2 left)``: 120 x 158 pixels for the release's 55 x 74
        crops.

        Args:
            crop (Sequence[int]): ``(top, left, h, w)`` on the scale-3 grid.

        Returns:
            tuple[int, int, int, int]: ``(top, left, h, w)`` in input pixels.
        """
        top, left, h, w = (int(v) for v in crop)
        k = self.conv_s3_1.kernel_size[0]
        p = self.conv_s3_1.padding[0]
        extra = k + 3 - 2 * p
        return 2 * top, 2 * left, 2 * h + extra, 2 * w + extra

    def forward_scale3(
        self,
        img: torch.Tensor,
        scale2: Dict[str, torch.Tensor],
        crop: Optional[Sequence[int]] = None,
    ) -> Dict[str, torch.Tensor]:
        """Scale 3, on the whole grid or on a crop of it.

        With ``crop=(top, left, h, w)`` (the release's training of scale 3
        on random 55 x 74 crops of its 109 x 147 grid, about 3x faster) the
        x2 scale-2 predictions are cropped to ``[top:top+h, left:left+w]``
        and the image to :meth:`scale3_input_window`, which conv_s3_1 and
        its pool map onto exactly ``h x w`` outputs. The crop's border sees
        zero padding where the whole image has pixels, as in the release.

        Args:
            img (Tensor): ``(N, 3, H, W)`` image normalised for scales 2-3.
            scale2 (dict[str, Tensor]): The scale-2 predictions.
            crop (Sequence[int], optional): ``(top, left, h, w)`` on the
                scale-3 grid. Defaults to None (whole grid).

        Returns:
            dict[str, Tensor]: Task to ``(N, C_task, 109, 147)`` prediction
            (``(N, C_task, h, w)`` with a crop).
        """
        preds = torch.cat([scale2[t] for t in self.tasks], dim=1)
        preds = F.interpolate(preds, scale_factor=2, mode='nearest')
        if crop is not None:
            top, left, h, w = (int(v) for v in crop)
            win = self.scale3_input_window(crop)
            if (
                min(top, left) < 0
                or win[0] + win[2] > img.shape[-2]
                or win[1] + win[3] > img.shape[-1]
            ):
                raise ValueError(
                    f'EigenMultiScaleDecoder: the scale-3 crop {tuple(crop)} '
                    f'needs the input window {win} (top, left, h, w), which '
                    f'leaves the {tuple(img.shape[-2:])} image.'
                )
            img = img[..., win[0] : win[0] + win[2], win[1] : win[1] + win[3]]
            preds = preds[..., top:, left:]
        x = self.pool_s3_1(self.relu(self.conv_s3_1(img)))
        h, w = x.shape[-2:]
        if preds.shape[-2] < h or preds.shape[-1] < w:
            raise ValueError(
                f'EigenMultiScaleDecoder: the x2 scale-2 predictions '
                f'{tuple(preds.shape[-2:])} do not cover the {(h, w)} '
                'scale-3 grid.'
            )
        preds = preds[..., :h, :w]
        if self.s3_concat == 'replace':
            x = x[:, self.pred_channels :]
        x = torch.cat([preds, x], dim=1)
        return {t: self.heads[t].forward_scale3(x) for t in self.tasks}
