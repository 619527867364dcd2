"""v1: a guided depth SR network and a monocular depth network side by
side, coupled only through their losses.

The two networks keep their own architecture and input normalisation
(PMBANet, Ye et al., IEEE TIP 2020, with its colour-guided branch; CLIFFNet,
Wang et al., ECCV 2020): nothing is shared between them, and they interact
only through the training objective

``L = w_rec * L_rec(SR, GT) + w_est * L_est(MDE, GT)
+ w_cons * L_cons(SR, MDE)``

where ``L_rec`` is the SR network's reconstruction loss, ``L_est`` the MDE
network's own ``loss_decode`` (pixel L1, plus the hierarchical embedding
loss when configured) and ``L_cons`` a :class:`DepthConsistencyLoss` between
the two predictions. All three are computed in metres, after the outputs
are de-normalised.

Depth units: with the grid-patch protocol each patch's depths are divided
by a per-patch statistic (``NormalizeDepth``); both networks then predict
in those units and both outputs are multiplied back by the recorded
statistic. The MDE output is thus scaled by a number taken from the LR
depth input: on such data it is not a purely monocular prediction, but the
monocular branch of a joint model (say so when reporting it).
"""

from typing import Dict, Optional

import torch

from mmdepthsr.registry import MODELS
from mmdepthsr.structures.depth_norm import denormalize_depth

from ..utils import stack_field
from .base import SampleList
from .base_sr import BaseGuidedSREstimator

__all__ = ['CoupledDepthSR']


@MODELS.register_module()
class CoupledDepthSR(BaseGuidedSREstimator):
    """Loss-coupled joint depth SR + monocular depth model (v1).

    Args:
        sr_model (dict): Config of a guided DSR estimator with
            ``forward_sr(img, lr_depth)`` (e.g. ``PMBANet``); its
            ``scale_factor`` must equal this model's, its ``loss_sr`` is the
            reconstruction loss.
        mde_model (dict): Config of a monocular estimator with
            ``forward_depth(img)`` and ``loss_decode`` modules (e.g.
            ``CLIFFNet``).
        scale_factor (int): The SR factor.
        consistency_loss (dict, optional): Config of the consistency loss
            between the two outputs. Defaults to
            ``dict(type='DepthConsistencyLoss')`` (L1, both ways).
        loss_weights (dict, optional): ``rec``, ``est``, ``cons`` weights.
            Defaults to ``dict(rec=1.0, est=1.0, cons=0.1)`` (our choice;
            the source report gives no values).
        test_cfg (dict, optional): As :class:`BaseGuidedSREstimator` (tiled
            inference runs both networks on each tile).
        data_preprocessor (dict, optional): Must leave the images as raw
            ``0..255`` RGB (``mean=None``): each network applies the
            normalisation of its own ``data_preprocessor`` config.
        init_cfg (dict, optional): Initialisation config.

    The sub-models' ``data_preprocessor`` configs only describe their input
    normalisation: each network gets the raw batch mapped by its own
    :meth:`DenseDataPreprocessor.normalize`; their padding settings are
    unused.
    """

    def __init__(
        self,
        sr_model: Dict,
        mde_model: Dict,
        scale_factor: int,
        consistency_loss: Optional[Dict] = None,
        loss_weights: Optional[Dict] = None,
        test_cfg: Optional[Dict] = None,
        data_preprocessor: Optional[Dict] = None,
        init_cfg: Optional[Dict] = None,
    ):
        if data_preprocessor is None:
            data_preprocessor = dict(type='DenseDataPreprocessor')
        super().__init__(
            scale_factor=scale_factor,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        if self.data_preprocessor.enable_normalize:
            raise ValueError(
                'CoupledDepthSR: the data preprocessor must not normalise '
                '(mean=None); each network normalises the raw image with '
                'its own data_preprocessor settings.'
            )
        self.sr_model = MODELS.build(sr_model)
        self.mde_model = MODELS.build(mde_model)
        for attr, model in (
            ('forward_sr', self.sr_model),
            ('forward_depth', self.mde_model),
        ):
            if not hasattr(model, attr):
                raise TypeError(
                    f'CoupledDepthSR: {type(model).__name__} has no `{attr}`.'
                )
        if self.sr_model.scale_factor != self.scale_factor:
            raise ValueError(
                f'CoupledDepthSR: sr_model has scale_factor '
                f'{self.sr_model.scale_factor}, the model {scale_factor}.'
            )
        self.loss_consistency = MODELS.build(
            consistency_loss or dict(type='DepthConsistencyLoss')
        )
        weights = dict(rec=1.0, est=1.0, cons=0.1)
        unknown = set(loss_weights or {}) - set(weights)
        if unknown:
            raise KeyError(
                f'CoupledDepthSR: unknown loss_weights {sorted(unknown)}; '
                f'allowed: {sorted(weights)}.'
            )
        weights.update(loss_weights or {})
        self.loss_weights = weights

    def forward_sr(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """SR depth from the raw image and the LR depth (``lr_depth``
        units)."""
        sr_img = self.sr_model.data_preprocessor.normalize(img)
        return self.sr_model.forward_sr(sr_img, lr_depth)

    def forward_mde(self, img: torch.Tensor) -> torch.Tensor:
        """Monocular depth from the raw image (units of the targets the
        model is trained on)."""
        mde_img = self.mde_model.data_preprocessor.normalize(img)
        return self.mde_model.forward_depth(mde_img)

    def forward_test(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> Dict[str, torch.Tensor]:
        """Both outputs, ``sr`` and ``depth``, in ``lr_depth`` units."""
        return dict(
            sr=self.forward_sr(img, lr_depth), depth=self.forward_mde(img)
        )

    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """Reconstruction, estimation and consistency losses in metres.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` raw images.
            data_samples (list[DenseDataSample]): With ``lr_depth`` and
                ``gt_depth``.

        Returns:
            dict[str, Tensor]: ``loss_sr``, ``loss_mde_<name>`` per loss of
            the MDE network, ``loss_consistency``.
        """
        lr = self.extract_lr_depth(inputs, data_samples)
        outs = self._check_output(self.forward_test(inputs, lr), inputs)
        sr = denormalize_depth(outs['sr'], data_samples)
        mde = denormalize_depth(outs['depth'], data_samples)
        gt = stack_field(data_samples, 'gt_depth').to(sr)
        if gt.shape != sr.shape:
            raise ValueError(
                f'CoupledDepthSR: gt_depth batch {tuple(gt.shape)} does not '
                f'match the outputs {tuple(sr.shape)}.'
            )
        w = self.loss_weights
        losses = dict(loss_sr=w['rec'] * self.sr_model.loss_sr(sr, gt))
        for name, loss in zip(
            self.mde_model.loss_names, self.mde_model.loss_decode
        ):
            key = 'loss_mde_' + name[len('loss_') :]
            losses[key] = w['est'] * loss(mde, gt)
        losses['loss_consistency'] = w['cons'] * self.loss_consistency(sr, mde)
        return losses

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """``pred_sr_depth`` and ``pred_depth`` (metres) at the GT size."""
        outs = self.inference(inputs, data_samples)
        self.postprocess_dense(outs['sr'], data_samples, key='pred_sr_depth')
        return self.postprocess_dense(
            outs['depth'], data_samples, key='pred_depth'
        )
