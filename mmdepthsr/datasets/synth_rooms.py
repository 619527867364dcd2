"""SynthRooms: the built-in procedural indoor RGB-D dataset (SPEC 5.1)."""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from mmdepthsr.registry import DATASETS
from mmdepthsr.structures.protocols import (
    NYU_DEPTH_RANGE,
    NYU_IMAGE_SHAPE,
    NYU_INTRINSICS,
)

from .synth import (
    SYNTH_CLASSES,
    SYNTH_PALETTE,
    Scene,
    SynthRoomRenderer,
    sample_scene,
    scale_intrinsics,
)

#: Stream code of each split in the seed sequence; different codes give
#: independent random streams, so scenes of different splits never
#: coincide.
SPLIT_CODES = dict(train=0, val=1, test=2)
DEFAULT_SPLIT_SIZES = dict(train=1000, val=100, test=200)


@DATASETS.register_module()
class SynthRoomsDataset(BaseDataset):
    """Procedurally generated indoor RGB-D scenes, rendered on the fly.

    A box room (walls, floor, ceiling) with axis-aligned boxes, vertical
    cylinders and spheres standing on the floor (spheres also on boxes), a
    point light near the ceiling, and a pinhole camera with the NYU v2
    intrinsics (scaled to ``img_shape`` with the pixel-centre convention)
    at a random height (1.0-1.7 m), heading, downward tilt (-3..20 deg) and
    roll (+-4 deg). Rooms measure 3-6 x 3.5-7 x 2.4-3 m, so every z-depth
    lies in (0, 10) m like NYU (``max_depth`` clamps as a safety net only).

    Every sample is a pure function of ``(seed, split, index)``: the scene
    and the image noise are drawn from
    ``np.random.default_rng(np.random.SeedSequence([seed, split_code,
    index]))``; the global random state is never touched.

    Each sample carries ``img`` (H, W, 3) uint8 RGB with procedural textures
    (wood planks, tiles, checks, stripes, wallpaper) and Lambertian shading
    (+ ambient, Blinn-Phong highlights on glossy objects, no cast shadows),
    ``gt_depth`` (H, W) float32 z-depth in metres, ``gt_sem_seg`` (H, W)
    uint8 class ids (see ``METAINFO['classes']``; every pixel is labelled),
    ``gt_normal`` (H, W, 3) float32 unit normals in the camera frame (x
    right, y down, z forward, pointing towards the camera) and
    ``cam_intrinsics`` (fx, fy, cx, cy), float64.

    With ``raw_holes=True`` the depth imitates a raw Kinect frame: zeros
    outside the NYU raw valid box, on grazing, dark and specular surfaces,
    along depth discontinuities and in a few random blobs. The image,
    labels and normals are the same as without holes.

    Args:
        split (str): 'train', 'val' or 'test'.
        num_samples (int, optional): Dataset length. Defaults to 1000 /
            100 / 200 for train / val / test.
        seed (int): Dataset seed. Defaults to 0.
        img_shape (tuple[int, int]): Rendered (H, W). Defaults to
            (480, 640).
        raw_holes (bool): Kinect-like holes in ``gt_depth``. Defaults to
            False.
        max_depth (float): Depth cap in metres. Defaults to 10.
        noise_levels (int): Half width of the uniform integer noise on the
            8-bit image; 0 disables it. Defaults to 2.
        cache (bool): Keep rendered samples in memory (1.6 MB each at
            480 x 640). Defaults to False.
        pipeline (list): Transforms. Defaults to ``[]``.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``indices``, ``test_mode``, ``lazy_init``, ``metainfo``, ...).

    Examples:
        >>> dataset = SynthRoomsDataset(split='val', num_samples=2,
        ...                             img_shape=(48, 64))
        >>> sample = dataset[0]
        >>> sample['img'].shape, sample['gt_depth'].dtype
        ((48, 64, 3), dtype('float32'))
    """

    METAINFO = dict(classes=SYNTH_CLASSES, palette=SYNTH_PALETTE)

    def __init__(
        self,
        split: str = 'train',
        num_samples: Optional[int] = None,
        seed: int = 0,
        img_shape: Sequence[int] = NYU_IMAGE_SHAPE,
        raw_holes: bool = False,
        max_depth: float = NYU_DEPTH_RANGE[1],
        noise_levels: int = 2,
        cache: bool = False,
        pipeline: Sequence = (),
        serialize_data: bool = False,
        **kwargs,
    ):
        if split not in SPLIT_CODES:
            raise ValueError(
                f'SynthRoomsDataset: split must be one of '
                f'{sorted(SPLIT_CODES)}, got {split!r}.'
            )
        if num_samples is None:
            num_samples = DEFAULT_SPLIT_SIZES[split]
        if int(num_samples) < 0:
            raise ValueError(
                f'SynthRoomsDataset: num_samples must be >= 0, got '
                f'{num_samples}.'
            )
        img_shape = tuple(int(s) for s in img_shape)
        if len(img_shape) != 2 or min(img_shape) < 2:
            raise ValueError(
                'SynthRoomsDataset: img_shape must be (H, W) with H, W >= 2, '
                f'got {img_shape}.'
            )
        self.split = split
        self.num_samples = int(num_samples)
        self.seed = int(seed)
        self.img_shape = img_shape
        self.raw_holes = bool(raw_holes)
        self.cache = bool(cache)
        self.cam_intrinsics = scale_intrinsics(
            NYU_INTRINSICS, NYU_IMAGE_SHAPE, img_shape
        )
        self.renderer = SynthRoomRenderer(
            img_shape,
            self.cam_intrinsics,
            max_depth=max_depth,
            noise_levels=noise_levels,
        )
        self._cache: Dict[int, dict] = {}
        super().__init__(
            pipeline=list(pipeline), serialize_data=serialize_data, **kwargs
        )

    def load_data_list(self) -> List[dict]:
        """One light entry per scene; the rendering happens on access."""
        return [dict(scene_idx=i) for i in range(self.num_samples)]

    def _rng(self, scene_idx: int) -> np.random.Generator:
        entropy = [self.seed, SPLIT_CODES[self.split], int(scene_idx)]
        return np.random.default_rng(np.random.SeedSequence(entropy))

    def get_scene(self, idx: int) -> Scene:
        """The scene of sample ``idx`` (room, camera pose, light, objects).

        Args:
            idx (int): Sample index.

        Returns:
            Scene: ``scene.cam_to_world`` is the (4, 4) camera pose.
        """
        scene_idx = super().get_data_info(idx)['scene_idx']
        return sample_scene(self._rng(scene_idx))

    def render(self, scene_idx: int) -> Tuple[Scene, dict]:
        """Render scene ``scene_idx`` of this split and seed."""
        rng = self._rng(scene_idx)
        scene = sample_scene(rng)
        return scene, self.renderer.render(scene, rng, self.raw_holes)

    def get_data_info(self, idx: int) -> dict:
        """Render sample ``idx``.

        Returns:
            dict: ``img``, ``gt_depth``, ``gt_sem_seg``, ``gt_normal``,
            ``cam_intrinsics``, ``img_path`` (a pseudo path such as
            ``'synthrooms/train/000012'``), ``ori_shape``, ``img_shape``,
            ``sample_idx``, ``scene_idx`` and ``seg_fields`` (empty).
        """
        info = super().get_data_info(idx)
        scene_idx = info['scene_idx']
        if self.cache and scene_idx in self._cache:
            rendered = self._cache[scene_idx]
        else:
            _, out = self.render(scene_idx)
            rendered = dict(
                img=out['img'],
                gt_depth=out['depth'],
                gt_sem_seg=out['labels'],
                gt_normal=out['normals'],
            )
            if self.cache:
                self._cache[scene_idx] = rendered
        if self.cache:
            # Copies: transforms may modify arrays in place.
            rendered = {k: v.copy() for k, v in rendered.items()}
        info.update(rendered)
        info.update(
            cam_intrinsics=self.cam_intrinsics.copy(),
            img_path=f'synthrooms/{self.split}/{scene_idx:06d}',
            ori_shape=self.img_shape,
            img_shape=self.img_shape,
            seg_fields=[],
        )
        return info
