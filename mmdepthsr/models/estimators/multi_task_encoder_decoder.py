"""One estimator for every multi-task dense model: backbone(s), neck,
per-task decoders, interaction units between decoder stages, task heads.

The estimator only composes registered modules and delegates, as
mmsegmentation's ``EncoderDecoder`` does: every task-specific step (target
preparation, losses, de-normalisation, argmax) belongs to the task's head
(:class:`~mmdepthsr.models.heads.BaseDenseHead`), every feature transform to
a backbone, neck, decoder or interaction unit. A new multi-task model is a
config of it.

Data flow for an ``(N, 3, H, W)`` image and, for guided depth SR, an ``(N,
1, H/s, W/s)`` LR depth:

1. ``backbone(img)``: a tuple of maps; with ``feature_strides`` each map
   ``i`` is resized bilinearly to ``H / feature_strides[i]`` when its size
   differs (so a ResNet with strides 4 .. 32 fits a 2 .. 16 grid).
2. With ``lr_encoder``: ``up = interpolate(lr_depth, (H, W))``
   (``lr_upsample_mode``) and ``lr_encoder(up)``, aligned the same way.
3. ``neck``: ``neck(feats, lr_feats)`` with an LR encoder, else
   ``neck(feats)``.
4. One decoder per task reads ``decoder_inputs[task]`` (``'neck'``,
   ``'backbone'`` or ``'lr_encoder'``; default: the neck's maps when there
   is a neck). Decoders run stage by stage; after stage ``k`` the
   ``interactions`` scheduled at ``k`` refine the stage features in list
   order: ``feats[target] = unit(feats[target], before[guide])``, where
   ``before`` holds the features as the decoders returned them at that
   stage (before any unit ran) and ``feats[target]`` the target's features
   after the units earlier in the list. A unit with a ``context`` also
   reads one map shared by the tasks, ``unit(..., context=sources[source]
   [index])`` (e.g. SOSD-Net's common representation). Refined features
   feed the next stage.
5. ``heads[task](stage_feats[task], lr_depth=up)``: one prediction per
   stage (deep supervision); losses and predictions come from the heads.

Losses: the union of the heads' ``loss_<task>[_s<k>]``; with a
``balancer`` (``BALANCERS``), :meth:`parse_losses` combines the per-task
sums with the balancer's weights (logged as ``weight_<task>``). A balancer
that needs more than the losses gets it from the estimator; the optional
``shared`` key of the balancer config says what (see
:meth:`MultiTaskEncoderDecoder.balancer_shared_params` and
:attr:`MultiTaskEncoderDecoder.balancer_shared`):

* ``needs='params'`` (GradNorm): the parameters of the last shared layer,
  named by module path prefixes, e.g. ``shared='neck.fusions.3'``. Default:
  the last parameterised child of the neck (of the backbone without a
  neck), followed into ``ModuleList`` / ``ModuleDict`` containers, so the
  coarsest level of a per-level neck (``neck.fusions.3``) or the last stage
  of a backbone (``backbone.stages.3``, ``backbone.layer4``).
* ``needs='features'`` (MGDA-UB): the shared representation of the current
  forward pass, named by feature source (``'neck'``, ``'backbone'``,
  ``'lr_encoder'``). Default: the source every decoder reads, or the
  encoders' maps (``'backbone'`` and ``'lr_encoder'``) when the tasks read
  different sources. :meth:`loss` keeps these maps and :meth:`parse_losses`
  hands them to the balancer and drops them, so no graph outlives its
  training step.

Prediction: whole-image or tiled (``test_cfg``, as
:class:`BaseGuidedSREstimator`; outputs of heads with ``output_kind =
'depth'`` are de-normalised per tile), then each head writes its fields.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import ModuleDict
from torch import nn

from mmdepthsr.registry import BALANCERS, MODELS

from ..balancers.utils import parse_balanced_losses
from ..heads import BaseDenseHead
from .base import SampleList
from .base_sr import BaseGuidedSREstimator

DECODER_INPUTS = ('neck', 'backbone', 'lr_encoder')

#: Top-level modules that belong to one task (or to the balancer).
TASK_SPECIFIC = ('decoders', 'heads', 'interactions', 'balancer')


def _under(key: str, prefix: str) -> bool:
    """Whether the parameter name ``key`` lies under the module path
    ``prefix``."""
    return key == prefix or key.startswith(prefix + '.')


def _channels_of(module: nn.Module, what: str, owner: str) -> Tuple[int, ...]:
    channels = getattr(module, 'out_channels', None)
    if channels is None:
        raise ValueError(
            f'{owner}: the {what} ({type(module).__name__}) must declare '
            '`out_channels` (a tuple, one entry per returned map).'
        )
    if isinstance(channels, int):
        channels = (channels,)
    return tuple(int(c) for c in channels)


@MODELS.register_module()
class MultiTaskEncoderDecoder(BaseGuidedSREstimator):
    """Composable multi-task estimator (MDE, guided DSR, segmentation,
    normals).

    Args:
        backbone (dict): Image backbone config (``MODELS``); returns a tuple
            of maps and declares ``out_channels``.
        heads (dict): ``{task: head config}``; each head's ``in_channels``
            and ``scales`` default to its decoder's stage widths
            (``channels``; at a stage where interaction units refine the
            task's features, the last unit's ``out_channels``) and
            ``scales``.
        decoders (dict, optional): ``{task: decoder config}``; a decoder's
            ``in_channels`` defaults to the channels of its input maps.
            Decoders expose ``num_stages``, ``forward_stage(k, x, inputs)``,
            ``channels`` and ``scales``. A task without a decoder feeds its
            input maps straight to its head.
        lr_encoder (dict, optional): Encoder over the upsampled LR depth.
        neck (dict, optional): Neck config; ``in_channels`` (and, with an LR
            encoder, ``guide_channels``) are filled in when absent.
        decoder_inputs (dict, optional): ``{task: 'neck' | 'backbone' |
            'lr_encoder'}`` overrides of the decoders' inputs.
        interactions (list[dict], optional): Interaction units, applied in
            list order: each a unit config (``MODELS``) plus ``target`` and
            ``guide`` (task names), optional ``stages`` (decoder stage
            indices; default all), ``name`` (module name; default
            ``'<target>_from_<guide>'``) and ``context`` (a feature source
            whose map ``context_index``, default -1, the unit also reads).
            ``channels`` and ``guide_channels`` are filled with the
            decoders' stage widths, ``context_channels`` with the context
            map's.
        balancer (dict, optional): Loss balancer config (``BALANCERS``),
            built with ``tasks`` = the heads' tasks. An optional key
            ``shared`` names what a balancer with ``needs`` gets: module
            path prefixes of the last shared layer (``'params'``, e.g.
            ``'neck.fusions.3'``) or feature sources (``'features'``, e.g.
            ``'neck'``); see the module docstring for the defaults. None
            sums the losses.
        scale_factor (int, optional): The SR factor; required with an LR
            encoder or an ``'sr'`` head; None for a model without LR input.
        lr_upsample_mode (str): Interpolation of the LR depth to the input
            size. Defaults to ``'bicubic'``.
        feature_strides (Sequence[int], optional): Strides every backbone /
            LR-encoder map is resized to (see the module docstring). None
            keeps the maps as they are.
        size_divisor (int): Input sizes must be divisible by it (a clear
            error instead of a shape mismatch deep inside). Defaults to 1.
        test_cfg (dict, optional): As :class:`BaseGuidedSREstimator`.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    default_loss_sr = None

    def __init__(
        self,
        backbone: dict,
        heads: Dict[str, dict],
        decoders: Optional[Dict[str, dict]] = None,
        lr_encoder: Optional[dict] = None,
        neck: Optional[dict] = None,
        decoder_inputs: Optional[Dict[str, str]] = None,
        interactions: Optional[Sequence[dict]] = None,
        balancer: Optional[dict] = None,
        scale_factor: Optional[int] = None,
        lr_upsample_mode: str = 'bicubic',
        feature_strides: Optional[Sequence[int]] = None,
        size_divisor: int = 1,
        test_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        name = type(self).__name__
        heads = dict(heads or {})
        if not heads:
            raise ValueError(
                f'{name}: `heads` must configure at least one task.'
            )
        needs_lr = lr_encoder is not None or 'sr' in heads
        if needs_lr and scale_factor is None:
            raise ValueError(
                f'{name}: an LR-depth encoder or an "sr" head needs '
                '`scale_factor`.'
            )
        super().__init__(
            scale_factor=scale_factor,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.lr_upsample_mode = lr_upsample_mode
        self.size_divisor = int(size_divisor)
        self.feature_strides = (
            None
            if feature_strides is None
            else tuple(int(s) for s in feature_strides)
        )
        self.backbone = MODELS.build(backbone)
        sources = dict(
            backbone=self._aligned_channels(self.backbone, 'backbone')
        )
        self.lr_encoder = None
        if lr_encoder is not None:
            self.lr_encoder = MODELS.build(lr_encoder)
            sources['lr_encoder'] = self._aligned_channels(
                self.lr_encoder, 'lr_encoder'
            )
        self.neck = None
        if neck is not None:
            neck = dict(neck)
            neck.setdefault('in_channels', sources['backbone'])
            if self.lr_encoder is not None:
                neck.setdefault('guide_channels', sources['lr_encoder'])
            self.neck = MODELS.build(neck)
            sources['neck'] = _channels_of(self.neck, 'neck', name)

        self.decoder_inputs = self._decoder_inputs(
            heads, decoder_inputs or {}, sources
        )
        self.decoders = ModuleDict()
        for task, cfg in (decoders or {}).items():
            if task not in heads:
                raise ValueError(
                    f'{name}: decoder for task {task!r} has no head; heads: '
                    f'{sorted(heads)}.'
                )
            cfg = dict(cfg)
            cfg.setdefault('in_channels', sources[self.decoder_inputs[task]])
            self.decoders[task] = MODELS.build(cfg)

        self.interactions, self.interaction_specs = self._build_interactions(
            interactions or [], sources
        )
        self.heads = ModuleDict()
        for task, cfg in heads.items():
            cfg = dict(cfg)
            if task in self.decoders:
                decoder = self.decoders[task]
                cfg.setdefault('in_channels', self._stage_channels(task))
                cfg.setdefault('scales', tuple(decoder.scales))
            else:
                cfg.setdefault(
                    'in_channels', sources[self.decoder_inputs[task]]
                )
            head = MODELS.build(cfg)
            if not isinstance(head, BaseDenseHead) or head.task != task:
                raise ValueError(
                    f'{name}: heads[{task!r}] must be a BaseDenseHead of task'
                    f' {task!r}, got {type(head).__name__} (task '
                    f'{getattr(head, "task", None)!r}).'
                )
            self.heads[task] = head

        self.balancer = None
        #: What the balancer gets as ``shared``: module path prefixes
        #: (``needs='params'``) or feature sources (``needs='features'``);
        #: empty for a balancer that needs only the losses.
        self.balancer_shared: Tuple[str, ...] = ()
        # The shared maps of the last training forward pass, kept by
        # :meth:`loss` for :meth:`parse_losses` (``needs='features'``).
        self._balancer_features: Optional[List[torch.Tensor]] = None
        if balancer is not None:
            balancer = dict(balancer)
            shared = balancer.pop('shared', None)
            self.balancer = BALANCERS.build(
                dict(balancer, tasks=tuple(self.heads))
            )
            self.balancer_shared = self._balancer_shared(shared)
            if self.balancer_shared:
                print_log(
                    f'{name}: balancer {type(self.balancer).__name__} gets '
                    f'the shared {self.balancer.needs} of '
                    f'{list(self.balancer_shared)}',
                    logger='current',
                )

    # ------------------------------------------------------------------
    # construction helpers

    def _aligned_channels(
        self, module: nn.Module, what: str
    ) -> Tuple[int, ...]:
        channels = _channels_of(module, what, type(self).__name__)
        if self.feature_strides is not None and len(channels) != len(
            self.feature_strides
        ):
            raise ValueError(
                f'{type(self).__name__}: the {what} returns {len(channels)} '
                f'maps, feature_strides {self.feature_strides} expects '
                f'{len(self.feature_strides)}.'
            )
        return channels

    def _decoder_inputs(self, heads, overrides, sources) -> Dict[str, str]:
        name = type(self).__name__
        default = 'neck' if 'neck' in sources else 'backbone'
        inputs = {}
        for task in heads:
            source = overrides.get(task, default)
            if source not in DECODER_INPUTS or source not in sources:
                raise ValueError(
                    f'{name}: decoder_inputs[{task!r}] = {source!r} is not '
                    f'one of the built feature sources {sorted(sources)}.'
                )
            inputs[task] = source
        unknown = set(overrides) - set(heads)
        if unknown:
            raise ValueError(
                f'{name}: decoder_inputs names tasks without a head: '
                f'{sorted(unknown)}.'
            )
        return inputs

    def _build_interactions(
        self, cfgs: Sequence[dict], sources: Dict[str, Tuple[int, ...]]
    ) -> Tuple[nn.ModuleDict, List[tuple]]:
        """One unit per scheduled stage: ``interactions[name][s<scale>]``.

        Returns the modules and, per unit, ``(name, target, guide, stages,
        context)`` with ``context`` None or ``(source, index)``.
        """
        name = type(self).__name__
        modules, specs = ModuleDict(), []
        for cfg in cfgs:
            cfg = dict(cfg)
            target, guide = cfg.pop('target', None), cfg.pop('guide', None)
            unit_name = cfg.pop('name', f'{target}_from_{guide}')
            context = cfg.pop('context', None)
            context_index = int(cfg.pop('context_index', -1))
            if context is not None:
                if context not in sources:
                    raise ValueError(
                        f'{name}: interaction {unit_name!r}: context '
                        f'{context!r} is not one of the built feature '
                        f'sources {sorted(sources)}.'
                    )
                num_maps = len(sources[context])
                if not -num_maps <= context_index < num_maps:
                    raise ValueError(
                        f'{name}: interaction {unit_name!r}: context_index '
                        f'{context_index} is out of range for the '
                        f'{num_maps} {context!r} maps.'
                    )
                cfg.setdefault(
                    'context_channels', sources[context][context_index]
                )
                context = (context, context_index)
            for task in (target, guide):
                if task not in self.decoders:
                    raise ValueError(
                        f'{name}: interaction {unit_name!r} links task '
                        f'{task!r}, which has no decoder; decoders: '
                        f'{sorted(self.decoders)}.'
                    )
            if unit_name in modules:
                raise ValueError(
                    f'{name}: two interactions are named {unit_name!r}; give '
                    'each a distinct `name`.'
                )
            x_dec, g_dec = self.decoders[target], self.decoders[guide]
            num_stages = x_dec.num_stages
            if g_dec.num_stages != num_stages:
                raise ValueError(
                    f'{name}: interaction {unit_name!r} links decoders with '
                    f'{num_stages} and {g_dec.num_stages} stages.'
                )
            stages = tuple(
                sorted({int(k) for k in cfg.pop('stages', range(num_stages))})
            )
            if any(k not in range(num_stages) for k in stages):
                raise ValueError(
                    f'{name}: interaction {unit_name!r}: stages must lie in '
                    f'0..{num_stages - 1}, got {stages}.'
                )
            modules[unit_name] = ModuleDict(
                {
                    f's{x_dec.scales[k]}': MODELS.build(
                        dict(
                            cfg,
                            channels=x_dec.channels[k],
                            guide_channels=g_dec.channels[k],
                        )
                    )
                    for k in stages
                }
            )
            specs.append((unit_name, target, guide, stages, context))
        return modules, specs

    def _stage_channels(self, task: str) -> Tuple[int, ...]:
        """Channels of the features the head of ``task`` reads at each
        stage: the decoder's, or the ``out_channels`` of the last unit that
        refines them there (a unit may widen them, e.g. SOSD-Net's units
        with ``fuse=False``)."""
        channels = list(self.decoders[task].channels)
        for unit_name, target, _, stages, _ in self.interaction_specs:
            if target != task:
                continue
            for k in stages:
                unit = self.interactions[unit_name][
                    f's{self.decoders[task].scales[k]}'
                ]
                width = int(getattr(unit, 'out_channels', channels[k]))
                if width != channels[k] and k < len(channels) - 1:
                    raise ValueError(
                        f'{type(self).__name__}: interaction {unit_name!r} '
                        f'turns the {channels[k]}-channel features of stage '
                        f'{k} of {task!r} into {width} channels, but they '
                        'feed the next decoder stage; only the last stage '
                        'may change the width.'
                    )
                channels[k] = width
        return tuple(channels)

    def _balancer_shared(self, shared) -> Tuple[str, ...]:
        """Check the ``shared`` key of the balancer config, or choose the
        default (see the module docstring)."""
        name = type(self).__name__
        needs = self.balancer.needs
        what = type(self.balancer).__name__
        if isinstance(shared, str):
            shared = (shared,)
        if needs is None:
            if shared is not None:
                raise ValueError(
                    f'{name}: balancer {what} uses only the losses; remove '
                    f'`shared` {tuple(shared)} from its config.'
                )
            return ()
        if needs == 'params':
            if shared is None:
                return (self._last_shared_layer(),)
            params = [key for key, _ in self.named_parameters()]
            for prefix in shared:
                if prefix.split('.')[0] in TASK_SPECIFIC:
                    raise ValueError(
                        f'{name}: balancer.shared = {prefix!r} is part of a '
                        'task-specific module; name a layer of the '
                        'backbone, LR encoder or neck.'
                    )
                if not any(_under(key, prefix) for key in params):
                    raise ValueError(
                        f'{name}: balancer.shared = {prefix!r} names no '
                        f'parameter of the model; expected a module path '
                        f'such as {self._last_shared_layer()!r}.'
                    )
            return tuple(shared)
        if needs == 'features':
            read = set(self.decoder_inputs.values())
            built = [s for s in DECODER_INPUTS if self._has_source(s)]
            if shared is None:
                if len(read) == 1:
                    return tuple(read)
                encoders = ('backbone', 'lr_encoder')
                return tuple(s for s in encoders if s in built)
            for source in shared:
                if source not in built:
                    raise ValueError(
                        f'{name}: balancer.shared = {source!r} is not a '
                        f'feature source of the model; expected some of '
                        f'{built}.'
                    )
            return tuple(shared)
        raise ValueError(
            f'{name}: balancer {what} needs {needs!r}, which the estimator '
            "cannot provide (it provides 'params' and 'features')."
        )

    def _has_source(self, source: str) -> bool:
        """Whether the feature source ``source`` is built."""
        return source == 'backbone' or getattr(self, source, None) is not None

    def _last_shared_layer(self) -> str:
        """Module path of the default last shared layer: the neck's (else
        the backbone's) last child with parameters, followed into
        ``ModuleList`` / ``ModuleDict`` containers."""
        path = 'neck' if self.neck is not None else 'backbone'
        module = getattr(self, path)
        while True:
            children = [
                (key, child)
                for key, child in module.named_children()
                if any(p.requires_grad for p in child.parameters())
            ]
            if not children:
                break
            key, module = children[-1]
            path = f'{path}.{key}'
            if not isinstance(module, (nn.ModuleList, nn.ModuleDict)):
                break
        if not any(p.requires_grad for p in module.parameters()):
            raise ValueError(
                f'{type(self).__name__}: {path!r} has no trainable '
                f'parameter for balancer {type(self.balancer).__name__}; '
                'name the last shared layer with `shared` in the balancer '
                'config.'
            )
        return path

    def balancer_shared_params(self) -> List[nn.Parameter]:
        """Parameters of the last shared layer (``balancer.needs ==
        'params'``).

        Returns:
            list[Parameter]: The trainable parameters under the module path
            prefixes :attr:`balancer_shared`, in registration order.
        """
        return [
            param
            for key, param in self.named_parameters()
            if param.requires_grad
            and any(_under(key, prefix) for prefix in self.balancer_shared)
        ]

    @property
    def tasks(self) -> Tuple[str, ...]:
        """The tasks, in the order of ``heads``."""
        return tuple(self.heads)

    @property
    def raw_output_keys(self) -> Tuple[str, ...]:
        """Tasks whose output is not depth (never de-normalised)."""
        return tuple(
            task
            for task, head in self.heads.items()
            if head.output_kind != 'depth'
        )

    @property
    def needs_lr_depth(self) -> bool:
        """Whether the model reads the LR depth."""
        return self.lr_encoder is not None or 'sr' in self.heads

    # ------------------------------------------------------------------
    # forward

    def _align(self, feats, size) -> Tuple[torch.Tensor, ...]:
        feats = tuple(feats)
        if self.feature_strides is None:
            return feats
        if len(feats) != len(self.feature_strides):
            raise ValueError(
                f'{type(self).__name__}: an encoder returned {len(feats)} '
                f'maps; feature_strides {self.feature_strides} expects '
                f'{len(self.feature_strides)}.'
            )
        out = []
        for feat, stride in zip(feats, self.feature_strides):
            target = (size[0] // stride, size[1] // stride)
            if tuple(feat.shape[-2:]) != target:
                feat = F.interpolate(
                    feat, size=target, mode='bilinear', align_corners=False
                )
            out.append(feat)
        return tuple(out)

    def extract_feat(
        self, img: torch.Tensor, lr_up: Optional[torch.Tensor] = None
    ) -> Dict[str, Tuple[torch.Tensor, ...]]:
        """The feature sources: ``'backbone'``, ``'lr_encoder'`` and
        ``'neck'`` maps (those that exist).

        Args:
            img (Tensor): ``(N, 3, H, W)`` image.
            lr_up (Tensor, optional): ``(N, 1, H, W)`` upsampled LR depth.

        Returns:
            dict[str, tuple[Tensor]]: The maps of each source.
        """
        size = tuple(img.shape[-2:])
        sources = dict(backbone=self._align(self.backbone(img), size))
        if self.lr_encoder is not None:
            sources['lr_encoder'] = self._align(self.lr_encoder(lr_up), size)
        if self.neck is not None:
            if self.lr_encoder is not None:
                sources['neck'] = tuple(
                    self.neck(sources['backbone'], sources['lr_encoder'])
                )
            else:
                sources['neck'] = tuple(self.neck(sources['backbone']))
        return sources

    def decode(
        self, sources: Dict[str, Tuple[torch.Tensor, ...]]
    ) -> Dict[str, List[torch.Tensor]]:
        """Run the decoders stage by stage with the interaction units.

        Args:
            sources (dict): Output of :meth:`extract_feat`.

        Returns:
            dict[str, list[Tensor]]: Per task, the features its head reads
            (one map per decoder stage, or the input maps of a task without
            decoder).
        """
        feats = {
            task: list(sources[self.decoder_inputs[task]])
            for task in self.heads
            if task not in self.decoders
        }
        if not self.decoders:
            return feats
        if not self.interaction_specs:
            for task, decoder in self.decoders.items():
                feats[task] = list(decoder(sources[self.decoder_inputs[task]]))
            return feats
        inputs = {
            task: sources[self.decoder_inputs[task]] for task in self.decoders
        }
        num_stages = max(d.num_stages for d in self.decoders.values())
        current = {task: None for task in self.decoders}
        stage_feats = {task: [] for task in self.decoders}
        for k in range(num_stages):
            before = {
                task: dec.forward_stage(k, current[task], inputs[task])
                for task, dec in self.decoders.items()
                if k < dec.num_stages
            }
            current.update(before)
            for spec in self.interaction_specs:
                unit_name, target, guide, stages, context = spec
                if k not in stages:
                    continue
                unit = self.interactions[unit_name][
                    f's{self.decoders[target].scales[k]}'
                ]
                if context is None:
                    current[target] = unit(current[target], before[guide])
                else:
                    source, index = context
                    current[target] = unit(
                        current[target],
                        before[guide],
                        context=sources[source][index],
                    )
            for task in before:
                stage_feats[task].append(current[task])
        feats.update(stage_feats)
        return feats

    def upsample_lr(
        self, lr_depth: Optional[torch.Tensor], size: Tuple[int, int]
    ) -> Optional[torch.Tensor]:
        """``(N, 1, h, w)`` LR depth to ``size`` (``lr_upsample_mode``)."""
        if lr_depth is None:
            return None
        kwargs = {}
        if self.lr_upsample_mode in ('bilinear', 'bicubic'):
            kwargs['align_corners'] = False
        return F.interpolate(
            lr_depth, size=size, mode=self.lr_upsample_mode, **kwargs
        )

    def forward_tasks(
        self, img: torch.Tensor, lr_depth: Optional[torch.Tensor] = None
    ) -> Dict[str, List[torch.Tensor]]:
        """Raw predictions of every head at every scale.

        Args:
            img (Tensor): ``(N, 3, H, W)`` preprocessed image.
            lr_depth (Tensor, optional): ``(N, 1, H/s, W/s)`` LR depth
                (normalised units).

        Returns:
            dict[str, list[Tensor]]: Per task, the head's predictions (raw
            units: normalised depth, logits, unnormalised normals).
        """
        return self._forward_tasks(img, lr_depth)[0]

    def _forward_tasks(
        self, img: torch.Tensor, lr_depth: Optional[torch.Tensor]
    ) -> Tuple[
        Dict[str, List[torch.Tensor]], Dict[str, Tuple[torch.Tensor, ...]]
    ]:
        """:meth:`forward_tasks` that also returns the feature sources."""
        size = tuple(img.shape[-2:])
        if size[0] % self.size_divisor or size[1] % self.size_divisor:
            raise ValueError(
                f'{type(self).__name__}: the input size {size} must be '
                f'divisible by {self.size_divisor}; use patches or a '
                'size_divisor of the data preprocessor that is a multiple of '
                f'{self.size_divisor}.'
            )
        up = self.upsample_lr(lr_depth, size)
        sources = self.extract_feat(img, up)
        feats = self.decode(sources)
        preds = {
            task: head(feats[task], lr_depth=up)
            for task, head in self.heads.items()
        }
        return preds, sources

    def forward_sr(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """Full-resolution SR depth ``(N, 1, H, W)`` (units of
        ``lr_depth``)."""
        if 'sr' not in self.heads:
            raise RuntimeError(f'{type(self).__name__} has no "sr" head.')
        return self.forward_tasks(img, lr_depth)['sr'][-1]

    def forward_test(
        self, img: torch.Tensor, lr_depth: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]:
        """The finest raw prediction of every task, ``{task: (N, C, H,
        W)}``."""
        return {
            task: preds[-1]
            for task, preds in self.forward_tasks(img, lr_depth).items()
        }

    # ------------------------------------------------------------------
    # loss / predict

    def _lr_or_none(self, inputs, data_samples):
        if not self.needs_lr_depth:
            return None
        return self.extract_lr_depth(inputs, data_samples)

    def loss(
        self, inputs: torch.Tensor, data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """The losses of every head.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample]): With the ground truth of
                every task (and ``lr_depth`` for DSR).

        Returns:
            dict[str, Tensor]: ``loss_<task>[_s<k>]`` of every head.
        """
        preds, sources = self._forward_tasks(
            inputs, self._lr_or_none(inputs, data_samples)
        )
        if self.balancer is not None and self.balancer.needs == 'features':
            # Replaces the maps of an earlier pass that were never parsed.
            self._balancer_features = [
                feat
                for source in self.balancer_shared
                for feat in sources[source]
            ]
        losses = {}
        for task, head in self.heads.items():
            losses.update(head.loss_by_feat(preds[task], data_samples))
        return losses

    def parse_losses(
        self, losses: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Sum the losses (MMEngine's rule), or combine the per-task sums
        with the balancer.

        Called by ``train_step`` (also on the module wrapped by
        ``MMDistributedDataParallel``) right after :meth:`loss`. A balancer
        with ``needs='features'`` gets the shared maps that :meth:`loss`
        kept, which are dropped here, so each output of :meth:`loss` can be
        parsed once.

        Args:
            losses (dict[str, Tensor]): Output of :meth:`loss`.

        Returns:
            tuple[Tensor, dict[str, Tensor]]: The loss to back-propagate and
            the log entries (with a balancer, ``loss_<task>`` and
            ``weight_<task>`` among them).

        Raises:
            RuntimeError: If the balancer needs the shared features and no
                :meth:`loss` call has kept them since the last parse.
        """
        if self.balancer is None:
            return super().parse_losses(losses)
        shared = None
        if self.balancer.needs == 'params':
            shared = self.balancer_shared_params()
        elif self.balancer.needs == 'features':
            shared, self._balancer_features = self._balancer_features, None
            if shared is None:
                raise RuntimeError(
                    f'{type(self).__name__}: balancer '
                    f'{type(self.balancer).__name__} needs the shared maps '
                    f'{self.balancer_shared} of the forward pass that '
                    'computed these losses; call loss() once before each '
                    'parse_losses().'
                )
        return parse_balanced_losses(losses, self.balancer, shared)

    def _denormalize_output(self, pred, data_samples: SampleList):
        return {
            task: self.heads[task].to_output_units(value, data_samples)
            for task, value in pred.items()
        }

    def inference(self, inputs: torch.Tensor, data_samples: SampleList):
        """Full-resolution outputs of every head in output units (see
        :meth:`BaseGuidedSREstimator.inference`).

        Tiles normalised by their own LR statistics (``test_cfg.normalize``
        set) are de-normalised per tile for the heads of ``output_kind =
        'depth'``; the other heads' stitched outputs then go through their
        :meth:`~BaseDenseHead.to_output_units`, as in whole-image mode.
        """
        if self.needs_lr_depth:
            outs = super().inference(inputs, data_samples)
            if self.test_cfg['normalize']:
                for task in self.raw_output_keys:
                    outs[task] = self.heads[task].to_output_units(
                        outs[task], data_samples
                    )
            return outs
        if self.test_cfg['mode'] != 'whole':
            raise ValueError(
                f'{type(self).__name__}: tiled inference needs an LR-depth '
                'input; use test_cfg=dict(mode="whole").'
            )
        data_samples = self.ensure_samples(inputs, data_samples)
        return self._denormalize_output(
            self.forward_test(inputs), data_samples
        )

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Every head writes its prediction fields (``pred_depth``,
        ``pred_sr_depth``, ``seg_logits`` / ``pred_sem_seg``,
        ``pred_normal``) at each sample's evaluation size.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample], optional): The batch.

        Returns:
            list[DenseDataSample]: The filled samples.
        """
        if not self.needs_lr_depth:
            data_samples = self.ensure_samples(inputs, data_samples)
        outs = self.inference(inputs, data_samples)
        for task, head in self.heads.items():
            head.postprocess(outs[task], data_samples, self.postprocess_dense)
        return data_samples

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> Dict[str, torch.Tensor]:
        """Raw full-resolution outputs, as :meth:`forward_test`."""
        return self.forward_test(
            inputs, self._lr_or_none(inputs, data_samples)
        )


__all__ = ['DECODER_INPUTS', 'TASK_SPECIFIC', 'MultiTaskEncoderDecoder']
