"""Cityscapes: depth from disparity, 19 classes and 7 categories.

Source: Cordts et al., "The Cityscapes Dataset for Semantic Urban Scene
Understanding", CVPR 2016, and its scripts (``mcordts/cityscapesScripts``:
file layout, disparity encoding, camera JSON, the label table of
``labels.py``). The 256 x 512 multi-task protocol follows Auto-Lambda
(Liu et al., TMLR 2022, ``lorenmt/auto-lambda``).

The dataset reads the original layout (no conversion)::

    {data_root}/leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
    {data_root}/disparity/{split}/{city}/{city}_{seq}_{frame}_disparity.png
    {data_root}/camera/{split}/{city}/{city}_{seq}_{frame}_camera.json
    {data_root}/gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png
"""

import json
import os
import os.path as osp
import re
from collections import namedtuple
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from mmdepthsr.registry import DATASETS

#: One row of the Cityscapes label table (``labels.py`` of
#: cityscapesScripts): ``id`` is the value in ``*_labelIds.png``,
#: ``train_id`` the 19-class id (255 = ignored, -1 = never drawn),
#: ``category_id`` the 0..7 category (0 = void), ``color`` RGB.
CityscapesLabel = namedtuple(
    'CityscapesLabel',
    [
        'name',
        'id',
        'train_id',
        'category',
        'category_id',
        'has_instances',
        'ignore_in_eval',
        'color',
    ],
)

#: The full Cityscapes label table.
CITYSCAPES_LABELS = (
    CityscapesLabel('unlabeled', 0, 255, 'void', 0, False, True, (0, 0, 0)),
    CityscapesLabel('ego vehicle', 1, 255, 'void', 0, False, True, (0, 0, 0)),
    CityscapesLabel(
        'rectification border', 2, 255, 'void', 0, False, True, (0, 0, 0)
    ),
    CityscapesLabel('out of roi', 3, 255, 'void', 0, False, True, (0, 0, 0)),
    CityscapesLabel('static', 4, 255, 'void', 0, False, True, (0, 0, 0)),
    CityscapesLabel('dynamic', 5, 255, 'void', 0, False, True, (111, 74, 0)),
    CityscapesLabel('ground', 6, 255, 'void', 0, False, True, (81, 0, 81)),
    CityscapesLabel('road', 7, 0, 'flat', 1, False, False, (128, 64, 128)),
    CityscapesLabel('sidewalk', 8, 1, 'flat', 1, False, False, (244, 35, 232)),
    CityscapesLabel(
        'parking', 9, 255, 'flat', 1, False, True, (250, 170, 160)
    ),
    CityscapesLabel(
        'rail track', 10, 255, 'flat', 1, False, True, (230, 150, 140)
    ),
    CityscapesLabel(
        'building', 11, 2, 'construction', 2, False, False, (70, 70, 70)
    ),
    CityscapesLabel(
        'wall', 12, 3, 'construction', 2, False, False, (102, 102, 156)
    ),
    CityscapesLabel(
        'fence', 13, 4, 'construction', 2, False, False, (190, 153, 153)
    ),
    CityscapesLabel(
        'guard rail', 14, 255, 'construction', 2, False, True, (180, 165, 180)
    ),
    CityscapesLabel(
        'bridge', 15, 255, 'construction', 2, False, True, (150, 100, 100)
    ),
    CityscapesLabel(
        'tunnel', 16, 255, 'construction', 2, False, True, (150, 120, 90)
    ),
    CityscapesLabel('pole', 17, 5, 'object', 3, False, False, (153, 153, 153)),
    CityscapesLabel(
        'polegroup', 18, 255, 'object', 3, False, True, (153, 153, 153)
    ),
    CityscapesLabel(
        'traffic light', 19, 6, 'object', 3, False, False, (250, 170, 30)
    ),
    CityscapesLabel(
        'traffic sign', 20, 7, 'object', 3, False, False, (220, 220, 0)
    ),
    CityscapesLabel(
        'vegetation', 21, 8, 'nature', 4, False, False, (107, 142, 35)
    ),
    CityscapesLabel(
        'terrain', 22, 9, 'nature', 4, False, False, (152, 251, 152)
    ),
    CityscapesLabel('sky', 23, 10, 'sky', 5, False, False, (70, 130, 180)),
    CityscapesLabel('person', 24, 11, 'human', 6, True, False, (220, 20, 60)),
    CityscapesLabel('rider', 25, 12, 'human', 6, True, False, (255, 0, 0)),
    CityscapesLabel('car', 26, 13, 'vehicle', 7, True, False, (0, 0, 142)),
    CityscapesLabel('truck', 27, 14, 'vehicle', 7, True, False, (0, 0, 70)),
    CityscapesLabel('bus', 28, 15, 'vehicle', 7, True, False, (0, 60, 100)),
    CityscapesLabel('caravan', 29, 255, 'vehicle', 7, True, True, (0, 0, 90)),
    CityscapesLabel('trailer', 30, 255, 'vehicle', 7, True, True, (0, 0, 110)),
    CityscapesLabel('train', 31, 16, 'vehicle', 7, True, False, (0, 80, 100)),
    CityscapesLabel(
        'motorcycle', 32, 17, 'vehicle', 7, True, False, (0, 0, 230)
    ),
    CityscapesLabel(
        'bicycle', 33, 18, 'vehicle', 7, True, False, (119, 11, 32)
    ),
    # Never drawn into *_labelIds.png (cityscapesScripts skips negative
    # ids; the plate keeps the label of the car under it).
    CityscapesLabel(
        'license plate', -1, -1, 'vehicle', 7, False, True, (0, 0, 142)
    ),
)

