"""ConvBNReLU: layer keys, parameter counts, padding and stride."""

import torch

from mmdepthsr.models.layers import ConvBNReLU


def test_keys_and_params_with_bn():
    block = ConvBNReLU(3, 8, 3, stride=2)
    assert list(block.state_dict()) == [
        '0.weight',
        '1.weight',
        '1.bias',
        '1.running_mean',
        '1.running_var',
        '1.num_batches_tracked',
    ]
    # conv 3*8*9 (no bias) + BN 2*8
    assert sum(p.numel() for p in block.parameters()) == 216 + 16
    assert block(torch.zeros(2, 3, 15, 16)).shape == (2, 8, 8, 8)


def test_without_bn_the_conv_has_a_bias():
    block = ConvBNReLU(2, 4, 1, norm=False)
    assert list(block.state_dict()) == ['0.weight', '0.bias']
    with torch.no_grad():
        block[0].weight.fill_(1.0)
        block[0].bias.fill_(-1.0)
    x = torch.tensor([0.25, 1.0]).view(1, 2, 1, 1).expand(1, 2, 3, 5)
    # relu(0.25 + 1 - 1) = 0.25 everywhere, size kept by the 1x1 kernel
    torch.testing.assert_close(block(x), torch.full((1, 4, 3, 5), 0.25))


def test_dilation_keeps_the_size_and_spreads_the_taps():
    block = ConvBNReLU(1, 1, 3, norm=False, dilation=2)
    assert block[0].dilation == (2, 2) and block[0].padding == (2, 2)
    with torch.no_grad():
        block[0].weight.fill_(1.0)
        block[0].bias.zero_()
    x = torch.zeros(1, 1, 7, 7)
    x[0, 0, 3, 3] = 1.0
    out = block(x)
    assert out.shape == x.shape
    # the centre pixel reaches the 3 x 3 grid of taps two pixels apart
    expected = torch.zeros(7, 7)
    expected[1::2, 1::2][:3, :3] = 1.0
    torch.testing.assert_close(out[0, 0], expected)
