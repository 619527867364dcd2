"""GridPatchSampler: grouped shuffling, one load per image and pass,
distinct images per rank and worker, a resumable stream."""

import itertools
import os

import numpy as np
import pytest
from mmengine.dataset import BaseDataset, InfiniteSampler, pseudo_collate
from torch.utils.data import DataLoader, Sampler

from mmdepthsr.datasets import GridPatchDataset, GridPatchSampler
from mmdepthsr.engine import DenseRunner
from mmdepthsr.engine.runner import fill_sampler_loader_args
from mmdepthsr.registry import DATASETS


class _Counts:
    """The part of a patch dataset the sampler reads."""

    def __init__(self, counts, cache_size=None):
        self.patch_counts = tuple(counts)
        self.cache_size = cache_size

    def __len__(self):
        return sum(self.patch_counts)


@DATASETS.register_module(force=True)
class LoadLoggingDataset(BaseDataset):
    """``num`` random 16 x 24 RGB-D images; every load appends
    ``"<pid> <index>"`` to ``log_file`` (works across worker processes)."""

    def __init__(self, num, log_file, **kwargs):
        self.num = num
        self.log_file = log_file
        super().__init__(**kwargs)

    def load_data_list(self):
        return [
            dict(sample_idx=i, img_path=f'{i}.png') for i in range(self.num)
        ]

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        with open(self.log_file, 'a') as f:
            f.write(f'{os.getpid()} {idx}\n')
        rng = np.random.default_rng(idx)
        info.update(
            img=rng.integers(0, 256, (16, 24, 3), dtype=np.uint8),
            gt_depth=rng.uniform(0.5, 5.0, (16, 24)).astype(np.float32),
        )
        return info


def _loads(log_file):
    with open(log_file) as f:
        return [tuple(map(int, line.split())) for line in f]


def _patch_dataset(log_file, num=16, cache_size=4):
    """``num`` images of 6 patches (8 x 8 on a 16 x 24 image)."""
    return dict(
        type='GridPatchDataset',
        dataset=dict(
            type='LoadLoggingDataset',
            num=num,
            log_file=str(log_file),
            pipeline=[
                dict(type='GenerateLRDepth', scale_factor=2, method='nearest')
            ],
        ),
        patch_size=8,
        img_shape=(16, 24),
        cache_size=cache_size,
        pipeline=[
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackDenseInputs'),
        ],
    )


class _Head(Sampler):
    """The first ``num`` indices of a sampler (a finite epoch)."""

    def __init__(self, sampler, num):
        self.sampler = sampler
        self.num = num

    def __iter__(self):
        return itertools.islice(iter(self.sampler), self.num)

    def __len__(self):
        return self.num


def _first(sampler, num):
    return list(itertools.islice(iter(sampler), num))


def _image_of(index, counts):
    return int(np.searchsorted(np.cumsum(counts), index, side='right'))


def test_one_pass_is_every_patch_once_in_groups_of_images():
    counts = [3, 5, 4, 2, 6, 1, 4, 3, 2, 5]  # 10 images, 35 patches
    sampler = GridPatchSampler(_Counts(counts), images_per_group=4, seed=3)
    first = _first(sampler, 2 * 35)
    one_pass = first[:35]
    assert sorted(one_pass) == list(range(35))
    assert sorted(first[35:]) == list(range(35))
    assert first[35:] != one_pass  # the next pass is shuffled anew
    # Groups of 4, 4 and 2 images: each block of patches holds all the
    # patches of its images and no other.
    images = [_image_of(i, counts) for i in one_pass]
    start = 0
    seen = set()
    for size in (4, 4, 2):
        group = set()
        end = start
        while len(group | {images[end]}) <= size:
            group.add(images[end])
            end += 1
            if end == len(images):
                break
        assert len(group) == size
        assert end - start == sum(counts[i] for i in group)
        assert not group & seen
        seen |= group
        start = end
    # The patches of a group are shuffled among themselves.
    assert one_pass[:10] != sorted(one_pass[:10])


def test_stream_is_a_function_of_the_seed_and_no_shuffle_is_in_order():
    counts = [4] * 12
    a = _first(GridPatchSampler(_Counts(counts), seed=5), 100)
    b = _first(GridPatchSampler(_Counts(counts), seed=5), 100)
    c = _first(GridPatchSampler(_Counts(counts), seed=6), 100)
    assert a == b
    assert a != c
    ordered = GridPatchSampler(_Counts(counts), shuffle=False, seed=5)
    assert _first(ordered, 100) == (list(range(48)) * 3)[:100]


def test_ranks_and_workers_get_distinct_images(monkeypatch):
    # 24 images of 3 patches, groups of 2: 12 groups per pass, dealt to
    # 2 ranks x 3 workers.
    counts = [3] * 24
    streams = {}
    for rank in (0, 1):
        monkeypatch.setattr(
            'mmdepthsr.datasets.samplers.get_dist_info', lambda r=rank: (r, 2)
        )
        sampler = GridPatchSampler(
            _Counts(counts),
            images_per_group=2,
            seed=0,
            batch_size=2,
            num_workers=3,
        )
        assert sampler.rank == rank and sampler.world_size == 2
        # One pass: 2 groups x 6 patches per worker, batches of 2 dealt
        # round-robin to the workers.
        batches = np.asarray(_first(sampler, 36)).reshape(-1, 2)
        for worker in range(3):
            patches = batches[worker::3].reshape(-1).tolist()
            streams[rank, worker] = {_image_of(i, counts) for i in patches}
            assert len(patches) == 12
    assert all(len(images) == 4 for images in streams.values())
    union = set().union(*streams.values())
    assert union == set(range(24))  # six disjoint sets of 4 images


