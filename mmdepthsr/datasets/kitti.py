"""KITTI depth: Eigen split, annotated and velodyne ground truth.

Sources: the KITTI raw data (Geiger et al., IJRR 2013), the annotated depth
maps of Uhrig et al., "Sparsity Invariant CNNs", 3DV 2017
(``data_depth_annotated.zip``), the Eigen split (Eigen et al., NIPS 2014)
as listed by BTS (cleinc/bts ``train_test_inputs``) and monodepth2
(nianticlabs/monodepth2 ``splits/``).
"""

import logging
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from PIL import Image

from mmdepthsr.registry import DATASETS

from .transforms.lidar import (
    CAM_TO_CAM_FILE,
    VELO_TO_CAM_FILE,
    kitti_cam_intrinsics,
    read_calib_file,
)

#: ``<date>/<drive>/image_0<cam>/data/<frame>.<ext>``, the raw layout.
_RGB_PATH = re.compile(
    r'^(?P<date>\d{4}_\d{2}_\d{2})/(?P<drive>[^/]+)/image_0(?P<cam>[23])/'
    r'data/(?P<frame>\d+)\.[A-Za-z]+$'
)

#: Side letter of monodepth2 lists -> KITTI colour camera.
_SIDES = dict(l=2, r=3)

GT_SOURCES = ('annotated', 'velodyne')
ANN_FORMATS = ('bts', 'monodepth2')


def _parse_rgb(rgb: str, where: str) -> dict:
    match = _RGB_PATH.match(rgb)
    if match is None:
        raise ValueError(
            f'{where}: image path {rgb!r} is not '
            '<date>/<drive>/image_02|image_03/data/<frame>.<ext>.'
        )
    return dict(
        rgb=rgb,
        date=match['date'],
        drive=match['drive'],
        cam=int(match['cam']),
        frame=int(match['frame']),
    )


def _parse_bts(fields: List[str], where: str) -> dict:
    if len(fields) != 3:
        raise ValueError(
            f'{where}: expected 3 columns "<rgb> <gt or None> <focal>" '
            f'(BTS format), got {len(fields)}: {" ".join(fields)!r}.'
        )
    rgb, gt, focal = fields
    try:
        focal = float(focal)
    except ValueError as err:
        raise ValueError(
            f'{where}: the focal column {focal!r} is not a number.'
        ) from err
    entry = _parse_rgb(rgb, where)
    entry.update(gt=None if gt == 'None' else gt, focal=focal)
    if entry['gt'] is not None:
        frame = osp.splitext(osp.basename(entry['gt']))[0]
        image_dir = f'image_0{entry["cam"]}'
        if (
            not frame.isdigit()
            or int(frame) != entry['frame']
            or image_dir not in entry['gt'].split('/')
        ):
            raise ValueError(
                f'{where}: the ground truth {entry["gt"]} is not frame '
                f'{entry["frame"]} of {image_dir} like the image {rgb}.'
            )
    return entry


def _parse_monodepth2(fields: List[str], where: str, img_suffix: str) -> dict:
    if (
        len(fields) != 3
        or not fields[1].isdigit()
        or fields[2] not in _SIDES
        or fields[0].count('/') != 1
    ):
        raise ValueError(
            f'{where}: expected "<date>/<drive> <frame> l|r" '
            f'(monodepth2 format), got {" ".join(fields)!r}.'
        )
    folder, frame, side = fields
    cam, frame = _SIDES[side], int(frame)
    entry = _parse_rgb(
        f'{folder}/image_0{cam}/data/{frame:010d}{img_suffix}', where
    )
    entry.update(
        gt=(
            f'{entry["drive"]}/proj_depth/groundtruth/image_0{cam}/'
            f'{frame:010d}.png'
        ),
        focal=None,
    )
    return entry


