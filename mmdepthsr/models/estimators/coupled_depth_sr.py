"""v1: a guided depth SR network and a monocular depth network side by
side, coupled only through their losses.

The two networks keep their own architecture and input normalisation
(PMBANet, Ye et al., IEEE TIP 2020, with its colour-guided branch; CLIFFNet,
Wang et al., ECCV 2020): nothing is shared between them, and they interact
only through the training objective

``L = w_rec * L_rec(SR, GT) + w_est * L_est(MDE, GT)
+ w_cons * L_cons(SR, MDE)``

where ``L_rec`` is the SR head's reconstruction loss, ``L_est`` the depth
head's losses (pixel L1, plus the hierarchical embedding loss when
configured) and ``L_cons`` a :class:`DepthConsistencyLoss` between the two
predictions. All three are computed in metres, after the outputs are
de-normalised.

The model composes modules, as the two single-task estimators do:

- SR branch: ``decoders['sr']`` (:class:`PMBADecoder`, image and LR depth
  to HR features) and ``heads['sr']`` (:class:`SRHead` without residual:
  PMBANet's output conv and ``L_rec``);
- depth branch: ``backbone`` (ResNet) -> ``neck`` (FPN) ->
  ``decoders['depth']`` (:class:`CLIFFDecoder`) -> ``heads['depth']``
  (:class:`CLIFFHead`: the output conv, upsampling and ``L_est``);
- ``loss_consistency``.

Loss keys: ``loss_sr``, ``loss_depth_<detail>`` of the depth head
(``loss_depth_l1``, ``loss_depth_heg``) and ``loss_depth_consistency``. The
consistency term is grouped under ``depth`` because the monocular branch is
the one it is meant to teach: the SR branch sees the LR depth and is held
to the ground truth by its reconstruction loss, while the monocular branch
gains a dense, label-free target from it; a loss balancer then weighs it
with the depth losses.

Image normalisation: PMBANet reads RGB / 255, CLIFFNet BGR minus the
Caffe mean. ``branch_norm`` gives each branch its statistics; the branch
input is the preprocessor output brought back to 0-255 and normalised
again (:meth:`DenseDataPreprocessor.renormalize`), so the data
preprocessor may normalise or not.

Depth units: with the grid-patch protocol each patch's depths are divided
by a per-patch statistic (``NormalizeDepth``); both networks then predict
in those units and both outputs are multiplied back by the recorded
statistic. The MDE output is thus scaled by a number taken from the LR
depth input: on such data it is not a purely monocular prediction, but the
monocular branch of a joint model (say so when reporting it).
"""

from typing import Dict, Optional, Tuple

import torch
from mmengine.model import ModuleDict

from mmdepthsr.registry import MODELS
from mmdepthsr.structures.depth_norm import denormalize_depth

from ..decoders.pmba_decoder import PMBA_INIT
from ..utils import rename_legacy_keys
from .base import SampleList
from .base_sr import BaseGuidedSREstimator
from .cliffnet import CLIFFNet
from .pmbanet import PMBANet

__all__ = ['CoupledDepthSR']

#: The branches, by task.
BRANCHES = ('sr', 'depth')
_NORM_KEYS = ('type', 'mean', 'std', 'bgr_to_rgb')


