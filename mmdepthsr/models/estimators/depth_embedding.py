"""Pre-training of depth-map encoders (the HEGs of CLIFFNet).

CLIFFNet (Wang, Zhang, Wang, Lu, Ruan, ECCV 2020; scott89/CLIFFNet)
learns its hierarchical embedding loss in the feature space of a depth-map
encoder trained beforehand: the released one as a depth-map scene
classifier on NYU v2, and (per the paper's abstract) also without extra
labels. Two estimators train such an encoder:

- :class:`DepthAutoEncoder`: label-free, reconstructs the input depth map
  from the encoder's deepest features with a small decoder;
- :class:`DepthSceneClassifier`: global average pooling + linear layer on
  the deepest features, cross-entropy on a scene label of the metainfo.

Both take the ground-truth depth ``gt_depth`` of the data samples as their
input; the colour image (``inputs``) is ignored. The encoder is stored as
``self.encoder``, so its weights are the ``encoder.*`` keys of the
checkpoints (``HierarchicalEmbeddingLoss(checkpoint_prefix='encoder.')``).
"""

from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS

from ..utils import stack_field
from .base import BaseDenseEstimator, SampleList


def _layer_info(encoder: nn.Module, layer: Optional[str], owner: str):
    """Index, name, channels and stride of one encoder output.

    Args:
        encoder (nn.Module): A backbone with ``out_channels``,
            ``out_strides`` and, to pick a layer by name, ``out_names``.
        layer (str, optional): Output name; None for the deepest output.
        owner (str): Class named in the errors.

    Returns:
        tuple: ``(index, name, channels, stride)``; ``name`` is None when
        the encoder does not name its outputs.
    """
    channels = getattr(encoder, 'out_channels', None)
    strides = getattr(encoder, 'out_strides', None)
    names = getattr(encoder, 'out_names', None)
    if not channels or not strides:
        raise TypeError(
            f'{owner}: the encoder {type(encoder).__name__} must expose '
            '`out_channels` and `out_strides` tuples.'
        )
    if layer is None:
        index = len(channels) - 1
    elif names is None or layer not in names:
        raise ValueError(
            f'{owner}: {layer!r} is not an output of '
            f'{type(encoder).__name__} (out_names: {names}).'
        )
    else:
        index = names.index(layer)
    name = None if names is None else names[index]
    return index, name, channels[index], strides[index]


def _gt_depth(data_samples: Optional[SampleList], owner: str):
    if not data_samples:
        raise ValueError(
            f'{owner}: the input is the ground-truth depth `gt_depth` of the '
            'data samples (the image is ignored); no data samples given.'
        )
    return stack_field(data_samples, 'gt_depth').float()