#: The 19 evaluated classes (train ids 0..18), in train-id order.
CITYSCAPES_CLASSES_19 = tuple(
    lab.name
    for lab in sorted(CITYSCAPES_LABELS, key=lambda lab: lab.train_id)
    if 0 <= lab.train_id < 255
)
CITYSCAPES_PALETTE_19 = tuple(
    lab.color
    for lab in sorted(CITYSCAPES_LABELS, key=lambda lab: lab.train_id)
    if 0 <= lab.train_id < 255
)

#: The 7 categories (category id - 1 = 0..6; void is ignored), coloured
#: like their most frequent class.
CITYSCAPES_CATEGORIES_7 = (
    'flat',
    'construction',
    'object',
    'nature',
    'sky',
    'human',
    'vehicle',
)
CITYSCAPES_PALETTE_7 = (
    (128, 64, 128),
    (70, 70, 70),
    (153, 153, 153),
    (107, 142, 35),
    (70, 130, 180),
    (220, 20, 60),
    (0, 0, 142),
)

#: Size (H, W) of every Cityscapes frame, and the package of each folder.
CITYSCAPES_IMAGE_SHAPE = (1024, 2048)
CITYSCAPES_SPLITS = ('train', 'val', 'test', 'train_extra')
_PACKAGES = dict(
    leftImg8bit='leftImg8bit_trainvaltest.zip (leftImg8bit_trainextra.zip)',
    disparity='disparity_trainvaltest.zip (disparity_trainextra.zip)',
    camera='camera_trainvaltest.zip (camera_trainextra.zip)',
    gtFine='gtFine_trainvaltest.zip',
    gtCoarse='gtCoarse.zip',
)

_IMG_SUFFIX = '_leftImg8bit.png'
_STEM = re.compile(r'^(?P<city>.+)_(?P<seq>\d{6})_(?P<frame>\d{6})$')


def cityscapes_label_map(seg_classes: int = 19) -> np.ndarray:
    """Lookup array from ``labelIds`` to training ids (255 = ignore).

    Entry ``i`` is the target of label id ``i`` (0..33):

    - ``seg_classes=19``: the train ids of ``labels.py`` (road 7
      -> 0, car 26 -> 13, ...); the other ids -> 255.
    - ``seg_classes=7``: category id - 1 (flat 0, construction 1, object 2,
      nature 3, sky 4, human 5, vehicle 6); void (ids 0..6) -> 255.

    Ids outside 0..33 are not in the array, so ``LoadSemSeg`` reports them
    as unknown.

    Args:
        seg_classes (int): 19 or 7.

    Returns:
        np.ndarray: ``(34,)`` int64.
    """
    if seg_classes not in (19, 7):
        raise ValueError(
            f'cityscapes_label_map: seg_classes must be 19 or 7, got '
            f'{seg_classes!r}.'
        )
    drawn = [lab for lab in CITYSCAPES_LABELS if lab.id >= 0]
    lut = np.full(max(lab.id for lab in drawn) + 1, 255, dtype=np.int64)
    for lab in drawn:
        if seg_classes == 19:
            lut[lab.id] = lab.train_id
        elif lab.category_id > 0:
            lut[lab.id] = lab.category_id - 1
    return lut


