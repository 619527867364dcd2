"""Export of the MDE and DSR estimators to TorchScript and ONNX.

An estimator's ``predict`` works on data samples (metainfo, per-sample
normalisation records); a deployed graph takes plain tensors.
:class:`DepthExportWrapper` gives an estimator that plain forward,
whole-image and self-contained:

- input ``img``: ``(N, 3, H, W)`` float, RGB (the loaded channel order) in
  ``0..255``; the data preprocessor's channel swap, mean and std are
  applied inside the graph;
- input ``lr_depth`` (DSR and joint models): ``(N, 1, H / s, W / s)`` in
  metres (0 = no depth); the normalisation the model's whole-image test
  path expects (:func:`export_lr_normalization`) is applied inside the
  graph, per image, and the depth outputs are brought back to metres;
- outputs: ``sr_depth`` and / or ``depth``, ``(N, 1, H, W)`` in metres
  (the ``pred_sr_depth`` and ``pred_depth`` of ``predict``; segmentation
  and normal outputs are not exported).

The graph is traced through the estimator's own ``predict`` (so it is the
same computation, not a copy of it) at one input size; ``H`` and ``W``
must be multiples of the data preprocessor's ``size_divisor`` and of the
scale factor, since the graph holds no padding. Test-pipeline steps that
change the image size (``Resize``, crops) are not part of the graph:
images are fed at the size the model was exported for.

:func:`export_model` exports a config's model, runs the exported file on
a seeded example and compares it with ``test_step`` of the PyTorch model
(``tools/deployment/pytorch2torchscript.py``, ``pytorch2onnx.py``).
"""

import contextlib
import copy
import math
import os
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import PixelData
from torch import nn

from mmdepthsr.registry import TRANSFORMS
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.structures.depth_norm import (
    denormalize_depth_values,
    normalize_depth_tile,
    normalize_depth_values,
)

from .inference import build_inference_pipeline, init_model
from .synthetic_inputs import needs_lr_depth, synthetic_batch

__all__ = [
    'EXPORT_FORMATS',
    'DepthExportWrapper',
    'add_export_arguments',
    'export_example_inputs',
    'export_lr_normalization',
    'export_model',
    'export_reference_outputs',
    'export_report_lines',
    'run_export_tool',
    'run_exported',
]

#: Output formats of :func:`export_model`.
EXPORT_FORMATS = ('torchscript', 'onnx')

#: ``(data sample field, exported output name)``, in output order.
_OUTPUT_FIELDS = (('pred_sr_depth', 'sr_depth'), ('pred_depth', 'depth'))

#: Inputs of the exported graph, in order (DSR models take both).
_INPUT_NAMES = ('img', 'lr_depth')

#: Test-pipeline steps that the exported graph stands for: the normalisation
#: (reproduced inside) and steps without effect at an exportable size.
_STEPS_IN_GRAPH = ('NormalizeDepth', 'CropToMultiple', 'PackDenseInputs')


def _step_name(step: dict) -> str:
    kind = step.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', '?')


def _is_guided_sr(model: nn.Module) -> bool:
    from mmdepthsr.models.estimators.base_sr import BaseGuidedSREstimator

    return isinstance(model, BaseGuidedSREstimator)


def export_lr_normalization(model: nn.Module) -> Optional[dict]:
    """How the metric LR depth becomes the network input, whole image.

    - Tiled inference with a tile rule (``test_cfg.mode='slide'``,
      ``normalize='max'|'minmax'``): the whole image is one tile, i.e. the
      LR map is normalised by its own statistics (``source='test_cfg'``).
    - Otherwise the ``NormalizeDepth`` step of the config's test pipeline,
      as :func:`~mmdepthsr.apis.build_inference_pipeline` reduces it
      (statistics of ``lr_depth``; ``source='pipeline'``).
    - None: the network reads metres.

    Args:
        model (nn.Module): An estimator from
            :func:`~mmdepthsr.apis.init_model` (``model.cfg`` set when its
            test pipeline normalises the LR depth).

    Returns:
        dict | None: ``mode`` (``'max'``, ``'minmax'``, ``'fixed'``),
        ``pixels`` (``'valid'``, ``'all'``), ``value_range`` (``'fixed'``
        only) and ``source``; None for models that read no LR depth or
        read it in metres.
    """
    if not needs_lr_depth(model):
        return None
    test_cfg = model.test_cfg
    if test_cfg['mode'] == 'slide' and test_cfg['normalize'] is not None:
        return dict(
            mode=test_cfg['normalize'],
            pixels='valid',
            value_range=None,
            source='test_cfg',
        )
    cfg = getattr(model, 'cfg', None)
    if cfg is None or cfg.get('test_dataloader') is None:
        return None
    steps, _ = build_inference_pipeline(cfg)
    for step in steps:
        if _step_name(step) != 'NormalizeDepth':
            continue
        kwargs = {k: v for k, v in step.items() if k != 'type'}
        transform = TRANSFORMS.get('NormalizeDepth')(**kwargs)
        if 'lr_depth' not in transform.keys:
            continue
        return dict(
            mode=transform.mode,
            pixels=transform.pixels,
            value_range=transform.value_range,
            source='pipeline',
        )
    return None