def parse_kitti_split(
    path: str, ann_format: str = 'bts', img_suffix: str = '.png'
) -> List[dict]:
    """Parse a KITTI split file (BTS or monodepth2 format).

    Args:
        path (str): The split file.
        ann_format (str): ``'bts'`` (``<rgb> <gt or None> <focal>``) or
            ``'monodepth2'`` (``<date>/<drive> <frame> l|r``). Defaults to
            ``'bts'``.
        img_suffix (str): Image extension of monodepth2 lists. Defaults to
            ``'.png'``.

    Returns:
        list[dict]: One entry per non-empty line: ``line`` (1-based
        number), ``rgb`` (relative to the raw root), ``gt`` (relative to
        the annotated root; None for a BTS ``None``; for monodepth2 the
        path the map would have), ``focal`` (float, None for monodepth2),
        ``date``, ``drive``, ``cam`` (2/3), ``frame`` (int).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: On a malformed line (naming the file and the line).
    """
    if ann_format not in ANN_FORMATS:
        raise ValueError(
            f'ann_format must be one of {ANN_FORMATS}, got {ann_format!r}.'
        )
    if not osp.isfile(path):
        raise FileNotFoundError(f'KITTI split file not found: {path}')
    entries = []
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            where = f'{path}:{line_no}'
            if ann_format == 'bts':
                entry = _parse_bts(fields, where)
            else:
                entry = _parse_monodepth2(fields, where, img_suffix)
            entry['line'] = line_no
            entries.append(entry)
    return entries


