"""What machine a measurement comes from."""

import platform

import torch

__all__ = ['cpu_model', 'device_name']


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (platform string elsewhere)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device) -> str:
    """Name of a device: the GPU model for CUDA, the CPU model and the
    number of torch threads for CPU.

    Args:
        device (str | torch.device): ``'cpu'``, ``'cuda'``, ``'cuda:1'``.

    Returns:
        str: E.g. ``'NVIDIA H200'`` or ``'Intel(R) Xeon(R) Processor (2
        threads)'``.
    """
    device = torch.device(device)
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    if device.type == 'cpu':
        return f'{cpu_model()} ({torch.get_num_threads()} threads)'
    return str(device)
