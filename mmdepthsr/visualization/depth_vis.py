"""Colourisation of dense maps and side-by-side panels.

Every function returns an ``(H, W, 3)`` uint8 RGB image and accepts numpy
arrays or torch tensors (single-channel maps as ``(H, W)`` or ``(1, H, W)``,
normals as ``(H, W, 3)`` or ``(3, H, W)``). Invalid pixels are black.
"""

import os
import os.path as osp
from functools import lru_cache
from typing import Optional, Sequence, Union

import cv2
import numpy as np

_TITLE_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _to_numpy(array) -> np.ndarray:
    if hasattr(array, 'detach'):  # torch.Tensor
        array = array.detach().cpu().numpy()
    return np.asarray(array)


def _as_map(array, name: str) -> np.ndarray:
    """A single-channel map as (H, W)."""
    array = _to_numpy(array)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    elif array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise ValueError(
            f'{name}: expected a map of shape (H, W) or (1, H, W), got '
            f'{array.shape}.'
        )
    return array


@lru_cache(maxsize=16)
def _colormap_lut(cmap: str) -> np.ndarray:
    """256 x 3 uint8 RGB table of a matplotlib colormap."""
    import matplotlib

    try:
        colormap = matplotlib.colormaps[cmap]
    except KeyError as err:
        raise ValueError(f'Unknown matplotlib colormap {cmap!r}.') from err
    rgba = colormap(np.linspace(0.0, 1.0, 256))
    return np.round(rgba[:, :3] * 255).astype(np.uint8)


def _apply_colormap(
    values: np.ndarray,
    valid: np.ndarray,
    vmin: float,
    vmax: float,
    cmap: str,
) -> np.ndarray:
    lut = _colormap_lut(cmap)
    span = max(vmax - vmin, 1e-12)
    scaled = np.clip((values - vmin) / span, 0.0, 1.0)
    index = np.round(np.nan_to_num(scaled) * 255).astype(np.uint8)
    rgb = lut[index]
    rgb[~valid] = 0
    return rgb


def colorize_depth(
    depth,
    vmin: Optional[float] = None,
    vmax: Optional[float] = None,
    cmap: str = 'magma',
) -> np.ndarray:
    """Colour a depth map with a matplotlib colormap.

    ``vmin`` gets the colormap's first colour, ``vmax`` its last; values
    outside are clipped. Pixels that are not finite or ``<= 0`` are invalid
    and black.

    Args:
        depth (np.ndarray | torch.Tensor): Depth, (H, W) or (1, H, W).
        vmin (float, optional): Depth of the first colour. Defaults to the
            smallest valid depth.
        vmax (float, optional): Depth of the last colour. Defaults to the
            largest valid depth.
        cmap (str): Matplotlib colormap name. Defaults to 'magma'.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    depth = _as_map(depth, 'colorize_depth').astype(np.float64)
    valid = np.isfinite(depth) & (depth > 0)
    if not valid.any():
        return np.zeros((*depth.shape, 3), np.uint8)
    vmin = float(depth[valid].min()) if vmin is None else float(vmin)
    vmax = float(depth[valid].max()) if vmax is None else float(vmax)
    return _apply_colormap(depth, valid, vmin, vmax, cmap)


def colorize_error(
    pred,
    gt,
    vmax: Optional[float] = None,
    cmap: str = 'turbo',
) -> np.ndarray:
    """Heat map of the absolute error ``|pred - gt|``.

    Zero error gets the colormap's first colour, ``vmax`` its last. Pixels
    whose ground truth is not finite or ``<= 0`` (or whose prediction is not
    finite) are black. The default 'turbo' map starts dark blue, so a
    perfect pixel is distinguishable from an invalid one.

    Args:
        pred (np.ndarray | torch.Tensor): Prediction, (H, W) or (1, H, W).
        gt (np.ndarray | torch.Tensor): Ground truth of the same size.
        vmax (float, optional): Error of the last colour. Defaults to the
            largest valid error.
        cmap (str): Matplotlib colormap name. Defaults to 'turbo'.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    pred = _as_map(pred, 'colorize_error (pred)').astype(np.float64)
    gt = _as_map(gt, 'colorize_error (gt)').astype(np.float64)
    if pred.shape != gt.shape:
        raise ValueError(
            f'colorize_error: pred has shape {pred.shape} but gt has '
            f'{gt.shape}; resize the prediction to the ground truth first.'
        )
    valid = np.isfinite(gt) & (gt > 0) & np.isfinite(pred)
    error = np.where(valid, np.abs(pred - gt), 0.0)
    if vmax is None:
        vmax = float(error.max()) if valid.any() else 1.0
    return _apply_colormap(error, valid, 0.0, float(vmax), cmap)


def colorize_labels(
    labels, palette: Sequence[Sequence[int]], ignore_index: int = 255
) -> np.ndarray:
    """Colour a label map with a palette.

    Args:
        labels (np.ndarray | torch.Tensor): Class ids, (H, W) or (1, H, W).
        palette (Sequence[Sequence[int]]): One RGB colour per class id.
        ignore_index (int): Id drawn black. Defaults to 255.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.

    Raises:
        ValueError: If a label other than ``ignore_index`` has no colour.
    """
    labels = _as_map(labels, 'colorize_labels').astype(np.int64)
    table = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    ignored = labels == ignore_index
    bad = ~ignored & ((labels < 0) | (labels >= len(table)))
    if bad.any():
        raise ValueError(
            f'colorize_labels: label ids {np.unique(labels[bad])[:10]} '
            f'have no colour in the palette of {len(table)} classes '
            f'(ignore_index={ignore_index}).'
        )
    rgb = table[np.where(ignored, 0, labels)]
    rgb[ignored] = 0
    return rgb


