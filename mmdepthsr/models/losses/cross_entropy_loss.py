"""Per-pixel softmax cross-entropy for semantic segmentation.

The semantic loss of Eigen & Fergus (ICCV 2015, section 3.2),
``L = -1/n sum_i sum_c C*_ic log C_ic`` with one-hot ``C*``, averaged over
the ``n`` labelled pixels; pixels labelled ``ignore_index`` (255, unlabelled)
are left out.
"""

from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdepthsr.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Pixel-wise cross-entropy over the non-ignored pixels.

    ``loss = loss_weight * sum_i w_{y_i} (-log softmax(x_i)_{y_i}) / n``
    where ``n`` is the number of pixels whose label is not ``ignore_index``
    (pooled over the batch) and ``w`` the optional class weights (all 1 by
    default). Note that with class weights the divisor stays ``n``, unlike
    ``torch.nn.functional.cross_entropy`` whose mean divides by the sum of
    the weights of the labelled pixels.

    Args:
        class_weight (Sequence[float], optional): One weight per class.
            Defaults to None (uniform).
        ignore_index (int): Label of unlabelled pixels. Defaults to 255.
        loss_weight (float): Factor of the loss. Defaults to 1.0.
    """

    def __init__(
        self,
        class_weight: Optional[Sequence[float]] = None,
        ignore_index: int = 255,
        loss_weight: float = 1.0,
    ):
        super().__init__()
        if class_weight is not None:
            class_weight = torch.as_tensor(class_weight, dtype=torch.float32)
            if class_weight.dim() != 1 or (class_weight < 0).any():
                raise ValueError(
                    'CrossEntropyLoss: `class_weight` must be a flat '
                    'sequence of non-negative numbers, got '
                    f'{class_weight.tolist()}.'
                )
            self.register_buffer('class_weight', class_weight)
        else:
            self.class_weight = None
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): ``(N, C, H, W)`` logits.
            target (Tensor): ``(N, H, W)`` or ``(N, 1, H, W)`` integer class
                ids, ``ignore_index`` = unlabelled.

        Returns:
            Tensor: Scalar loss (times ``loss_weight``).

        Raises:
            ValueError: On mismatched shapes, a label outside
                ``[0, C)`` other than ``ignore_index``, a class weight count
                different from ``C``, or a batch without labelled pixels.
        """
        if target.dim() == 4 and target.shape[1] == 1:
            target = target[:, 0]
        if pred.dim() != 4 or target.shape != (
            pred.shape[0],
            *pred.shape[2:],
        ):
            raise ValueError(
                'CrossEntropyLoss: expected (N, C, H, W) logits and (N, H, '
                f'W) or (N, 1, H, W) labels, got {tuple(pred.shape)} and '
                f'{tuple(target.shape)}.'
            )
        num_classes = pred.shape[1]
        if self.class_weight is not None and (
            len(self.class_weight) != num_classes
        ):
            raise ValueError(
                f'CrossEntropyLoss: {len(self.class_weight)} class weights '
                f'for {num_classes} classes.'
            )
        target = target.long()
        labelled = target != self.ignore_index
        bad = labelled & ((target < 0) | (target >= num_classes))
        if bad.any():
            raise ValueError(
                'CrossEntropyLoss: labels must lie in [0, '
                f'{num_classes}) or equal ignore_index '
                f'{self.ignore_index}; found '
                f'{sorted(set(target[bad].unique().tolist()))}.'
            )
        n = labelled.sum()
        if n == 0:
            raise ValueError(
                'CrossEntropyLoss: every pixel of the batch of '
                f'{len(target)} images is ignore_index {self.ignore_index};'
                ' check the label loading and the crop.'
            )
        safe = torch.where(labelled, target, 0)
        nll = -torch.gather(
            F.log_softmax(pred, dim=1), 1, safe.unsqueeze(1)
        ).squeeze(1)
        if self.class_weight is not None:
            nll = nll * self.class_weight.to(nll)[safe]
        nll = torch.where(labelled, nll, 0.0)
        return self.loss_weight * nll.sum() / n


__all__ = ['CrossEntropyLoss']
