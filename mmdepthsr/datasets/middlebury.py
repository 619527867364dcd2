"""Middlebury 2005 depth super-resolution scenes (PMBANet protocol).

Source: the Middlebury 2005 stereo data sets (Hirschmuller and Scharstein,
"Evaluation of Cost Functions for Stereo Matching", CVPR 2007;
vision.middlebury.edu/stereo/data/scenes2005) as used for guided depth SR
by PMBANet (Ye et al., "PMBANet: Progressive Multi-Branch Aggregation
Network for Scene Depth Super-Resolution", IEEE TIP 2020; test data in
Sunbaoli/PMBANet_DSR): the six scenes Art, Books, Dolls, Laundry, Moebius
and Reindeer at full size, hole-filled 8-bit disparity cropped to a
multiple of 64 (1344 x 1088, or 1280 x 1088 for Laundry and Reindeer).
``tools/dataset_converters/middlebury.py`` makes the layout read here.
"""

import os.path as osp
import re
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from mmdepthsr.registry import DATASETS

#: The six Middlebury 2005 test scenes of PMBANet, in the order of its
#: shipped test files 1.png .. 6.png (alphabetical).
MIDDLEBURY2005_SCENES = (
    'Art',
    'Books',
    'Dolls',
    'Laundry',
    'Moebius',
    'Reindeer',
)

_SCENE_NAME = re.compile(r'^[A-Za-z0-9_.-]+$')


@DATASETS.register_module()
class Middlebury2005Dataset(BaseDataset):
    """Middlebury 2005 RGB + 8-bit disparity pairs for depth SR.

    **The maps are 8-bit grey levels (0..255), not metres.** They are the
    Middlebury disparity PNGs, hole-filled, which the PMBANet protocol
    super-resolves and scores as they are: load them with
    ``LoadDepth(depth_scale=1.0, allow_8bit=True)`` (floats 0..255 in
    ``gt_depth``), make the LR input with
    ``GenerateLRDepth(method='bicubic_cv2_uint8')`` and evaluate with
    ``SRMetric(unit='raw', border=0, quantize='uint8')``. No camera
    intrinsics are set: the maps are disparities, not depths, and the
    protocol uses none.

    Converted layout (``tools/dataset_converters/middlebury.py``)::

        data_root/
            Art/view1.png      RGB, H x W, W and H multiples of 64
            Art/disp1.png      8-bit, hole-filled, same size (1..255)
            Books/...
            splits/test.txt    one scene folder name per line

    Each sample gives ``img_path`` (``<scene>/view1.png``), ``depth_path``
    (``<scene>/disp1.png``), ``scene`` and ``sample_idx``.

    Args:
        data_root (str): Root of the converted layout. Defaults to
            ``'data/middlebury2005'``.
        split (str): Name of the scene list ``splits/<split>.txt`` (blank
            lines and lines starting with ``#`` are skipped). Defaults to
            ``'test'`` (the six scenes of PMBANet).
        scenes (Sequence[str], optional): Scene folders to use instead of
            the split file. Defaults to None.
        img_name (str): RGB file inside a scene folder. Defaults to
            ``'view1.png'``.
        depth_name (str): 8-bit map inside a scene folder. Defaults to
            ``'disp1.png'``.
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.

    Raises:
        FileNotFoundError: If the split file or a scene's file is missing
            (the message names the file and the split line).
        ValueError: If a split line is not a plain folder name.
    """

    METAINFO = dict(
        dataset_name='middlebury2005',
        depth_unit='8-bit disparity grey levels (0..255), not metres',
    )

    def __init__(
        self,
        data_root: str = 'data/middlebury2005',
        split: str = 'test',
        scenes: Optional[Sequence[str]] = None,
        img_name: str = 'view1.png',
        depth_name: str = 'disp1.png',
        pipeline: Sequence = (),
        **kwargs,
    ):
        self.split = split
        self.scenes = None if scenes is None else tuple(scenes)
        self.img_name = img_name
        self.depth_name = depth_name
        super().__init__(
            data_root=data_root, pipeline=list(pipeline), **kwargs
        )

    def _split_entries(self) -> List[tuple]:
        """``(scene, source)`` pairs; source names the split line."""
        if self.scenes is not None:
            entries = [(s, f'scenes[{i}]') for i, s in enumerate(self.scenes)]
        else:
            split_file = osp.join(
                self.data_root, 'splits', f'{self.split}.txt'
            )
            if not osp.isfile(split_file):
                raise FileNotFoundError(
                    f'Middlebury2005Dataset: split file not found: '
                    f'{split_file} (run tools/dataset_converters/'
                    'middlebury.py, or pass scenes=[...]).'
                )
            entries = []
            with open(split_file, encoding='utf-8') as f:
                for number, line in enumerate(f, start=1):
                    line = line.strip()
                    if line and not line.startswith('#'):
                        entries.append((line, f'{split_file}:{number}'))
        for scene, source in entries:
            if not _SCENE_NAME.match(scene) or scene in ('.', '..'):
                raise ValueError(
                    f'Middlebury2005Dataset: {source}: {scene!r} is not a '
                    'scene folder name (letters, digits, "_", "-", ".").'
                )
        return entries

    def load_data_list(self) -> List[dict]:
        """One entry per scene: the RGB and 8-bit map paths."""
        data_list = []
        for index, (scene, source) in enumerate(self._split_entries()):
            img_path = osp.join(self.data_root, scene, self.img_name)
            depth_path = osp.join(self.data_root, scene, self.depth_name)
            for path in (img_path, depth_path):
                if not osp.isfile(path):
                    raise FileNotFoundError(
                        f'Middlebury2005Dataset: {source}: file not found: '
                        f'{path}'
                    )
            data_list.append(
                dict(
                    img_path=img_path,
                    depth_path=depth_path,
                    scene=scene,
                    sample_idx=index,
                )
            )
        return data_list


__all__ = ['MIDDLEBURY2005_SCENES', 'Middlebury2005Dataset']