def read_cityscapes_camera(path: str) -> Dict[str, object]:
    """Read a Cityscapes ``*_camera.json``.

    The file holds ``{"extrinsic": {"baseline": B, ...}, "intrinsic":
    {"fx": .., "fy": .., "u0": .., "v0": ..}}`` for the 2048 x 1024 left
    image; ``(u0, v0)`` is taken as the principal point ``(cx, cy)`` in the
    pixel-centre convention of the toolbox (the documentation does not say
    otherwise).

    Args:
        path (str): The JSON file.

    Returns:
        dict: ``cam_intrinsics`` (float64 ``[fx, fy, cx, cy]``) and
        ``stereo_baseline`` (metres, float).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not JSON or lacks a field, or a value is not a
            finite number (positive for baseline, fx and fy).
    """
    try:
        with open(path, encoding='utf-8') as f:
            camera = json.load(f)
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f'Cityscapes camera file not found: {path}'
        ) from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f'Cityscapes camera file {path} is not valid JSON: {err}'
        ) from err
    fields = (
        ('extrinsic', 'baseline'),
        ('intrinsic', 'fx'),
        ('intrinsic', 'fy'),
        ('intrinsic', 'u0'),
        ('intrinsic', 'v0'),
    )
    values = {}
    for group, name in fields:
        block = camera.get(group) if isinstance(camera, dict) else None
        if not isinstance(block, dict) or name not in block:
            raise ValueError(
                f'Cityscapes camera file {path} has no "{group}.{name}" '
                '(expected {"extrinsic": {"baseline": ...}, "intrinsic": '
                '{"fx", "fy", "u0", "v0"}}).'
            )
        try:
            value = float(block[name])
        except (TypeError, ValueError) as err:
            raise ValueError(
                f'Cityscapes camera file {path}: "{group}.{name}" is '
                f'{block[name]!r}, not a number.'
            ) from err
        positive = name in ('baseline', 'fx', 'fy')
        if not np.isfinite(value) or (positive and value <= 0):
            raise ValueError(
                f'Cityscapes camera file {path}: "{group}.{name}" is '
                f'{value}; expected a finite'
                f'{" positive" if positive else ""} number.'
            )
        values[name] = value
    return dict(
        cam_intrinsics=np.array(
            [values['fx'], values['fy'], values['u0'], values['v0']],
            dtype=np.float64,
        ),
        stereo_baseline=values['baseline'],
    )


