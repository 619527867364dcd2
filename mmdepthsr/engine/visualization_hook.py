"""Save prediction panels of validation and test samples as PNG files."""

import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.structures import BaseDataElement

from mmdepthsr.registry import HOOKS
from mmdepthsr.visualization import (
    colorize_depth,
    colorize_error,
    colorize_labels,
    colorize_normals,
    make_panel,
    save_image,
)

#: Prediction fields the hook draws, in the order ``pred_key=None`` tries
#: them, with their ground-truth field.
PRED_TO_GT = dict(
    pred_depth='gt_depth',
    pred_sr_depth='gt_depth',
    pred_sem_seg='gt_sem_seg',
    pred_normal='gt_normal',
)

#: Colours of the segmentation error map (RGB): right, wrong, ignored.
SEG_RIGHT, SEG_WRONG, SEG_IGNORED = (255, 255, 255), (255, 0, 0), (0, 0, 0)

#: Angular error (degrees) drawn with the last colour of the normal error
#: map.
NORMAL_ERROR_VMAX_DEG = 45.0


@HOOKS.register_module()
class DenseVisualizationHook(Hook):
    """Write ``RGB | prediction | ground truth | error`` panels.

    After every ``interval``-th validation or test batch, each sample of the
    batch gets one PNG made by :func:`~mmdepthsr.visualization.make_panel`:

    - depth (``pred_depth``, ``pred_sr_depth``): prediction and ground truth
      share one colour scale (the ground truth's valid range), the error
      map is ``|pred - gt|`` (:func:`colorize_error`);
    - segmentation (``pred_sem_seg``): the dataset palette; the error map
      is white where right, red where wrong, black where ignored;
    - normals (``pred_normal``): :func:`colorize_normals`; the error map is
      the angle between prediction and ground truth, 0-45 degrees.

    A sample without ground truth gets ``RGB | prediction``.

    The RGB panel is the image as the dataloader gave it (``data_batch``
    before the data preprocessor normalises it), so no un-normalisation is
    needed; if the preprocessor swaps BGR to RGB, the panel is swapped
    alike. It is resized to the prediction's size when the two differ (a
    test pipeline may keep the ground truth at the original resolution).

    Files are named after the sample's ``sample_idx`` (6 digits) and the
    stem of its ``img_path`` when that differs (so equal file names in
    different folders do not collide); samples without either are named by
    rank, batch and position. Test panels go to ``out_dir``, validation
    panels to ``out_dir/val_iter_<N>``.

    As in mmsegmentation, the hook draws nothing (``draw=False``) unless a
    config or ``tools/test.py --show-dir`` turns it on.

    Args:
        draw (bool): Whether to draw at all. Defaults to False.
        interval (int): Draw the samples of every ``interval``-th batch.
            Defaults to 50 (``tools/test.py --show-dir`` uses 1).
        out_dir (str, optional): Folder of the PNG files. Defaults to
            ``<runner.log_dir>/vis_data/vis_image``.
        pred_key (str, optional): The prediction to draw, one of
            :data:`PRED_TO_GT`. Defaults to None: the first of them that
            the model's output has.
        pad (int): Pixels between two panels. Defaults to 4.
    """

    priority = 'NORMAL'

    def __init__(
        self,
        draw: bool = False,
        interval: int = 50,
        out_dir: Optional[str] = None,
        pred_key: Optional[str] = None,
        pad: int = 4,
    ):
        if pred_key is not None and pred_key not in PRED_TO_GT:
            raise ValueError(
                f'DenseVisualizationHook: pred_key {pred_key!r} is not '
                f'supported; expected None or one of {list(PRED_TO_GT)}.'
            )
        if int(interval) < 1:
            raise ValueError(
                f'DenseVisualizationHook: interval must be >= 1, got '
                f'{interval}.'
            )
        self.draw = draw
        self.interval = int(interval)
        self.out_dir = out_dir
        self.pred_key = pred_key
        self.pad = int(pad)

    def after_val_iter(
        self,
        runner,
        batch_idx: int,
        data_batch: Optional[dict] = None,
        outputs: Optional[Sequence[BaseDataElement]] = None,
    ) -> None:
        """Draw the samples of a validation batch."""
        self._draw_batch(
            runner,
            batch_idx,
            data_batch,
            outputs,
            runner.val_dataloader,
            f'val_iter_{runner.iter}',
        )

    def after_test_iter(
        self,
        runner,
        batch_idx: int,
        data_batch: Optional[dict] = None,
        outputs: Optional[Sequence[BaseDataElement]] = None,
    ) -> None:
        """Draw the samples of a test batch."""
        self._draw_batch(
            runner, batch_idx, data_batch, outputs, runner.test_dataloader, ''
        )

    def _draw_batch(
        self, runner, batch_idx, data_batch, outputs, dataloader, folder
    ) -> None:
        if not self.draw or not outputs:
            return
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        out_dir = self.out_dir or osp.join(
            runner.log_dir, 'vis_data', 'vis_image'
        )
        bgr_input = self._bgr_input(runner)
        palette = getattr(dataloader.dataset, 'metainfo', {}).get('palette')
        for i, sample in enumerate(outputs):
            name = self._name(sample, batch_idx, i)
            pred_key = self._pred_key(sample, name)
            pred = _to_numpy(getattr(sample, pred_key).data)
            rgb = _input_rgb(
                data_batch['inputs'][i], pred.shape[-2:], bgr_input
            )
            gt_key = PRED_TO_GT[pred_key]
            gt = (
                _to_numpy(getattr(sample, gt_key).data)
                if gt_key in sample
                else None
            )
            images, titles = _panels(pred_key, pred, gt, palette, name)
            panel = make_panel(
                [rgb, *images], titles=['RGB', *titles], pad=self.pad
            )
            save_image(osp.join(out_dir, folder, f'{name}.png'), panel)

    def _pred_key(self, sample, name: str) -> str:
        """The prediction field to draw for ``sample``."""
        if self.pred_key is not None:
            if self.pred_key not in sample:
                raise KeyError(
                    f'DenseVisualizationHook: the model output of {name} '
                    f'has no `{self.pred_key}`; set `pred_key` to a field '
                    'the model predicts.'
                )
            return self.pred_key
        for key in PRED_TO_GT:
            if key in sample:
                return key
        raise KeyError(
            f'DenseVisualizationHook: the model output of {name} has none '
            f'of the fields {list(PRED_TO_GT)}.'
        )

    @staticmethod
    def _bgr_input(runner) -> bool:
        """Whether the data preprocessor swaps the input's channels."""
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        preprocessor = getattr(model, 'data_preprocessor', None)
        return bool(getattr(preprocessor, 'bgr_to_rgb', False))

    @staticmethod
    def _name(sample, batch_idx: int, index: int) -> str:
        """File stem of a sample's panel."""
        meta = sample.metainfo
        img_path = meta.get('img_path')
        sample_idx = meta.get('sample_idx')
        stem = (
            osp.splitext(osp.basename(str(img_path)))[0] if img_path else None
        )
        if sample_idx is not None:
            index = f'{int(sample_idx):06d}'
            return f'{index}_{stem}' if stem and stem != index else index
        if stem:
            return stem
        return f'rank{get_rank()}_batch{batch_idx:06d}_{index}'


