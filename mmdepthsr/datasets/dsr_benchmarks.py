"""Real guided depth SR test sets: Middlebury, Lu and RGB-D-D.

The complete test sets of the DKN / FDSR / DCTNet line of guided depth
super-resolution papers, in the layout of the ``RawDatasets/`` folder of
the GDSR-DCTNet repository (Zhaozixiang1228/GDSR-DCTNet):

- ``Middlebury/``: 30 RGB-D pairs (Scharstein et al.), 8-bit grey depth
  (disparity-like grey levels 0..255);
- ``Lu/``: 6 pairs (Lu, Ren and Liu, CVPR 2014), 8-bit grey depth;
- ``RGBDD/``: 405 pairs, the test split of RGB-D-D (He et al., CVPR 2021),
  16-bit depth in millimetres.

They are test sets only: no training, no model selection on them. The data
keep their own terms and are never copied into this repository (see
``docs/dataset_prepare.md``).
"""

import os
import os.path as osp
import re
from typing import List, Sequence

from mmengine.dataset import BaseDataset

from mmdepthsr.registry import DATASETS

#: Per-set settings: folder under ``data_root``, file name endings of the
#: RGB and depth files, the shipped number of pairs, the unit of the depth
#: maps and the ``LoadDepth`` ``depth_scale`` that gives that unit.
DSR_BENCHMARK_SUBSETS = dict(
    middlebury=dict(
        folder='Middlebury',
        img_suffix='_color.png',
        depth_suffix='_depth.png',
        num_pairs=30,
        depth_unit='raw',
        depth_scale=1.0,
        unit_note='8-bit grey levels (0..255, disparity-like), not metres',
    ),
    lu=dict(
        folder='Lu',
        img_suffix='_color.png',
        depth_suffix='_depth.png',
        num_pairs=6,
        depth_unit='raw',
        depth_scale=1.0,
        unit_note='8-bit grey levels (0..255), not metres',
    ),
    rgbdd=dict(
        folder='RGBDD',
        img_suffix='_RGB.jpg',
        depth_suffix='_HR_gt.png',
        num_pairs=405,
        depth_unit='m',
        depth_scale=1000.0,
        unit_note='metres (16-bit PNG of millimetres divided by 1000)',
    ),
)

_FIRST_NUMBER = re.compile(r'\d+')


def _pair_key(name: str) -> str:
    """The first run of digits of a file name: ``'01'`` of
    ``Middlebury_01_output_color.png``, the time stamp of an RGB-D-D
    file."""
    match = _FIRST_NUMBER.search(name)
    return match.group(0) if match else name


