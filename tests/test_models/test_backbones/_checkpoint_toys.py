"""Random conv / BN tensors under foreign checkpoint keys, for the tests of
the backbones' key maps, and an eval-mode BN that reads them."""

import torch
import torch.nn.functional as F


class RandomCheckpoint:
    """Collects seeded random tensors into a state dict.

    Args:
        seed (int): Generator seed.
        counters (bool): Add BN ``num_batches_tracked`` counters, as newer
            PyTorch checkpoints have.
    """

    def __init__(self, seed: int = 0, counters: bool = True):
        self.gen = torch.Generator().manual_seed(seed)
        self.counters = counters
        self.state_dict = {}

    def conv(self, key, cout, cin_per_group, k):
        """He-scaled ``(cout, cin_per_group, k, k)`` conv weight."""
        std = (2.0 / (cin_per_group * k * k)) ** 0.5
        shape = (cout, cin_per_group, k, k)
        self.state_dict[key] = torch.randn(*shape, generator=self.gen) * std

    def bn(self, prefix, c):
        """BN affine parameters near (1, 0) and positive running stats."""
        gen, sd = self.gen, self.state_dict
        sd[f'{prefix}.weight'] = 1 + 0.1 * torch.randn(c, generator=gen)
        sd[f'{prefix}.bias'] = 0.1 * torch.randn(c, generator=gen)
        sd[f'{prefix}.running_mean'] = 0.1 * torch.randn(c, generator=gen)
        sd[f'{prefix}.running_var'] = 1 + torch.rand(c, generator=gen)
        if self.counters:
            sd[f'{prefix}.num_batches_tracked'] = torch.tensor(7)


def eval_bn(state_dict, prefix, x, eps):
    """Eval-mode batch norm of ``x`` with the tensors under ``prefix``."""
    return F.batch_norm(
        x,
        state_dict[f'{prefix}.running_mean'],
        state_dict[f'{prefix}.running_var'],
        state_dict[f'{prefix}.weight'],
        state_dict[f'{prefix}.bias'],
        False,
        0.0,
        eps,
    )