def _pipeline_steps_outside_graph(model: nn.Module) -> List[str]:
    cfg = getattr(model, 'cfg', None)
    if cfg is None or cfg.get('test_dataloader') is None:
        return []
    steps, _ = build_inference_pipeline(cfg)
    return [
        _step_name(step)
        for step in steps
        if _step_name(step) not in _STEPS_IN_GRAPH
    ]


def _normalize_lr(
    lr_depth: torch.Tensor, rule: dict
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(normalised lr, m, M)`` of ``rule``; ``m``, ``M`` ``(N, 1, 1, 1)``.

    Degenerate maps follow the ``'unit'`` rule of
    :func:`~mmdepthsr.structures.depth_norm.depth_norm_stats` (a graph
    cannot raise).
    """
    if rule['mode'] == 'fixed':
        low, high = (float(v) for v in rule['value_range'])
        return (
            normalize_depth_values(lr_depth, low, high),
            lr_depth.new_full((1, 1, 1, 1), low),
            lr_depth.new_full((1, 1, 1, 1), high),
        )
    return normalize_depth_tile(lr_depth, rule['mode'], pixels=rule['pixels'])


@contextlib.contextmanager
def _test_cfg(model: nn.Module, **overrides):
    """Run ``model`` with other ``test_cfg`` entries (guided SR models)."""
    if not _is_guided_sr(model):
        yield
        return
    saved = model.test_cfg
    model.test_cfg = model._check_test_cfg(dict(saved, **overrides))
    try:
        yield
    finally:
        model.test_cfg = saved


class DepthExportWrapper(nn.Module):
    """Plain-tensor, whole-image forward of an MDE or DSR estimator.

    Args:
        model (nn.Module): The estimator, in eval mode.
        lr_normalization (dict, optional): The LR-depth rule of
            :func:`export_lr_normalization`. Defaults to None (the
            network reads metres).

    Examples:
        >>> wrapper = DepthExportWrapper(model, export_lr_normalization(model))
        >>> sr_depth, depth = wrapper(img, lr_depth)  # a joint model
    """

    def __init__(
        self, model: nn.Module, lr_normalization: Optional[dict] = None
    ):
        super().__init__()
        self.model = model
        self.lr_normalization = lr_normalization
        self.reads_lr_depth = needs_lr_depth(model)
        #: Names of the outputs of the last forward, in order.
        self.output_names: Tuple[str, ...] = ()

    def input_names(self) -> Tuple[str, ...]:
        """``('img', 'lr_depth')`` for DSR models, else ``('img',)``."""
        return _INPUT_NAMES if self.reads_lr_depth else _INPUT_NAMES[:1]

    def forward(
        self, img: torch.Tensor, lr_depth: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, ...]:
        """Depth outputs in metres.

        Args:
            img (Tensor): ``(N, 3, H, W)`` float RGB in ``0..255``.
            lr_depth (Tensor, optional): ``(N, 1, H / s, W / s)`` metres;
                required by DSR and joint models.

        Returns:
            tuple[Tensor]: ``(N, 1, H, W)`` per name of
            :attr:`output_names` (``sr_depth`` before ``depth``).
        """
        name = type(self.model).__name__
        if self.reads_lr_depth and lr_depth is None:
            raise ValueError(f'{name} needs lr_depth (metres).')
        height, width = (int(v) for v in img.shape[-2:])
        inputs = self.model.data_preprocessor.normalize(img)
        shape = (height, width)
        samples = [
            DenseDataSample(
                metainfo=dict(
                    img_shape=shape, ori_shape=shape, batch_input_shape=shape
                )
            )
            for _ in range(img.shape[0])
        ]
        low = high = None
        if self.reads_lr_depth:
            lr_depth = lr_depth.float()
            if self.lr_normalization is not None:
                lr_depth, low, high = _normalize_lr(
                    lr_depth, self.lr_normalization
                )
            for i, sample in enumerate(samples):
                sample.lr_depth = PixelData(data=lr_depth[i])
        # the graph applies the LR rule itself: the model runs un-normalised
        with _test_cfg(self.model, mode='whole', normalize=None):
            samples = self.model.predict(inputs, samples)
        outputs, names = [], []
        for field, out_name in _OUTPUT_FIELDS:
            if field not in samples[0]:
                continue
            out = torch.stack([getattr(s, field).data for s in samples])
            if low is not None:
                out = denormalize_depth_values(out, low, high)
            outputs.append(out)
            names.append(out_name)
        if not outputs:
            raise ValueError(
                f'{name} predicts neither pred_depth nor pred_sr_depth; '
                'only MDE and DSR models can be exported.'
            )
        self.output_names = tuple(names)
        return tuple(outputs)


def _check_export_shape(model: nn.Module, shape: Sequence[int]) -> None:
    name = type(model).__name__
    height, width = shape
    divisors = []
    size_divisor = getattr(model.data_preprocessor, 'size_divisor', None)
    if size_divisor:
        divisors.append(('the data preprocessor size_divisor', size_divisor))
    if needs_lr_depth(model):
        divisors.append(('scale_factor', model.scale_factor))
    for what, div in divisors:
        if height % div or width % div:
            raise ValueError(
                f'{name}: the export shape {(height, width)} must be '
                f'divisible by {what} {div} (the exported graph holds no '
                'padding).'
            )


def export_example_inputs(
    model: nn.Module, shape: Sequence[int], seed: int = 0
) -> Tuple[torch.Tensor, ...]:
    """A seeded example input of the exported graph.

    Args:
        model (nn.Module): The estimator.
        shape (Sequence[int]): Image size ``(H, W)``.
        seed (int): Seed. Defaults to 0.

    Returns:
        tuple[Tensor]: ``img`` ``(1, 3, H, W)`` float ``0..255``, and for
        DSR models ``lr_depth`` ``(1, 1, H / s, W / s)`` metres in
        ``[0.5, 5]``.

    Raises:
        ValueError: If the shape is not a multiple of the data
            preprocessor's ``size_divisor`` or of the scale factor.
    """
    shape = tuple(int(v) for v in shape)
    _check_export_shape(model, shape)
    batch = synthetic_batch(model, shape, batch_size=1, seed=seed)
    device = next(iter(model.buffers()), torch.empty(0)).device
    img = batch['inputs'][0][None].float().to(device)
    sample = batch['data_samples'][0]
    if 'lr_depth' not in sample:
        return (img,)
    return img, sample.lr_depth.data[None].float().to(device)


def export_reference_outputs(
    model: nn.Module,
    inputs: Sequence[torch.Tensor],
    lr_normalization: Optional[dict] = None,
) -> Dict[str, torch.Tensor]:
    """The PyTorch model's own ``test_step`` on the export inputs.

    The samples are made as the test pipeline makes them: the LR depth of
    a ``source='pipeline'`` rule is normalised by the ``NormalizeDepth``
    transform (which records ``depth_norm_min`` / ``depth_norm_max``); a
    ``source='test_cfg'`` rule runs tiled inference with one tile of the
    image's size.

    Args:
        model (nn.Module): The estimator.
        inputs (Sequence[Tensor]): ``img`` and optionally ``lr_depth`` as
            :class:`DepthExportWrapper` takes them.
        lr_normalization (dict, optional): The rule of
            :func:`export_lr_normalization`.

    Returns:
        dict[str, Tensor]: ``(N, 1, H, W)`` metres per output name.
    """
    img = inputs[0]
    shape = tuple(int(v) for v in img.shape[-2:])
    rule = lr_normalization or {}
    samples = []
    for i in range(img.shape[0]):
        sample = DenseDataSample(
            metainfo=dict(img_shape=shape, ori_shape=shape)
        )
        if len(inputs) > 1:
            lr = inputs[1][i].detach().cpu().numpy()[0]
            if rule.get('source') == 'pipeline':
                transform = TRANSFORMS.get('NormalizeDepth')(
                    mode=rule['mode'],
                    stats_key='lr_depth',
                    pixels=rule['pixels'],
                    value_range=rule['value_range'],
                    degenerate='unit',
                )
                results = transform(dict(lr_depth=lr))
                lr = results['lr_depth']
                sample.set_metainfo(
                    dict(
                        depth_norm_min=results['depth_norm_min'],
                        depth_norm_max=results['depth_norm_max'],
                    )
                )
            sample.lr_depth = PixelData(data=torch.from_numpy(lr)[None])
        samples.append(sample)
    overrides = dict(mode='whole')
    if rule.get('source') == 'test_cfg':
        overrides = dict(mode='slide', patch_size=shape, stride=None, margin=0)
    with torch.no_grad(), _test_cfg(model, **overrides):
        samples = model.test_step(dict(inputs=list(img), data_samples=samples))
    return {
        out_name: torch.stack([getattr(s, field).data for s in samples])
        for field, out_name in _OUTPUT_FIELDS
        if field in samples[0]
    }


def _trace(wrapper: DepthExportWrapper, inputs: Tuple[torch.Tensor, ...]):
    with warnings.catch_warnings(), torch.no_grad():
        # The graph is checked against the model after export.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        return torch.jit.trace(wrapper, inputs, check_trace=False)


def _export_onnx(
    wrapper: DepthExportWrapper,
    inputs: Tuple[torch.Tensor, ...],
    out: str,
    opset: int,
    dynamic: bool,
) -> None:
    dynamic_axes = None
    if dynamic:
        sizes = {2: 'height', 3: 'width'}
        lr_sizes = {2: 'lr_height', 3: 'lr_width'}
        dynamic_axes = {name: sizes for name in wrapper.output_names}
        dynamic_axes.update(img=sizes, lr_depth=lr_sizes)
        dynamic_axes = {
            name: axes
            for name, axes in dynamic_axes.items()
            if name in wrapper.input_names() or name in wrapper.output_names
        }
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        # The TorchScript-based exporter: it needs `onnx` only, not
        # `onnxscript` as the torch.export-based one does.
        warnings.filterwarnings('ignore', message='.*legacy TorchScript')
        torch.onnx.export(
            wrapper,
            inputs,
            out,
            dynamo=False,
            opset_version=opset,
            input_names=list(wrapper.input_names()),
            output_names=list(wrapper.output_names),
            dynamic_axes=dynamic_axes,
        )


def _second_shape(model: nn.Module, shape: Tuple[int, int]) -> tuple:
    """A larger exportable shape, to check a graph with dynamic sizes."""
    divisors = [getattr(model.data_preprocessor, 'size_divisor', None) or 1]
    if needs_lr_depth(model):
        divisors.append(model.scale_factor)
    step = math.lcm(*(int(div) for div in divisors))
    step *= max(1, 16 // step)
    return shape[0] + step, shape[1] + step


def run_exported(
    path: str, inputs: Sequence[torch.Tensor], fmt: Optional[str] = None
) -> List[np.ndarray]:
    """Run an exported file on ``inputs``.

    Args:
        path (str): A ``.pt`` TorchScript or ``.onnx`` file.
        inputs (Sequence[Tensor]): The graph's inputs, in order.
        fmt (str, optional): ``'torchscript'`` or ``'onnx'``; None: from
            the file extension (``.onnx`` or else TorchScript).

    Returns:
        list[np.ndarray]: The outputs, in order.
    """
    fmt = fmt or ('onnx' if path.endswith('.onnx') else 'torchscript')
    if fmt == 'onnx':
        import onnxruntime

        session = onnxruntime.InferenceSession(
            path, providers=['CPUExecutionProvider']
        )
        given = dict(zip(_INPUT_NAMES, inputs))
        # An input that no output depends on (the image of the bicubic
        # baseline, of which only the size counts) is not in the graph.
        feeds = {
            arg.name: given[arg.name].detach().cpu().numpy()
            for arg in session.get_inputs()
        }
        return list(session.run(None, feeds))
    module = torch.jit.load(path, map_location=inputs[0].device)
    with torch.no_grad():
        outs = module(*inputs)
    return [out.detach().cpu().numpy() for out in outs]


def export_model(
    config: Union[str, os.PathLike],
    checkpoint: Optional[str],
    shape: Sequence[int],
    out: str,
    fmt: str = 'torchscript',
    opset: int = 17,
    device: str = 'cpu',
    cfg_options: Optional[dict] = None,
    seed: int = 0,
    verify: bool = True,
    dynamic: bool = False,
) -> dict:
    """Export a config's model and compare the file with PyTorch.

    Args:
        config (str | os.PathLike): Config file.
        checkpoint (str, optional): Checkpoint; None keeps the random
            weights (for models without parameters, or to try the export).
        shape (Sequence[int]): Input image size ``(H, W)``.
        out (str): Output file.
        fmt (str): ``'torchscript'`` or ``'onnx'``. Defaults to
            ``'torchscript'``.
        opset (int): ONNX opset. Defaults to 17.
        device (str): Device of the model and the check. Defaults to
            ``'cpu'``.
        cfg_options (dict, optional): Config overrides.
        seed (int): Seed of the example input. Defaults to 0.
        verify (bool): Run the exported file on a seeded example input
            and compare it with :func:`export_reference_outputs`. Needs
            ``onnxruntime`` for ONNX. Defaults to True.
        dynamic (bool): ONNX only: the image height and width (and the LR
            size) are dynamic axes; the check then also runs at a second,
            larger shape. Defaults to False.

    Returns:
        dict: ``model`` (class name), ``format``, ``inputs`` (name:
        shape), ``outputs`` (names), ``dynamic``, ``lr_normalization``,
        ``outside_graph`` (test-pipeline steps not in the graph) and
        ``checks``: per checked shape, ``shape`` and ``max_abs_diff``
        (output name: metres) between the file and the PyTorch model
        (empty without ``verify``).

    Raises:
        ValueError: If ``fmt`` is unknown, ``dynamic`` is asked of
            TorchScript, the shape is not exportable or the model has no
            depth output.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(
            f'export_model: fmt must be one of {EXPORT_FORMATS}, got {fmt!r}.'
        )
    if dynamic and fmt != 'onnx':
        raise ValueError(
            'export_model: dynamic sizes are an ONNX option; a TorchScript '
            'trace is exported for one input size.'
        )
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='init_model')
        model = init_model(
            config, checkpoint, device=device, cfg_options=cfg_options
        )
    rule = export_lr_normalization(model)
    shape = tuple(int(v) for v in shape)
    inputs = export_example_inputs(model, shape, seed=seed)
    wrapper = DepthExportWrapper(model, rule).eval()
    with torch.no_grad():
        wrapper(*inputs)  # sets the output names; fails early
    out_dir = os.path.dirname(os.path.abspath(out))
    os.makedirs(out_dir, exist_ok=True)
    if fmt == 'torchscript':
        _trace(wrapper, inputs).save(out)
    else:
        _export_onnx(wrapper, inputs, out, opset, dynamic)
    report = dict(
        model=type(model).__name__,
        format=fmt,
        inputs={
            name: list(x.shape)
            for name, x in zip(wrapper.input_names(), inputs)
        },
        outputs=list(wrapper.output_names),
        dynamic=dynamic,
        lr_normalization=copy.deepcopy(rule),
        outside_graph=_pipeline_steps_outside_graph(model),
        checks=[],
    )
    if not verify:
        return report
    shapes = [shape]
    if dynamic:
        shapes.append(_second_shape(model, shape))
    for i, check_shape in enumerate(shapes):
        check_inputs = export_example_inputs(model, check_shape, seed + i)
        reference = export_reference_outputs(model, check_inputs, rule)
        exported = run_exported(out, check_inputs, fmt)
        diffs = {}
        for name, got in zip(wrapper.output_names, exported):
            ref = reference[name].cpu()
            if tuple(got.shape) != tuple(ref.shape):
                raise ValueError(
                    f'export_model: output {name} of {out} has shape '
                    f'{tuple(got.shape)}, predict() gives '
                    f'{tuple(ref.shape)}.'
                )
            diffs[name] = float((torch.from_numpy(got) - ref).abs().max())
        report['checks'].append(
            dict(shape=list(check_shape), max_abs_diff=diffs)
        )
    return report


