"""Render the demo sample shipped in ``demo/``: one SynthRooms test scene.

Writes, for scene ``--index`` of ``SynthRoomsDataset(split='test')`` at
240 x 320 (the SynthRooms configs' size)::

    demo/room_rgb.png          240 x 320 RGB
    demo/room_lr_depth_x8.png  30 x 40 16-bit PNG, millimetres (x8 LR input,
                               PIL bicubic as the SynthRooms x8 configs)
    demo/room_gt_depth.png     240 x 320 16-bit PNG, millimetres (reference)

Usage::

    python tools/misc/make_demo_sample.py [--out-dir demo] [--index 0]
"""

import argparse
import os
import os.path as osp

import cv2
import numpy as np

from mmdepthsr.datasets import SynthRoomsDataset
from mmdepthsr.datasets.transforms import GenerateLRDepth

#: Size of the rendered scene and the LR factor of the shipped pair.
IMG_SHAPE = (240, 320)
SCALE_FACTOR = 8


def to_mm(depth: np.ndarray) -> np.ndarray:
    """Metres to uint16 millimetres (rounded; 0 stays 0 = invalid)."""
    return np.clip(np.round(depth * 1000.0), 0, 65535).astype(np.uint16)


def make_sample(out_dir: str, index: int = 0) -> list:
    """Render scene ``index`` and write the three PNGs.

    Args:
        out_dir (str): Output folder.
        index (int): Test scene. Defaults to 0.

    Returns:
        list[str]: The files written.
    """
    dataset = SynthRoomsDataset(
        split='test', num_samples=index + 1, img_shape=IMG_SHAPE
    )
    sample = dataset[index]
    lr = GenerateLRDepth(scale_factor=SCALE_FACTOR, method='bicubic_pil')(
        dict(gt_depth=sample['gt_depth'])
    )['lr_depth']
    os.makedirs(out_dir, exist_ok=True)
    images = {
        'room_rgb.png': cv2.cvtColor(sample['img'], cv2.COLOR_RGB2BGR),
        f'room_lr_depth_x{SCALE_FACTOR}.png': to_mm(lr),
        'room_gt_depth.png': to_mm(sample['gt_depth']),
    }
    written = []
    for name, image in images.items():
        path = osp.join(out_dir, name)
        if not cv2.imwrite(path, image):
            raise OSError(f'make_demo_sample: could not write {path}.')
        written.append(path)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', default='demo', help='output folder')
    parser.add_argument('--index', type=int, default=0, help='test scene')
    args = parser.parse_args(argv)
    for path in make_sample(args.out_dir, args.index):
        print(f'wrote {path}')


if __name__ == '__main__':
    main()
