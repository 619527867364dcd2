"""Multi-task summary: the per-task metrics and delta_m against baselines.

delta_m (Maninis, Radosavovic & Kokkinos, "Attentive Single-Tasking of
Multiple Tasks", CVPR 2019; the form used by Vandenhende et al.,
TPAMI 2021) is the mean relative change of a multi-task model's metrics
over single-task baselines, signed so that an improvement is positive:

    delta_m = 100 / K * sum_k s_k * (M_m,k - M_b,k) / |M_b,k|

with ``s_k = +1`` where a higher value of metric ``k`` is better and
``s_k = -1`` where a lower one is (the paper's ``(-1)^l_k`` with
``l_k = 1`` for lower-is-better metrics; ``|M_b,k| = M_b,k`` for every
metric of the toolbox, all non-negative). :func:`delta_m` and
:func:`relative_changes` are the functional core; :class:`MultiTaskMetric`
wraps the per-task metrics for MMEngine's evaluator and adds ``delta_m``
to their keys; :func:`collect_protocols` gathers the protocols of a list
of metrics, sub-metrics included, for the results files.
"""

import logging
import math
from typing import Dict, List, Mapping, Optional, Sequence, Union

from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmdepthsr.registry import METRICS

from .base import BaseDenseMetric

__all__ = [
    'MultiTaskMetric',
    'collect_protocols',
    'delta_m',
    'relative_changes',
]

#: The formula recorded in the protocol.
_DELTA_M_FORMULA = (
    '100 / K * sum_k s_k * (M_m,k - M_b,k) / |M_b,k|, s_k = +1 where '
    'higher is better, -1 where lower is better; positive = better than '
    'the baselines'
)


def relative_changes(
    values: Mapping[str, float],
    baselines: Mapping[str, float],
    higher_is_better: Mapping[str, bool],
) -> Dict[str, float]:
    """Signed relative change of each baseline metric, in percent.

    Args:
        values (Mapping[str, float]): Metrics of the evaluated model; must
            hold every key of ``baselines``.
        baselines (Mapping[str, float]): Single-task baseline value of each
            metric taken into account, all non-zero. The change is divided
            by ``|M_b,k|``, which is ``M_b,k`` for the non-negative metrics
            of the toolbox and keeps the sign right for a negative one.
        higher_is_better (Mapping[str, bool]): Direction of each key of
            ``baselines``.

    Returns:
        dict[str, float]: ``100 * s_k * (M_m,k - M_b,k) / |M_b,k|`` per key
        of ``baselines`` (positive = better than the baseline).

    Raises:
        KeyError: If ``values`` or ``higher_is_better`` misses a key of
            ``baselines``.
        ValueError: If a baseline is zero.
    """
    changes = {}
    for key, baseline in baselines.items():
        if key not in values:
            raise KeyError(
                f'delta_m needs the metric {key!r} of the baselines, but the '
                f'evaluated metrics are {sorted(values)}.'
            )
        if key not in higher_is_better:
            raise KeyError(f'delta_m has no direction for the metric {key!r}.')
        if baseline == 0:
            raise ValueError(
                f'The baseline of {key!r} is 0; the relative change is '
                'undefined.'
            )
        sign = 1.0 if higher_is_better[key] else -1.0
        changes[key] = 100.0 * sign * (values[key] - baseline) / abs(baseline)
    return changes


def delta_m(
    values: Mapping[str, float],
    baselines: Mapping[str, float],
    higher_is_better: Mapping[str, bool],
) -> float:
    """delta_m of ``values`` over ``baselines``, in percent.

    Every key of ``baselines`` counts once (``K = len(baselines)``), so a
    task with two baseline metrics weighs twice as much as a task with one.

    Args:
        values (Mapping[str, float]): Metrics of the evaluated model.
        baselines (Mapping[str, float]): Single-task baseline values.
        higher_is_better (Mapping[str, bool]): Direction of each key.

    Returns:
        float: The mean of :func:`relative_changes` (positive = the
        evaluated model is better).

    Raises:
        ValueError: If ``baselines`` is empty.
    """
    if not baselines:
        raise ValueError('delta_m needs at least one baseline metric.')
    changes = relative_changes(values, baselines, higher_is_better)
    return sum(changes.values()) / len(changes)


