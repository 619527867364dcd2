"""Convert Middlebury 2005 scenes to the layout of Middlebury2005Dataset.

Protocol of PMBANet (Ye et al., IEEE TIP 2020; test data in
Sunbaoli/PMBANet_DSR): full-size left views and their 8-bit disparity maps,
holes filled, cropped to a multiple of 64 (1390 x 1110 -> 1344 x 1088).

Two sources:

- ``--source middlebury`` (default): the Middlebury 2005 download
  (vision.middlebury.edu/stereo/data, full-size two-view archives),
  unpacked so that ``SRC/<Scene>/view1.png`` (RGB) and
  ``SRC/<Scene>/disp1.png`` (8-bit disparity, 0 = unknown) exist. The
  holes are filled and the maps cropped here. PMBANet's fill method and
  crop position are not published: both are options (defaults: nearest
  valid pixel, top-left window, i.e. the right and bottom margins go).
- ``--source pmbanet``: PMBANet's own test files, ``SRC/test_gt/<i>.png``
  (8-bit, already filled and cropped) and ``SRC/test_color/<i>.png`` for
  ``i = 1..6`` (``SRC`` = ``color-guided/data`` of Sunbaoli/PMBANet_DSR).
  File ``i`` is scene ``i`` of Art, Books, Dolls, Laundry, Moebius,
  Reindeer (the images show these scenes in this order, and files 4 and 6
  are the two narrower ones, as Laundry and Reindeer are). These are the exact
  test maps of the paper; they are copied after a check.

Output::

    OUT/<Scene>/view1.png     RGB, cropped
    OUT/<Scene>/disp1.png     8-bit, hole-filled, cropped
    OUT/splits/<split>.txt    the converted scenes, one per line

Example::

    python tools/dataset_converters/middlebury.py \\
        data/middlebury2005_raw data/middlebury2005
"""

import argparse
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from scipy import ndimage

from mmdepthsr.datasets.middlebury import MIDDLEBURY2005_SCENES

#: The six test scenes of PMBANet, in the order of its files 1.png..6.png.
PMBANET_SCENES = MIDDLEBURY2005_SCENES

FILL_METHODS = ('nearest', 'telea', 'ns')
CROP_POSITIONS = ('topleft', 'center')


def fill_holes(
    disp: np.ndarray, method: str = 'nearest', radius: float = 5.0
) -> np.ndarray:
    """Fill the unknown (0) pixels of an 8-bit disparity map.

    - ``'nearest'``: the value of the nearest known pixel (Euclidean
      distance, ``scipy.ndimage.distance_transform_edt``); introduces no
      new values.
    - ``'telea'`` / ``'ns'``: ``cv2.inpaint`` (Telea 2004 / Navier-Stokes)
      with the given radius; a pixel it leaves at 0 gets its nearest
      non-zero value.

    Args:
        disp (np.ndarray): ``(H, W)`` uint8 map, 0 = unknown.
        method (str): ``'nearest'``, ``'telea'`` or ``'ns'``.
        radius (float): Inpainting radius of the cv2 methods.

    Returns:
        np.ndarray: ``(H, W)`` uint8 map without zeros.
    """
    if method not in FILL_METHODS:
        raise ValueError(f'fill must be one of {FILL_METHODS}, got {method!r}')
    holes = disp == 0
    if not holes.any():
        return disp.copy()
    if holes.all():
        raise ValueError('the disparity map has no known pixel')
    if method == 'nearest':
        indices = ndimage.distance_transform_edt(
            holes, return_distances=False, return_indices=True
        )
        return disp[tuple(indices)]
    flag = cv2.INPAINT_TELEA if method == 'telea' else cv2.INPAINT_NS
    filled = cv2.inpaint(disp, holes.astype(np.uint8), radius, flag)
    if (filled == 0).any():
        # inpainting rounded a value down to 0: take the nearest known one
        filled = fill_holes(filled, 'nearest')
    return filled


def crop_window(
    height: int, width: int, multiple: int = 64, position: str = 'topleft'
) -> Tuple[int, int, int, int]:
    """``(top, left, h, w)`` of the largest multiple-of-``multiple`` crop.

    ``'topleft'`` keeps rows ``0:h`` and columns ``0:w`` (MATLAB-style
    mod-crop); ``'center'`` splits the margins, the odd pixel going to the
    bottom / right.
    """
    if position not in CROP_POSITIONS:
        raise ValueError(
            f'crop must be one of {CROP_POSITIONS}, got {position!r}'
        )
    h = height // multiple * multiple
    w = width // multiple * multiple
    if h == 0 or w == 0:
        raise ValueError(
            f'a {height} x {width} map is smaller than one {multiple} px block'
        )
    if position == 'topleft':
        return 0, 0, h, w
    return (height - h) // 2, (width - w) // 2, h, w


