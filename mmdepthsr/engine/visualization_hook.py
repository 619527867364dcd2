"""Draw the predictions of validation and test samples: PNG files or the
visualizer's backends (TensorBoard, ...)."""

import os.path as osp
from typing import Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.structures import BaseDataElement

from mmdepthsr.registry import HOOKS
from mmdepthsr.visualization import (
    PRED_TITLES,
    render_figure,
    sample_figure,
    save_image,
)


@HOOKS.register_module()
class DenseVisualizationHook(Hook):
    """Draw one figure per sample: inputs, every predicted field, ground
    truth and errors, with colour bars and a class legend.

    After every ``interval``-th validation or test batch, each sample of
    the batch gets a figure made by
    :func:`~mmdepthsr.visualization.sample_figure` and
    :func:`~mmdepthsr.visualization.render_figure`: ``RGB``, the LR depth
    of DSR models, each predicted depth (``SR depth (pred_sr_depth)`` and
    ``monocular depth (pred_depth)`` for the joint models) and the ground
    truth on one colour scale with a colour bar in metres (or the
    dataset's ``depth_unit``), their errors, segmentation with a legend of
    the classes present (dataset ``palette`` and ``classes``) and normals.

    Where the figure goes:

    - ``out_dir`` given (``tools/test.py --show-dir``): a PNG file,
      ``out_dir/<name>.png`` for test samples,
      ``out_dir/val_iter_<N>/<name>.png`` for validation samples;
    - ``out_dir=None``: ``runner.visualizer.add_image(name, figure,
      step=runner.iter)``, i.e. every backend of the config's
      ``visualizer``: ``LocalVisBackend`` writes
      ``<log_dir>/vis_data/vis_image/<name>_<iter>.png``,
      ``TensorboardVisBackend`` an image summary; validation names start
      with ``val_``, test names with ``test_``.

    The RGB panel is the image as the dataloader gave it (``data_batch``
    before the data preprocessor normalises it), so no un-normalisation is
    needed; if the preprocessor swaps BGR to RGB, the panel is swapped
    alike. It is resized to the prediction's size when the two differ (a
    test pipeline may keep the ground truth at the original resolution).

    Figures are named after the sample's ``sample_idx`` (6 digits) and the
    stem of its ``img_path`` when that differs (so equal file names in
    different folders do not collide); samples without either are named by
    rank, batch and position.

    As in mmsegmentation, the hook draws nothing (``draw=False``) unless a
    config or ``tools/test.py --show-dir`` turns it on.

    Args:
        draw (bool): Whether to draw at all. Defaults to False.
        interval (int): Draw the samples of every ``interval``-th batch.
            Defaults to 50 (``tools/test.py --show-dir`` uses 1).
        out_dir (str, optional): Folder of the PNG files. Defaults to None:
            the visualizer's backends.
        pred_keys (str | Sequence[str], optional): The predicted fields to
            draw, from ``pred_sr_depth``, ``pred_depth``, ``pred_sem_seg``,
            ``pred_normal``. Defaults to None: every one the model outputs.
        depth_unit (str, optional): Unit of the depth colour bar. Defaults
            to the dataset's ``depth_unit`` metainfo, else metres.
        pad (int): Pixels between two panels. Defaults to 4.
    """

    priority = 'NORMAL'

    def __init__(
        self,
        draw: bool = False,
        interval: int = 50,
        out_dir: Optional[str] = None,
        pred_keys: Optional[Union[str, Sequence[str]]] = None,
        depth_unit: Optional[str] = None,
        pad: int = 4,
    ):
        if isinstance(pred_keys, str):
            pred_keys = [pred_keys]
        for key in pred_keys or ():
            if key not in PRED_TITLES:
                raise ValueError(
                    f'DenseVisualizationHook: pred_keys entry {key!r} is not '
                    f'supported; expected fields of {list(PRED_TITLES)}.'
                )
        if int(interval) < 1:
            raise ValueError(
                f'DenseVisualizationHook: interval must be >= 1, got '
                f'{interval}.'
            )
        self.draw = draw
        self.interval = int(interval)
        self.out_dir = out_dir
        self.pred_keys = None if pred_keys is None else list(pred_keys)
        self.depth_unit = depth_unit
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
            'val',
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
            runner,
            batch_idx,
            data_batch,
            outputs,
            runner.test_dataloader,
            'test',
        )

    def _draw_batch(
        self, runner, batch_idx, data_batch, outputs, dataloader, mode
    ) -> None:
        if not self.draw or not outputs:
            return
        if not self.every_n_inner_iters(batch_idx, self.interval):
            return
        bgr_input = self._bgr_input(runner)
        metainfo = getattr(dataloader.dataset, 'metainfo', None) or {}
        depth_unit = self.depth_unit or metainfo.get('depth_unit')
        for i, sample in enumerate(outputs):
            name = self._name(sample, batch_idx, i)
            fields = self.pred_keys
            for key in fields or ():
                if key not in sample:
                    raise KeyError(
                        f'DenseVisualizationHook: the model output of {name} '
                        f'has no `{key}`; set `pred_keys` to fields the model '
                        'predicts.'
                    )
            size = self._pred_size(sample, fields, name)
            rgb = _input_rgb(data_batch['inputs'][i], size, bgr_input)
            figure = sample_figure(
                sample,
                rgb,
                fields=fields,
                palette=metainfo.get('palette'),
                classes=metainfo.get('classes'),
                depth_unit=depth_unit,
            )
            image = render_figure(figure, pad=self.pad)
            if self.out_dir is None:
                runner.visualizer.add_image(
                    f'{mode}_{name}', image, step=runner.iter
                )
            else:
                folder = f'val_iter_{runner.iter}' if mode == 'val' else ''
                save_image(
                    osp.join(self.out_dir, folder, f'{name}.png'), image
                )

    @staticmethod
    def _pred_size(sample, fields, name: str) -> tuple:
        """``(H, W)`` of the first field drawn."""
        for key in fields or PRED_TITLES:
            if key in sample:
                return tuple(getattr(sample, key).data.shape[-2:])
        raise KeyError(
            f'DenseVisualizationHook: the model output of {name} has none '
            f'of the fields {list(PRED_TITLES)}.'
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
