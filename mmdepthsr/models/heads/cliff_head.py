"""The depth head of CLIFFNet (Wang, Zhang, Wang, Lu, Ruan, "CLIFFNet for
Monocular Depth Estimation with Hierarchical Embedding Loss", ECCV 2020;
scott89/CLIFFNet ``network/net.py``): the last conv of the release's
prediction head, bilinear upsampling to the input size, and the sum of the
pixel L1 and (for the paper's full objective) the hierarchical embedding
loss."""

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmdepthsr.registry import MODELS
from mmdepthsr.structures.depth_norm import denormalize_depth

from ..utils import InitCfg, resize, stack_field
from .base_dense_head import SampleList
from .depth_head import DepthHead

__all__ = ['CLIFFHead']


@MODELS.register_module()
class CLIFFHead(DepthHead):
    """CLIFFNet's depth prediction and losses.

    ``pred = up(conv3x3(feats[0]))`` (``(N, 1, H, W)``: the stride-4 map
    upsampled bilinearly to ``out_size``, the network input), in the units
    of the targets (metres; normalised units with the grid-patch protocol,
    de-normalised like :class:`DepthHead`). Losses: every module of
    ``loss_decode`` is called as ``loss(pred, gt_depth)`` in metres, the
    prediction resized to the ground truth's size when they differ, times
    ``loss_weight``.

    Loss keys: ``loss_depth_<detail>``, with ``<detail>`` the loss's
    ``loss_name`` without its ``loss_`` prefix when it has one (``heg`` for
    :class:`HierarchicalEmbeddingLoss`), else its class name in lower case
    without ``loss`` (``l1``), prefixed by its index when there are several
    (``loss_depth_0_l1``).

    Args:
        in_channels (int): Channels of the input map. Defaults to 256.
        loss_decode (dict | Sequence[dict], optional): Loss config(s),
            summed. Defaults to ``[dict(type='L1Loss')]`` (masked over
            ``gt > 0``).
        loss_weight (float): Factor of every loss. Defaults to 1.0.
        align_corners (bool): Of the bilinear resizes. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.

    Examples:
        >>> head = CLIFFHead(8)
        >>> head([torch.zeros(1, 8, 4, 5)], out_size=(15, 19))[0].shape
        torch.Size([1, 1, 15, 19])
    """

    def __init__(
        self,
        in_channels: int = 256,
        loss_decode: Optional[Union[dict, Sequence[dict]]] = None,
        loss_weight: float = 1.0,
        align_corners: bool = False,
        init_cfg: InitCfg = None,
    ):
        if loss_decode is None:
            loss_decode = [dict(type='L1Loss')]
        elif isinstance(loss_decode, dict):
            loss_decode = [loss_decode]
        if not loss_decode:
            raise ValueError('CLIFFHead: `loss_decode` must not be empty.')
        super().__init__(
            in_channels=in_channels,
            loss_decode=loss_decode[0],
            loss_weights=loss_weight,
            init_cfg=init_cfg,
        )
        self.loss_decode = nn.ModuleList(
            [self.loss_decode, *(MODELS.build(c) for c in loss_decode[1:])]
        )
        self.loss_names = self._loss_names(self.loss_decode)
        self.align_corners = align_corners

    @staticmethod
    def _loss_names(losses: nn.ModuleList) -> Tuple[str, ...]:
        names = []
        for i, loss in enumerate(losses):
            detail = getattr(loss, 'loss_name', None)
            if detail is None:
                detail = type(loss).__name__.lower().replace('loss', '')
                if len(losses) > 1:
                    detail = f'{i}_{detail}'
            elif detail.startswith('loss_'):
                detail = detail[len('loss_') :]
            names.append(f'loss_depth_{detail}')
        if len(set(names)) != len(names):
            raise ValueError(
                f'CLIFFHead: the losses would be logged under duplicate names '
                f'{names}; give them distinct `loss_name`s.'
            )
        return tuple(names)

    def forward(
        self,
        feats: Sequence[torch.Tensor],
        out_size: Optional[Tuple[int, int]] = None,
        **kwargs,
    ) -> List[torch.Tensor]:
        """The depth map.

        Args:
            feats (Sequence[Tensor]): One ``(N, in_channels, h, w)`` map.
            out_size (tuple[int, int], optional): ``(H, W)`` to upsample
                to (the network input). Defaults to None (``(h, w)``).

        Returns:
            list[Tensor]: One ``(N, 1, H, W)`` prediction.
        """
        (pred,) = super().forward(feats)
        if out_size is not None:
            pred = resize(
                pred,
                out_size,
                mode='bilinear',
                align_corners=self.align_corners,
            )
        return [pred]

    def loss_by_feat(
        self, preds: Sequence[torch.Tensor], data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """The losses in metres, one key per ``loss_decode`` module.

        Args:
            preds (Sequence[Tensor]): ``[(N, 1, H, W)]`` from
                :meth:`forward`.
            data_samples (list[DenseDataSample]): With ``gt_depth`` (any
                size; 0 = invalid).

        Returns:
            dict[str, Tensor]: ``loss_depth_<detail>`` per loss.
        """
        pred = denormalize_depth(preds[-1], data_samples)
        gt = stack_field(data_samples, self.gt_key).to(pred)
        pred = resize(
            pred,
            gt.shape[-2:],
            mode='bilinear',
            align_corners=self.align_corners,
        )
        weight = self.loss_weights[0]
        return {
            name: weight * loss(pred, gt)
            for name, loss in zip(self.loss_names, self.loss_decode)
        }