def _describe_rule(rule: Optional[dict]) -> str:
    if rule is None:
        return 'none (the network reads metres)'
    if rule['mode'] == 'fixed':
        low, high = rule['value_range']
        return f'fixed range: (d - {low:g}) / ({high:g} - {low:g})'
    stat = 'max' if rule['mode'] == 'max' else 'min-max'
    where = (
        'the tile rule of test_cfg, with the whole image as one tile'
        if rule['source'] == 'test_cfg'
        else 'NormalizeDepth of the test pipeline'
    )
    return f'per image, {stat} of the {rule["pixels"]} LR pixels ({where})'


def add_export_arguments(parser, fmt: str) -> None:
    """The arguments of ``tools/deployment/pytorch2<fmt>.py``.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        fmt (str): ``'torchscript'`` or ``'onnx'`` (adds ``--opset`` and
            ``--dynamic``).
    """
    from mmengine.config import DictAction

    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file; "none" keeps the random weights (models '
        'without parameters, or to try the export)',
    )
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        required=True,
        metavar=('H', 'W'),
        help='input image size',
    )
    parser.add_argument('--out', required=True, help='output file')
    if fmt == 'onnx':
        parser.add_argument(
            '--opset', type=int, default=17, help='ONNX opset (default: 17)'
        )
        parser.add_argument(
            '--dynamic',
            action='store_true',
            help='dynamic image height and width (checked at a second size)',
        )
    parser.add_argument(
        '--atol',
        type=float,
        default=1e-4,
        help='largest |exported - predict()| allowed, metres (default: 1e-4)',
    )
    parser.add_argument(
        '--skip-check', action='store_true', help='do not run the file'
    )
    parser.add_argument(
        '--device', default='cpu', help='device (default: cpu)'
    )
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the example input'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value',
    )


