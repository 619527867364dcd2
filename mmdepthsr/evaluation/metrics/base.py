"""Common base of the dense (per-pixel) metrics.

:class:`BaseDenseMetric` holds what every dense metric of the toolbox does
the same way: it turns each model output into a dict and hands it to
:meth:`~BaseDenseMetric._process_one`, reads ``(1, H, W)`` maps out of the
samples with errors that name the sample's ``img_path``, handles images
without an evaluated pixel (``on_empty='error' | 'skip'``), logs
``terminaltables`` summaries and writes the optional ``output_file`` JSON
(metrics, protocol, counts and per-image records).
"""

import logging
import math
import os.path as osp
from abc import abstractmethod
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.fileio import dump
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmengine.utils import mkdir_or_exist
from terminaltables import AsciiTable

__all__ = ['BaseDenseMetric']

ArrayLike = Union[np.ndarray, torch.Tensor]

#: Advice given when a prediction and its ground truth differ in size.
_RESIZE_ADVICE = (
    'resize the prediction to the ground-truth size before evaluating.'
)

#: Accepted values of ``on_empty``.
_ON_EMPTY_CHOICES = ('error', 'skip')


def _as_float64(array: ArrayLike) -> np.ndarray:
    """A float64 numpy copy of a tensor or an array."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array, dtype=np.float64)


class BaseDenseMetric(BaseMetric):
    """Base of the metrics that compare a predicted map with its ground truth.

    A subclass implements :meth:`_process_one` (one sample, already a
    dict, to one picklable record), :meth:`compute_metrics` and the
    :attr:`protocol` property, and sets :attr:`results_name`. It finds
    here:

    - :meth:`process`: ``DenseDataSample`` -> dict -> :meth:`_process_one`
      for every sample of the batch;
    - :meth:`sample_name`, :meth:`read_field`, :meth:`read_map`,
      :meth:`check_shapes`, :meth:`check_finite`, :meth:`read_pair`:
      sample access with a ValueError / KeyError naming the sample's
      ``img_path``;
    - the ``on_empty`` handling of per-image metrics:
      :meth:`check_on_empty`, :meth:`skip_or_raise`, :meth:`split_skipped`
      and :meth:`mean_over_images`;
    - :meth:`log_table`, :meth:`log_summary`: ``terminaltables`` logging;
    - :meth:`write_output`, :meth:`write_per_image_output`: the
      ``output_file`` JSON, written by the main process only, NaN written
      as null.

    ``default_prefix`` is empty (not None), so MMEngine leaves the keys
    plain and does not warn that the prefix is unset.

    Args:
        pred_key (str): Field of the sample holding the prediction.
        gt_key (str): Field of the sample holding the ground truth.
        output_file (str, optional): Path of the JSON file written by
            :meth:`write_output`. Defaults to None (nothing written).
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix added as ``prefix/key`` to every
            key. Defaults to None (plain keys).
        collect_dir (str, optional): Directory used to collect results
            across ranks when ``collect_device='cpu'``. Defaults to None.
    """

    default_prefix: Optional[str] = ''

    #: Start of the log line announcing the output file, e.g.
    #: ``'Depth metrics'`` -> "Depth metrics and protocol written to ...".
    results_name: str = 'Metrics'

    #: Direction of every returned key: True where a higher value is
    #: better. :class:`MultiTaskMetric` reads it to sign delta_m.
    higher_is_better: Dict[str, bool] = {}

    def __init__(
        self,
        pred_key: str,
        gt_key: str,
        output_file: Optional[str] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        collect_dir: Optional[str] = None,
    ) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir,
        )
        self.pred_key = pred_key
        self.gt_key = gt_key
        self.output_file = output_file

    @property
    @abstractmethod
    def protocol(self) -> dict:
        """The evaluation protocol, written next to every result."""

    @abstractmethod
    def _process_one(self, sample: dict) -> dict:
        """The record of one sample (a dict), appended to ``results``."""

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Compute the record of each sample and store it.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Outputs of the model, each a
                ``DenseDataSample.to_dict()`` (or the sample itself) with
                ``sample[pred_key]['data']`` and ``sample[gt_key]['data']``
                and ``img_path`` in the metainfo.
        """
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            self.results.append(self._process_one(sample))

    # ----------------------------------------------------------- samples

    @staticmethod
    def sample_name(sample: dict) -> str:
        """``img_path`` of a sample, else ``sample_idx``, for messages."""
        return str(
            sample.get('img_path', sample.get('sample_idx', '<unnamed>'))
        )

    @staticmethod
    def read_field(sample: dict, key: str, name: str) -> np.ndarray:
        """Field ``key`` of a sample (its ``'data'``) as a numpy array.

        Args:
            sample (dict): The sample.
            key (str): The field.
            name (str): Name of the sample in error messages.

        Returns:
            np.ndarray: The data, as stored (no dtype or shape change).

        Raises:
            KeyError: If the sample has no field ``key``.
        """
        if key not in sample:
            raise KeyError(
                f'{name}: the sample has no field {key!r} '
                f'(fields: {sorted(sample)}).'
            )
        field = sample[key]
        data = field['data'] if isinstance(field, Mapping) else field
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        return np.asarray(data)

    @classmethod
    def read_map(
        cls, sample: dict, key: str, name: str, floating: bool = True
    ) -> np.ndarray:
        """The ``(H, W)`` map of field ``key`` of a sample.

        Args:
            sample (dict): The sample.
            key (str): The field, ``(1, H, W)`` or ``(H, W)``.
            name (str): Name of the sample in error messages.
            floating (bool): Convert a non-floating map to float64.
                Defaults to True.

        Returns:
            np.ndarray: The ``(H, W)`` map.

        Raises:
            KeyError: If the sample has no field ``key``.
            ValueError: If the field is not a single-channel map.
        """
        data = cls.read_field(sample, key, name)
        if floating and not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64)
        if data.ndim == 3 and data.shape[0] == 1:
            data = data[0]
        if data.ndim != 2:
            raise ValueError(
                f'{name}: {key} must have shape (1, H, W), got {data.shape}.'
            )
        return data

    def check_shapes(
        self,
        name: str,
        pred: np.ndarray,
        gt: np.ndarray,
        advice: str = _RESIZE_ADVICE,
    ) -> None:
        """Raise a ValueError naming the sample if the shapes differ."""
        if pred.shape != gt.shape:
            raise ValueError(
                f'{name}: {self.pred_key} has shape {pred.shape} but '
                f'{self.gt_key} has shape {gt.shape}; {advice}'
            )

    def check_finite(
        self,
        name: str,
        pred: np.ndarray,
        gt: np.ndarray,
        advice: str,
        unit: str = 'pixel(s)',
    ) -> None:
        """Raise a ValueError naming the sample on NaN / inf values.

        Args:
            name (str): Name of the sample.
            pred (np.ndarray): The prediction.
            gt (np.ndarray): The ground truth.
            advice (str): End of the message, after the count.
            unit (str): What is counted. Defaults to ``'pixel(s)'``.
        """
        for key, values in ((self.pred_key, pred), (self.gt_key, gt)):
            bad = int(np.sum(~np.isfinite(values)))
            if bad:
                raise ValueError(
                    f'{name}: {key} has {bad} NaN/inf {unit}; {advice}'
                )

    def read_pair(
        self,
        sample: dict,
        name: str,
        what: str,
        shape_advice: str = _RESIZE_ADVICE,
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The checked ``(H, W)`` prediction and ground-truth maps.

        Args:
            sample (dict): The sample.
            name (str): Name of the sample in error messages.
            what (str): What is computed from them, for the non-finite
                error, e.g. ``'depth metrics'``.
            shape_advice (str): End of the shape-mismatch error.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``pred`` and ``gt``, floating,
            of the same shape and finite everywhere.
        """
        pred = self.read_map(sample, self.pred_key, name)
        gt = self.read_map(sample, self.gt_key, name)
        self.check_shapes(name, pred, gt, shape_advice)
        self.check_finite(
            name,
            pred,
            gt,
            f'refusing to compute {what} from non-finite values.',
        )
        return pred, gt

    # ---------------------------------------------------------- on_empty

    @staticmethod
    def check_on_empty(on_empty: str) -> str:
        """``on_empty`` if it is ``'error'`` or ``'skip'``, else raise."""
        if on_empty not in _ON_EMPTY_CHOICES:
            raise ValueError(
                f'on_empty must be "error" or "skip", got {on_empty!r}.'
            )
        return on_empty

    def skip_or_raise(self, record: dict, problem: str) -> dict:
        """Handle an image without an evaluated pixel per ``on_empty``.

        Uses ``self.on_empty``, which a subclass with an ``on_empty``
        argument sets from :meth:`check_on_empty`.

        Args:
            record (dict): The image's record.
            problem (str): What is wrong, starting with the sample's name.

        Returns:
            dict: ``record`` marked ``skipped`` (``on_empty='skip'``).

        Raises:
            ValueError: With ``on_empty='error'``.
        """
        if self.on_empty == 'error':
            raise ValueError(
                f'{problem}; pass on_empty="skip" to leave such images out.'
            )
        record['skipped'] = True
        return record

    def split_skipped(
        self, results: List[dict], pixel: str = 'valid'
    ) -> Tuple[List[dict], List[dict]]:
        """Split the records into evaluated and skipped ones.

        Sets ``self.num_skipped`` and logs a warning naming the skipped
        images.

        Args:
            results (list[dict]): Records with a ``skipped`` flag.
            pixel (str): Adjective of the missing pixels in the messages,
                e.g. ``'valid'`` or ``'evaluated'``. Defaults to
                ``'valid'``.

        Returns:
            tuple[list[dict], list[dict]]: Evaluated and skipped records.

        Raises:
            ValueError: If no record is left to average.
        """
        owner = type(self).__name__
        evaluated = [r for r in results if not r['skipped']]
        skipped = [r for r in results if r['skipped']]
        self.num_skipped = len(skipped)
        if skipped:
            article = 'an' if pixel[:1] in tuple('aeiou') else 'a'
            print_log(
                f'{owner} skipped {len(skipped)} of {len(results)} '
                f'image(s) without {article} {pixel} pixel: '
                + self.join_shortened([r['img_path'] for r in skipped], 5),
                logger='current',
                level=logging.WARNING,
            )
        if not evaluated:
            raise ValueError(
                f'{owner} has no image to average: {len(results)} '
                f'sample(s) processed, {len(skipped)} skipped for having no '
                f'{pixel} pixel.'
            )
        return evaluated, skipped

    @staticmethod
    def mean_over_images(
        evaluated: List[dict], keys: Sequence[str]
    ) -> Dict[str, float]:
        """Arithmetic mean over the records of each ``record['metrics']``."""
        return {
            key: float(np.mean([r['metrics'][key] for r in evaluated]))
            for key in keys
        }

    # ------------------------------------------------------------ output

    @staticmethod
    def join_shortened(items: Sequence, limit: int) -> str:
        """``'a, b, c'``, cut after ``limit`` items with ``', ...'``."""
        text = ', '.join(str(item) for item in list(items)[:limit])
        return text + (', ...' if len(items) > limit else '')

    @staticmethod
    def log_table(rows: List[List[str]], title: str) -> None:
        """Log an ASCII table (header row first)."""
        print_log('\n' + AsciiTable(rows, title=title).table, logger='current')

    @classmethod
    def log_summary(
        cls,
        title: str,
        columns: Dict[str, object],
        metrics: Dict[str, float],
        digits: int = 4,
    ) -> None:
        """Log a one-row table: the ``columns`` then every metric.

        Args:
            title (str): Table title.
            columns (dict): Leading columns (header -> value).
            metrics (dict[str, float]): The metrics, in column order.
            digits (int): Decimals of the metrics. Defaults to 4.
        """
        header = [*columns, *metrics]
        row = [str(value) for value in columns.values()]
        row += [f'{value:.{digits}f}' for value in metrics.values()]
        cls.log_table([header, row], title)

    @staticmethod
    def json_safe(value):
        """``value`` with numpy types made plain and NaN turned into None.

        Dicts, lists and tuples are converted recursively (tuples become
        lists, as in JSON).
        """
        if isinstance(value, Mapping):
            return {k: BaseDenseMetric.json_safe(v) for k, v in value.items()}
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            return [BaseDenseMetric.json_safe(v) for v in value]
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            value = float(value)
            return None if math.isnan(value) else value
        return value

    def write_output(
        self, metrics: Dict[str, float], per_image: List[dict], **extra
    ) -> None:
        """Write the ``output_file`` JSON (main process only).

        The content is ``metrics``, ``protocol``, the ``extra`` entries
        (counts, per-class data, ...) in the given order, then
        ``per_image``; NaN anywhere is written as null. Nothing happens when
        ``output_file`` is None.

        Args:
            metrics (dict[str, float]): The returned metrics.
            per_image (list[dict]): One record per image.
            **extra: Entries written between ``protocol`` and
                ``per_image``.
        """
        content = dict(
            metrics=metrics,
            protocol=self.protocol,
            **extra,
            per_image=per_image,
        )
        self.dump_results(
            content, self.output_file, f'{self.results_name} and protocol'
        )

    @classmethod
    def dump_results(
        cls, content: dict, output_file: Optional[str], what: str
    ) -> None:
        """Write ``content`` as JSON (NaN as null) to ``output_file`` on the
        main process and log it; nothing when ``output_file`` is None.

        Args:
            content (dict): What to write.
            output_file (str, optional): The JSON path.
            what (str): Log text naming the content.
        """
        if output_file is None or not is_main_process():
            return
        directory = osp.dirname(output_file)
        if directory:
            mkdir_or_exist(directory)
        dump(cls.json_safe(content), output_file, file_format='json', indent=2)
        print_log(f'{what} written to {output_file}', logger='current')

    def write_per_image_output(
        self,
        metrics: Dict[str, float],
        evaluated: List[dict],
        skipped: List[dict],
        fields: Sequence[str] = ('num_valid',),
    ) -> None:
        """:meth:`write_output` for per-image records with ``on_empty``.

        Writes ``num_images``, ``num_skipped`` and ``skipped_images``, and
        per image its ``img_path``, the record's ``fields`` and its
        ``metrics``.

        Args:
            metrics (dict[str, float]): The returned metrics.
            evaluated (list[dict]): Records of the evaluated images.
            skipped (list[dict]): Records of the skipped images.
            fields (Sequence[str]): Record entries copied next to the
                metrics. Defaults to ``('num_valid',)``.
        """
        self.write_output(
            metrics,
            per_image=[
                dict(
                    img_path=r['img_path'],
                    **{field: r[field] for field in fields},
                    **r['metrics'],
                )
                for r in evaluated
            ],
            num_images=len(evaluated),
            num_skipped=len(skipped),
            skipped_images=[r['img_path'] for r in skipped],
        )
