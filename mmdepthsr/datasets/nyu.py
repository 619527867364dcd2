"""NYU Depth v2: the labelled set and the raw 'sync' layout.

Silberman, Hoiem, Kohli, Fergus, "Indoor Segmentation and Support Inference
from RGBD Images", ECCV 2012 (the 1449 labelled frames, the official 795 /
654 split); class maps of Gupta, Arbelaez, Malik, CVPR 2013 (894 -> 40) and
Couprie et al., ICLR 2013 / Eigen & Fergus, ICCV 2015 (40 -> 13); the raw
"sync" training set and split files of BTS (cleinc/bts).

- :class:`NYULabeledDataset` reads the layout written by
  ``tools/dataset_converters/nyu.py`` from ``nyu_depth_v2_labeled.mat``.
- :class:`NYUDepthV2Dataset` reads the BTS layout (24,231 training frames of
  ``sync/``, the 654 official test frames of ``official_splits/test/``).

The class maps, class names and the official test indices ship as package
data in ``mmdepthsr/datasets/meta/``.
"""

import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmdepthsr.registry import DATASETS
from mmdepthsr.structures.protocols import NYU_INTRINSICS

#: Number of frames of ``nyu_depth_v2_labeled.mat``.
NYU_NUM_LABELLED = 1449
#: Guided depth super-resolution protocol of DJF / DKN (cvlab-yonsei/dkn):
#: the first 1000 labelled frames (0-based 0..999) train, the rest test.
NYU_DSR_NUM_TRAIN = 1000

#: Folders of the converted labelled layout (one PNG per frame, named by
#: the 0-based labelled index with 4 digits, e.g. ``0000.png``).
NYU_LABELED_LAYOUT = dict(
    img='images',
    depth='depths',
    raw_depth='raw_depths',
    labels894='labels894',
    labels40='labels40',
    labels13='labels13',
    normal='normals',
    splits='splits',
)
#: Splits of :class:`NYULabeledDataset` (``splits/<name>.txt``; 'all' is
#: every frame of ``scenes.txt``).
NYU_LABELED_SPLITS = ('train', 'test', 'dsr_train', 'dsr_test', 'all')

_META_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'meta')


def _read_meta(name: str) -> List[str]:
    """Non-empty, non-comment lines of a package-data file."""
    path = osp.join(_META_DIR, name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'NYU package data file not found: {path} (is mmdepthsr '
            'installed with its package data?)'
        )
    with open(path, encoding='utf-8') as f:
        lines = [line.strip() for line in f]
    return [line for line in lines if line and not line.startswith('#')]


def _read_id_map(name: str, num_src: int) -> np.ndarray:
    """A ``src dst`` table as a lookup array with ``lut[0] = 0``."""
    lut = np.zeros(num_src + 1, dtype=np.uint8)
    rows = [tuple(int(v) for v in line.split()) for line in _read_meta(name)]
    if sorted(src for src, _ in rows) != list(range(1, num_src + 1)):
        raise ValueError(
            f'{osp.join(_META_DIR, name)} must map every id 1..{num_src} '
            'exactly once.'
        )
    for src, dst in rows:
        lut[src] = dst
    return lut


def _label_palette(num_classes: int) -> List[List[int]]:
    """Distinct colours: the bits of ``id + 1`` spread over R, G, B from
    the most significant bit down (the PASCAL VOC colour-map scheme)."""
    palette = []
    for idx in range(1, num_classes + 1):
        rgb = [0, 0, 0]
        code = idx
        for shift in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((code >> channel) & 1) << shift
            code >>= 3
        palette.append(rgb)
    return palette


#: Names of the 40 classes (ids 1..40 on disk, 0..39 after
#: ``reduce_zero_label``), Gupta et al. 2013.
NYU40_CLASSES: Tuple[str, ...] = tuple(_read_meta('nyu40_classes.txt'))
#: Names of the 13 classes (Couprie et al. 2013, Eigen & Fergus 2015).
NYU13_CLASSES: Tuple[str, ...] = tuple(_read_meta('nyu13_classes.txt'))
NYU40_PALETTE = _label_palette(len(NYU40_CLASSES))
NYU13_PALETTE = _label_palette(len(NYU13_CLASSES))
#: Names of the 4 structure classes of Silberman et al. 2012 (Eigen &
#: Fergus 2015, 4-class task): floor, structure, furniture, prop.
NYU4_CLASSES: Tuple[str, ...] = tuple(_read_meta('nyu4_classes.txt'))
NYU4_PALETTE = _label_palette(len(NYU4_CLASSES))