@MODELS.register_module()
class CoupledDepthSR(BaseGuidedSREstimator):
    """Loss-coupled joint depth SR + monocular depth model (v1).

    Args:
        scale_factor (int): The SR factor.
        sr_decoder (dict): Config of the SR network up to its HR features,
            e.g. ``dict(type='PMBADecoder')``; ``scale_factor`` is filled
            in (and must match when given).
        backbone (dict): Image encoder of the depth branch (e.g. ResNet).
        neck (dict): Pyramid of the depth branch (e.g. FPN).
        depth_decoder (dict): Decoder of the depth branch, e.g.
            ``dict(type='CLIFFDecoder')``.
        sr_head (dict, optional): SR head; ``in_channels`` comes from the
            SR decoder. Defaults to ``dict(type='SRHead', residual=False,
            init_cfg=PMBA_INIT)`` (PMBANet's output conv, L1 loss).
        depth_head (dict, optional): Depth head with ``out_size``; its
            ``in_channels`` comes from the depth decoder. Defaults to
            ``dict(type='CLIFFHead')`` (pixel L1).
        branch_norm (dict, optional): ``{'sr' | 'depth': dict(mean, std,
            bgr_to_rgb=False)}``: the image normalisation of each branch,
            as a :class:`DenseDataPreprocessor` would apply it to the
            preprocessor's 0-255 image (channel swap first, then ``(x -
            mean) / std``); a ``DenseDataPreprocessor`` config without
            padding arguments is accepted as it is (e.g. CLIFFNet's). A
            branch without an entry reads the preprocessor output as it
            is.
        consistency_loss (dict, optional): Config of the consistency loss
            between the two outputs. Defaults to
            ``dict(type='DepthConsistencyLoss')`` (L1, both ways).
        loss_weights (dict, optional): ``rec``, ``est``, ``cons`` weights;
            ``rec`` and ``est`` become the heads' loss weights (so the head
            configs must not set them). Defaults to ``dict(rec=1.0,
            est=1.0, cons=0.1)`` (our choice; the source report gives no
            values).
        test_cfg (dict, optional): As :class:`BaseGuidedSREstimator` (tiled
            inference runs both networks on each tile).
        data_preprocessor (dict, optional): Defaults to a
            ``DenseDataPreprocessor`` without normalisation.
        init_cfg (dict, optional): Initialisation config.
    """

    default_loss_sr = None

    def __init__(
        self,
        scale_factor: int,
        sr_decoder: Dict,
        backbone: Dict,
        neck: Dict,
        depth_decoder: Dict,
        sr_head: Optional[Dict] = None,
        depth_head: Optional[Dict] = None,
        branch_norm: Optional[Dict[str, Dict]] = None,
        consistency_loss: Optional[Dict] = None,
        loss_weights: Optional[Dict] = None,
        test_cfg: Optional[Dict] = None,
        data_preprocessor: Optional[Dict] = None,
        init_cfg: Optional[Dict] = None,
    ):
        super().__init__(
            scale_factor=scale_factor,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor
            or dict(type='DenseDataPreprocessor'),
            init_cfg=init_cfg,
        )
        name = type(self).__name__
        weights = dict(rec=1.0, est=1.0, cons=0.1)
        unknown = set(loss_weights or {}) - set(weights)
        if unknown:
            raise KeyError(
                f'{name}: unknown loss_weights {sorted(unknown)}; '
                f'allowed: {sorted(weights)}.'
            )
        weights.update(loss_weights or {})
        self.loss_weights = weights
        self.branch_norm = self._check_branch_norm(branch_norm or {})

        sr_decoder = dict(sr_decoder)
        given = sr_decoder.setdefault('scale_factor', self.scale_factor)
        if given != self.scale_factor:
            raise ValueError(
                f'{name}: sr_decoder has scale_factor {given}, the model '
                f'{self.scale_factor}.'
            )
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.decoders = ModuleDict(
            dict(
                sr=MODELS.build(sr_decoder),
                depth=MODELS.build(depth_decoder),
            )
        )
        heads = dict(
            sr=dict(
                sr_head
                or dict(type='SRHead', residual=False, init_cfg=PMBA_INIT),
                loss_weights=weights['rec'],
            ),
            depth=dict(
                depth_head or dict(type='CLIFFHead'),
                loss_weight=weights['est'],
            ),
        )
        for task, cfg, key in (
            ('sr', sr_head, 'loss_weights'),
            ('depth', depth_head, 'loss_weight'),
        ):
            if cfg is not None and key in cfg:
                raise ValueError(
                    f'{name}: set the {task} loss weight in loss_weights, not '
                    f'in the head config ({key}).'
                )
            heads[task].setdefault(
                'in_channels', self.decoders[task].out_channels
            )
        self.heads = ModuleDict(
            {task: MODELS.build(cfg) for task, cfg in heads.items()}
        )
        for task, head in self.heads.items():
            if getattr(head, 'task', None) != task:
                raise ValueError(
                    f'{name}: the {task} head must be a head of task '
                    f'{task!r}, got {type(head).__name__}.'
                )
        self.loss_consistency = MODELS.build(
            consistency_loss or dict(type='DepthConsistencyLoss')
        )

    def _check_branch_norm(self, branch_norm: Dict) -> Dict[str, Dict]:
        name = type(self).__name__
        unknown = set(branch_norm) - set(BRANCHES)
        if unknown:
            raise KeyError(
                f'{name}: branch_norm has unknown branches {sorted(unknown)};'
                f' allowed: {BRANCHES}.'
            )
        if branch_norm and not hasattr(self.data_preprocessor, 'renormalize'):
            raise TypeError(
                f'{name}: branch_norm needs a DenseDataPreprocessor (its '
                f'renormalize), got {type(self.data_preprocessor).__name__}.'
            )
        checked = {}
        for task, norm in branch_norm.items():
            extra = set(norm) - set(_NORM_KEYS)
            if (
                extra
                or 'mean' not in norm
                or 'std' not in norm
                or norm.get('type', 'DenseDataPreprocessor')
                != 'DenseDataPreprocessor'
            ):
                raise KeyError(
                    f'{name}: branch_norm[{task!r}] must have mean and std '
                    '(and optionally bgr_to_rgb, or type='
                    f'"DenseDataPreprocessor"), got {dict(norm)}.'
                )
            swap = bool(norm.get('bgr_to_rgb', False))
            mean, std = list(norm['mean']), list(norm['std'])
            if len(mean) != 3 or len(std) != 3:
                raise ValueError(
                    f'{name}: branch_norm[{task!r}] needs 3 means and 3 '
                    f'stds, got {mean} and {std}.'
                )
            # Statistics in the preprocessor's channel order, so that the
            # swap can come after the normalisation.
            if swap:
                mean, std = mean[::-1], std[::-1]
            checked[task] = dict(mean=mean, std=std, bgr_to_rgb=swap)
        return checked

    def branch_input(self, task: str, img: torch.Tensor) -> torch.Tensor:
        """The image normalised for one branch.

        Args:
            task (str): ``'sr'`` or ``'depth'``.
            img (Tensor): ``(N, 3, H, W)`` preprocessor output.

        Returns:
            Tensor: ``(N, 3, H, W)`` normalised as ``branch_norm[task]``
            says (``img`` itself without an entry).
        """
        norm = self.branch_norm.get(task)
        if norm is None:
            return img
        img = self.data_preprocessor.renormalize(
            img, norm['mean'], norm['std']
        )
        if norm['bgr_to_rgb']:
            img = img[..., [2, 1, 0], :, :]
        return img

    def forward_sr(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """SR depth ``(N, 1, H, W)`` (``lr_depth`` units) from the
        preprocessed image ``(N, 3, H, W)`` and the LR depth ``(N, 1, H/s,
        W/s)``."""
        feats = self.decoders['sr'](self.branch_input('sr', img), lr_depth)
        return self.heads['sr']([feats])[-1]

    def forward_mde(self, img: torch.Tensor) -> torch.Tensor:
        """Monocular depth ``(N, 1, H, W)`` from the preprocessed image
        ``(N, 3, H, W)`` (units of the targets the model is trained on)."""
        x = self.branch_input('depth', img)
        feats = self.decoders['depth'](self.neck(self.backbone(x)))
        return self.heads['depth']([feats], out_size=tuple(img.shape[-2:]))[-1]

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
            inputs (Tensor): ``(N, 3, H, W)`` preprocessed images.
            data_samples (list[DenseDataSample]): With ``lr_depth`` and
                ``gt_depth``.

        Returns:
            dict[str, Tensor]: ``loss_sr``, the depth head's
            ``loss_depth_<detail>``, ``loss_depth_consistency``.
        """
        lr = self.extract_lr_depth(inputs, data_samples)
        outs = self._check_output(self.forward_test(inputs, lr), inputs)
        losses = {}
        for task, head in self.heads.items():
            losses.update(head.loss_by_feat([outs[task]], data_samples))
        sr, mde = (denormalize_depth(outs[t], data_samples) for t in BRANCHES)
        losses['loss_depth_consistency'] = self.loss_weights[
            'cons'
        ] * self.loss_consistency(sr, mde)
        return losses

    def _denormalize_output(self, pred, data_samples: SampleList):
        return {
            task: self.heads[task].to_output_units(value, data_samples)
            for task, value in pred.items()
        }

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """``pred_sr_depth`` and ``pred_depth`` (metres) at the GT size."""
        outs = self.inference(inputs, data_samples)
        for task, head in self.heads.items():
            head.postprocess(outs[task], data_samples, self.postprocess_dense)
        return data_samples

    @classmethod
    def legacy_key_map(cls) -> Tuple[Tuple[str, str], ...]:
        """``(old prefix, new prefix)`` pairs from the layout with two
        whole estimators (``sr_model.*``: PMBANet, ``mde_model.*``:
        CLIFFNet) to the composed one, from the estimators' own maps."""
        branches = (
            ('sr_model.', 'sr', PMBANet.legacy_key_map()),
            (
                'mde_model.',
                'depth',
                CLIFFNet.legacy_key_map()
                + (
                    ('backbone.', 'backbone.'),
                    ('neck.', 'neck.'),
                    ('decoder.', 'decoder.'),
                ),
            ),
        )
        pairs = []
        for old_prefix, task, estimator_pairs in branches:
            parts = dict(decoder=f'decoders.{task}', head=f'heads.{task}')
            for old, new in estimator_pairs:
                part, rest = new.split('.', 1)
                pairs.append(
                    (old_prefix + old, f'{parts.get(part, part)}.{rest}')
                )
        return tuple(pairs)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Rename the keys of a checkpoint in the old layout, then load."""
        old = (prefix + 'sr_model.', prefix + 'mde_model.')
        if any(key.startswith(old) for key in state_dict):
            rename_legacy_keys(state_dict, prefix, self.legacy_key_map())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
