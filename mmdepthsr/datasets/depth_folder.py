"""Your own RGB-D data: folders of RGB images and depth maps matched by
file stem.

Layout read by :class:`DepthFolderDataset` (folder names are arguments)::

    data_root/
        rgb/<stem>.png | .jpg          RGB images
        depth/<stem>.png | .npy | .tif depth maps (16-bit PNG with
                                       depth_scale, or float metres)
        lr_depth/<stem>.png | ...      (optional) measured LR depth maps
        labels/<stem>.png              (optional) class-id maps
        splits/<split>.txt             (optional) one stem per line
"""

import logging
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmdepthsr.registry import DATASETS

#: File extensions looked up in each folder, lower case.
IMG_EXTS = ('.png', '.jpg', '.jpeg')
DEPTH_EXTS = ('.png', '.npy', '.tif', '.tiff')
LABEL_EXTS = ('.png',)


def _index_folder(folder: str, exts: Sequence[str]) -> Dict[str, List[str]]:
    """``{stem: [file names]}`` of the files in ``folder`` with ``exts``
    (case-insensitive); hidden files are skipped."""
    index: Dict[str, List[str]] = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if name.startswith('.') or ext.lower() not in exts:
            continue
        if osp.isfile(osp.join(folder, name)):
            index.setdefault(stem, []).append(name)
    return index