def nyu_label_luts() -> Tuple[np.ndarray, np.ndarray]:
    """Lookup tables of the NYU class maps.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``lut40`` (895,) uint8 with
        ``labels40 = lut40[labels894]`` (Gupta et al. 2013; every id 1..894
        maps to 1..40, 0 stays void) and ``lut13`` (41,) uint8 with
        ``labels13 = lut13[labels40]`` (Couprie et al. 2013).
    """
    return (
        _read_id_map('nyu894_to_40.txt', 894),
        _read_id_map('nyu40_to_13.txt', 40),
    )


def nyu_structure_lut() -> np.ndarray:
    """Lookup table of the 13 -> 4 structure-class map.

    Returns:
        np.ndarray: (14,) uint8 with ``labels4 = lut4[labels13]`` (1 floor,
        2 structure, 3 furniture, 4 prop; 0 stays void): the Silberman et
        al. 2012 super-classes of the 13 classes (``mapToNYUSuperClass`` of
        the public class13Mapping script).
    """
    return _read_id_map('nyu13_to_4.txt', 13)


def nyu_official_test_indices() -> np.ndarray:
    """The official ``testNdxs`` of ``splits.mat``: 654 sorted 1-based
    indices into the 1449 labelled frames (train = all the others).

    Returns:
        np.ndarray: (654,) int64.
    """
    return np.array([int(v) for v in _read_meta('nyu_test_ndxs.txt')])


def _read_index_file(path: str) -> List[int]:
    """0-based frame indices, one per line (blank lines ignored)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'NYU split file not found: {path}')
    indices = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                indices.append(int(line))
            except ValueError:
                raise ValueError(
                    f'{path}, line {lineno}: expected one 0-based frame '
                    f'index, got {line.strip()!r}.'
                ) from None
    return indices


def _read_scenes(path: str) -> Dict[int, Tuple[str, str]]:
    """``scenes.txt``: ``index scene sceneType`` per line."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'NYU scenes file not found: {path} (written by '
            'tools/dataset_converters/nyu.py)'
        )
    scenes = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3 or not fields[0].isdigit():
                raise ValueError(
                    f'{path}, line {lineno}: expected "index scene '
                    f'sceneType", got {line.strip()!r}.'
                )
            scenes[int(fields[0])] = (fields[1], fields[2])
    return scenes


def _check_files_exist(paths: Sequence[str], owner: str, where: str):
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        shown = '\n  '.join(missing[:5])
        raise FileNotFoundError(
            f'{owner}: {len(missing)} file(s) listed by {where} do not '
            f'exist, e.g.\n  {shown}'
        )