def colorize_normals(normals) -> np.ndarray:
    """Colour unit normals as ``(n + 1) / 2 * 255`` (rounded half up).

    So (0, 0, -1) (a surface facing the camera) becomes (128, 128, 0). Zero
    vectors (invalid) and non-finite vectors are black.

    Args:
        normals (np.ndarray | torch.Tensor): (H, W, 3) or (3, H, W).

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    normals = _to_numpy(normals).astype(np.float64)
    if normals.ndim == 3 and normals.shape[-1] != 3 and normals.shape[0] == 3:
        normals = normals.transpose(1, 2, 0)
    if normals.ndim != 3 or normals.shape[-1] != 3:
        raise ValueError(
            'colorize_normals: expected normals of shape (H, W, 3) or '
            f'(3, H, W), got {normals.shape}.'
        )
    finite = np.isfinite(normals).all(axis=-1)
    valid = finite & np.any(normals != 0, axis=-1)
    rgb = np.floor((np.clip(normals, -1, 1) + 1.0) * 127.5 + 0.5)
    rgb = np.nan_to_num(rgb).astype(np.uint8)
    rgb[~valid] = 0
    return rgb


def _as_rgb(image, where: str) -> np.ndarray:
    image = _to_numpy(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(
            f'{where} must be (H, W) or (H, W, 3), got {image.shape}.'
        )
    if image.dtype != np.uint8:
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return image


def make_panel(
    images: Sequence,
    titles: Optional[Sequence[str]] = None,
    pad: int = 4,
    pad_value: int = 255,
    title_height: Optional[int] = None,
) -> np.ndarray:
    """Put images side by side.

    Every image is resized (nearest neighbour, so label colours stay exact)
    to the height of the first one, keeping its aspect ratio. With
    ``titles``, a strip of ``title_height`` pixels above the images holds
    each title, written with ``cv2.putText`` at the left of its image.

    Args:
        images (Sequence[np.ndarray]): (H, W, 3) uint8 RGB (or (H, W) grey)
            images.
        titles (Sequence[str], optional): One title per image.
        pad (int): Pixels between two images. Defaults to 4.
        pad_value (int): Grey level of the gaps and of the title strip
            (titles are black on a light strip, white on a dark one).
            Defaults to 255.
        title_height (int, optional): Height of the title strip. Defaults
            to 7 % of the image height, at least 14 pixels.

    Returns:
        np.ndarray: (H [+ title_height], sum(W_i) + pad * (n - 1), 3)
        uint8 RGB.
    """
    if len(images) == 0:
        raise ValueError('make_panel: got no images.')
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f'make_panel: got {len(titles)} titles for {len(images)} images.'
        )
    rgbs = [
        _as_rgb(image, f'make_panel: image {i}')
        for i, image in enumerate(images)
    ]
    height = rgbs[0].shape[0]
    resized = []
    for rgb in rgbs:
        h, w = rgb.shape[:2]
        if h != height:
            width = max(1, round(w * height / h))
            rgb = cv2.resize(
                rgb, (width, height), interpolation=cv2.INTER_NEAREST
            )
        resized.append(rgb)
    total = sum(r.shape[1] for r in resized) + pad * (len(resized) - 1)
    top = 0
    if titles is not None:
        top = title_height or max(14, round(0.07 * height))
    panel = np.full((top + height, total, 3), pad_value, np.uint8)
    x = 0
    offsets = []
    for rgb in resized:
        panel[top:, x : x + rgb.shape[1]] = rgb
        offsets.append(x)
        x += rgb.shape[1] + pad
    if titles is not None:
        (_, text_h), _ = cv2.getTextSize('Ag', _TITLE_FONT, 1.0, 1)
        scale = 0.6 * top / text_h
        color = (0, 0, 0) if pad_value > 127 else (255, 255, 255)
        baseline = int(round(0.75 * top))
        for title, x in zip(titles, offsets):
            cv2.putText(
                panel,
                str(title),
                (x + 2, baseline),
                _TITLE_FONT,
                scale,
                color,
                1,
                cv2.LINE_AA,
            )
    return panel


def save_image(path: Union[str, os.PathLike], rgb: np.ndarray) -> None:
    """Write an RGB image as PNG (or any format cv2 knows by extension).

    Parent folders are created.

    Args:
        path (str | os.PathLike): Output file.
        rgb (np.ndarray): (H, W, 3) uint8 RGB (converted to BGR for cv2)
            or (H, W) grey.

    Raises:
        OSError: If the file could not be written.
    """
    path = os.fspath(path)
    image = _as_rgb(rgb, f'save_image: the image for {path!r}')
    parent = osp.dirname(osp.abspath(path))
    os.makedirs(parent, exist_ok=True)
    try:
        written = cv2.imwrite(path, np.ascontiguousarray(image[..., ::-1]))
    except cv2.error as err:
        raise OSError(f'save_image: could not write {path!r}: {err}') from err
    if not written:
        raise OSError(f'save_image: could not write {path!r}.')
