"""Dump the dense predictions of a test run to a pickle file."""

import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.dist import collect_results, is_main_process
from mmengine.fileio import dump
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmengine.utils import mkdir_or_exist

from mmdepthsr.registry import HOOKS
from mmdepthsr.structures.dense_data_sample import PIXEL_FIELDS

#: Prediction fields dumped when ``keys`` is None (``seg_logits`` is left
#: out by default: it holds one map per class).
DEFAULT_PRED_KEYS = tuple(k for k in PIXEL_FIELDS if k.startswith('pred_'))

#: Metainfo copied next to the predictions of each sample.
META_KEYS = ('img_path', 'sample_idx', 'ori_shape', 'img_shape')


@HOOKS.register_module()
class DumpPredictionsHook(Hook):
    """Write the predictions of every test sample to one pickle file.

    The file (written with :func:`mmengine.dump`, read back with
    :func:`mmengine.load`) holds a list with one dict per test sample, in
    dataset order (gathered from every rank):

    - ``img_path``, ``sample_idx``, ``ori_shape``, ``img_shape``: the
      sample's metainfo (None when the sample lacks it);
    - one ``np.ndarray`` per prediction field present, e.g. ``pred_depth``
      of shape ``(1, H, W)`` float32 in metres, at the size the metrics see
      (the ground truth's, else ``ori_shape``).

    ``tools/test.py --out FILE.pkl`` adds this hook.

    Args:
        out_file (str): Output path ending in ``.pkl`` or ``.pickle``.
        keys (Sequence[str], optional): Fields to dump. Defaults to every
            ``pred_*`` field of :class:`DenseDataSample` the sample has.
    """

    priority = 'LOW'

    def __init__(self, out_file: str, keys: Optional[Sequence[str]] = None):
        if not str(out_file).endswith(('.pkl', '.pickle')):
            raise ValueError(
                'DumpPredictionsHook: the output file must end in .pkl or '
                f'.pickle, got {out_file!r}.'
            )
        self.out_file = str(out_file)
        self.keys = tuple(keys) if keys is not None else DEFAULT_PRED_KEYS
        self._results: list = []

    def before_test(self, runner) -> None:
        """Start an empty list of results."""
        self._results = []

    def after_test_iter(
        self,
        runner,
        batch_idx: int,
        data_batch: Optional[dict] = None,
        outputs: Optional[Sequence[BaseDataElement]] = None,
    ) -> None:
        """Keep the metainfo and prediction arrays of each output sample."""
        for sample in outputs or ():
            record = {k: sample.metainfo.get(k) for k in META_KEYS}
            for key in self.keys:
                if key in sample:
                    data = getattr(sample, key).data
                    record[key] = data.detach().cpu().numpy()
            self._results.append(record)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None):
        """Gather the results of every rank and write the file (rank 0)."""
        size = len(runner.test_dataloader.dataset)
        results = collect_results(self._results, size, device='cpu')
        self._results = []
        if not is_main_process():
            return
        directory = osp.dirname(osp.abspath(self.out_file))
        mkdir_or_exist(directory)
        dump(results, self.out_file)
        dumped = sorted(
            {
                k
                for r in results
                for k, v in r.items()
                if isinstance(v, np.ndarray)
            }
        )
        print_log(
            f'Predictions of {len(results)} sample(s) ({", ".join(dumped)}) '
            f'written to {self.out_file}',
            logger='current',
        )
