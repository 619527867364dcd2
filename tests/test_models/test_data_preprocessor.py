import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.models import DenseDataPreprocessor
from mmdepthsr.models.utils import stack_field, stack_lr_depth
from mmdepthsr.structures import DenseDataSample


def _sample(h, w, lr=None):
    sample = DenseDataSample(metainfo=dict(img_shape=(h, w)))
    sample.gt_depth = PixelData(data=torch.full((1, h, w), 2.0))
    sample.gt_sem_seg = PixelData(data=torch.ones(1, h, w, dtype=torch.long))
    sample.gt_normal = PixelData(data=torch.ones(3, h, w))
    if lr is not None:
        sample.lr_depth = PixelData(data=torch.full((1, *lr), 3.0))
    return sample


def test_normalise_and_stack():
    pre = DenseDataPreprocessor(mean=[10, 20, 30], std=[2, 4, 5])
    img = torch.stack([torch.full((2, 3), v) for v in (12.0, 28.0, 40.0)])
    out = pre(
        dict(
            inputs=[img.to(torch.uint8)] * 2,
            data_samples=[_sample(2, 3), _sample(2, 3)],
        )
    )
    assert out['inputs'].shape == (2, 3, 2, 3)
    # (12-10)/2 = 1, (28-20)/4 = 2, (40-30)/5 = 2
    assert torch.equal(
        out['inputs'][0, :, 0, 0], torch.tensor([1.0, 2.0, 2.0])
    )
    assert out['data_samples'][0].batch_input_shape == (2, 3)


def test_bgr_to_rgb_swaps_channels():
    pre = DenseDataPreprocessor(bgr_to_rgb=True)
    img = torch.stack([torch.full((1, 1), v) for v in (1.0, 2.0, 3.0)])
    out = pre(dict(inputs=[img]))
    assert out['inputs'][0, :, 0, 0].tolist() == [3.0, 2.0, 1.0]


def test_padding_to_divisor_marks_gt_invalid():
    pre = DenseDataPreprocessor(
        mean=[1, 1, 1], std=[1, 1, 1], size_divisor=4, pad_val=5
    )
    samples = [_sample(3, 5), _sample(4, 2)]
    out = pre(
        dict(
            inputs=[torch.zeros(3, 3, 5), torch.zeros(3, 4, 2)],
            data_samples=samples,
        ),
        training=True,
    )
    assert out['inputs'].shape == (2, 3, 4, 8)
    # image pixels: (0 - 1) / 1; padded pixels: (5 - 1) / 1
    assert out['inputs'][0, 0, 0, 0] == -1 and out['inputs'][0, 0, 3, 7] == 4
    first = out['data_samples'][0]
    assert first.gt_depth.shape == (4, 8)
    assert first.gt_depth.data[0, :3, :5].eq(2).all()
    assert first.gt_depth.data[0, 3].eq(0).all()
    assert first.gt_depth.data[0, :, 5:].eq(0).all()
    assert first.gt_sem_seg.data[0, 3].eq(255).all()
    assert first.gt_normal.data[:, 3].eq(0).all()
    assert first.pad_shape == (4, 8)


def test_test_batches_keep_the_ground_truth_unpadded():
    # A metric that counts every pixel (the real DSR test sets) must not
    # see padded zeros; the estimators cut the padding off the outputs.
    pre = DenseDataPreprocessor(size_divisor=4)
    out = pre(
        dict(inputs=[torch.zeros(3, 3, 5)], data_samples=[_sample(3, 5)])
    )
    sample = out['data_samples'][0]
    assert out['inputs'].shape == (1, 3, 4, 8)
    assert sample.gt_depth.shape == (3, 5)
    assert sample.gt_depth.data.eq(2).all()
    assert sample.batch_input_shape == (4, 8)


