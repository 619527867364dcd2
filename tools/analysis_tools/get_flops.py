"""Parameters and FLOPs of a config's model, in total and per module.

Examples::

    python tools/analysis_tools/get_flops.py configs/v3_fusion.py \
        --shape 480 640
    python tools/analysis_tools/get_flops.py CONFIG --shape 240 320 \
        --max-depth 2

The model is built from the config (random weights: the counts do not
depend on them) and traced by MMEngine's :class:`~mmengine.analysis.
FlopAnalyzer` on its tensor forward (``mode='tensor'``: the network on one
preprocessed whole image of ``--shape``, padded as the data preprocessor
pads; DSR and joint models also get an LR depth of ``shape /
scale_factor``). Slide inference over tiles, pre- and post-processing are
not counted.

Convention (MMEngine, after fvcore): one fused multiply-add counts as one
flop, so "FLOPs" here are multiply-accumulates (a 3x3 convolution from
``C_in`` to ``C_out`` channels at ``H x W`` output is ``H * W * C_out *
C_in * 9``); biases, ReLUs, additions and products are not counted, batch
normalisation and interpolation have MMEngine's own rules. Operators
without a rule are listed as "not counted".

Output: the input shape, total parameters and FLOPs, the operators not
counted, and a table of parameters and FLOPs per module down to
``--max-depth``.
"""

import argparse
import contextlib
import functools
import warnings

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.print_helper import _format_size, complexity_stats_table

from mmdepthsr.apis import init_model, synthetic_batch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Parameters and FLOPs of a model, per module'
    )
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=(480, 640),
        metavar=('H', 'W'),
        help='input image size (default: 480 640)',
    )
    parser.add_argument(
        '--max-depth',
        type=int,
        default=3,
        help='depth of submodules in the table (default: 3)',
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def tensor_forward(model, data_samples):
    """Make ``model(inputs)`` run ``model(inputs, data_samples,
    mode='tensor')``, so that the tracer sees one tensor argument and the
    module names stay those of the model."""
    model.forward = functools.partial(
        type(model).forward, model, data_samples=data_samples, mode='tensor'
    )
    try:
        yield model
    finally:
        del model.forward


def analyse(model, shape):
    """FLOPs of the tensor forward on one synthetic image of ``shape``.

    Returns:
        tuple: ``(FlopAnalyzer, inputs)``; the analyser has been run.
    """
    batch = synthetic_batch(model, shape, batch_size=1)
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
    inputs = data['inputs']
    with tensor_forward(model, data['data_samples']):
        flops = FlopAnalyzer(model, (inputs,))
        flops.unsupported_ops_warnings(False)
        flops.uncalled_modules_warnings(False)
        flops.tracer_warnings('none')
        flops.total()  # runs the trace inside the context
    return flops, inputs


def main(argv=None):
    args = parse_args(argv)
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='init_model')
        model = init_model(args.config)
    flops, inputs = analyse(model, args.shape)
    params = parameter_count(model)['']
    total = flops.total()
    print(f'Config: {args.config}')
    print(f'Input shape: {tuple(inputs.shape)}')
    print(f'Parameters: {params} ({_format_size(params)})')
    print(f'FLOPs: {total} ({_format_size(total)})')
    skipped = flops.unsupported_ops()
    if skipped:
        names = ', '.join(f'{op} ({n})' for op, n in sorted(skipped.items()))
        print(f'Not counted: {names}')
    print(
        complexity_stats_table(
            flops, max_depth=args.max_depth, show_param_shapes=False
        )
    )


if __name__ == '__main__':
    main()
