"""Strip a training checkpoint down to weights for release.

Keeps ``state_dict`` and a plain ``meta`` and drops ``optimizer``,
``message_hub`` and ``param_schedulers``, so that the result is smaller and
loads with ``torch.load(weights_only=True)`` (the default of torch >= 2.6)
without any allow-list::

    python tools/misc/publish_model.py work_dirs/x/iter_40000.pth x.pth
    python tools/misc/publish_model.py IN OUT --add-hash   # OUT-<sha8>.pth
"""

import argparse
import hashlib
import os
import os.path as osp

import torch

from mmdepthsr.utils.checkpoint import strip_checkpoint, torch_load_checkpoint


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Strip a checkpoint to state_dict + meta'
    )
    parser.add_argument('in_file', help='input checkpoint (trusted)')
    parser.add_argument('out_file', help='output checkpoint')
    parser.add_argument(
        '--add-hash',
        action='store_true',
        help='append the first 8 hex digits of the sha256 to the name',
    )
    return parser.parse_args(argv)


def publish(in_file: str, out_file: str, add_hash: bool = False) -> str:
    """Write the stripped checkpoint; returns the final path."""
    # The input is the user's own training checkpoint: trusted.
    checkpoint = torch_load_checkpoint(
        in_file, map_location='cpu', trusted=True
    )
    stripped = strip_checkpoint(checkpoint)
    out_dir = osp.dirname(osp.abspath(out_file))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(stripped, out_file)
    # Check the promise: plain weights-only loading, no allow-list.
    torch.load(out_file, map_location='cpu', weights_only=True)
    if add_hash:
        with open(out_file, 'rb') as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        root, ext = osp.splitext(out_file)
        final = f'{root}-{sha[:8]}{ext or ".pth"}'
        os.replace(out_file, final)
        out_file = final
    return out_file


def main(argv=None):
    args = parse_args(argv)
    out_file = publish(args.in_file, args.out_file, args.add_hash)
    num = len(torch.load(out_file, weights_only=True)['state_dict'])
    print(f'Saved {out_file} ({num} tensors, {osp.getsize(out_file)} bytes)')


if __name__ == '__main__':
    main()