def _panels(
    pred_key: str,
    pred: np.ndarray,
    gt: Optional[np.ndarray],
    palette: Optional[Sequence],
    name: str,
) -> Tuple[List[np.ndarray], List[str]]:
    """Prediction, ground truth and error images of one sample.

    Args:
        pred_key (str): Field of ``pred``.
        pred (np.ndarray): ``(C, H, W)`` prediction.
        gt (np.ndarray, optional): ``(C', H, W)`` ground truth.
        palette (Sequence, optional): Class colours (segmentation).
        name (str): Sample name for error messages.

    Returns:
        tuple[list[np.ndarray], list[str]]: ``(H, W, 3)`` uint8 images and
        their titles.
    """
    if gt is not None and gt.shape[-2:] != pred.shape[-2:]:
        raise ValueError(
            f'DenseVisualizationHook: {name}: {pred_key} is '
            f'{pred.shape[-2:]} but its ground truth is {gt.shape[-2:]}.'
        )
    if pred_key == 'pred_sem_seg':
        if palette is None:
            raise ValueError(
                f'DenseVisualizationHook: {name}: drawing {pred_key} needs '
                "a 'palette' in the dataset's metainfo."
            )
        images = [colorize_labels(pred, palette)]
        if gt is not None:
            right = pred[0] == gt[0]
            error = np.empty((*right.shape, 3), np.uint8)
            error[right] = SEG_RIGHT
            error[~right] = SEG_WRONG
            error[gt[0] == 255] = SEG_IGNORED
            images += [colorize_labels(gt, palette), error]
    elif pred_key == 'pred_normal':
        images = [colorize_normals(pred)]
        if gt is not None:
            valid = np.any(gt != 0, axis=0)
            norm = np.linalg.norm(pred, axis=0) * np.linalg.norm(gt, axis=0)
            cos = np.sum(pred * gt, axis=0) / np.maximum(norm, 1e-12)
            angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
            # colorize_error draws |pred - gt| and blacks out gt <= 0: give
            # it the angle against a unit "ground truth" on valid pixels.
            images += [
                colorize_normals(gt),
                colorize_error(
                    angle + 1.0,
                    valid.astype(np.float32),
                    vmax=NORMAL_ERROR_VMAX_DEG,
                ),
            ]
    else:
        depth_gt = None if gt is None else gt[0]
        valid = None if gt is None else depth_gt[depth_gt > 0]
        vmin = vmax = None
        if valid is not None and valid.size:
            vmin, vmax = float(valid.min()), float(valid.max())
        images = [colorize_depth(pred[0], vmin=vmin, vmax=vmax)]
        if gt is not None:
            images += [
                colorize_depth(depth_gt, vmin=vmin, vmax=vmax),
                colorize_error(pred[0], depth_gt),
            ]
    titles = ['prediction', 'ground truth', 'error'][: len(images)]
    return images, titles


def _to_numpy(data) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        data = data.detach().float().cpu().numpy()
    return np.asarray(data)


def _input_rgb(image, size, bgr: bool) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB of a ``(3, h, w)`` 0-255 input image,
    resized to ``size`` (H, W) when it differs."""
    array = _to_numpy(image).astype(np.float32)
    if array.ndim != 3 or array.shape[0] != 3:
        raise ValueError(
            'DenseVisualizationHook expects (3, H, W) input images, got '
            f'{array.shape}.'
        )
    if bgr:
        array = array[::-1]
    rgb = np.clip(np.rint(array.transpose(1, 2, 0)), 0, 255).astype(np.uint8)
    height, width = (int(s) for s in size)
    if rgb.shape[:2] != (height, width):
        rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)
    return rgb
