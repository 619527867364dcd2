"""Depth normalisation for depth super-resolution.

Guided DSR networks take their depth input in a fixed range. The NYU v2
protocol of DKN (cvlab-yonsei/dkn), FDSR, DCTNet and SGNet (yanzq95/SGNet)
maps every image to [0, 1] with its own minimum and maximum,
``(d - min) / (max - min)``, taken from the high-resolution ground truth;
the grid-patch protocol divides by the patch maximum; PMBANet (Sunbaoli/
PMBANet_DSR) feeds 8-bit maps divided by 255. :class:`NormalizeDepth`
does all three on the network input and records the two numbers, so that
estimators can map their outputs back to metres (``pred * (M - m) + m``)
before the loss and the metrics; ``gt_depth`` itself always stays in
metres. The rule itself (statistics, degenerate maps, forward and inverse
maps) is defined once in :mod:`mmdepthsr.structures.depth_norm`, which the
models use too.
"""

from typing import Optional, Sequence, Tuple, Union

import numpy as np

from mmdepthsr.registry import TRANSFORMS
from mmdepthsr.structures.depth_norm import (
    DEGENERATE_POLICIES,
    DEPTH_NORM_MODES,
    DEPTH_NORM_PIXELS,
    depth_norm_stats,
    normalize_depth_values,
)

from .base import DenseTransform
from .geometric import sample_name

_MODES = (*DEPTH_NORM_MODES, 'fixed')

#: Named settings of the literature: ``preset -> (mode, stats_key,
#: pixels)``. ``'hr_minmax'`` is the test-time setting of DKN / FDSR /
#: DCTNet / SGNet on NYU v2, Middlebury, Lu and RGB-D-D: ``np.min`` /
#: ``np.max`` of the whole HR ground truth (the input knows the range of the
#: answer). ``'lr_minmax'`` and ``'lr_max'`` use the network input only
#: (deployable).
DEPTH_NORM_PRESETS = dict(
    hr_minmax=('minmax', 'gt_depth', 'all'),
    lr_minmax=('minmax', 'lr_depth', 'valid'),
    lr_max=('max', 'lr_depth', 'valid'),
)


def depth_norm_setting(mode: str, stats_key: str, pixels: str) -> str:
    """The name of a normalisation setting, e.g. ``'hr_minmax'``.

    A preset's own name when ``(mode, stats_key, pixels)`` is one of
    :data:`DEPTH_NORM_PRESETS`; otherwise ``'<hr|lr|key>_<mode>'`` with
    ``'_valid'`` or ``'_all'`` added for the pixels, and ``'fixed'`` for
    the fixed range.
    """
    if mode == 'fixed':
        return 'fixed'
    for name, setting in DEPTH_NORM_PRESETS.items():
        if setting == (mode, stats_key, pixels):
            return name
    source = dict(gt_depth='hr', lr_depth='lr').get(stats_key, stats_key)
    return f'{source}_{mode}_{pixels}'