@DATASETS.register_module()
class KITTIDataset(BaseDataset):
    """KITTI raw frames with annotated or velodyne depth ground truth.

    Split files (``ann_file``, relative to ``data_root``), one frame a line:

    - ``ann_format='bts'`` (BTS / MDE toolbox lists such as
      ``eigen_test_files_with_gt.txt``): ``<rgb> <gt> <focal>``, ``<rgb>``
      relative to the raw root (``2011_09_26/2011_09_26_drive_0002_sync/
      image_02/data/0000000069.png``, taken verbatim), ``<gt>`` relative to
      the annotated-GT root (``2011_09_26_drive_0002_sync/proj_depth/
      groundtruth/image_02/0000000069.png``) or ``None``, ``<focal>`` in
      pixels.
    - ``ann_format='monodepth2'`` (``splits/eigen/test_files.txt``):
      ``<date>/<drive> <frame> l|r``; the image is
      ``image_02`` (l) or ``image_03`` (r) ``/data/%010d`` + ``img_suffix``,
      the annotated map ``<drive>/proj_depth/groundtruth/image_0k/
      %010d.png``.

    Ground truth (``gt_source``):

    - ``'annotated'``: ``depth_path`` is the annotated PNG (uint16, metres
      x 256, 0 = invalid; load with ``LoadDepth(depth_scale=256)``). A
      frame has none when its BTS GT column is ``None`` or (monodepth2
      lists) its file does not exist: 45 of the 697 Eigen test frames. With
      ``skip_missing_gt=True`` these are left out (the 652-frame
      "improved GT" protocol; the count is logged), with False they stay
      with ``depth_path=None`` (for inference on all 697 frames).
    - ``'velodyne'``: every frame keeps its scan (all 697): ``velodyne_path``
      (``<raw>/<date>/<drive>/velodyne_points/data/%010d.bin``),
      ``calib_dir`` (``<raw>/<date>``) and ``cam_id`` for
      ``LoadVelodyneDepth``; with a ``velodyne_depth_path`` entry in
      ``data_prefix`` (PNGs written by ``tools/dataset_converters/kitti.py
      export-velodyne``, same relative path as the image, ``.png``),
      ``depth_path`` points there instead, for ``LoadDepth(depth_scale=256)``.
      ``skip_missing_gt`` does not apply.

    Intrinsics: ``cam_intrinsics = [fx, fy, cx, cy]`` from ``P_rect_02`` /
    ``P_rect_03`` of ``<raw>/<date>/calib_cam_to_cam.txt``. A BTS focal
    column must agree with ``fx`` within ``focal_tolerance`` pixels (else a
    ValueError names the split file, the line and the calibration file).
    Only if the calibration file is missing, ``fx = fy = focal`` and the
    principal point is the image centre ``((W - 1) / 2, (H - 1) / 2)``
    (read from the first image of the date; a warning is logged); a
    monodepth2 list, which has no focal, then raises.

    Missing images, annotated maps, scans or calibration (when needed) and
    malformed lines raise errors naming the split file and the line.

    Each sample: ``img_path``, ``depth_path`` (or None), ``cam_id`` (2/3),
    ``date``, ``drive``, ``frame_id`` (int), ``focal`` (float or None),
    ``cam_intrinsics`` (float64), and for velodyne ``velodyne_path``,
    ``calib_dir``.

    Args:
        ann_file (str): Split file, relative to ``data_root``.
        data_root (str): Dataset root. Defaults to ''.
        data_prefix (dict): Folders under ``data_root``: ``img_path`` (raw
            data), ``depth_path`` (annotated maps, train and val merged)
            and optionally ``velodyne_depth_path`` (exported velodyne
            PNGs). Defaults to ``dict(img_path='raw',
            depth_path='gt_depth')``.
        gt_source (str): ``'annotated'`` or ``'velodyne'``. Defaults to
            ``'annotated'``.
        ann_format (str): ``'bts'`` or ``'monodepth2'``. Defaults to
            ``'bts'``.
        skip_missing_gt (bool): Leave out frames without an annotated map.
            Defaults to True.
        img_suffix (str): Image extension of monodepth2 lists. Defaults to
            ``'.png'`` (raw KITTI; monodepth2 converts to ``'.jpg'``).
        focal_tolerance (float): Allowed ``|focal - fx|`` in pixels.
            Defaults to 0.01 (BTS lists copy ``P_rect_02`` to 4 decimals).
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(
        self,
        ann_file: str,
        data_root: str = '',
        data_prefix: Optional[dict] = None,
        gt_source: str = 'annotated',
        ann_format: str = 'bts',
        skip_missing_gt: bool = True,
        img_suffix: str = '.png',
        focal_tolerance: float = 0.01,
        pipeline: Sequence = (),
        **kwargs,
    ):
        if gt_source not in GT_SOURCES:
            raise ValueError(
                f'KITTIDataset: gt_source must be one of {GT_SOURCES}, got '
                f'{gt_source!r}.'
            )
        if ann_format not in ANN_FORMATS:
            raise ValueError(
                f'KITTIDataset: ann_format must be one of {ANN_FORMATS}, got '
                f'{ann_format!r}.'
            )
        if data_prefix is None:
            data_prefix = dict(img_path='raw', depth_path='gt_depth')
        if 'img_path' not in data_prefix:
            raise KeyError(
                'KITTIDataset: data_prefix needs `img_path` (the raw data '
                f'folder), got {data_prefix}.'
            )
        if gt_source == 'annotated' and 'depth_path' not in data_prefix:
            raise KeyError(
                "KITTIDataset: gt_source='annotated' needs `depth_path` "
                f'(the annotated maps folder) in data_prefix, got '
                f'{data_prefix}.'
            )
        self.gt_source = gt_source
        self.ann_format = ann_format
        self.skip_missing_gt = bool(skip_missing_gt)
        self.img_suffix = img_suffix
        self.focal_tolerance = float(focal_tolerance)
        self.num_missing_gt = 0
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(data_prefix),
            pipeline=list(pipeline),
            **kwargs,
        )

    # --------------------------------------------------------- intrinsics
    def _calib(self, date: str, cache: dict) -> Optional[dict]:
        """Parsed ``calib_cam_to_cam.txt`` of a date, None if missing."""
        if date not in cache:
            path = osp.join(
                self.data_prefix['img_path'], date, CAM_TO_CAM_FILE
            )
            cache[date] = read_calib_file(path) if osp.isfile(path) else None
        return cache[date]

    def _intrinsics(
        self, entry: dict, img_path: str, where: str, cache: dict
    ) -> np.ndarray:
        date, cam, focal = entry['date'], entry['cam'], entry['focal']
        path = osp.join(self.data_prefix['img_path'], date, CAM_TO_CAM_FILE)
        calib = self._calib(date, cache)
        if calib is not None:
            k = kitti_cam_intrinsics(calib, cam, path)
            if focal is not None and abs(k[0] - focal) > self.focal_tolerance:
                raise ValueError(
                    f'{where}: focal {focal} of {entry["rgb"]} differs from '
                    f'fx = {k[0]} (P_rect_0{cam}) of {path} by more than '
                    f'focal_tolerance={self.focal_tolerance} px.'
                )
            return k
        if focal is None:
            raise FileNotFoundError(
                f'{where}: calibration file {path} not found, and a '
                'monodepth2 list has no focal column to fall back on.'
            )
        size_key = ('size', date, cam)
        if size_key not in cache:
            try:
                with Image.open(img_path) as img:
                    width, height = img.size
            except OSError as err:
                raise ValueError(
                    f'{where}: cannot read the size of {img_path}.'
                ) from err
            cache[size_key] = (height, width)
            print_log(
                f'KITTIDataset: {path} not found; the frames of {date} '
                f'(camera {cam}) use fx = fy = the focal column and the '
                f'image centre ((W - 1) / 2, (H - 1) / 2) of the '
                f'{height} x {width} images as principal point.',
                logger='current',
                level=logging.WARNING,
            )
        height, width = cache[size_key]
        return np.array(
            [focal, focal, (width - 1) / 2, (height - 1) / 2],
            dtype=np.float64,
        )

    # ------------------------------------------------------------- files
    @staticmethod
    def _require(path: str, what: str, where: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{where}: {what} not found: {path}')

    def _ground_truth(self, entry: dict, where: str) -> Optional[dict]:
        """Paths of the sample's ground truth, None when it has none."""
        raw = self.data_prefix['img_path']
        if self.gt_source == 'annotated':
            if entry['gt'] is None:
                return None
            path = osp.join(self.data_prefix['depth_path'], entry['gt'])
            self._require(path, 'annotated depth map', where)
            return dict(depth_path=path)
        calib_dir = osp.join(raw, entry['date'])
        info = dict(
            velodyne_path=osp.join(
                raw,
                entry['date'],
                entry['drive'],
                'velodyne_points',
                'data',
                f'{entry["frame"]:010d}.bin',
            ),
            calib_dir=calib_dir,
            depth_path=None,
        )
        exported = self.data_prefix.get('velodyne_depth_path')
        if exported is not None:
            rel = osp.splitext(entry['rgb'])[0] + '.png'
            info['depth_path'] = osp.join(exported, rel)
            self._require(info['depth_path'], 'exported velodyne map', where)
        else:
            self._require(info['velodyne_path'], 'velodyne scan', where)
            for name in (CAM_TO_CAM_FILE, VELO_TO_CAM_FILE):
                self._require(
                    osp.join(calib_dir, name), 'calibration file', where
                )
        return info

    def load_data_list(self) -> List[dict]:
        """Parse the split file into one entry per frame (paths only)."""
        lines = parse_kitti_split(
            self.ann_file, self.ann_format, self.img_suffix
        )
        calib_cache: Dict = {}
        data_list, missing = [], []
        for entry in lines:
            where = f'{self.ann_file}:{entry["line"]}'
            if (
                self.ann_format == 'monodepth2'
                and self.gt_source == 'annotated'
                and not osp.isfile(
                    osp.join(self.data_prefix['depth_path'], entry['gt'])
                )
            ):
                entry['gt'] = None
            img_path = osp.join(self.data_prefix['img_path'], entry['rgb'])
            self._require(img_path, 'image', where)
            gt = self._ground_truth(entry, where)
            if gt is None:
                missing.append(entry['rgb'])
                if self.skip_missing_gt:
                    continue
                gt = dict(depth_path=None)
            info = dict(
                img_path=img_path,
                cam_id=entry['cam'],
                date=entry['date'],
                drive=entry['drive'],
                frame_id=entry['frame'],
                focal=entry['focal'],
                cam_intrinsics=self._intrinsics(
                    entry, img_path, where, calib_cache
                ),
            )
            info.update(gt)
            data_list.append(info)
        self.num_missing_gt = len(missing)
        if missing:
            action = 'left out' if self.skip_missing_gt else 'kept'
            print_log(
                f'KITTIDataset: {len(missing)} of {len(lines)} frame(s) of '
                f'{self.ann_file} have no annotated depth map and were '
                f'{action} ({len(data_list)} frames remain), e.g. '
                f'{missing[0]}.',
                logger='current',
                level=logging.INFO,
            )
        if not data_list:
            raise ValueError(
                f'KITTIDataset: no frame left from {self.ann_file} '
                f'({len(lines)} line(s), {len(missing)} without annotated '
                'depth map); check data_prefix and the split file.'
            )
        return data_list


__all__ = ['KITTIDataset', 'parse_kitti_split']