def test_gt_kept_at_original_size_is_not_padded():
    pre = DenseDataPreprocessor(size_divisor=4)
    sample = _sample(6, 6)  # GT at full size, image resized to 3 x 5
    out = pre(dict(inputs=[torch.zeros(3, 3, 5)], data_samples=[sample]))
    assert out['data_samples'][0].gt_depth.shape == (6, 6)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match='both'):
        DenseDataPreprocessor(mean=[0, 0, 0])
    with pytest.raises(ValueError, match='3 values'):
        DenseDataPreprocessor(mean=[0, 0], std=[1, 1])
    with pytest.raises(ValueError, match=r'\(3, H, W\)'):
        DenseDataPreprocessor()(dict(inputs=[torch.zeros(1, 4, 4)]))


def test_stack_lr_depth_and_errors():
    samples = [_sample(8, 8, lr=(2, 2)), _sample(8, 8, lr=(2, 2))]
    lr = stack_lr_depth(samples)
    assert lr.shape == (2, 1, 2, 2) and lr.eq(3).all()
    with pytest.raises(KeyError, match='lr_depth'):
        stack_lr_depth([_sample(8, 8)])
    with pytest.raises(ValueError, match='different sizes'):
        stack_field([_sample(8, 8), _sample(4, 4)], 'gt_depth')


def test_normalize_denormalize_hand_values_and_round_trip():
    pre = DenseDataPreprocessor(
        mean=[10, 20, 30], std=[2, 4, 5], bgr_to_rgb=True
    )
    assert pre.enable_normalize
    # loaded order (B, G, R) = (40, 28, 12) -> model order (R, G, B)
    img = torch.tensor([40.0, 28.0, 12.0]).view(1, 3, 1, 1).expand(2, 3, 2, 2)
    out = pre.normalize(img.to(torch.uint8))
    assert out.dtype == torch.float32 and out.shape == (2, 3, 2, 2)
    # (12 - 10) / 2, (28 - 20) / 4, (40 - 30) / 5
    assert out[1, :, 1, 0].tolist() == [1.0, 2.0, 2.0]
    assert torch.equal(pre.denormalize(out), img)
    # a single (3, H, W) image goes the same way
    assert torch.equal(pre.normalize(img[0]), out[0])
    gen = torch.Generator().manual_seed(0)
    raw = torch.rand(2, 3, 4, 5, generator=gen) * 255
    torch.testing.assert_close(
        pre.denormalize(pre.normalize(raw)), raw, rtol=0, atol=1e-4
    )


def test_normalize_matches_forward_and_identity_without_stats():
    pre = DenseDataPreprocessor(mean=[1, 2, 3], std=[4, 5, 6])
    img = torch.randint(0, 256, (3, 4, 5), dtype=torch.uint8)
    batch = pre(dict(inputs=[img]))['inputs']
    assert torch.equal(pre.normalize(img[None]), batch)
    plain = DenseDataPreprocessor()
    assert not plain.enable_normalize
    assert torch.equal(plain.normalize(img), img.float())
    assert torch.equal(plain.denormalize(img.float()), img.float())


def test_renormalize_keeps_channel_order():
    pre = DenseDataPreprocessor(mean=[10, 20, 30], std=[2, 4, 5])
    out = pre.renormalize(torch.ones(1, 3, 1, 1), 6.0, 2.0)
    # pixels 12, 24, 35 -> (p - 6) / 2
    assert out.view(-1).tolist() == [3.0, 9.0, 14.5]
    out = pre.renormalize(torch.ones(3, 1, 1), [12, 24, 35], [1, 1, 5])
    assert out.view(-1).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize('method', ['normalize', 'denormalize', 'renormalize'])
def test_normalize_rejects_other_shapes(method):
    pre = DenseDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1])
    args = (1.0, 1.0) if method == 'renormalize' else ()
    with pytest.raises(ValueError, match=rf'{method} expects .*\(2, 4, 4\)'):
        getattr(pre, method)(torch.zeros(2, 4, 4), *args)