@TRANSFORMS.register_module()
class NormalizeDepth(DenseTransform):
    """Map the DSR input depth to ``(d - m) / (M - m)``.

    ``m`` and ``M`` are the minimum and maximum of the valid (``> 0``)
    pixels of ``results[stats_key]``; with ``mode='max'``, ``m = 0`` (the
    map is divided by its maximum); with ``mode='fixed'``, ``(m, M) =
    value_range`` for every sample (PMBANet's 8-bit input ``d / 255``:
    ``value_range=(0, 255)``). ``pixels='all'`` takes the statistics over
    every finite pixel, zeros included (``np.min`` / ``np.max``). Every map
    named in ``keys`` is normalised with the same ``m`` and ``M`` (computed
    in float64, stored as float32), and both are recorded as
    ``depth_norm_min`` and ``depth_norm_max`` (floats, in the unit of the
    map: metres, or grey levels for 8-bit Middlebury maps), which
    ``PackDenseInputs`` carries into the metainfo.

    ``stats_key='gt_depth'`` is the NYU DSR protocol of DKN / SGNet /
    DCTNet: the statistics of the HR ground truth, also at test time (the
    input then knows the range of the answer; this is what published
    numbers use). ``stats_key='lr_depth'`` uses only the network input
    (RGB-D-D real-world protocol of FDSR), which is what a deployed model
    can do.

    ``preset`` names a setting of the literature instead of ``mode``,
    ``stats_key`` and ``pixels`` (:data:`DEPTH_NORM_PRESETS`):
    ``preset='hr_minmax'`` is the test-time rule of the Middlebury / Lu /
    RGB-D-D / NYU v2 tables (min and max of the whole HR ground truth);
    :attr:`setting` gives the name of any configuration, which
    ``tools/test.py`` writes into the results JSON.

    A degenerate sample (no valid pixel in ``stats_key``, or a constant map
    with ``mode='minmax'``) raises by default. ``degenerate='unit'`` keeps
    it in metres instead, with the rule tiled inference applies to its
    tiles: no valid pixel gives ``(m, M) = (0, 1)``, a constant map ``M = m
    + 1``. Training pipelines that cut random crops use ``'unit'``, since a
    crop of a flat, fronto-parallel wall can be exactly constant.

    Every pixel of the normalised maps goes through the formula, holes
    included: with ``m > 0`` a hole (0) becomes ``-m / (M - m)``. DSR
    protocols use hole-filled depth, where this does not arise.

    Required keys: ``stats_key`` (not for ``'fixed'``) and ``keys``.
    Modified keys: ``keys`` (float32). Added keys: ``depth_norm_min``,
    ``depth_norm_max``.

    Args:
        mode (str): ``'minmax'``, ``'max'`` (``m = 0``) or ``'fixed'``
            (``value_range``). Defaults to ``'minmax'``.
        stats_key (str): Map whose valid pixels give ``m`` and ``M``,
            ``'gt_depth'`` or ``'lr_depth'``; unused by ``'fixed'``.
            Defaults to ``'gt_depth'``.
        keys (str | Sequence[str]): Maps to normalise. ``gt_depth`` is not
            allowed (it stays in metres for the loss and the metrics).
            Defaults to ``('lr_depth',)``.
        value_range (Sequence[float], optional): ``(m, M)`` of
            ``mode='fixed'``, ``m < M``; must be None for the other modes.
            Defaults to None.
        degenerate (str): ``'error'`` or ``'unit'``, see above. Defaults to
            ``'error'``.
        pixels (str): ``'valid'`` (``> 0``) or ``'all'`` pixels of
            ``stats_key`` give the statistics. Defaults to ``'valid'``.
        preset (str, optional): ``'hr_minmax'``, ``'lr_minmax'`` or
            ``'lr_max'``; sets ``mode``, ``stats_key`` and ``pixels``, which
            must then keep their defaults. Defaults to None.

    Raises:
        ValueError: When ``stats_key`` has a NaN/inf, or (with
            ``degenerate='error'``) no valid pixel or ``M == m`` (a
            constant map with ``mode='minmax'``); the message names the
            sample.

    Examples:
        >>> import numpy as np
        >>> results = dict(
        ...     gt_depth=np.array([[0.0, 2.0], [3.0, 6.0]], np.float32),
        ...     lr_depth=np.array([[4.0]], np.float32))
        >>> out = NormalizeDepth()(results)
        >>> out['lr_depth'], out['depth_norm_min'], out['depth_norm_max']
        (array([[0.5]], dtype=float32), 2.0, 6.0)
    """

    def __init__(
        self,
        mode: str = 'minmax',
        stats_key: str = 'gt_depth',
        keys: Union[str, Sequence[str]] = ('lr_depth',),
        value_range: Optional[Sequence[float]] = None,
        degenerate: str = 'error',
        pixels: str = 'valid',
        preset: Optional[str] = None,
    ):
        if preset is not None:
            if preset not in DEPTH_NORM_PRESETS:
                raise ValueError(
                    'NormalizeDepth: preset must be one of '
                    f'{tuple(DEPTH_NORM_PRESETS)}, got {preset!r}.'
                )
            if (mode, stats_key, pixels) != ('minmax', 'gt_depth', 'valid'):
                raise ValueError(
                    f'NormalizeDepth: preset={preset!r} sets mode, '
                    'stats_key and pixels; leave them at their defaults.'
                )
            mode, stats_key, pixels = DEPTH_NORM_PRESETS[preset]
        if pixels not in DEPTH_NORM_PIXELS:
            raise ValueError(
                f'NormalizeDepth: pixels must be one of {DEPTH_NORM_PIXELS}, '
                f'got {pixels!r}.'
            )
        if degenerate not in DEGENERATE_POLICIES:
            raise ValueError(
                'NormalizeDepth: degenerate must be one of '
                f'{DEGENERATE_POLICIES}, got {degenerate!r}.'
            )
        if mode not in _MODES:
            raise ValueError(
                f'NormalizeDepth: mode must be one of {_MODES}, got {mode!r}.'
            )
        keys = (keys,) if isinstance(keys, str) else tuple(keys)
        if not keys:
            raise ValueError('NormalizeDepth: keys must name a map.')
        if 'gt_depth' in keys:
            raise ValueError(
                'NormalizeDepth: gt_depth stays in metres (the loss and the '
                'metrics compare de-normalised predictions with it); '
                f'normalise only the network input, got keys={keys}.'
            )
        if mode == 'fixed':
            if value_range is None or len(value_range) != 2:
                raise ValueError(
                    'NormalizeDepth: mode="fixed" needs value_range=(min, '
                    f'max), got {value_range!r}.'
                )
            value_range = tuple(float(v) for v in value_range)
            if not value_range[0] < value_range[1]:
                raise ValueError(
                    'NormalizeDepth: value_range must have min < max, got '
                    f'{value_range}.'
                )
        elif value_range is not None:
            raise ValueError(
                f'NormalizeDepth: value_range is only used by mode="fixed", '
                f'got it with mode={mode!r}.'
            )
        self.mode = mode
        self.stats_key = stats_key
        self.keys = keys
        self.value_range = value_range
        self.degenerate = degenerate
        self.pixels = pixels

    @property
    def setting(self) -> str:
        """Name of the setting (:func:`depth_norm_setting`)."""
        return depth_norm_setting(self.mode, self.stats_key, self.pixels)

    @classmethod
    def inference_cfg(cls, cfg: dict) -> Tuple[Optional[dict], Optional[str]]:
        """Statistics from ``lr_depth`` when the config takes them from
        ``gt_depth`` (no ground truth at inference).

        Args:
            cfg (dict): The step's config in the test pipeline.

        Returns:
            tuple[dict, str | None]: The config and a note when
            ``stats_key`` was changed.
        """
        step = cls(**{k: v for k, v in cfg.items() if k != 'type'})
        if step.mode == 'fixed' or step.stats_key != 'gt_depth':
            return cfg, None
        cfg = {k: v for k, v in cfg.items() if k != 'preset'}
        cfg.update(mode=step.mode, stats_key='lr_depth', pixels=step.pixels)
        return cfg, (
            'NormalizeDepth takes its statistics from lr_depth instead of '
            'gt_depth (no ground truth at inference); benchmark numbers of '
            'the config use the ground-truth range.'
        )

    def _stats(self, results: dict) -> tuple:
        """``(m, M)`` of the valid pixels of ``results[stats_key]``."""
        if self.mode == 'fixed':
            return self.value_range
        owner = type(self).__name__
        name = sample_name(results)
        if results.get(self.stats_key) is None:
            raise KeyError(
                f'{owner}: {name} has no `{self.stats_key}` to take the '
                'normalisation statistics from.'
            )
        stats = np.asarray(results[self.stats_key], dtype=np.float64)
        bad = int(np.sum(~np.isfinite(stats)))
        if bad:
            raise ValueError(
                f'{owner}: {self.stats_key} of {name} has {bad} NaN/inf '
                'pixel(s); cannot take normalisation statistics.'
            )
        try:
            return depth_norm_stats(
                stats, self.mode, self.degenerate, self.pixels
            )
        except ValueError as err:
            raise ValueError(
                f'{owner}: {self.stats_key} of {name} {err}'
            ) from err

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        low, high = self._stats(results)
        for key in self.keys:
            if results.get(key) is None:
                raise KeyError(
                    f'{owner}: {sample_name(results)} has no `{key}` to '
                    'normalise.'
                )
            depth = np.asarray(results[key], dtype=np.float64)
            results[key] = normalize_depth_values(depth, low, high).astype(
                np.float32
            )
        results['depth_norm_min'] = low
        results['depth_norm_max'] = high
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(mode={self.mode!r}, '
            f'stats_key={self.stats_key!r}, keys={self.keys}, '
            f'value_range={self.value_range}, '
            f'degenerate={self.degenerate!r}, pixels={self.pixels!r})'
        )


