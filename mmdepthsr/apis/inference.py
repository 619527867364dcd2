"""Inference API: build a model from a config and predict single images.

:func:`init_model` builds the model of a config (optionally with a
checkpoint, loaded with :func:`mmdepthsr.utils.load_checkpoint`, which
works under ``torch >= 2.6``); :func:`inference_model` runs it on an RGB
image and, for depth super-resolution (DSR) models, a low-resolution depth
map, with the config's test pipeline reduced to the steps that need no
ground truth.
"""

import copy
import os
import os.path as osp
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmdepthsr.datasets.transforms import DenseTransform
from mmdepthsr.registry import MODELS, TRANSFORMS
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.utils import load_checkpoint, register_all_modules

from .inference_switches import apply_inference_switches

__all__ = [
    'init_model',
    'inference_model',
    'build_inference_pipeline',
    'load_lr_depth',
]

ImageInput = Union[str, os.PathLike, np.ndarray]
DepthInput = Union[str, os.PathLike, np.ndarray, None]


def _is_dsr(model: torch.nn.Module) -> bool:
    """Whether the model needs ``lr_depth`` (a guided DSR estimator)."""
    from mmdepthsr.models.estimators.base_sr import BaseGuidedSREstimator

    return isinstance(model, BaseGuidedSREstimator)