def test_arguments_are_checked():
    with pytest.raises(TypeError, match='patch_counts'):
        GridPatchSampler(list(range(4)), seed=0)
    with pytest.raises(ValueError, match='cache_size to at least 8'):
        GridPatchSampler(_Counts([2] * 9, cache_size=2), seed=0)
    with pytest.raises(ValueError, match='images_per_group'):
        GridPatchSampler(_Counts([2]), images_per_group=0, seed=0)


def test_dense_runner_passes_the_loader_layout_to_the_sampler():
    cfg = dict(
        batch_size=8,
        num_workers=2,
        sampler=dict(type='GridPatchSampler', images_per_group=4),
    )
    filled = fill_sampler_loader_args(cfg)
    assert filled['sampler'] == dict(
        type='GridPatchSampler',
        images_per_group=4,
        batch_size=8,
        num_workers=2,
    )
    assert 'batch_size' not in cfg['sampler']  # the input is not modified
    explicit = dict(cfg, sampler=dict(type='GridPatchSampler', num_workers=1))
    assert fill_sampler_loader_args(explicit)['sampler']['num_workers'] == 1
    other = dict(cfg, sampler=dict(type='InfiniteSampler'))
    assert fill_sampler_loader_args(other) is other


def _run_pass(dataset, sampler, num_workers, batch_size=4):
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        sampler=_Head(sampler, len(dataset)),
        collate_fn=pseudo_collate,
    )
    return [
        [s.metainfo['source_idx'] for s in batch['data_samples']]
        for batch in loader
    ]


@pytest.mark.parametrize('num_workers', [0, 2])
def test_one_load_per_image_and_pass_with_workers(tmp_path, num_workers):
    """16 images x 6 patches, groups of 4, batches of 4: one pass loads
    every image once (by one worker); a sampler shuffling all patches
    loads an image for nearly every patch."""
    log = tmp_path / 'loads.txt'
    dataset = DATASETS.build(_patch_dataset(log))
    log.write_text('')  # planning the grid loaded nothing; start clean
    sampler = GridPatchSampler(
        dataset,
        images_per_group=4,
        seed=0,
        batch_size=4,
        num_workers=num_workers,
    )
    batches = _run_pass(dataset, sampler, num_workers)
    loads = _loads(log)
    assert sorted(i for _, i in loads) == list(range(16))
    if num_workers:
        assert len({pid for pid, _ in loads}) == 2
    # Batch diversity: 4 patches drawn from 4 images x 6 patches.
    per_batch = [len(set(b)) for b in batches]
    assert len(per_batch) == 24
    assert np.mean(per_batch) > 2.5

    log.write_text('')
    old = _run_pass(
        dataset, InfiniteSampler(dataset, shuffle=True, seed=0), num_workers
    )
    assert len(old) == 24
    assert len(_loads(log)) > 4 * 16


def test_cache_keeps_the_most_recently_used_images(tmp_path):
    log = tmp_path / 'loads.txt'
    dataset = DATASETS.build(_patch_dataset(log, num=4, cache_size=2))
    # Patches 0-5 are image 0, 6-11 image 1, 12-17 image 2.
    for idx in (0, 6, 1, 12, 2, 7):
        dataset[idx]
    # 0, 1 loaded; 0 reused (most recent now); 2 evicts 1; 0 cached; 1
    # loaded again.
    assert [i for _, i in _loads(log)] == [0, 1, 2, 1]
    with pytest.raises(ValueError, match='cache_size'):
        GridPatchDataset(dataset.dataset, patch_size=8, cache_size=0)


def _loader_cfg(log_file):
    return dict(
        batch_size=4,
        num_workers=2,
        persistent_workers=True,
        sampler=dict(type='GridPatchSampler', images_per_group=4),
        collate_fn=dict(type='pseudo_collate'),
        dataset=_patch_dataset(log_file),
    )


def _summary(batch):
    return [
        (
            s.metainfo['source_idx'],
            s.metainfo['patch_box'],
            s.metainfo['flip'],
            float(inputs.double().sum()),
        )
        for s, inputs in zip(batch['data_samples'], batch['inputs'])
    ]


def test_resumed_loader_replays_the_uninterrupted_stream(tmp_path):
    """What ``IterBasedTrainLoop`` does on resume: a new loader, the
    batches already trained on skipped, then the same batches as an
    uninterrupted run (indices and the workers' random flips)."""
    n = 7  # not a multiple of the batches per group
    loader = DenseRunner.build_dataloader(_loader_cfg(tmp_path / 'a'), seed=1)
    full = [_summary(b) for b in itertools.islice(loader, 2 * n)]
    resumed_loader = DenseRunner.build_dataloader(
        _loader_cfg(tmp_path / 'b'), seed=1
    )
    iterator = iter(resumed_loader)
    for _ in range(n):
        next(iterator)
    resumed = [_summary(next(iterator)) for _ in range(n)]
    assert resumed == full[n:]
    assert len({flip for batch in full for _, _, flip, _ in batch}) == 2
    other_seed = DenseRunner.build_dataloader(
        _loader_cfg(tmp_path / 'c'), seed=2
    )
    assert [_summary(b) for b in itertools.islice(other_seed, n)] != full[:n]
    assert isinstance(loader.sampler, GridPatchSampler)
    assert (loader.sampler.batch_size, loader.sampler.num_workers) == (4, 2)
