"""Samplers: grid patches shuffled in groups of images.

:class:`GridPatchDataset` turns every image into many training samples.
Shuffling all patches of the dataset at once (``InfiniteSampler``) makes
every patch load and pre-process its whole image again; emitting an
image's patches one after the other makes each batch come from one or two
images. :class:`GridPatchSampler` sits in between: it draws a group of
``images_per_group`` random images, emits their patches shuffled among
themselves, then moves on to the next group; with a dataset cache of at
least ``images_per_group`` images (``GridPatchDataset(cache_size=...)``)
each image is loaded once per pass over the data while every batch mixes
patches of several images.
"""

import itertools
from typing import Iterator, Optional, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdepthsr.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class GridPatchSampler(Sampler):
    """Infinite sampler of grid patches, shuffled within groups of images.

    The stream is built in passes over the images. Pass ``p`` permutes the
    images (``numpy.random.default_rng((seed, p))``) and cuts the
    permutation into groups of ``images_per_group`` (the last one may be
    smaller); the patches of group ``j`` are shuffled among themselves
    (``default_rng((seed, p, j))``). Groups are numbered across passes
    (``k = 0, 1, ...``) and dealt round-robin to ``world_size *
    num_workers`` streams: stream ``rank * num_workers + w`` (DataLoader
    worker ``w`` of rank ``rank``) gets groups ``k`` with ``k % (world_size
    * num_workers)`` equal to its number. A rank yields ``batch_size``
    indices of its worker 0's stream, then ``batch_size`` of worker 1's,
    and so on, matching the order in which a PyTorch DataLoader hands
    batches to its workers (batch ``b`` to worker ``b % num_workers``). So

    - every image is in exactly one group per pass, and that group goes to
      one worker of one rank: with ``cache_size >= images_per_group`` in
      the dataset, a pass loads each image once, whatever the number of
      workers and ranks;
    - ranks and workers get distinct images (DDP: no rank repeats
      another's patches within a pass);
    - a batch draws from about ``images_per_group`` images (fewer when the
      group has fewer patches than a batch, or a batch spans two groups).

    The stream is a pure function of ``seed``, the rank, the world size,
    ``batch_size`` and ``num_workers``: a resumed run that replays the
    batches already trained on (MMEngine's ``IterBasedTrainLoop``) gets the
    same indices as an uninterrupted one. Like MMEngine's
    ``InfiniteSampler`` it never ends and ignores :meth:`set_epoch`.

    ``batch_size`` and ``num_workers`` are those of the DataLoader;
    :class:`~mmdepthsr.engine.DenseRunner` fills them in from the
    ``train_dataloader`` config when the sampler config leaves them out.
    Other values still give a valid stream (the same patches, dealt
    differently); only the loads per pass grow.

    Args:
        dataset (Sized): A dataset with ``patch_counts`` (the number of
            patches of each image, patches numbered image by image), e.g.
            :class:`~mmdepthsr.datasets.GridPatchDataset`.
        images_per_group (int): Images whose patches are shuffled together.
            Defaults to 8.
        shuffle (bool): Shuffle the images and the patches of each group;
            otherwise images and patches come in dataset order. Defaults
            to True.
        seed (int, optional): Random seed, the same on every rank. Defaults
            to None (a seed synchronised across ranks).
        batch_size (int, optional): The DataLoader's batch size. Defaults
            to None (1).
        num_workers (int, optional): The DataLoader's ``num_workers``
            (0 counts as 1). Defaults to None (1).

    Raises:
        TypeError: If the dataset has no ``patch_counts``.
        ValueError: If ``images_per_group``, ``batch_size`` or
            ``num_workers`` is out of range, or the dataset caches fewer
            images than a group holds.
    """

    #: :class:`~mmdepthsr.engine.DenseRunner` passes the DataLoader's
    #: ``batch_size`` and ``num_workers``.
    needs_loader_args = True

    def __init__(
        self,
        dataset: Sized,
        images_per_group: int = 8,
        shuffle: bool = True,
        seed: Optional[int] = None,
        batch_size: Optional[int] = None,
        num_workers: Optional[int] = None,
    ) -> None:
        if not hasattr(dataset, 'patch_counts'):
            raise TypeError(
                'GridPatchSampler: the dataset must have `patch_counts` '
                '(patches of each image), like GridPatchDataset; got '
                f'{type(dataset).__name__}.'
            )
        if images_per_group < 1:
            raise ValueError(
                'GridPatchSampler: images_per_group must be >= 1, got '
                f'{images_per_group}.'
            )
        cache_size = getattr(dataset, 'cache_size', None)
        if cache_size is not None and cache_size < images_per_group:
            raise ValueError(
                f'GridPatchSampler: images_per_group={images_per_group} but '
                f'the dataset caches {cache_size} image(s): every patch '
                'whose image has left the cache would load it again; set '
                f"the dataset's cache_size to at least {images_per_group}."
            )
        if batch_size is not None and batch_size < 1:
            raise ValueError(
                f'GridPatchSampler: batch_size must be >= 1, got {batch_size}.'
            )
        if num_workers is not None and num_workers < 0:
            raise ValueError(
                'GridPatchSampler: num_workers must be >= 0, got '
                f'{num_workers}.'
            )
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.images_per_group = int(images_per_group)
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.batch_size = int(batch_size or 1)
        self.num_workers = max(int(num_workers or 0), 1)
        counts = np.asarray(dataset.patch_counts, dtype=np.int64)
        self._starts = np.cumsum(counts) - counts
        self._counts = counts
        self.size = int(counts.sum())

    def _groups(self) -> Iterator[Tuple[int, int, np.ndarray]]:
        """``(pass, group in the pass, image indices)`` of groups ``k = 0,
        1, ...`` (all ranks)."""
        num_images = len(self._counts)
        for pass_idx in itertools.count():
            if self.shuffle:
                rng = np.random.default_rng((self.seed, pass_idx))
                order = rng.permutation(num_images)
            else:
                order = np.arange(num_images)
            for j, start in enumerate(
                range(0, num_images, self.images_per_group)
            ):
                yield pass_idx, j, order[start : start + self.images_per_group]

    def _stream(self, slot: int, num_slots: int) -> Iterator[int]:
        """Patch indices of the groups dealt to stream ``slot``."""
        groups = itertools.islice(self._groups(), slot, None, num_slots)
        for pass_idx, j, images in groups:
            patches = np.concatenate(
                [
                    np.arange(self._starts[i], self._starts[i] + n)
                    for i, n in zip(images, self._counts[images])
                ]
            )
            if self.shuffle:
                rng = np.random.default_rng((self.seed, pass_idx, j))
                patches = rng.permutation(patches)
            yield from patches.tolist()

    def __iter__(self) -> Iterator[int]:
        """Yield patch indices forever (this rank's share)."""
        if self.size == 0:
            return
        num_slots = self.world_size * self.num_workers
        streams = [
            self._stream(self.rank * self.num_workers + w, num_slots)
            for w in range(self.num_workers)
        ]
        while True:
            for stream in streams:
                yield from itertools.islice(stream, self.batch_size)

    def __len__(self) -> int:
        """Number of patches in the dataset (one pass, all ranks)."""
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Not used: the stream is infinite, as ``InfiniteSampler``'s."""


__all__ = ['GridPatchSampler']