@DATASETS.register_module()
class NYULabeledDataset(BaseDataset):
    """The 1449 labelled NYU Depth v2 frames, converted to PNGs.

    Reads the layout written by ``tools/dataset_converters/nyu.py``
    (``<data_root>/images/0000.png``, ``depths/``, ``raw_depths/``,
    ``labels40/``, ``labels13/``, ``normals/``, ``splits/*.txt``,
    ``scenes.txt``; file names are 0-based labelled indices). Splits:

    - ``'train'`` / ``'test'``: the official 795 / 654 frames of
      ``splits.mat`` (MDE, segmentation, normals).
    - ``'dsr_train'`` / ``'dsr_test'``: the first 1000 / last 449 frames
      (guided depth super-resolution, DJF / DKN protocol). This split
      overlaps the official one (the DSR test set holds 215 official
      training and 234 official test frames), so never train on one
      protocol and test on the other.
    - ``'all'``: every frame.

    ``get_data_info`` returns paths and metadata; the pipeline loads pixels
    with ``LoadRGBImage``, ``LoadDepth(depth_scale=1000)``,
    ``LoadSemSeg(num_classes=C, reduce_zero_label=True)`` and
    ``LoadNormal(encoding='png')``.

    Args:
        data_root (str): Folder of the converted layout.
        split (str): One of :data:`NYU_LABELED_SPLITS`. Defaults to
            ``'train'``.
        depth (str): ``'raw'`` (``raw_depths/``: the projected Kinect depth,
            0 = missing; the GT of the 654-image MDE benchmark of BTS and
            later work) or ``'filled'`` (``depths/``: the in-painted dense
            depth; MTAN-style multi-task training and the DSR protocol).
            Defaults to ``'raw'``.
        seg_classes (int, optional): None (no labels), 40, 13 or 4: sets
            ``seg_map_path`` to ``labels40/`` or ``labels13/`` and the
            metainfo ``classes`` / ``palette``. The 4 structure classes
            are read from ``labels13/`` through a per-sample ``label_map``
            (:func:`nyu_structure_lut`, void -> 255, ids -> 0..3) that
            ``LoadSemSeg`` applies, so load them with
            ``LoadSemSeg(num_classes=4)`` (no ``reduce_zero_label``).
            Defaults to None.
        with_normal (bool): Set ``normal_path`` (``normals/``, computed from
            the in-painted depth by the converter). Defaults to False.
        check_files (bool): Check at start-up that every file of the split
            exists. Defaults to True.
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``metainfo``, ``indices``, ``test_mode``, ``lazy_init``, ...).

    Each data info holds ``img_path``, ``depth_path``, ``seg_map_path`` and
    ``normal_path`` (None when not requested), ``cam_intrinsics``
    (:data:`NYU_INTRINSICS`, float64), ``nyu_index`` (0-based labelled
    index), ``scene`` (e.g. ``'kitchen_0028b'``), ``scene_type`` and
    ``sample_idx``.
    """

    METAINFO: dict = dict()

    def __init__(
        self,
        data_root: str,
        split: str = 'train',
        depth: str = 'raw',
        seg_classes: Optional[int] = None,
        with_normal: bool = False,
        check_files: bool = True,
        pipeline: Sequence = (),
        metainfo: Optional[dict] = None,
        **kwargs,
    ):
        if split not in NYU_LABELED_SPLITS:
            raise ValueError(
                f'NYULabeledDataset: split must be one of '
                f'{NYU_LABELED_SPLITS}, got {split!r}.'
            )
        if depth not in ('raw', 'filled'):
            raise ValueError(
                "NYULabeledDataset: depth must be 'raw' or 'filled', got "
                f'{depth!r}.'
            )
        if seg_classes not in (None, 40, 13, 4):
            raise ValueError(
                'NYULabeledDataset: seg_classes must be None, 40, 13 or 4, '
                f'got {seg_classes!r}.'
            )
        if not data_root:
            raise ValueError('NYULabeledDataset: data_root is required.')
        self.split = split
        self.depth = depth
        self.seg_classes = seg_classes
        self.with_normal = bool(with_normal)
        self.check_files = bool(check_files)
        if seg_classes is not None:
            classes, palette = {
                40: (NYU40_CLASSES, NYU40_PALETTE),
                13: (NYU13_CLASSES, NYU13_PALETTE),
                4: (NYU4_CLASSES, NYU4_PALETTE),
            }[seg_classes]
            metainfo = dict(
                dict(classes=classes, palette=palette), **(metainfo or {})
            )
        super().__init__(
            data_root=data_root,
            pipeline=list(pipeline),
            metainfo=metainfo,
            **kwargs,
        )

    def _path(self, kind: str, index: int) -> str:
        return osp.join(
            self.data_root, NYU_LABELED_LAYOUT[kind], f'{index:04d}.png'
        )

    def load_data_list(self) -> List[dict]:
        """One entry per frame of the split file."""
        scenes_path = osp.join(self.data_root, 'scenes.txt')
        scenes = _read_scenes(scenes_path)
        if self.split == 'all':
            split_path = scenes_path
            indices = sorted(scenes)
        else:
            split_path = osp.join(
                self.data_root,
                NYU_LABELED_LAYOUT['splits'],
                f'{self.split}.txt',
            )
            indices = _read_index_file(split_path)
        unknown = [i for i in indices if i not in scenes]
        if unknown:
            raise ValueError(
                f'NYULabeledDataset: {split_path} lists frames '
                f'{unknown[:10]} that {scenes_path} does not have (indices '
                'are 0-based labelled indices).'
            )
        seg_kind = (
            f'labels{max(self.seg_classes, 13)}' if self.seg_classes else None
        )
        label_map = None
        if self.seg_classes == 4:
            lut4 = nyu_structure_lut().astype(np.int64) - 1
            lut4[0] = 255
            label_map = lut4.tolist()
        depth_kind = 'raw_depth' if self.depth == 'raw' else 'depth'
        data_list = []
        for index in indices:
            scene, scene_type = scenes[index]
            data_list.append(
                dict(
                    img_path=self._path('img', index),
                    depth_path=self._path(depth_kind, index),
                    seg_map_path=self._path(seg_kind, index)
                    if seg_kind
                    else None,
                    normal_path=self._path('normal', index)
                    if self.with_normal
                    else None,
                    nyu_index=index,
                    scene=scene,
                    scene_type=scene_type,
                )
            )
            if label_map is not None:
                data_list[-1]['label_map'] = label_map
        if self.check_files:
            keys = ('img_path', 'depth_path', 'seg_map_path', 'normal_path')
            _check_files_exist(
                [
                    info[key]
                    for info in data_list
                    for key in keys
                    if info[key] is not None
                ],
                type(self).__name__,
                split_path,
            )
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """Paths and metadata of sample ``idx`` (see the class docstring)."""
        info = super().get_data_info(idx)
        info['cam_intrinsics'] = np.array(NYU_INTRINSICS, dtype=np.float64)
        return info