def export_report_lines(
    report: dict, out: str, atol: float
) -> Tuple[List[str], bool]:
    """What the export tools print about a :func:`export_model` report.

    Args:
        report (dict): The report.
        out (str): The exported file.
        atol (float): Largest absolute difference allowed (metres).

    Returns:
        tuple[list[str], bool]: The lines, and whether every checked
        output is within ``atol`` of the PyTorch model.
    """
    title = dict(torchscript='TorchScript', onnx='ONNX')[report['format']]
    size = 'dynamic height and width' if report['dynamic'] else 'fixed size'
    names = ', '.join(
        f'{name} {tuple(shape)}' for name, shape in report['inputs'].items()
    )
    units = 'img: float RGB 0..255'
    if 'lr_depth' in report['inputs']:
        units += ', lr_depth: metres'
    lines = [
        f'Exported {report["model"]} to {out} ({title}, {size})',
        f'inputs: {names} ({units})',
        f'outputs: {", ".join(report["outputs"])} (metres)',
    ]
    if 'lr_depth' in report['inputs']:
        lines.append(
            'LR depth normalisation in the graph: '
            + _describe_rule(report['lr_normalization'])
        )
    if report['outside_graph']:
        height, width = report['inputs']['img'][-2:]
        lines.append(
            'not in the graph (test pipeline): '
            + ', '.join(report['outside_graph'])
            + f'; feed images of {height} x {width}'
        )
    ok = True
    for check in report['checks']:
        worst = max(check['max_abs_diff'].values())
        ok &= worst <= atol
        diffs = ', '.join(
            f'{name} {diff:.2e} m'
            for name, diff in check['max_abs_diff'].items()
        )
        height, width = check['shape']
        lines.append(
            f'check {height} x {width}: max |exported - predict()| {diffs} '
            f'(atol {atol:g}): {"OK" if worst <= atol else "FAILED"}'
        )
    return lines, ok