@DATASETS.register_module()
class CityscapesDataset(BaseDataset):
    """Cityscapes frames with depth from disparity and semantic labels.

    Reads the original layout (see the module docstring), one sample per
    ``leftImg8bit`` image of the split, sorted by city and frame name:
    2975 train, 500 val, 1525 test, 19998 train_extra. Each sample lists:

    - ``img_path`` (8-bit RGB, 1024 x 2048), ``frame_id``
      (``'{city}_{seq}_{frame}'``), ``city``;
    - with ``with_depth``: ``disparity_path`` (16-bit PNG, decoded to depth
      by ``LoadDisparityDepth``);
    - with ``with_depth``, or without it when the ``camera`` folder of the
      split exists: ``camera_path`` and, from the camera JSON,
      ``cam_intrinsics`` (float64 ``[fx, fy, u0, v0]``, pixels) and
      ``stereo_baseline`` (metres);
    - with ``seg_classes``: ``seg_map_path`` (``gtFine`` ``labelIds``, or
      ``gtCoarse`` for train_extra) and ``label_map``, the lookup array
      labelId -> training id (255 = ignore) that ``LoadSemSeg`` applies.

    ``METAINFO`` (``classes``, ``palette``) follows ``seg_classes``: the 19
    train-id classes (default), the 7 categories, or none.

    Every listed file must exist; a missing file, a malformed frame name or
    camera JSON raises an error naming the file (and the download package
    for a missing folder).

    Args:
        data_root (str): Folder holding ``leftImg8bit/``, ``disparity/``,
            ``camera/`` and ``gtFine/``.
        split (str): ``'train'``, ``'val'``, ``'test'`` or
            ``'train_extra'``. Defaults to ``'train'``.
        seg_classes (int, optional): 19 (train ids), 7 (categories) or None
            (no labels). Defaults to 19.
        with_depth (bool): List the disparity files and require the camera
            files. Defaults to True.
        seg_dir (str, optional): Label folder; None picks ``'gtFine'``, or
            ``'gtCoarse'`` for train_extra (which has no fine labels).
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``indices``, ``test_mode``, ``lazy_init``, ...).

    Examples:
        >>> dataset = CityscapesDataset(data_root='data/cityscapes',
        ...                             split='val')  # doctest: +SKIP
        >>> info = dataset.get_data_info(0)  # doctest: +SKIP
        >>> info['stereo_baseline'], info['label_map'][26]  # doctest: +SKIP
        (0.209313, 13)
    """

    METAINFO = dict(
        classes=CITYSCAPES_CLASSES_19, palette=CITYSCAPES_PALETTE_19
    )

    def __init__(
        self,
        data_root: str = 'data/cityscapes',
        split: str = 'train',
        seg_classes: Optional[int] = 19,
        with_depth: bool = True,
        seg_dir: Optional[str] = None,
        pipeline: Sequence = (),
        metainfo: Optional[dict] = None,
        **kwargs,
    ):
        if split not in CITYSCAPES_SPLITS:
            raise ValueError(
                f'CityscapesDataset: split must be one of '
                f'{CITYSCAPES_SPLITS}, got {split!r}.'
            )
        if seg_classes not in (19, 7, None):
            raise ValueError(
                'CityscapesDataset: seg_classes must be 19, 7 or None, got '
                f'{seg_classes!r}.'
            )
        self.split = split
        self.seg_classes = seg_classes
        self.with_depth = bool(with_depth)
        if seg_dir is None:
            seg_dir = 'gtCoarse' if split == 'train_extra' else 'gtFine'
        self.seg_dir = seg_dir
        self.label_map = (
            None if seg_classes is None else cityscapes_label_map(seg_classes)
        )
        if seg_classes == 7:
            classes = dict(
                classes=CITYSCAPES_CATEGORIES_7, palette=CITYSCAPES_PALETTE_7
            )
        elif seg_classes is None:
            classes = dict(classes=(), palette=())
        else:
            classes = {}
        super().__init__(
            data_root=data_root,
            pipeline=list(pipeline),
            metainfo={**classes, **(metainfo or {})},
            **kwargs,
        )

    def _folder(self, kind: str) -> str:
        return osp.join(self.data_root, kind, self.split)

    def _check_folder(self, kind: str) -> str:
        folder = self._folder(kind)
        if not osp.isdir(folder):
            package = _PACKAGES.get(kind, kind)
            raise FileNotFoundError(
                f'CityscapesDataset: folder {folder} does not exist; '
                f'unpack {package} into {self.data_root}.'
            )
        return folder

    def _list_images(self) -> List[str]:
        """Relative paths ``city/stem`` of the split's images, sorted."""
        root = self._check_folder('leftImg8bit')
        stems = []
        for city in sorted(os.listdir(root)):
            city_dir = osp.join(root, city)
            if not osp.isdir(city_dir):
                continue
            for name in sorted(os.listdir(city_dir)):
                if not name.endswith(_IMG_SUFFIX):
                    continue
                stem = name[: -len(_IMG_SUFFIX)]
                match = _STEM.match(stem)
                if match is None or match['city'] != city:
                    raise ValueError(
                        f'CityscapesDataset: {osp.join(city_dir, name)} is '
                        'not named {city}_{seq:06d}_{frame:06d}'
                        f'{_IMG_SUFFIX} with city {city!r}.'
                    )
                stems.append(f'{city}/{stem}')
        if not stems:
            raise FileNotFoundError(
                f'CityscapesDataset: no *{_IMG_SUFFIX} image under {root}.'
            )
        return stems

    def load_data_list(self) -> List[dict]:
        """List the split's frames and read their camera files."""
        kinds = [('leftImg8bit', 'img_path', _IMG_SUFFIX)]
        if self.with_depth:
            kinds.append(('disparity', 'disparity_path', '_disparity.png'))
        with_camera = self.with_depth or osp.isdir(self._folder('camera'))
        if with_camera:
            kinds.append(('camera', 'camera_path', '_camera.json'))
        if self.seg_classes is not None:
            kinds.append(
                (self.seg_dir, 'seg_map_path', f'_{self.seg_dir}_labelIds.png')
            )
        for kind, _, _ in kinds:
            self._check_folder(kind)

        data_list, missing = [], []
        for rel in self._list_images():
            city, stem = rel.split('/')
            info = dict(frame_id=stem, city=city)
            for kind, key, suffix in kinds:
                path = osp.join(self._folder(kind), city, stem + suffix)
                if not osp.isfile(path):
                    missing.append(path)
                info[key] = path
            data_list.append(info)
        if missing:
            shown = '\n  '.join(missing[:5])
            more = (
                f'\n  ... ({len(missing) - 5} more)'
                if len(missing) > 5
                else ''
            )
            raise FileNotFoundError(
                f'CityscapesDataset: {len(missing)} file(s) of split '
                f'{self.split!r} are missing:\n  {shown}{more}'
            )
        for info in data_list:
            if with_camera:
                info.update(read_cityscapes_camera(info['camera_path']))
            if self.label_map is not None:
                info['label_map'] = self.label_map
        return data_list


__all__ = [
    'CityscapesLabel',
    'CITYSCAPES_LABELS',
    'CITYSCAPES_CLASSES_19',
    'CITYSCAPES_PALETTE_19',
    'CITYSCAPES_CATEGORIES_7',
    'CITYSCAPES_PALETTE_7',
    'CITYSCAPES_IMAGE_SHAPE',
    'CITYSCAPES_SPLITS',
    'cityscapes_label_map',
    'read_cityscapes_camera',
    'CityscapesDataset',
]