#: BTS split files (cleinc/bts ``train_test_inputs/``) and image folders of
#: :class:`NYUDepthV2Dataset`, relative to ``data_root``.
NYU_SYNC_SPLITS = dict(
    train=(
        'splits/nyudepthv2_train_files_with_gt.txt',
        'sync',
    ),
    test=(
        'splits/nyudepthv2_test_files_with_gt.txt',
        'official_splits/test',
    ),
)

_FRAME_NUMBER = re.compile(r'(\d+)\.\w+$')
#: Suffix of a scene folder after its type (``kitchen_0028b`` -> kitchen).
_SCENE_SUFFIX = re.compile(r'_\d+[a-z]?$')


@DATASETS.register_module()
class NYUDepthV2Dataset(BaseDataset):
    """NYU Depth v2 in the BTS "sync" layout (cleinc/bts).

    Split files have one frame per line, three space-separated columns:
    RGB path, depth path, focal length (pixels), relative to
    ``data_prefix``. Training lines start with ``/`` and name scene folders
    (``/kitchen_0028b/rgb_00045.jpg /kitchen_0028b/sync_depth_00045.png
    518.8579``, the number a running index per scene); test lines name the
    scene *type* and the 0-based labelled index (``bathroom/rgb_00045.jpg
    bathroom/sync_depth_00045.png 518.8579``), recorded as ``nyu_index``.
    Depth PNGs are uint16 millimetres, 0 = missing (``LoadDepth(
    depth_scale=1000)``); the test depth is the raw ``rawDepths`` of the
    labelled set.

    Default layout (``split`` picks the split file and folder)::

        data_root/
          sync/<scene>/rgb_00000.jpg, sync_depth_00000.png, ...
          official_splits/test/<sceneType>/rgb_00000.jpg, sync_depth_...
          splits/nyudepthv2_train_files_with_gt.txt   (24,231 lines)
          splits/nyudepthv2_test_files_with_gt.txt    (654 lines)

    Camera: every frame gets :data:`NYU_INTRINSICS` (BTS keeps only the
    focal). The focal column is checked against ``fx`` and an entry that
    differs by more than ``focal_tolerance`` pixels raises an error naming
    the file and line, since these frames would need other intrinsics; it
    is recorded as ``focal``. A line may have no focal column.

    A depth path ``None`` marks a frame without ground truth: with
    ``keep_missing_gt`` the frame stays, with ``depth_path=None`` (a
    pipeline without ``LoadDepth``, e.g. for prediction); otherwise it is
    skipped and the number of skipped lines is logged.

    Args:
        data_root (str): Root of the layout. Defaults to ``''``.
        split (str): ``'train'`` or ``'test'``; sets the default
            ``ann_file`` and ``data_prefix`` (see :data:`NYU_SYNC_SPLITS`).
            Defaults to ``'train'``.
        ann_file (str, optional): Split file, relative to ``data_root``.
            Defaults to the BTS file of ``split``.
        data_prefix (dict, optional): ``dict(img_path=..., depth_path=...)``
            folders the split-file paths are relative to (relative to
            ``data_root``). Defaults to the folder of ``split``.
        focal_tolerance (float): Largest accepted ``|focal - fx|`` in
            pixels. Defaults to 1.0.
        keep_missing_gt (bool, optional): Keep frames whose depth is
            ``None``. Defaults to None, meaning ``test_mode``.
        check_files (bool): Check at start-up that every listed file
            exists. Defaults to True.
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.

    Each data info holds ``img_path``, ``depth_path``, ``focal``,
    ``cam_intrinsics`` (float64), ``scene`` (training lines: the scene
    folder, e.g. ``kitchen_0028b``; None for test lines), ``scene_type``
    (e.g. ``kitchen``), ``nyu_index`` (test lines: the 0-based labelled
    index; None for training lines) and ``sample_idx``.
    """

    METAINFO: dict = dict()

    def __init__(
        self,
        data_root: str = '',
        split: str = 'train',
        ann_file: Optional[str] = None,
        data_prefix: Optional[dict] = None,
        focal_tolerance: float = 1.0,
        keep_missing_gt: Optional[bool] = None,
        check_files: bool = True,
        pipeline: Sequence = (),
        test_mode: bool = False,
        **kwargs,
    ):
        if split not in NYU_SYNC_SPLITS:
            raise ValueError(
                f'NYUDepthV2Dataset: split must be one of '
                f'{tuple(NYU_SYNC_SPLITS)}, got {split!r}.'
            )
        default_ann, default_folder = NYU_SYNC_SPLITS[split]
        if ann_file is None:
            ann_file = default_ann
        if data_prefix is None:
            data_prefix = dict(
                img_path=default_folder, depth_path=default_folder
            )
        if set(data_prefix) != {'img_path', 'depth_path'}:
            raise ValueError(
                'NYUDepthV2Dataset: data_prefix must have the keys img_path '
                f'and depth_path, got {sorted(data_prefix)}.'
            )
        if not focal_tolerance >= 0:
            raise ValueError(
                'NYUDepthV2Dataset: focal_tolerance must be >= 0, got '
                f'{focal_tolerance}.'
            )
        self.split = split
        self.focal_tolerance = float(focal_tolerance)
        self.keep_missing_gt = (
            test_mode if keep_missing_gt is None else bool(keep_missing_gt)
        )
        self.check_files = bool(check_files)
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=dict(data_prefix),
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs,
        )

    def _parse_line(self, fields: List[str], where: str) -> dict:
        if len(fields) not in (2, 3):
            raise ValueError(
                f'{where}: expected "rgb_path depth_path focal", got '
                f'{" ".join(fields)!r}.'
            )
        rgb, depth = fields[:2]
        focal = None
        if len(fields) == 3:
            try:
                focal = float(fields[2])
            except ValueError:
                raise ValueError(
                    f'{where}: the focal column {fields[2]!r} is not a number.'
                ) from None
            fx = NYU_INTRINSICS[0]
            if not abs(focal - fx) <= self.focal_tolerance:
                raise ValueError(
                    f'{where}: focal {focal} differs from the NYU fx {fx} '
                    f'by more than focal_tolerance={self.focal_tolerance} '
                    'px; these frames need other intrinsics.'
                )
        folder = rgb.strip('/').split('/')[0] if '/' in rgb.strip('/') else ''
        number = _FRAME_NUMBER.search(rgb)
        if rgb.startswith('/'):
            # Training frame: <scene>/rgb_<running number>.jpg
            scene, scene_type = folder, _SCENE_SUFFIX.sub('', folder)
            nyu_index = None
        else:
            # Official test frame: <sceneType>/rgb_<labelled index>.jpg
            scene, scene_type = None, folder
            nyu_index = int(number.group(1)) if number else None
        return dict(
            img_path=osp.join(self.data_prefix['img_path'], rgb.lstrip('/')),
            depth_path=None
            if depth == 'None'
            else osp.join(self.data_prefix['depth_path'], depth.lstrip('/')),
            focal=focal,
            scene=scene,
            scene_type=scene_type,
            nyu_index=nyu_index,
        )

    def load_data_list(self) -> List[dict]:
        """One entry per line of the split file."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'NYUDepthV2Dataset: split file not found: {self.ann_file} '
                '(the BTS nyudepthv2_*_files_with_gt.txt lists)'
            )
        data_list, skipped = [], 0
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                fields = line.split()
                if not fields:
                    continue
                info = self._parse_line(
                    fields, f'{self.ann_file}, line {lineno}'
                )
                if info['depth_path'] is None and not self.keep_missing_gt:
                    skipped += 1
                    continue
                data_list.append(info)
        if skipped:
            print_log(
                f'NYUDepthV2Dataset: skipped {skipped} line(s) of '
                f'{self.ann_file} without depth (depth path "None").',
                logger='current',
            )
        if self.check_files:
            _check_files_exist(
                [
                    info[key]
                    for info in data_list
                    for key in ('img_path', 'depth_path')
                    if info[key] is not None
                ],
                type(self).__name__,
                self.ann_file,
            )
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """Paths and metadata of sample ``idx`` (see the class docstring)."""
        info = super().get_data_info(idx)
        info['cam_intrinsics'] = np.array(NYU_INTRINSICS, dtype=np.float64)
        return info


__all__ = [
    'NYU_NUM_LABELLED',
    'NYU_DSR_NUM_TRAIN',
    'NYU_LABELED_LAYOUT',
    'NYU_LABELED_SPLITS',
    'NYU_SYNC_SPLITS',
    'NYU40_CLASSES',
    'NYU13_CLASSES',
    'NYU40_PALETTE',
    'NYU13_PALETTE',
    'NYU4_CLASSES',
    'NYU4_PALETTE',
    'nyu_structure_lut',
    'nyu_label_luts',
    'nyu_official_test_indices',
    'NYULabeledDataset',
    'NYUDepthV2Dataset',
]
