"""Hierarchical embedding loss of CLIFFNet.

CLIFFNet (Wang, Zhang, Wang, Lu, Ruan, ECCV 2020; scott89/CLIFFNet)
trains with a pixel L1 loss plus L1 distances between the prediction and
the ground truth in the feature maps of a frozen depth-map encoder, the
"hierarchical embedding generator" (HEG, see
:mod:`mmdepthsr.models.backbones.depth_encoders`), with a linear warm-up
of the feature term over the first 100 iterations.
"""

from collections import OrderedDict
from typing import Optional, Sequence

import torch
import torch.nn as nn

from mmdepthsr.registry import MODELS
from mmdepthsr.utils.checkpoint import torch_load_checkpoint


@MODELS.register_module()
class HierarchicalEmbeddingLoss(nn.Module):
    """Pixel L1 plus feature L1 in a frozen depth encoder.

    ``L = loss_weight * (pixel_weight * L1_valid(pred, gt)
    + w(t) * sum_k layer_weights[k] * mean|phi_k(pred) - phi_k(gt)|)``
    with ``w(t) = min(1, t / warmup_iters)``.

    - ``L1_valid`` averages over the pixels with a finite ``gt > 0``.
    - The feature distances average over every element of the feature map
      (no mask), as in the CLIFFNet release.
    - ``t`` is the number of earlier training-mode forward calls, held in
      the persistent buffer ``num_iters`` (saved in checkpoints, so a
      resumed run continues the warm-up exactly). Eval-mode calls use the
      current ``t`` and do not advance it. The first training call has
      ``t = 0`` (feature term off).
    - The encoder is frozen: its parameters have ``requires_grad=False``,
      it stays in eval mode (BN running statistics) whatever ``.train()``
      is called on the parent, and the ground-truth features are computed
      without a graph. Gradients flow to ``pred`` through the encoder.
    - Invalid ground-truth pixels (0) must still be fed to the encoder.
      ``invalid_mode='raw'`` (default) feeds the ground truth as it is
      (0 at invalid pixels), like the release, which feeds the raw ground
      truth with its padding value -5. ``'pred'`` fills them with the
      detached prediction, so that missing ground truth adds no feature
      difference of its own.
    - ``encoder_checkpoint``: a checkpoint of a pre-training run (e.g.
      :class:`DepthAutoEncoder` or :class:`DepthSceneClassifier`), loaded
      at the first forward call that uses the encoder (the first one with
      ``w(t) > 0``, i.e. the second training iteration with a warm-up),
      never at build time: building a model does not need the file, and an
      ``init_weights`` of the parent cannot overwrite the loaded weights.
      The keys that start with ``checkpoint_prefix`` are kept, the prefix
      stripped, and the encoder keys must match exactly. The file is read
      with ``torch.load(weights_only=True)`` (plus the project's
      allow-list); a training checkpoint written by the MMEngine runner
      holds logging objects that this refuses, so either strip it with
      ``tools/misc/publish_model.py`` or set
      ``encoder_checkpoint_trusted=True`` for a file of your own
      pre-training run (then it may be loaded with
      ``weights_only=False``). The persistent buffer ``encoder_loaded``
      records the load, so a resumed run (whose checkpoint already holds
      the encoder weights) does not read the file again.

    Args:
        encoder (dict, optional): Config of the depth encoder (a backbone
            returning a tuple of maps named by its ``out_names``).
            Defaults to None (``SceneNetEncoder``).
        layers (Sequence[str]): Encoder outputs used, by name. Defaults to
            ('relu1_2', 'relu2_2').
        layer_weights (Sequence[float]): One weight per layer. Defaults to
            (10.0, 15.0) (release).
        pixel_weight (float): Weight of the pixel L1. Defaults to 1.0.
        warmup_iters (int): Linear warm-up length of the feature term;
            0 disables the warm-up. Defaults to 100.
        encoder_checkpoint (str, optional): Checkpoint of the encoder.
            None keeps the encoder's own initialisation (only sensible in
            tests). Defaults to None.
        checkpoint_prefix (str): Key prefix of the encoder in the
            checkpoint's ``state_dict``. Defaults to ``'encoder.'``.
        encoder_checkpoint_trusted (bool): Allow ``weights_only=False``
            loading of ``encoder_checkpoint`` when weights-only loading
            fails. Defaults to False.
        invalid_mode (str): ``'raw'`` or ``'pred'`` (see above). Defaults
            to ``'raw'``.
        loss_weight (float): Factor of the whole loss. Defaults to 1.0.
        loss_name (str): Name for the loss dict of an estimator. Defaults
            to ``'loss_heg'``.
    """

    def __init__(
        self,
        encoder: Optional[dict] = None,
        layers: Sequence[str] = ('relu1_2', 'relu2_2'),
        layer_weights: Sequence[float] = (10.0, 15.0),
        pixel_weight: float = 1.0,
        warmup_iters: int = 100,
        encoder_checkpoint: Optional[str] = None,
        checkpoint_prefix: str = 'encoder.',
        encoder_checkpoint_trusted: bool = False,
        invalid_mode: str = 'raw',
        loss_weight: float = 1.0,
        loss_name: str = 'loss_heg',
    ):
        super().__init__()
        name = type(self).__name__
        if len(layers) != len(layer_weights) or not layers:
            raise ValueError(
                f'{name}: layers and layer_weights must be non-empty and of '
                f'equal length, got {tuple(layers)} and '
                f'{tuple(layer_weights)}.'
            )
        if warmup_iters < 0:
            raise ValueError(
                f'{name}: warmup_iters must be >= 0, got {warmup_iters}.'
            )
        if invalid_mode not in ('raw', 'pred'):
            raise ValueError(
                f"{name}: invalid_mode must be 'raw' or 'pred', got "
                f'{invalid_mode!r}.'
            )
        self.encoder = MODELS.build(encoder or dict(type='SceneNetEncoder'))
        available = tuple(getattr(self.encoder, 'out_names', ()))
        unknown = [k for k in layers if k not in available]
        if unknown:
            raise ValueError(
                f'{name}: layers {unknown} are not outputs of '
                f'{type(self.encoder).__name__} (out_names: {available}).'
            )
        self.encoder.requires_grad_(False)
        self.encoder.eval()
        self.layers = tuple(layers)
        self.layer_indices = tuple(available.index(k) for k in layers)
        self.layer_weights = tuple(float(w) for w in layer_weights)
        self.pixel_weight = float(pixel_weight)
        self.warmup_iters = int(warmup_iters)
        self.encoder_checkpoint = encoder_checkpoint
        self.checkpoint_prefix = checkpoint_prefix
        self.encoder_checkpoint_trusted = bool(encoder_checkpoint_trusted)
        self.invalid_mode = invalid_mode
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name
        self.register_buffer(
            'num_iters', torch.zeros((), dtype=torch.long), persistent=True
        )
        self.register_buffer(
            'encoder_loaded',
            torch.zeros((), dtype=torch.bool),
            persistent=True,
        )

    @property
    def loss_name(self) -> str:
        """Name of the loss in an estimator's loss dict."""
        return self._loss_name

    def train(self, mode: bool = True) -> 'HierarchicalEmbeddingLoss':
        """Set the mode; the encoder always stays in eval mode.

        Args:
            mode (bool): Training mode. Defaults to True.

        Returns:
            HierarchicalEmbeddingLoss: self.
        """
        super().train(mode)
        self.encoder.eval()
        return self

    def feature_weight(self) -> float:
        """``w(t) = min(1, t / warmup_iters)`` at the current ``t``."""
        if self.warmup_iters == 0:
            return 1.0
        return min(1.0, int(self.num_iters) / self.warmup_iters)

    def load_encoder_checkpoint(self, filename: Optional[str] = None) -> None:
        """Load the encoder weights from a pre-training checkpoint.

        Args:
            filename (str, optional): Checkpoint path. Defaults to
                ``encoder_checkpoint``.

        Raises:
            ValueError: If no file is given, no key has the prefix, or the
                checkpoint lacks (or has extra) encoder keys.
        """
        name = type(self).__name__
        filename = filename or self.encoder_checkpoint
        if not filename:
            raise ValueError(f'{name}: no encoder checkpoint to load.')
        ckpt = torch_load_checkpoint(
            filename,
            map_location='cpu',
            trusted=self.encoder_checkpoint_trusted,
        )
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
        prefix = self.checkpoint_prefix
        weights = OrderedDict(
            (key[len(prefix) :], value)
            for key, value in state.items()
            if key.startswith(prefix)
        )
        expected = set(self.encoder.state_dict())
        missing = sorted(expected - set(weights))
        unexpected = sorted(set(weights) - expected)
        if missing or unexpected:
            raise ValueError(
                f'{name}: checkpoint {filename} does not match '
                f'{type(self.encoder).__name__} under the key prefix '
                f'{prefix!r}: missing keys {missing[:8]}'
                f'{" ..." if len(missing) > 8 else ""}, unexpected keys '
                f'{unexpected[:8]}{" ..." if len(unexpected) > 8 else ""} '
                f'(checkpoint keys start with {sorted(state)[:3]}).'
            )
        self.encoder.load_state_dict(weights, strict=True)
        self.encoder_loaded.fill_(True)

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): ``(N, 1, H, W)`` predicted depth (metres).
            target (Tensor): ``(N, 1, H, W)`` ground truth, 0 = invalid.

        Returns:
            Tensor: Scalar loss.

        Raises:
            ValueError: If the shapes differ or no pixel is valid.
        """
        name = type(self).__name__
        if pred.shape != target.shape or pred.dim() != 4:
            raise ValueError(
                f'{name}: `pred` and `target` must both be (N, 1, H, W), '
                f'got {tuple(pred.shape)} and {tuple(target.shape)}.'
            )
        valid = (target > 0) & torch.isfinite(target)
        if not valid.any():
            raise ValueError(
                f'{name}: no valid ground-truth pixel (finite and > 0) in '
                f'the batch of {len(target)}.'
            )
        clean = torch.where(valid, target, torch.zeros_like(target))
        diff = torch.where(valid, pred - clean, torch.zeros_like(pred))
        loss = self.pixel_weight * diff.abs().sum() / valid.sum()

        weight = self.feature_weight()
        if self.training:
            self.num_iters += 1
        if weight > 0:
            if self.encoder_checkpoint and not bool(self.encoder_loaded):
                self.load_encoder_checkpoint()
            if self.invalid_mode == 'pred':
                clean = torch.where(valid, clean, pred.detach())
            with torch.no_grad():
                gt_feats = self.encoder(clean)
            pred_feats = self.encoder(pred)
            feat = pred.new_zeros(())
            for i, lw in zip(self.layer_indices, self.layer_weights):
                dist = (pred_feats[i] - gt_feats[i]).abs().mean()
                feat = feat + lw * dist
            loss = loss + weight * feat
        return self.loss_weight * loss


__all__ = ['HierarchicalEmbeddingLoss']