def run_export_tool(fmt: str, argv=None) -> Tuple[List[str], bool]:
    """The command line of ``tools/deployment/pytorch2<fmt>.py``: parse the
    arguments and export.

    Args:
        fmt (str): ``'torchscript'`` or ``'onnx'``.
        argv (list[str], optional): Arguments (default: ``sys.argv``).

    Returns:
        tuple[list[str], bool]: The report's lines
        (:func:`export_report_lines`) and whether every checked output is
        within ``--atol`` of the PyTorch model.
    """
    import argparse
    import sys

    title = dict(torchscript='TorchScript', onnx='ONNX')[fmt]
    parser = argparse.ArgumentParser(
        description=f'Export an MDE or DSR model to {title} (whole image) '
        'and check it against the PyTorch model'
    )
    add_export_arguments(parser, fmt)
    args = parser.parse_args(argv)
    checkpoint = args.checkpoint
    if checkpoint.lower() == 'none':
        checkpoint = None
    onnx_options = (
        dict(opset=args.opset, dynamic=args.dynamic) if fmt == 'onnx' else {}
    )
    try:
        report = export_model(
            args.config,
            checkpoint,
            args.shape,
            args.out,
            fmt=fmt,
            device=args.device,
            cfg_options=args.cfg_options,
            seed=args.seed,
            verify=not args.skip_check,
            **onnx_options,
        )
    except ValueError as err:
        sys.exit(f'ERROR: {err}')
    return export_report_lines(report, args.out, args.atol)
