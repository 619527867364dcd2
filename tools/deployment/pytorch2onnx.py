"""Export an MDE or DSR model to ONNX, whole image, and check the file
against the PyTorch model.

Examples::

    python tools/deployment/pytorch2onnx.py \
        configs/v3_fusion/v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py \
        CHECKPOINT --shape 240 320 --out v3.onnx
    python tools/deployment/pytorch2onnx.py \
        configs/bicubic/bicubic_x8_lu-dsr.py none --shape 480 640 \
        --out bicubic.onnx

The exported graph takes ``img`` (float RGB 0..255) and, for DSR and
joint models, ``lr_depth`` (metres) and returns ``sr_depth`` and / or
``depth`` in metres; the data preprocessor's normalisation and the LR
depth normalisation of the whole-image test path are inside it
(:class:`mmdepthsr.apis.DepthExportWrapper`). After export the file runs on
a seeded example input and each output is compared with the PyTorch
model's ``test_step``: the largest absolute difference is printed, and the
exit status is 1 when it exceeds ``--atol`` (default 1e-4 m).
"""

import sys

from mmdepthsr.apis import run_export_tool


def main(argv=None) -> int:
    lines, ok = run_export_tool('onnx', argv)
    print('\n'.join(lines))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