def _read(path: str, flags: int) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'file not found: {path}')
    img = cv2.imread(path, flags)
    if img is None:
        raise ValueError(f'cannot decode {path} (corrupt or not an image)')
    return img


def _read_disparity(path: str) -> np.ndarray:
    disp = _read(path, cv2.IMREAD_UNCHANGED)
    if disp.ndim == 3:
        if not all(
            np.array_equal(disp[..., 0], disp[..., c])
            for c in range(1, min(disp.shape[2], 3))
        ):
            raise ValueError(
                f'{path} has {disp.shape[2]} different channels; expected '
                'an 8-bit grey disparity map'
            )
        disp = disp[..., 0]
    if disp.dtype != np.uint8:
        raise ValueError(
            f'{path} has dtype {disp.dtype}; expected an 8-bit disparity map'
        )
    return disp


def _write(path: str, img: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, img):
        raise OSError(f'cannot write {path}')


def convert_middlebury_scene(
    src: str,
    out: str,
    scene: str,
    fill: str = 'nearest',
    radius: float = 5.0,
    crop: str = 'topleft',
    multiple: int = 64,
) -> dict:
    """Fill, crop and write one scene of the Middlebury download.

    Returns:
        dict: ``scene``, ``src_shape``, ``crop_box`` ``(top, left, h, w)``,
        ``holes`` (filled pixels before cropping), ``value_range`` of the
        written map.
    """
    view_path = osp.join(src, scene, 'view1.png')
    disp_path = osp.join(src, scene, 'disp1.png')
    rgb = _read(view_path, cv2.IMREAD_COLOR)  # BGR, written back as is
    disp = _read_disparity(disp_path)
    if rgb.shape[:2] != disp.shape:
        raise ValueError(
            f'{disp_path} has size {disp.shape} but {view_path} has size '
            f'{rgb.shape[:2]}'
        )
    try:
        filled = fill_holes(disp, fill, radius)
    except ValueError as err:
        raise ValueError(f'{disp_path}: {err}') from err
    top, left, h, w = crop_window(*disp.shape, multiple, crop)
    _write(
        osp.join(out, scene, 'view1.png'),
        rgb[top : top + h, left : left + w],
    )
    filled = filled[top : top + h, left : left + w]
    _write(osp.join(out, scene, 'disp1.png'), filled)
    return dict(
        scene=scene,
        src_shape=tuple(disp.shape),
        crop_box=(top, left, h, w),
        holes=int((disp == 0).sum()),
        value_range=(int(filled.min()), int(filled.max())),
    )


