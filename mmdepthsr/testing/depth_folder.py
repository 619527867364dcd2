"""A tiny folder of own RGB-D frames (the layout of
:class:`~mmdepthsr.datasets.DepthFolderDataset`), rendered from SynthRooms,
for tests."""

import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np


def write_depth_folder(
    root: str,
    num: int = 4,
    shape: Tuple[int, int] = (48, 64),
    depth_format: str = 'png',
    lr_scale: Optional[int] = None,
    labels: bool = False,
    splits: Optional[Dict[str, Sequence[int]]] = None,
    img_ext: str = '.png',
    seed: int = 0,
) -> dict:
    """Write ``num`` SynthRooms val scenes as own data.

    Files, with stems ``frame_000``, ``frame_001``, ...:

    - ``rgb/<stem><img_ext>``: the RGB image (``.png``, or ``.jpg`` at
      quality 95, which is lossy);
    - ``depth/<stem>.png``: uint16 millimetres (``depth_format='png'``), or
      ``depth/<stem>.npy``: float32 metres (``'npy'``);
    - with ``lr_scale``: ``lr_depth/<stem>.png``, uint16 millimetres of the
      depth area-averaged by ``lr_scale`` (``cv2.INTER_AREA``), a stand-in
      for a measured LR map;
    - with ``labels``: ``labels/<stem>.png``, the 6 SynthRooms class ids;
    - with ``splits``: ``splits/<name>.txt`` listing the stems of the given
      frame indices.

    Args:
        root (str): Target folder (created).
        num (int): Number of frames. Defaults to 4.
        shape (tuple[int, int]): ``(H, W)``. Defaults to (48, 64).
        depth_format (str): ``'png'`` or ``'npy'``. Defaults to ``'png'``.
        lr_scale (int, optional): Write LR depth maps at ``1 / lr_scale``.
            Defaults to None.
        labels (bool): Write label maps. Defaults to False.
        splits (dict, optional): ``{name: frame indices}``. Defaults to
            None.
        img_ext (str): ``'.png'`` or ``'.jpg'``. Defaults to ``'.png'``.
        seed (int): SynthRooms seed. Defaults to 0.

    Returns:
        dict: ``root``, ``stems``, ``cam_intrinsics`` and ``frames``, per
        frame a dict with ``img`` (RGB uint8), ``depth`` (float32 metres as
        stored: rounded to the millimetre for PNGs), ``lr_depth`` (metres,
        when written), ``labels`` and the written ``paths``.
    """
    from mmdepthsr.datasets import SynthRoomsDataset

    if depth_format not in ('png', 'npy'):
        raise ValueError(
            f"depth_format must be 'png' or 'npy': {depth_format}"
        )
    synth = SynthRoomsDataset(
        split='val', num_samples=num, img_shape=shape, seed=seed
    )
    folders = ['rgb', 'depth']
    folders += ['lr_depth'] if lr_scale else []
    folders += ['labels'] if labels else []
    for folder in folders + (['splits'] if splits else []):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    stems, frames = [], []
    for i in range(num):
        sample = synth.get_data_info(i)
        stem = f'frame_{i:03d}'
        paths = dict(img=osp.join(root, 'rgb', stem + img_ext))
        cv2.imwrite(paths['img'], sample['img'][..., ::-1])
        metres = sample['gt_depth'].astype(np.float32)
        if depth_format == 'png':
            mm = np.round(metres * 1000).astype(np.uint16)
            paths['depth'] = osp.join(root, 'depth', stem + '.png')
            cv2.imwrite(paths['depth'], mm)
            metres = mm.astype(np.float32) / np.float32(1000)
        else:
            paths['depth'] = osp.join(root, 'depth', stem + '.npy')
            np.save(paths['depth'], metres)
        frame = dict(img=sample['img'], depth=metres, paths=paths)
        if lr_scale:
            size = (shape[1] // lr_scale, shape[0] // lr_scale)
            lr = cv2.resize(
                sample['gt_depth'], size, interpolation=cv2.INTER_AREA
            )
            lr_mm = np.round(lr * 1000).astype(np.uint16)
            paths['lr_depth'] = osp.join(root, 'lr_depth', stem + '.png')
            cv2.imwrite(paths['lr_depth'], lr_mm)
            frame['lr_depth'] = lr_mm.astype(np.float32) / np.float32(1000)
        if labels:
            paths['labels'] = osp.join(root, 'labels', stem + '.png')
            cv2.imwrite(paths['labels'], sample['gt_sem_seg'])
            frame['labels'] = sample['gt_sem_seg']
        stems.append(stem)
        frames.append(frame)
    for name, indices in (splits or {}).items():
        with open(osp.join(root, 'splits', f'{name}.txt'), 'w') as f:
            f.write(''.join(f'{stems[i]}\n' for i in indices))
    return dict(
        root=root,
        stems=stems,
        cam_intrinsics=[float(v) for v in synth.cam_intrinsics],
        frames=frames,
    )