def init_model(
    config: Union[str, os.PathLike, Config],
    checkpoint: Optional[str] = None,
    device: str = 'cpu',
    cfg_options: Optional[dict] = None,
    amp: Optional[str] = None,
    channels_last: bool = False,
    compile: bool = False,
    strict: bool = True,
) -> torch.nn.Module:
    """Build a model from a config and load its checkpoint.

    With ``checkpoint=None`` the model keeps the weights it is built with
    (random initialisation; nothing is loaded, not even ``init_cfg``
    weights); a warning is given when the model has parameters. Models
    without parameters (``BicubicBaseline``) need no checkpoint.

    Args:
        config (str | os.PathLike | Config): Config file or object.
        checkpoint (str, optional): Checkpoint file (MMEngine format
            ``{'meta': ..., 'state_dict': ...}`` or a bare state dict). It is
            the user's choice and loaded as trusted
            (:func:`mmdepthsr.utils.load_checkpoint`). Defaults to None.
        device (str): Device of the model. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config
            (``{'model.test_cfg.mode': 'whole'}``). Defaults to None.
        amp (str, optional): ``'bf16'`` or ``'fp16'``: predict under
            autocast (:func:`~mmdepthsr.apis.apply_inference_switches`, as
            ``tools/test.py --amp``). Defaults to None (float32).
        channels_last (bool): Channels-last parameters and inputs.
            Defaults to False.
        compile (bool): ``torch.compile`` the model's forward. Defaults to
            False.
        strict (bool): Stop with a
            :class:`~mmdepthsr.utils.CheckpointMismatchError` listing the
            missing, unexpected and mis-shaped keys when the checkpoint
            does not match the model. Defaults to True; False loads the
            matching tensors and logs the rest as a warning.

    Returns:
        nn.Module: The model in eval mode, with ``model.cfg`` set (and
        ``model.dataset_meta`` when the checkpoint records one), and
        ``model.inference_switches`` recording ``amp``, ``channels_last``
        and ``compile``.

    Raises:
        TypeError: If ``config`` is neither a path nor a Config.
        KeyError: If the config has no ``model``.
        ValueError: If ``amp`` is unknown or not supported on ``device``.
        CheckpointMismatchError: If ``strict`` and the checkpoint does not
            match the model.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError(
            'init_model: config must be a file path or an mmengine Config, '
            f'got {type(config).__name__}.'
        )
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise KeyError(
            f'init_model: the config {config.filename} has no `model`.'
        )
    register_all_modules(init_default_scope=False)
    init_default_scope(config.get('default_scope', 'mmdepthsr'))
    model = MODELS.build(config.model)
    num_params = sum(p.numel() for p in model.parameters())
    if checkpoint is not None:
        loaded = load_checkpoint(
            model, str(checkpoint), map_location='cpu', strict=strict
        )
        meta = loaded.get('meta') or {}
        if isinstance(meta, dict) and 'dataset_meta' in meta:
            model.dataset_meta = meta['dataset_meta']
    elif num_params:
        warnings.warn(
            f'init_model: {type(model).__name__} has {num_params} '
            'parameters and no checkpoint was given; its weights are '
            'random, so its predictions are meaningless.',
            stacklevel=2,
        )
    model.cfg = config
    model.to(device)
    model.eval()
    apply_inference_switches(
        model, amp=amp, channels_last=channels_last, compile=compile
    )
    return model


def _test_dataset_cfg(cfg: Config) -> List[dict]:
    """The chain of dataset configs of ``test_dataloader``, outermost
    first (wrappers hold their source in ``dataset`` or ``datasets``)."""
    loader = cfg.get('test_dataloader')
    if loader is None or loader.get('dataset') is None:
        raise KeyError(
            'inference_model: the config has no test_dataloader.dataset to '
            'take the test pipeline from.'
        )
    chain, dataset = [], loader['dataset']
    while dataset is not None:
        chain.append(dataset)
        inner = dataset.get('dataset')
        if inner is None and dataset.get('datasets'):
            inner = dataset['datasets'][0]
        dataset = inner
    return chain


def build_inference_pipeline(
    cfg: Config,
) -> Tuple[List[dict], List[str]]:
    """Reduce the config's test pipeline to steps that need no ground truth.

    The pipelines of the test dataset and of the datasets it wraps are
    joined (innermost first, the order they run in). Each
    :class:`~mmdepthsr.datasets.transforms.DenseTransform` step says what
    it becomes by :meth:`~mmdepthsr.datasets.transforms.DenseTransform.
    inference_cfg`: steps that read files (the image and the LR depth are
    given directly), need ground truth (``GenerateLRDepth``) or only make
    sense in training (random augmentations) are dropped, by their class
    attributes ``reads_files``, ``needs_gt`` and ``training_only``;
    ``NormalizeDepth`` with ``stats_key='gt_depth'`` (the NYU DSR protocol,
    which normalises with the range of the answer) becomes
    ``stats_key='lr_depth'``, the only statistics available at inference;
    geometric steps such as ``Resize`` are kept; ``PackDenseInputs`` is
    appended when missing.

    Args:
        cfg (Config): The model's config.

    Returns:
        tuple[list[dict], list[str]]: The transform configs and notes on
        what was changed.
    """
    steps = []
    for dataset in reversed(_test_dataset_cfg(cfg)):
        steps.extend(dataset.get('pipeline') or [])
    pipeline, notes = [], []
    pack = dict(type='PackDenseInputs')
    for step in steps:
        step = copy.deepcopy(dict(step))
        if step.get('type') == 'PackDenseInputs':
            pack = step
            continue
        transform = step.get('type')
        if isinstance(transform, str):
            transform = TRANSFORMS.get(transform)
        if isinstance(transform, type) and issubclass(
            transform, DenseTransform
        ):
            step, note = transform.inference_cfg(step)
            if note is not None:
                notes.append(note)
        if step is not None:
            pipeline.append(step)
    pipeline.append(pack)
    return pipeline, notes


def _check_depth(depth: np.ndarray, name: str) -> np.ndarray:
    if depth.ndim == 3 and depth.shape[2] == 1:
        depth = depth[..., 0]
    if depth.ndim != 2:
        raise ValueError(
            f'inference_model: lr_depth {name} has shape {depth.shape}; '
            'expected H x W.'
        )
    if depth.dtype.kind not in 'uif':
        raise TypeError(
            f'inference_model: lr_depth {name} has dtype {depth.dtype}; '
            'expected numbers.'
        )
    depth = depth.astype(np.float32)
    if not np.isfinite(depth).all():
        raise ValueError(
            f'inference_model: lr_depth {name} has NaN/inf values; mark '
            'invalid pixels with 0.'
        )
    if (depth < 0).any():
        raise ValueError(
            f'inference_model: lr_depth {name} has negative values; depth '
            'must be >= 0 (0 = invalid).'
        )
    return depth


def load_lr_depth(
    path: Union[str, os.PathLike],
    depth_scale: Optional[float] = None,
    allow_8bit: bool = False,
) -> np.ndarray:
    """Read a depth file in metres.

    Integer files (16-bit PNG, integer ``.npy``) are divided by
    ``depth_scale``; float files (``.npy``, float TIFF) are metres. An 8-bit
    file is refused unless ``allow_8bit`` (256 levels cannot hold metric
    depth: at ``depth_scale=1000`` they end at 0.255 m), as ``LoadDepth``
    refuses it.

    Args:
        path (str | os.PathLike): ``.png`` / ``.tif`` / ``.npy`` file.
        depth_scale (float, optional): Stored value per metre of integer
            files. Defaults to None: 1000 (millimetres).
        allow_8bit (bool): Accept 8-bit files (data that are 8-bit by
            design, e.g. Middlebury grey levels with ``depth_scale=1``).
            Defaults to False.

    Returns:
        np.ndarray: ``H x W`` float32 metres (0 = invalid).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it cannot be decoded, is not a valid depth map or is
            8-bit without ``allow_8bit``.
    """
    path = os.fspath(path)
    scale = 1000.0 if depth_scale is None else float(depth_scale)
    if not scale > 0:
        raise ValueError(
            f'inference_model: depth_scale must be positive, got {scale}.'
        )
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'inference_model: lr_depth file {path} does not exist.'
        )
    if path.lower().endswith('.npy'):
        depth = np.load(path, allow_pickle=False)
    else:
        depth = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if depth is None:
            raise ValueError(
                f'inference_model: cannot decode lr_depth file {path}.'
            )
    integer = depth.dtype.kind in 'ui'
    if integer and depth.dtype.itemsize == 1 and not allow_8bit:
        raise ValueError(
            f'inference_model: lr_depth file {path} is 8-bit ({depth.dtype}, '
            f'256 levels, at most {255 / scale:.4g} m with depth_scale='
            f'{scale:g}); metric depth needs 16 bits or floats. Re-save it '
            'as a 16-bit PNG (e.g. millimetres) or a float .npy in metres; '
            'for data that are 8-bit by design pass allow_8bit=True.'
        )
    depth = _check_depth(depth, path)
    if integer:
        depth = depth / np.float32(scale)
    return depth


def _load_rgb(img: ImageInput) -> Tuple[np.ndarray, Optional[str]]:
    if isinstance(img, (str, os.PathLike)):
        path = os.fspath(img)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'inference_model: image file {path} does not exist.'
            )
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f'inference_model: cannot decode image {path}.')
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), path
    if not isinstance(img, np.ndarray):
        raise TypeError(
            'inference_model: img must be a file path or an H x W x 3 RGB '
            f'uint8 array, got {type(img).__name__}.'
        )
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(
            'inference_model: img must be an H x W x 3 RGB array, got shape '
            f'{img.shape}.'
        )
    return np.ascontiguousarray(img), None


def _prepare(
    model: torch.nn.Module,
    img: ImageInput,
    lr_depth: DepthInput,
    depth_scale: Optional[float],
    index: int,
) -> dict:
    """The pipeline input of one sample."""
    rgb, img_path = _load_rgb(img)
    height, width = rgb.shape[:2]
    results = dict(
        img=rgb,
        img_shape=(height, width),
        ori_shape=(height, width),
        sample_idx=index,
    )
    if img_path is not None:
        results['img_path'] = img_path
    name = img_path or f'image {index}'
    dsr = _is_dsr(model)
    if lr_depth is None:
        if dsr:
            raise ValueError(
                f'inference_model: {type(model).__name__} is a depth '
                'super-resolution model and needs lr_depth (a low-resolution '
                f'depth map) for {name}.'
            )
        return results
    if isinstance(lr_depth, (str, os.PathLike)):
        lr_name = os.fspath(lr_depth)
        lr = load_lr_depth(lr_name, depth_scale)
        results['lr_depth_path'] = lr_name
    elif isinstance(lr_depth, (np.ndarray, torch.Tensor)):
        lr_name = f'array of {name}'
        lr = np.asarray(
            lr_depth.detach().cpu().numpy()
            if isinstance(lr_depth, torch.Tensor)
            else lr_depth
        )
        lr = _check_depth(lr, lr_name)
    else:
        raise TypeError(
            'inference_model: lr_depth must be a file path or an H x W '
            f'array in metres, got {type(lr_depth).__name__}.'
        )
    h, w = lr.shape
    if dsr:
        s = model.scale_factor
        if (h * s, w * s) != (height, width):
            raise ValueError(
                f'inference_model: lr_depth {lr_name} has size {(h, w)}, but '
                f'{type(model).__name__} (scale_factor {s}) needs the image '
                f'size {(height, width)} divided by {s}, i.e. '
                f'{(height / s, width / s)}.'
            )
    if height % h or width % w or height // h != width // w:
        raise ValueError(
            f'inference_model: lr_depth {lr_name} has size {(h, w)}, which is '
            f'not the image size {(height, width)} divided by one integer.'
        )
    results['lr_depth'] = lr
    results['scale_factor'] = height // h
    return results


def _paste_crop_box(sample: DenseDataSample) -> None:
    """Make a pipeline crop land at its place in the input frame.

    ``postprocess_dense`` pastes a prediction into a zero canvas of
    ``ori_shape`` at ``gt_crop_box``; a crop (``crop_box``, ``(top, left,
    bottom, right)``, in the resized frame when a ``Resize`` came first)
    is mapped back to the input frame for that.
    """
    meta = sample.metainfo
    box = meta.get('crop_box')
    if box is None or meta.get('gt_crop_box') is not None:
        return
    top, left, bottom, right = (float(v) for v in box)
    sy, sx = meta.get('resize_factor', (1.0, 1.0))
    sample.set_metainfo(
        dict(
            gt_crop_box=(
                int(round(top / sy)),
                int(round(bottom / sy)),
                int(round(left / sx)),
                int(round(right / sx)),
            )
        )
    )


def inference_model(
    model: torch.nn.Module,
    img: Union[ImageInput, Sequence[ImageInput]],
    lr_depth: Union[DepthInput, Sequence[DepthInput]] = None,
    depth_scale: Optional[float] = None,
) -> Union[DenseDataSample, List[DenseDataSample]]:
    """Predict depth for one image or a list of images.

    The config's test pipeline is reduced by
    :func:`build_inference_pipeline` (no ground truth); the image and the
    LR depth are fed to it directly and the model's ``test_step`` runs.
    Predictions are at the size of the input image, in metres.

    Args:
        model (nn.Module): A model from :func:`init_model` (``model.cfg``
            set).
        img (str | np.ndarray | list): Image file, or ``H x W x 3`` RGB
            uint8 array, or a list of them.
        lr_depth (str | np.ndarray | list, optional): Low-resolution depth
            (needed by DSR models, optional for others): a file (16-bit PNG
            or integer ``.npy`` divided by ``depth_scale``; float ``.npy``
            / TIFF in metres) or an ``h x w`` array in metres; ``h = H /
            s``, ``w = W / s`` with the model's ``scale_factor`` ``s``. A
            list when ``img`` is a list. Defaults to None.
        depth_scale (float, optional): Stored value per metre of integer
            depth files. Defaults to None: 1000 (millimetres).

    Returns:
        DenseDataSample | list[DenseDataSample]: With ``pred_depth`` (MDE)
        and/or ``pred_sr_depth`` (DSR), ``(1, H, W)`` in metres; a list for
        a list input.

    Raises:
        ValueError: If a DSR model gets no ``lr_depth``, the LR size is not
            the image size divided by the scale factor, or the lists have
            different lengths.
    """
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise AttributeError(
            'inference_model: the model has no `cfg`; build it with '
            'mmdepthsr.apis.init_model.'
        )
    is_batch = isinstance(img, (list, tuple))
    imgs = list(img) if is_batch else [img]
    if not imgs:
        raise ValueError('inference_model: got an empty list of images.')
    if is_batch:
        lrs = [None] * len(imgs) if lr_depth is None else list(lr_depth)
        if len(lrs) != len(imgs):
            raise ValueError(
                f'inference_model: got {len(imgs)} images but {len(lrs)} '
                'lr_depth maps.'
            )
    else:
        lrs = [lr_depth]
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmdepthsr'))
    steps, notes = build_inference_pipeline(cfg)
    for note in notes:
        warnings.warn(f'inference_model: {note}', stacklevel=2)
    pipeline = Compose(steps)
    inputs, samples = [], []
    for i, (one_img, one_lr) in enumerate(zip(imgs, lrs)):
        packed = pipeline(_prepare(model, one_img, one_lr, depth_scale, i))
        _paste_crop_box(packed['data_samples'])
        inputs.append(packed['inputs'])
        samples.append(packed['data_samples'])
    with torch.no_grad():
        results = model.test_step(dict(inputs=inputs, data_samples=samples))
    return results if is_batch else results[0]