def convert_pmbanet_scene(
    src: str, out: str, index: int, scene: str, multiple: int = 64
) -> dict:
    """Check and copy PMBANet's test file ``index`` as ``scene``."""
    gt_path = osp.join(src, 'test_gt', f'{index}.png')
    rgb_path = osp.join(src, 'test_color', f'{index}.png')
    disp = _read_disparity(gt_path)
    rgb = _read(rgb_path, cv2.IMREAD_COLOR)
    if rgb.shape[:2] != disp.shape:
        raise ValueError(
            f'{gt_path} has size {disp.shape} but {rgb_path} has size '
            f'{rgb.shape[:2]}'
        )
    if disp.shape[0] % multiple or disp.shape[1] % multiple:
        raise ValueError(
            f'{gt_path} has size {disp.shape}, not a multiple of {multiple}'
        )
    for source, name in ((rgb_path, 'view1.png'), (gt_path, 'disp1.png')):
        target = osp.join(out, scene, name)
        os.makedirs(osp.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
    return dict(
        scene=scene,
        src_shape=tuple(disp.shape),
        crop_box=(0, 0) + tuple(disp.shape),
        holes=int((disp == 0).sum()),
        value_range=(int(disp.min()), int(disp.max())),
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert Middlebury 2005 scenes (or PMBANet test files) '
        'to the Middlebury2005Dataset layout.'
    )
    parser.add_argument(
        'src',
        help='Middlebury download root (<Scene>/view1.png, disp1.png), or '
        'with --source pmbanet the folder holding test_gt/ and test_color/',
    )
    parser.add_argument('out', help='output root (data/middlebury2005)')
    parser.add_argument(
        '--source',
        choices=('middlebury', 'pmbanet'),
        default='middlebury',
        help='layout of src (default: middlebury)',
    )
    parser.add_argument(
        '--scenes',
        nargs='+',
        default=list(PMBANET_SCENES),
        help='scene folders to convert (default: the six of PMBANet); '
        'with --source pmbanet, a subset of the six',
    )
    parser.add_argument(
        '--split',
        default='test',
        help='name of the scene list written to OUT/splits/<split>.txt '
        '(default: test)',
    )
    parser.add_argument(
        '--fill',
        choices=FILL_METHODS,
        default='nearest',
        help='hole filling (default: nearest valid pixel; PMBANet does not '
        'say how it filled the holes)',
    )
    parser.add_argument(
        '--inpaint-radius',
        type=float,
        default=5.0,
        help='radius of --fill telea / ns (default: 5)',
    )
    parser.add_argument(
        '--crop',
        choices=CROP_POSITIONS,
        default='topleft',
        help='where the multiple-of-64 window sits (default: topleft; '
        'PMBANet does not say)',
    )
    parser.add_argument(
        '--multiple',
        type=int,
        default=64,
        help='crop H and W to a multiple of this (default: 64)',
    )
    return parser.parse_args(argv)


def _summary(records: List[dict], args, split_file: str) -> List[str]:
    lines = [
        f'Converted {len(records)} scene(s) from {args.src} '
        f'({args.source}) into {args.out}; split file {split_file}',
    ]
    if args.source == 'middlebury':
        lines.append(
            f'fill={args.fill}, crop={args.crop}, multiple={args.multiple}'
        )
    warnings = []
    for r in records:
        top, left, h, w = r['crop_box']
        src_h, src_w = r['src_shape']
        pct = 100.0 * r['holes'] / (src_h * src_w)
        lines.append(
            f'  {r["scene"]:<10} {src_w} x {src_h} -> {w} x {h} at '
            f'(top={top}, left={left}); holes filled: {r["holes"]} '
            f'({pct:.2f}%); disparity {r["value_range"][0]}..'
            f'{r["value_range"][1]}'
        )
        if pct > 20:
            warnings.append(f'{r["scene"]}: {pct:.1f}% of pixels were holes')
        if args.source == 'pmbanet' and r['holes']:
            warnings.append(f'{r["scene"]}: {r["holes"]} zero pixel(s)')
    if records:
        low = min(r['value_range'][0] for r in records)
        high = max(r['value_range'][1] for r in records)
        lines.append(f'value range over all scenes: {low}..{high} (8-bit)')
    lines.extend(f'WARNING: {w}' for w in warnings)
    return lines


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Run the conversion; returns the per-scene records by scene name."""
    args = parse_args(argv)
    if args.multiple < 1:
        raise SystemExit(f'--multiple must be >= 1, got {args.multiple}')
    if args.source == 'pmbanet':
        unknown = [s for s in args.scenes if s not in PMBANET_SCENES]
        if unknown:
            raise SystemExit(
                f'--source pmbanet ships only {PMBANET_SCENES}; unknown '
                f'scene(s): {unknown}'
            )
    records = []
    progress = ProgressBar(len(args.scenes), file=sys.stdout)
    for scene in args.scenes:
        if args.source == 'pmbanet':
            record = convert_pmbanet_scene(
                args.src,
                args.out,
                PMBANET_SCENES.index(scene) + 1,
                scene,
                args.multiple,
            )
        else:
            record = convert_middlebury_scene(
                args.src,
                args.out,
                scene,
                args.fill,
                args.inpaint_radius,
                args.crop,
                args.multiple,
            )
        records.append(record)
        progress.update()
    sys.stdout.write('\n')
    split_file = osp.join(args.out, 'splits', f'{args.split}.txt')
    os.makedirs(osp.dirname(split_file), exist_ok=True)
    with open(split_file, 'w', encoding='utf-8') as f:
        f.writelines(f'{r["scene"]}\n' for r in records)
    print('\n'.join(_summary(records, args, split_file)))
    return {r['scene']: r for r in records}


if __name__ == '__main__':
    main()