@MODELS.register_module()
class DepthAutoEncoder(BaseDenseEstimator):
    """Label-free pre-training of a depth encoder by reconstruction.

    ``recon = decoder(encoder(gt_depth)[layer]) * depth_scale`` where
    ``depth_scale`` is the encoder's input scale (so the reconstruction is
    in metres); the loss is L1 over the valid pixels of ``gt_depth``
    (missing depth, 0, is fed to the encoder as it is and not penalised).
    ``predict`` writes the reconstruction, clamped to ``min_depth``, as
    ``pred_depth`` (so ``DepthMetric`` measures the reconstruction error).
    The image ``inputs`` are ignored.

    Args:
        encoder (dict): Config of the depth encoder.
        decoder (dict, optional): Extra arguments of
            :class:`~mmdepthsr.models.decoders.DepthReconstructionDecoder`
            (``in_channels`` and ``stride`` come from the encoder).
            Defaults to None (defaults).
        layer (str, optional): Encoder output to decode. Defaults to None
            (the deepest).
        loss (dict, optional): Reconstruction loss config. Defaults to
            None (``L1Loss``).
        min_depth (float): Lower clamp of the prediction. Defaults to 1e-3.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        encoder: dict,
        decoder: Optional[dict] = None,
        layer: Optional[str] = None,
        loss: Optional[dict] = None,
        min_depth: float = 1e-3,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        self.encoder = MODELS.build(encoder)
        self.layer_index, self.layer, channels, stride = _layer_info(
            self.encoder, layer, type(self).__name__
        )
        dec = dict(type='DepthReconstructionDecoder')
        dec.update(decoder or {})
        dec.update(in_channels=channels, stride=stride)
        self.decoder = MODELS.build(dec)
        self.loss_rec = MODELS.build(loss or dict(type='L1Loss'))
        self.min_depth = float(min_depth)

    def reconstruct(self, depth: torch.Tensor) -> torch.Tensor:
        """Encode and decode a depth map.

        Args:
            depth (Tensor): ``(N, 1, H, W)`` depth in metres.

        Returns:
            Tensor: ``(N, 1, H, W)`` reconstruction in metres.
        """
        x = self.encoder(depth)[self.layer_index]
        scale = getattr(self.encoder, 'depth_scale', 1.0)
        return self.decoder(x, depth.shape[-2:]) * scale

    def loss(
        self, inputs: torch.Tensor, data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Reconstruction loss of a batch.

        Args:
            inputs (Tensor): Images (ignored).
            data_samples (list[DenseDataSample]): Samples with
                ``gt_depth``.

        Returns:
            dict: ``loss_depth_rec`` (task ``depth``: the reconstruction
            of a depth map).
        """
        depth = _gt_depth(data_samples, type(self).__name__)
        return dict(
            loss_depth_rec=self.loss_rec(self.reconstruct(depth), depth)
        )

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Write the reconstruction as ``pred_depth``.

        Args:
            inputs (Tensor): Images (ignored).
            data_samples (list[DenseDataSample]): Samples with
                ``gt_depth``.

        Returns:
            list[DenseDataSample]: The samples with ``pred_depth``.
        """
        depth = _gt_depth(data_samples, type(self).__name__)
        recon = self.reconstruct(depth).clamp(min=self.min_depth)
        # The input is gt_depth itself, so the reconstruction already lies
        # on the ground-truth grid (no padding to cut, no resize).
        for sample, pred in zip(data_samples, recon):
            sample.pred_depth = PixelData(data=pred)
        return data_samples

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> torch.Tensor:
        """The reconstruction ``(N, 1, H, W)`` of ``gt_depth``."""
        return self.reconstruct(_gt_depth(data_samples, type(self).__name__))


@MODELS.register_module()
class DepthSceneClassifier(BaseDenseEstimator):
    """Depth-map scene classifier (the released HEG training task).

    ``logits = fc(dropout(GAP(encoder(gt_depth)[layer])))``, trained with
    cross-entropy on the scene label ``metainfo[label_key]`` of every
    sample. The label is an int class id, or a string mapped through
    ``classes`` (names not listed go to ``other_class`` when set, else
    raise). ``predict`` writes ``pred_scene_label`` (int) and
    ``pred_scene_scores`` (list of softmax probabilities) into each
    sample's metainfo. The image ``inputs`` are ignored.

    Args:
        encoder (dict): Config of the depth encoder.
        num_classes (int): Number of scene classes.
        label_key (str): Metainfo key of the label. Defaults to
            ``'scene_type'`` (NYU v2; add it to ``PackDenseInputs``'
            ``meta_keys``).
        classes (Sequence[str], optional): Names of the classes (index =
            id). Defaults to None (labels must be ints).
        other_class (int, optional): Id for names not in ``classes``.
            Defaults to None (error).
        layer (str, optional): Encoder output to pool. Defaults to None
            (the deepest).
        dropout (float): Dropout before the linear layer. Defaults to 0.
        loss_weight (float): Factor of the cross-entropy. Defaults to 1.0.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        encoder: dict,
        num_classes: int,
        label_key: str = 'scene_type',
        classes: Optional[Sequence[str]] = None,
        other_class: Optional[int] = None,
        layer: Optional[str] = None,
        dropout: float = 0.0,
        loss_weight: float = 1.0,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        name = type(self).__name__
        if num_classes < 2:
            raise ValueError(
                f'{name}: num_classes must be >= 2, got {num_classes}.'
            )
        if classes is not None:
            extra = 0 if other_class is None else 1
            if len(classes) + extra > num_classes:
                raise ValueError(
                    f'{name}: {len(classes)} class names (+ other) do not '
                    f'fit num_classes={num_classes}.'
                )
        if other_class is not None and not 0 <= other_class < num_classes:
            raise ValueError(
                f'{name}: other_class must lie in [0, {num_classes}), got '
                f'{other_class}.'
            )
        self.encoder = MODELS.build(encoder)
        self.layer_index, self.layer, channels, _ = _layer_info(
            self.encoder, layer, name
        )
        self.num_classes = int(num_classes)
        self.label_key = label_key
        self.classes = None if classes is None else tuple(classes)
        self.other_class = other_class
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)
        self.loss_weight = float(loss_weight)

    def _label(self, sample) -> int:
        name = type(self).__name__
        meta = sample.metainfo
        if self.label_key not in meta:
            raise KeyError(
                f'{name}: sample {meta.get("img_path", "?")} has no '
                f'metainfo {self.label_key!r} (add it to the meta_keys of '
                'PackDenseInputs).'
            )
        value = meta[self.label_key]
        if isinstance(value, str):
            if self.classes is not None and value in self.classes:
                return self.classes.index(value)
            if self.classes is not None and self.other_class is not None:
                return self.other_class
            raise ValueError(
                f'{name}: scene label {value!r} of '
                f'{meta.get("img_path", "?")} is not one of the classes '
                f'{self.classes} and no other_class is set.'
            )
        label = int(value)
        if not 0 <= label < self.num_classes:
            raise ValueError(
                f'{name}: scene label {label} of {meta.get("img_path", "?")}'
                f' is outside [0, {self.num_classes}).'
            )
        return label

    def _logits(self, depth: torch.Tensor) -> torch.Tensor:
        x = self.encoder(depth)[self.layer_index]
        return self.fc(self.dropout(x.mean(dim=(2, 3))))

    def loss(
        self, inputs: torch.Tensor, data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Cross-entropy of a batch.

        Args:
            inputs (Tensor): Images (ignored).
            data_samples (list[DenseDataSample]): Samples with
                ``gt_depth`` and the scene label in their metainfo.

        Returns:
            dict: ``loss_depth_scene`` (task ``depth``: the scene class of
            a depth map) and ``acc_cls`` (batch accuracy, not a loss).
        """
        depth = _gt_depth(data_samples, type(self).__name__)
        labels = torch.tensor(
            [self._label(s) for s in data_samples], device=depth.device
        )
        logits = self._logits(depth)
        loss = F.cross_entropy(logits, labels) * self.loss_weight
        acc = (logits.argmax(1) == labels).float().mean().detach()
        return dict(loss_depth_scene=loss, acc_cls=acc)

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Write ``pred_scene_label`` / ``pred_scene_scores`` metainfo.

        Args:
            inputs (Tensor): Images (ignored).
            data_samples (list[DenseDataSample]): Samples with
                ``gt_depth``.

        Returns:
            list[DenseDataSample]: The samples.
        """
        depth = _gt_depth(data_samples, type(self).__name__)
        scores = self._logits(depth).softmax(dim=1)
        for sample, score in zip(data_samples, scores):
            sample.set_metainfo(
                dict(
                    pred_scene_label=int(score.argmax()),
                    pred_scene_scores=score.tolist(),
                )
            )
        return data_samples

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of ``gt_depth``."""
        return self._logits(_gt_depth(data_samples, type(self).__name__))


__all__ = [
    'DepthAutoEncoder',
    'DepthSceneClassifier',
]