@DATASETS.register_module()
class DSRBenchmarkDataset(BaseDataset):
    """One of the real guided DSR test sets, in its shipped layout.

    Layout (``data_root`` holds the three folders)::

        data_root/
            Middlebury/RGB/Middlebury_01_output_color.png ... (30)
            Middlebury/Depth/Middlebury_01_output_depth.png ...  8-bit L
            Lu/RGB/RGBD_01_ouput_color.png ... (6; "ouput" as shipped)
            Lu/Depth/RGBD_01_output_depth.png ...                8-bit L
            RGBDD/RGB/<stamp>_RGB.jpg ... (405)
            RGBDD/Depth/<stamp>_HR_gt.png ...          16-bit I;16, mm

    The files ending in the set's RGB and depth suffixes are sorted by name
    and paired in that order (the order of the GDSR-DCTNet test code); the
    first run of digits of the two names (scene number or time stamp) must
    agree, so that a missing file cannot shift the pairs silently.

    Units (class :data:`DSR_BENCHMARK_SUBSETS`, also in ``metainfo``):
    Middlebury and Lu maps are 8-bit grey levels: load them with
    ``LoadDepth(depth_scale=1.0, allow_8bit=True)`` and score with
    ``SRMetric(unit='raw', clip=(0, 255))``; RGB-D-D maps are
    millimetres: ``LoadDepth(depth_scale=1000.0)`` gives metres,
    ``SRMetric(unit='cm')`` centimetres. No camera intrinsics are set.

    Each sample gives ``img_path``, ``depth_path``, ``sample_idx`` and
    ``subset``.

    Args:
        subset (str): ``'middlebury'``, ``'lu'`` or ``'rgbdd'``.
        data_root (str): Folder holding the set folders. Defaults to
            ``'data/dsr_benchmarks'``.
        check_num_pairs (bool): Raise if the set does not have its shipped
            number of pairs (30, 6, 405): a partial copy would give numbers
            that cannot be compared with the literature. Defaults to True.
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.

    Raises:
        ValueError: Unknown subset, different numbers of RGB and depth
            files, a pair whose names disagree, or (``check_num_pairs``)
            the wrong number of pairs.
        FileNotFoundError: If a set folder is missing.
    """

    def __init__(
        self,
        subset: str,
        data_root: str = 'data/dsr_benchmarks',
        check_num_pairs: bool = True,
        pipeline: Sequence = (),
        **kwargs,
    ):
        key = str(subset).lower()
        if key not in DSR_BENCHMARK_SUBSETS:
            raise ValueError(
                f'DSRBenchmarkDataset: subset must be one of '
                f'{tuple(DSR_BENCHMARK_SUBSETS)}, got {subset!r}.'
            )
        self.subset = key
        self.settings = DSR_BENCHMARK_SUBSETS[key]
        self.check_num_pairs = check_num_pairs
        super().__init__(
            data_root=data_root, pipeline=list(pipeline), **kwargs
        )
        # set here rather than passed as ``metainfo``, which MMEngine would
        # try to open as files
        self._metainfo.update(
            dataset_name=f'dsr_benchmark_{key}',
            subset=key,
            depth_unit=self.settings['depth_unit'],
            depth_scale=self.settings['depth_scale'],
            unit_note=self.settings['unit_note'],
        )

    def _list(self, folder: str, suffix: str) -> List[str]:
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'DSRBenchmarkDataset ({self.subset}): folder not found: '
                f'{folder} (see docs/dataset_prepare.md, "Real DSR test '
                'sets").'
            )
        return sorted(n for n in os.listdir(folder) if n.endswith(suffix))

    def load_data_list(self) -> List[dict]:
        """One entry per RGB-D pair, in sorted file-name order."""
        root = osp.join(self.data_root, self.settings['folder'])
        img_dir, depth_dir = osp.join(root, 'RGB'), osp.join(root, 'Depth')
        imgs = self._list(img_dir, self.settings['img_suffix'])
        depths = self._list(depth_dir, self.settings['depth_suffix'])
        name = f'DSRBenchmarkDataset ({self.subset})'
        if len(imgs) != len(depths):
            raise ValueError(
                f'{name}: {len(imgs)} RGB files in {img_dir} but '
                f'{len(depths)} depth files in {depth_dir}.'
            )
        expected = self.settings['num_pairs']
        if self.check_num_pairs and len(imgs) != expected:
            raise ValueError(
                f'{name}: {len(imgs)} pairs in {root}, the set has '
                f'{expected}; a partial set is not comparable with the '
                'literature (check_num_pairs=False to read it anyway).'
            )
        data_list = []
        for index, (img, depth) in enumerate(zip(imgs, depths)):
            if _pair_key(img) != _pair_key(depth):
                raise ValueError(
                    f'{name}: pair {index} does not match: {img} and '
                    f'{depth} (RGB and depth files pair by sorted name).'
                )
            data_list.append(
                dict(
                    img_path=osp.join(img_dir, img),
                    depth_path=osp.join(depth_dir, depth),
                    sample_idx=index,
                    subset=self.subset,
                )
            )
        return data_list


__all__ = ['DSR_BENCHMARK_SUBSETS', 'DSRBenchmarkDataset']