def dsr_input_protocol(
    pipeline: Sequence[dict], test_cfg: Optional[dict] = None
) -> Optional[dict]:
    """How a DSR test pipeline makes and normalises the network input.

    Read from the configs (nothing is built): the ``CropToMultiple``,
    ``GenerateLRDepth`` and ``NormalizeDepth`` steps of ``pipeline`` and the
    model's ``test_cfg``. ``tools/test.py`` writes the result into the
    results JSON as ``protocol['input']``.

    Args:
        pipeline (Sequence[dict]): Step configs of the test pipeline.
        test_cfg (dict, optional): The model's ``test_cfg``. Defaults to
            None.

    Returns:
        dict | None: ``crop_to_multiple``, ``degradation``, ``scale_factor``,
        ``normalize`` (the setting's name, e.g. ``'hr_minmax'``, or None)
        and ``network_input`` (``normalize``, or the per-tile rule of tiled
        inference, which replaces it); None when the pipeline makes no LR
        depth and normalises none.
    """
    steps = {}
    for step in pipeline:
        kind = step.get('type') if isinstance(step, dict) else None
        if kind in ('CropToMultiple', 'GenerateLRDepth', 'NormalizeDepth'):
            steps[kind] = {k: v for k, v in step.items() if k != 'type'}
    if 'GenerateLRDepth' not in steps and 'NormalizeDepth' not in steps:
        return None
    normalize = None
    if 'NormalizeDepth' in steps:
        normalize = NormalizeDepth(**steps['NormalizeDepth']).setting
    degrade = steps.get('GenerateLRDepth')
    crop = steps.get('CropToMultiple')
    network_input = normalize
    test_cfg = dict(test_cfg or {})
    if test_cfg.get('mode') == 'slide' and test_cfg.get('normalize'):
        network_input = (
            f'per_tile_lr_{test_cfg["normalize"]} '
            f'(tiles of {test_cfg.get("patch_size")} HR pixels, each '
            'normalised by its own LR depth; the pipeline normalisation is '
            'undone first)'
        )
    return dict(
        crop_to_multiple=None if crop is None else crop.get('divisor'),
        degradation=None
        if degrade is None
        else degrade.get('method', 'bicubic_pil'),
        scale_factor=None
        if degrade is None
        else degrade.get('scale_factor', 4),
        normalize=normalize,
        network_input=network_input,
    )


__all__ = [
    'DEPTH_NORM_PRESETS',
    'NormalizeDepth',
    'depth_norm_setting',
    'dsr_input_protocol',
]