def _reported_key(metric: BaseMetric, key: str) -> str:
    """``key`` as the evaluator reports it: ``prefix/key`` or ``key``."""
    return f'{metric.prefix}/{key}' if metric.prefix else key


@METRICS.register_module()
class MultiTaskMetric(BaseMetric):
    """Per-task metrics plus delta_m against single-task baselines.

    Builds its sub-metrics, hands every batch to each of them and, in
    :meth:`evaluate`, lets each collect its results across ranks and
    compute its keys as it would alone (same prefixes, same logs, same
    ``output_file``). To those keys it adds ``delta_m`` (percent, positive
    = better than the baselines, see :func:`delta_m`) and
    ``delta_m_count``, the number ``K`` of metrics averaged; both take this
    metric's ``prefix`` if it has one.

    The direction of each metric comes from the sub-metric's
    ``higher_is_better`` class attribute (``DepthMetric``: ``a1 a2 a3``
    higher, errors lower; ``SRMetric``: lower; ``SegMetric``: higher;
    ``NormalMetric``: ``mean median rmse`` lower, ``11.25 22.5 30``
    higher), or from the ``higher_is_better`` argument, which overrides it.
    Baselines are keyed as the evaluator reports the metric, prefix
    included.

    Example::

        # Depth + segmentation model against its two single-task models.
        # val_evaluator = dict(
        #     type='MultiTaskMetric',
        #     metrics=[
        #         dict(type='DepthMetric', prefix='depth',
        #              crop='eigen_nyu'),
        #         dict(type='SegMetric', num_classes=40, prefix='seg'),
        #     ],
        #     baselines={
        #         'depth/abs_rel': 0.150,  # depth-only model
        #         'depth/a1': 0.80,
        #         'seg/mIoU': 40.1,  # segmentation-only model
        #     },
        # )
        # -> depth/a1 ... depth/sc_inv, seg/aAcc ... seg/fwIoU, delta_m,
        #    delta_m_count (= 3)

    Args:
        metrics (Sequence[dict | BaseMetric]): The per-task metrics,
            configs or built metrics. Their reported keys must not clash.
        baselines (Mapping[str, float]): Single-task baseline value of
            every metric that delta_m averages, keyed as reported
            (``'depth/abs_rel'``); non-zero and finite.
        higher_is_better (Mapping[str, bool], optional): Directions of
            reported keys, overriding the sub-metrics' (needed for a
            sub-metric without a ``higher_is_better`` attribute). Defaults
            to None.
        prefix (str, optional): Prefix of ``delta_m`` and
            ``delta_m_count``. Defaults to None (plain keys).
        output_file (str, optional): Path of a JSON file that receives the
            returned metrics, the protocol (baselines, directions,
            formula, the sub-metrics' protocols) and the relative change
            of each baseline metric. Written by the main process only.
            Defaults to None.

    Raises:
        ValueError: On an empty ``metrics`` or ``baselines``, a zero or
            non-finite baseline, a baseline key without a known direction,
            or sub-metrics declaring the same reported key.
    """

    default_prefix: Optional[str] = ''

    def __init__(
        self,
        metrics: Sequence[Union[dict, BaseMetric]],
        baselines: Mapping[str, float],
        higher_is_better: Optional[Mapping[str, bool]] = None,
        prefix: Optional[str] = None,
        output_file: Optional[str] = None,
    ) -> None:
        super().__init__(prefix=prefix)
        if isinstance(metrics, (dict, BaseMetric)):
            metrics = [metrics]
        if not metrics:
            raise ValueError('MultiTaskMetric needs at least one metric.')
        self.metrics: List[BaseMetric] = [
            m if isinstance(m, BaseMetric) else METRICS.build(m)
            for m in metrics
        ]
        self.directions = self._directions(higher_is_better or {})
        self.baselines = self._check_baselines(baselines)
        self.output_file = output_file
        self.changes: Dict[str, float] = {}

    def _directions(self, overrides: Mapping[str, bool]) -> Dict[str, bool]:
        """Direction of every reported key the sub-metrics declare."""
        directions: Dict[str, bool] = {}
        owners: Dict[str, str] = {}
        for metric in self.metrics:
            name = type(metric).__name__
            for key, higher in getattr(metric, 'higher_is_better', {}).items():
                reported = _reported_key(metric, key)
                if reported in owners:
                    raise ValueError(
                        f'MultiTaskMetric: {owners[reported]} and {name} '
                        f'both report {reported!r}; give one of them a '
                        "prefix (e.g. prefix='sr')."
                    )
                owners[reported] = name
                directions[reported] = bool(higher)
        directions.update({k: bool(v) for k, v in overrides.items()})
        return directions

    def _check_baselines(self, baselines: Mapping[str, float]) -> dict:
        """The baselines as floats, checked; see the class Raises."""
        if not baselines:
            raise ValueError(
                'MultiTaskMetric needs baselines: the single-task value of '
                "each metric delta_m averages, e.g. {'depth/abs_rel': 0.15}."
            )
        checked = {}
        for key, value in baselines.items():
            if key not in self.directions:
                raise ValueError(
                    f'MultiTaskMetric: the direction of baseline {key!r} is '
                    'unknown (no sub-metric declares it); check its prefix '
                    f'or pass higher_is_better={{{key!r}: True or False}}. '
                    f'Known keys: {", ".join(sorted(self.directions))}.'
                )
            value = float(value)
            if value == 0 or not math.isfinite(value):
                raise ValueError(
                    f'MultiTaskMetric: the baseline of {key!r} is {value}; '
                    'delta_m divides by it, so it must be finite and '
                    'non-zero.'
                )
            checked[key] = value
        return checked

    @property
    def dataset_meta(self) -> Optional[dict]:
        """Meta information of the dataset, shared with the sub-metrics."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta
        for metric in self.metrics:
            metric.dataset_meta = dataset_meta

    @property
    def protocol(self) -> dict:
        """What delta_m averages and how (the sub-metrics record theirs)."""
        return dict(
            delta_m=_DELTA_M_FORMULA,
            baselines=dict(self.baselines),
            higher_is_better={k: self.directions[k] for k in self.baselines},
            averaging='mean over the baseline metrics (K = number of keys)',
            units='percent',
            metrics=[_protocol_name(m) for m in self.metrics],
        )

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Hand the batch to every sub-metric.

        Args:
            data_batch: The batch from the dataloader.
            data_samples (Sequence[dict]): Outputs of the model.
        """
        for metric in self.metrics:
            metric.process(data_batch, data_samples)

    def evaluate(self, size: int) -> dict:
        """Evaluate every sub-metric, then add delta_m.

        Each sub-metric's ``evaluate`` collects its results from every
        rank, computes on the main process and broadcasts, so every rank
        gets the same keys and computes the same delta_m.

        Args:
            size (int): Length of the whole dataset (drops the padding
                samples added by distributed samplers).

        Returns:
            dict: Every sub-metric's keys, then ``delta_m`` and
            ``delta_m_count``.

        Raises:
            ValueError: If two sub-metrics return the same key.
        """
        merged: Dict[str, float] = {}
        for metric in self.metrics:
            results = metric.evaluate(size)
            clash = sorted(set(results) & set(merged))
            if clash:
                raise ValueError(
                    f'MultiTaskMetric: {type(metric).__name__} returns '
                    f'{clash}, already returned by another sub-metric; '
                    'give the sub-metrics distinct prefixes.'
                )
            merged.update(results)
        summary = self.compute_metrics(merged)
        if self.prefix:
            summary = {f'{self.prefix}/{k}': v for k, v in summary.items()}
        clash = sorted(set(summary) & set(merged))
        if clash:
            raise ValueError(
                f'MultiTaskMetric: a sub-metric already returns {clash}; '
                'give the MultiTaskMetric a prefix.'
            )
        merged.update(summary)
        self._write_output(merged)
        return merged

    def compute_metrics(self, results: Mapping[str, float]) -> dict:
        """delta_m of the per-task metrics (no prefix).

        Unlike other metrics, the input is not a list of per-sample
        records: :meth:`evaluate` passes the sub-metrics' merged results,
        and recorded results can be passed directly too.

        Args:
            results (Mapping[str, float]): Reported per-task metrics,
                holding every baseline key.

        Returns:
            dict: ``delta_m`` (percent) and ``delta_m_count`` (K).

        Raises:
            KeyError: If a baseline key is missing from ``results``; the
                message lists the available keys.
        """
        missing = sorted(set(self.baselines) - set(results))
        if missing:
            raise KeyError(
                f'MultiTaskMetric: no sub-metric returned the baseline '
                f'metric(s) {missing}; available keys: '
                + ', '.join(sorted(results))
            )
        self.changes = relative_changes(
            results, self.baselines, self.directions
        )
        value = sum(self.changes.values()) / len(self.changes)
        if not math.isfinite(value):
            print_log(
                f'MultiTaskMetric: delta_m is {value}; a metric is NaN: '
                f'{self.changes}',
                logger='current',
                level=logging.WARNING,
            )
        self._log_table(results, value)
        return dict(delta_m=value, delta_m_count=len(self.changes))

    def _log_table(self, results: Mapping[str, float], value: float) -> None:
        """Log metric, baseline, value, direction and change per key."""
        rows = [['metric', 'baseline', 'value', 'better', 'change (%)']]
        rows += [
            [
                key,
                f'{baseline:.4f}',
                f'{results[key]:.4f}',
                'higher' if self.directions[key] else 'lower',
                f'{self.changes[key]:+.2f}',
            ]
            for key, baseline in self.baselines.items()
        ]
        rows.append(['delta_m', '', '', '', f'{value:+.2f}'])
        BaseDenseMetric.log_table(rows, 'Multi-task delta_m')

    def _write_output(self, metrics: Dict[str, float]) -> None:
        """Write ``output_file`` (main process only, NaN as null)."""
        content = dict(
            metrics=metrics,
            protocol=self.protocol,
            metric_protocols=collect_protocols(self.metrics),
            relative_changes=self.changes,
        )
        BaseDenseMetric.dump_results(
            content, self.output_file, 'Multi-task metrics and protocol'
        )


def _protocol_name(metric: BaseMetric) -> str:
    """``ClassName``, or ``ClassName[prefix]`` for a prefixed metric."""
    name = type(metric).__name__
    return f'{name}[{metric.prefix}]' if metric.prefix else name


def collect_protocols(metrics: Sequence[BaseMetric]) -> Dict[str, dict]:
    """The ``protocol`` of every metric that has one, sub-metrics included.

    A metric holding others in a ``metrics`` list (:class:`MultiTaskMetric`)
    is followed by its sub-metrics, so that the protocol of each per-task
    metric is recorded next to the multi-task one.

    Args:
        metrics (Sequence[BaseMetric]): The metrics, e.g. an evaluator's.

    Returns:
        dict[str, dict]: Protocols keyed by ``ClassName`` or
        ``ClassName[prefix]``, in evaluation order.
    """
    protocols = {}
    for metric in metrics:
        protocol = getattr(metric, 'protocol', None)
        if protocol is not None:
            protocols[_protocol_name(metric)] = protocol
        protocols.update(collect_protocols(getattr(metric, 'metrics', [])))
    return protocols