@DATASETS.register_module()
class DepthFolderDataset(BaseDataset):
    """RGB images and depth maps of your own, paired by file stem.

    Every sample is a stem (file name without extension) with an RGB image
    in ``img_dir`` and a depth map in ``depth_dir``; an LR depth map in
    ``lr_depth_dir`` and a label map in ``label_dir`` are added when those
    folders are given. The stems are the lines of
    ``data_root/splits/<split>.txt`` (blank lines and lines starting with
    ``#`` are skipped), or with ``split=None`` every image in ``img_dir``.
    A stem without its file in one of the folders, or with two candidate
    files (``a.png`` and ``a.npy``), is an error that names the folder, the
    stem and the split line.

    Depth files: 16-bit PNGs (or integer ``.npy``) store ``depth_scale``
    units per metre (1000 for millimetres, 256 for KITTI-style PNGs);
    float ``.npy`` / TIFF files are metres and need ``depth_scale=None``.
    The dataset passes ``depth_scale`` to every sample, where
    ``LoadDepth()`` (without its own ``depth_scale``) takes it, for the HR
    and the LR maps alike; 8-bit depth files are refused by ``LoadDepth``.
    Images and maps of one sample must have the same size (an LR map: the
    HR size divided by one integer factor).

    Each sample gives ``img_path``, ``depth_path``, ``depth_scale``,
    ``stem``, ``sample_idx`` and, when given, ``lr_depth_path``,
    ``seg_map_path`` and ``cam_intrinsics``.

    Args:
        data_root (str): Root of the folders. Defaults to
            ``'data/my_rgbd'``.
        split (str, optional): Name of the stem list
            ``data_root/splits/<split>.txt``; None uses every image in
            ``img_dir``. Defaults to None.
        img_dir (str): RGB folder under ``data_root``. Defaults to
            ``'rgb'``.
        depth_dir (str): Depth folder under ``data_root``. Defaults to
            ``'depth'``.
        lr_depth_dir (str, optional): Folder of measured LR depth maps (for
            DSR with a real sensor instead of a simulated degradation).
            Defaults to None.
        label_dir (str, optional): Folder of class-id maps (load them with
            ``LoadSemSeg``; give ``metainfo=dict(classes=...)``). Defaults
            to None.
        depth_scale (float, optional): Stored value per metre of integer
            depth files; None for float files in metres. Defaults to 1000
            (millimetre PNGs).
        cam_intrinsics (Sequence[float], optional): ``(fx, fy, cx, cy)`` in
            pixels of the RGB images, the same for every sample. Defaults to
            None.
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``metainfo``, ``test_mode``, ``indices``, ...).

    Raises:
        FileNotFoundError: If a folder, the split file or a stem's file is
            missing (the message names it).
        ValueError: If a stem has several candidate files, a split lists a
            stem twice or names no sample, or an argument is invalid.
    """

    METAINFO = dict(dataset_name='depth_folder', depth_unit='metres')

    def __init__(
        self,
        data_root: str = 'data/my_rgbd',
        split: Optional[str] = None,
        img_dir: str = 'rgb',
        depth_dir: str = 'depth',
        lr_depth_dir: Optional[str] = None,
        label_dir: Optional[str] = None,
        depth_scale: Optional[float] = 1000.0,
        cam_intrinsics: Optional[Sequence[float]] = None,
        pipeline: Sequence = (),
        **kwargs,
    ):
        if depth_scale is not None and not depth_scale > 0:
            raise ValueError(
                'DepthFolderDataset: depth_scale must be positive or None '
                f'(float files in metres), got {depth_scale}.'
            )
        if cam_intrinsics is not None and len(cam_intrinsics) != 4:
            raise ValueError(
                'DepthFolderDataset: cam_intrinsics must be (fx, fy, cx, '
                f'cy), got {cam_intrinsics}.'
            )
        self.split = split
        self.img_dir = img_dir
        self.depth_dir = depth_dir
        self.lr_depth_dir = lr_depth_dir
        self.label_dir = label_dir
        self.depth_scale = None if depth_scale is None else float(depth_scale)
        self.cam_intrinsics = (
            None
            if cam_intrinsics is None
            else [float(v) for v in cam_intrinsics]
        )
        super().__init__(
            data_root=data_root, pipeline=list(pipeline), **kwargs
        )

    def _folders(self) -> List[Tuple[str, str, str, Sequence[str]]]:
        """``(path key, argument name, folder, extensions)`` per folder."""
        folders = [
            ('img_path', 'img_dir', self.img_dir, IMG_EXTS),
            ('depth_path', 'depth_dir', self.depth_dir, DEPTH_EXTS),
        ]
        if self.lr_depth_dir is not None:
            folders.append(
                (
                    'lr_depth_path',
                    'lr_depth_dir',
                    self.lr_depth_dir,
                    DEPTH_EXTS,
                )
            )
        if self.label_dir is not None:
            folders.append(
                ('seg_map_path', 'label_dir', self.label_dir, LABEL_EXTS)
            )
        resolved = []
        for key, arg, name, exts in folders:
            folder = osp.join(self.data_root, name)
            if not osp.isdir(folder):
                raise FileNotFoundError(
                    f'DepthFolderDataset: {arg} folder not found: {folder}.'
                )
            resolved.append((key, arg, folder, exts))
        return resolved

    def _stems(self, img_index: Dict[str, List[str]]) -> List[tuple]:
        """``(stem, source)`` pairs; source names the split line (or the
        image without split file)."""
        if self.split is None:
            folder = osp.join(self.data_root, self.img_dir)
            return [
                (stem, osp.join(folder, names[0]))
                for stem, names in sorted(img_index.items())
            ]
        split_file = osp.join(self.data_root, 'splits', f'{self.split}.txt')
        if not osp.isfile(split_file):
            raise FileNotFoundError(
                f'DepthFolderDataset: split file not found: {split_file} '
                '(one file stem per line), or pass split=None to use every '
                f'image in {osp.join(self.data_root, self.img_dir)}.'
            )
        entries, seen = [], {}
        with open(split_file, encoding='utf-8') as f:
            for number, line in enumerate(f, start=1):
                stem = line.strip()
                if not stem or stem.startswith('#'):
                    continue
                source = f'{split_file}:{number}'
                if stem in seen:
                    raise ValueError(
                        f'DepthFolderDataset: {source}: stem {stem!r} is '
                        f'already listed at line {seen[stem]}.'
                    )
                seen[stem] = number
                entries.append((stem, source))
        return entries

    def load_data_list(self) -> List[dict]:
        """One entry per stem with the path of each folder's file."""
        folders = self._folders()
        indexes = {key: _index_folder(f, exts) for key, _, f, exts in folders}
        entries = self._stems(indexes['img_path'])
        if not entries:
            where = (
                f'splits/{self.split}.txt'
                if self.split is not None
                else f'{self.img_dir}/ (extensions {", ".join(IMG_EXTS)})'
            )
            raise ValueError(
                f'DepthFolderDataset: no sample in {self.data_root}: '
                f'{where} is empty.'
            )
        data_list = []
        for index, (stem, source) in enumerate(entries):
            info = dict(stem=stem, sample_idx=index)
            for key, arg, folder, exts in folders:
                names = indexes[key].get(stem, [])
                if not names:
                    raise FileNotFoundError(
                        f'DepthFolderDataset: {source}: no file for stem '
                        f'{stem!r} in {folder} (looked for '
                        f'{", ".join(stem + e for e in exts)}; {arg}).'
                    )
                if len(names) > 1:
                    raise ValueError(
                        f'DepthFolderDataset: {source}: stem {stem!r} has '
                        f'{len(names)} files in {folder}: {", ".join(names)}; '
                        'keep one.'
                    )
                info[key] = osp.join(folder, names[0])
            info['depth_scale'] = self.depth_scale
            if self.cam_intrinsics is not None:
                info['cam_intrinsics'] = list(self.cam_intrinsics)
            data_list.append(info)
        if self.split is None:
            self._report_unpaired(indexes, {s for s, _ in entries})
        return data_list

    def _report_unpaired(self, indexes: dict, stems: set) -> None:
        """Log depth maps that have no RGB image (likely a naming slip)."""
        extra = sorted(set(indexes['depth_path']) - stems)
        if extra:
            shown = ', '.join(extra[:5]) + (' ...' if len(extra) > 5 else '')
            print_log(
                f'DepthFolderDataset: {len(extra)} depth map(s) in '
                f'{osp.join(self.data_root, self.depth_dir)} have no RGB '
                f'image and are not used: {shown}',
                logger='current',
                level=logging.WARNING,
            )


__all__ = ['DepthFolderDataset', 'IMG_EXTS', 'DEPTH_EXTS', 'LABEL_EXTS']
