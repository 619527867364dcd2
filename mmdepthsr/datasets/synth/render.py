"""Vectorised ray casting of SynthRooms scenes.

One ray per pixel centre. The camera-frame ray of pixel (u, v) is
``((u - cx) / fx, (v - cy) / fy, 1)``; because its z component is 1, the
ray parameter of a hit *is* its z-depth. Every primitive is intersected
with all rays at once (numpy broadcasting), restricted to the image
rectangle that its bounding box projects to, and the nearest hit wins
(a z-buffer). Shading is Lambertian with one point light (inverse-square
falloff) plus an ambient term; there are no cast shadows. The camera must be
inside the room and outside every object (:func:`sample_scene` keeps it
1 m away from every footprint); an object that contains the camera is not
drawn.
"""

from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from .scene import CEILING, FLOOR, WALL, Box, Cylinder, Scene
from .textures import surface_albedo

#: Valid area of raw Kinect depth in NYU v2 (rows 41..471, cols 34..609 of
#: 480 x 640), as fractions (top, bottom, left, right) of the frame.
RAW_VALID_BOX = (41 / 480, 472 / 480, 34 / 640, 610 / 640)
#: Surfaces seen at more than ~80 degrees from their normal lose depth.
RAW_GRAZING_COS = 0.18
#: Albedo (largest channel) below which a surface returns no depth (black
#: plastic, screens).
RAW_DARK_ALBEDO = 0.09
#: Relative depth jump between neighbours that counts as a discontinuity.
RAW_EDGE_RELATIVE_JUMP = 0.05
#: Specular intensity above which a glossy surface returns no depth.
RAW_SPECULAR = 0.25

_LIGHT_FALLOFF_M = 3.0
_BASEBOARD_M = 0.1
_BASEBOARD_COLOR = np.array([0.85, 0.84, 0.8], np.float32)
_SHININESS = 40.0
#: Box corner ``c`` takes the high x / y / z bound where bit 2 / 1 / 0 of
#: ``c`` is set; two corners share an edge when they differ in one bit.
_CORNER_BITS = np.array(
    [[(c >> 2) & 1, (c >> 1) & 1, c & 1] for c in range(8)]
)
_BOX_EDGES = np.array(
    [(i, i | bit) for i in range(8) for bit in (1, 2, 4) if not i & bit]
)


def scale_intrinsics(
    intrinsics: Sequence[float],
    src_shape: Tuple[int, int],
    dst_shape: Tuple[int, int],
) -> np.ndarray:
    """Intrinsics of a camera resampled from ``src_shape`` to ``dst_shape``.

    Pixel centres sit at integer coordinates, so a pixel edge is at -0.5
    and the map is ``u' = (u + 0.5) * s - 0.5``.

    Args:
        intrinsics (Sequence[float]): (fx, fy, cx, cy) at ``src_shape``.
        src_shape (tuple[int, int]): (H, W) the intrinsics belong to.
        dst_shape (tuple[int, int]): (H', W') of the new image.

    Returns:
        np.ndarray: (fx', fy', cx', cy'), float64.
    """
    fx, fy, cx, cy = intrinsics
    sy = dst_shape[0] / src_shape[0]
    sx = dst_shape[1] / src_shape[1]
    return np.array(
        [fx * sx, fy * sy, (cx + 0.5) * sx - 0.5, (cy + 0.5) * sy - 0.5],
        dtype=np.float64,
    )


class SynthRoomRenderer:
    """Ray caster for :class:`Scene` at one image size and intrinsics.

    Args:
        img_shape (tuple[int, int]): Output (H, W).
        intrinsics (Sequence[float]): (fx, fy, cx, cy) at ``img_shape``.
        max_depth (float): Depth cap in metres (values above are clamped;
            the scene sampler keeps every room diagonal below 10 m, so with
            the default the cap never changes a value).
        noise_levels (int): Half width of the uniform integer noise added
            to the 8-bit image (sensor noise); 0 disables it.
    """

    def __init__(
        self,
        img_shape: Tuple[int, int],
        intrinsics: Sequence[float],
        max_depth: float = 10.0,
        noise_levels: int = 2,
    ):
        self.img_shape = (int(img_shape[0]), int(img_shape[1]))
        self.intrinsics = np.asarray(intrinsics, dtype=np.float64)
        self.max_depth = float(max_depth)
        self.noise_levels = int(noise_levels)
        height, width = self.img_shape
        fx, fy, cx, cy = self.intrinsics
        # Camera-frame ray direction (x, y, 1) of every pixel centre.
        self._ray_x = ((np.arange(width) - cx) / fx).astype(np.float32)
        self._ray_y = ((np.arange(height) - cy) / fy).astype(np.float32)
        self._ray_x = self._ray_x[None, :]
        self._ray_y = self._ray_y[:, None]
        self._inv_ray_norm = (
            1.0 / np.sqrt(self._ray_x**2 + self._ray_y**2 + 1.0)
        ).astype(np.float32)

    # ------------------------------------------------------------------
    # geometry
    def _world_rays(self, rotation: np.ndarray):
        """World-frame ray directions, three (H, W) float32 arrays."""
        rot = rotation.astype(np.float32)
        return [
            rot[k, 0] * self._ray_x + rot[k, 1] * self._ray_y + rot[k, 2]
            for k in range(3)
        ]

    def _project_rect(
        self, corners: np.ndarray, scene: Scene
    ) -> Optional[Tuple[slice, slice]]:
        """Image rectangle that holds the projection of a bounding box.

        The box (its 8 ``corners`` in world coordinates, in the order of
        :meth:`_bbox_corners`) is first clipped to the half-space in front
        of the camera (z >= 1 mm; no visible point can be nearer), so that
        boxes reaching behind the camera still get a tight rectangle.

        Returns:
            tuple[slice, slice] | None: Rows and columns, or ``None`` when
            the box is out of view.
        """
        height, width = self.img_shape
        cam = (corners - scene.cam_position) @ scene.cam_rotation
        z = cam[:, 2]
        near = 1e-3
        points = [cam[z >= near]]
        if (z < near).any():
            a, b = _BOX_EDGES[:, 0], _BOX_EDGES[:, 1]
            crossing = (z[a] < near) != (z[b] < near)
            a, b = a[crossing], b[crossing]
            frac = (near - z[a]) / (z[b] - z[a])
            points.append(cam[a] + frac[:, None] * (cam[b] - cam[a]))
        points = np.concatenate(points)
        if len(points) == 0:
            return None
        fx, fy, cx, cy = self.intrinsics
        u = fx * points[:, 0] / points[:, 2] + cx
        v = fy * points[:, 1] / points[:, 2] + cy
        u0 = max(int(np.floor(max(u.min(), -1.0))) - 1, 0)
        u1 = min(int(np.ceil(min(u.max(), width + 1.0))) + 2, width)
        v0 = max(int(np.floor(max(v.min(), -1.0))) - 1, 0)
        v1 = min(int(np.ceil(min(v.max(), height + 1.0))) + 2, height)
        if u0 >= u1 or v0 >= v1:
            return None
        return slice(v0, v1), slice(u0, u1)

    @staticmethod
    def _bbox_corners(obj) -> np.ndarray:
        if isinstance(obj, Box):
            lo, hi = obj.lo, obj.hi
        elif isinstance(obj, Cylinder):
            lo = np.array([*(obj.center - obj.radius), obj.z0])
            hi = np.array([*(obj.center + obj.radius), obj.z1])
        else:
            lo, hi = obj.center - obj.radius, obj.center + obj.radius
        return np.where(_CORNER_BITS == 0, lo, hi)

    def _cast(self, scene: Scene, rays):
        """Z-buffer of the nearest hit of every ray.

        Surface codes: 0..5 room (walls x=0, x=X, y=0, y=Y, floor, ceiling),
        then one block per object: a box has 6 codes ``2 * axis + (hit the
        high face)``, a cylinder 2 (side, top cap), a sphere 1.

        Returns:
            tuple: depth (H, W) float32, code (H, W) int16, and per object
            its first code and image rectangle (``None`` if out of view).
        """
        size = scene.room_size
        org = scene.cam_position.astype(np.float32)
        depth = None
        code = None
        blocks = []
        with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
            inv = [np.float32(1.0) / d for d in rays]
            for axis in range(3):
                # The camera is inside the room: the exit is the larger of
                # the two plane distances (+inf where the ray is parallel).
                low = np.float32(-org[axis]) * inv[axis]
                high = np.float32(size[axis] - org[axis]) * inv[axis]
                t = np.maximum(low, high)
                if depth is None:
                    depth = t
                    code = np.where(high > low, np.int16(1), np.int16(0))
                else:
                    closer = t < depth
                    depth = np.minimum(depth, t)
                    code = np.where(
                        closer,
                        np.where(
                            high > low,
                            np.int16(2 * axis + 1),
                            np.int16(2 * axis),
                        ),
                        code,
                    )
            base = 6
            for obj in scene.objects:
                rect = self._project_rect(self._bbox_corners(obj), scene)
                if rect is not None:
                    self._intersect(
                        obj, rect, rays, inv, org, depth, code, base
                    )
                blocks.append((base, rect))
                base += _block_size(obj)
        return depth, code, blocks

    @staticmethod
    def _intersect(obj, rect, rays, inv, org, depth, code, base):
        """Intersect one object with the rays of ``rect``; update in place."""
        zbuf = depth[rect]
        zcode = code[rect]
        if isinstance(obj, Box):
            # Slab test. The camera is outside the box, so only the axes
            # whose slab excludes it can be entered through (their face on
            # the camera's side); the exit is the nearest far plane.
            near = far = None
            entry = []
            for axis in range(3):
                i = inv[axis][rect]
                lo = np.float32(obj.lo[axis] - org[axis])
                hi = np.float32(obj.hi[axis] - org[axis])
                if lo > 0 or hi < 0:
                    t_in = (lo if lo > 0 else hi) * i
                    t_out = (hi if lo > 0 else lo) * i
                    entry.append((axis, t_in, int(lo <= 0)))
                    near = t_in if near is None else np.maximum(near, t_in)
                else:
                    t_out = np.maximum(lo * i, hi * i)
                far = t_out if far is None else np.minimum(far, t_out)
            if near is None:  # the camera is inside the box: not drawn
                return
            hit = (near <= far) & (near > 0) & (near < zbuf)
            if not hit.any():
                return
            t = near[hit]
            local = np.full(t.shape, 2 * entry[-1][0] + entry[-1][2])
            for axis, t_in, high in entry[:-1]:
                local[t_in[hit] == t] = 2 * axis + high
        elif isinstance(obj, Cylinder):
            dx, dy, dz = (r[rect] for r in rays)
            fx = np.float32(org[0] - obj.center[0])
            fy = np.float32(org[1] - obj.center[1])
            r2 = np.float32(obj.radius**2)
            a = dx * dx + dy * dy
            b = fx * dx + fy * dy  # half of the usual B
            disc = b * b - a * (fx * fx + fy * fy - r2)
            t_side = (-b - np.sqrt(np.maximum(disc, 0))) / a
            z = np.float32(org[2]) + t_side * dz
            side = (disc >= 0) & (t_side > 0) & (z >= obj.z0) & (z <= obj.z1)
            t_cap = np.float32(obj.z1 - org[2]) / dz
            px = fx + t_cap * dx
            py = fy + t_cap * dy
            cap = (t_cap > 0) & (px * px + py * py <= r2)
            t_all = np.where(side, t_side, np.float32(np.inf))
            use_cap = cap & (t_cap < t_all)
            t_all = np.where(use_cap, t_cap, t_all)
            hit = t_all < zbuf
            if not hit.any():
                return
            t = t_all[hit]
            local = use_cap[hit]
        else:
            dx, dy, dz = (r[rect] for r in rays)
            f = (org - obj.center).astype(np.float32)
            a = dx * dx + dy * dy + dz * dz
            b = f[0] * dx + f[1] * dy + f[2] * dz
            disc = b * b - a * np.float32(f @ f - obj.radius**2)
            t_all = (-b - np.sqrt(np.maximum(disc, 0))) / a
            hit = (disc >= 0) & (t_all > 0) & (t_all < zbuf)
            if not hit.any():
                return
            t = t_all[hit]
            local = 0
        zbuf[hit] = t
        zcode[hit] = base + local

    def _surface_tables(self, scene: Scene):
        """Class label and camera-frame normal of every surface code.

        Returns:
            tuple: labels (S,) uint8 and normals (3, S) float32; curved
            surfaces get a zero normal here.
        """
        labels = [WALL, WALL, WALL, WALL, FLOOR, CEILING]
        normals = [
            (1, 0, 0),
            (-1, 0, 0),
            (0, 1, 0),
            (0, -1, 0),
            (0, 0, 1),
            (0, 0, -1),
        ]
        for obj in scene.objects:
            block = _block_size(obj)
            labels += [obj.label] * block
            if isinstance(obj, Box):
                for axis in range(3):
                    for sign in (-1, 1):
                        n = [0, 0, 0]
                        n[axis] = sign
                        normals.append(tuple(n))
            elif isinstance(obj, Cylinder):
                normals += [(0, 0, 0), (0, 0, 1)]
            else:
                normals.append((0, 0, 0))
        world = np.asarray(normals, dtype=np.float64)
        # n_cam = R^T n_world, i.e. n_world (as a row) @ R.
        cam = (world @ scene.cam_rotation).T.astype(np.float32)
        return np.asarray(labels, dtype=np.uint8), cam

    def _object_pixels(self, code, base, block, rect) -> np.ndarray:
        """Flat indices of the pixels whose code lies in an object's block."""
        sub = code[rect]
        rows, cols = np.nonzero((sub >= base) & (sub < base + block))
        return (rows + rect[0].start) * self.img_shape[1] + (
            cols + rect[1].start
        )

    # ------------------------------------------------------------------
    def render(
        self, scene: Scene, rng: np.random.Generator, raw_holes: bool = False
    ) -> Dict[str, np.ndarray]:
        """Render ``scene``.

        Args:
            scene (Scene): The scene.
            rng (np.random.Generator): Source of the image noise and of the
                random part of the raw-depth holes (drawn in that order, so
                the image does not depend on ``raw_holes``).
            raw_holes (bool): Zero the depth where a Kinect would return
                nothing (see :meth:`raw_hole_mask`).

        Returns:
            dict: ``img`` (H, W, 3) uint8 RGB, ``depth`` (H, W) float32
            z-depth in metres (0 = hole), ``labels`` (H, W) uint8 class ids,
            ``normals`` (H, W, 3) float32 unit camera-frame normals facing
            the camera, ``holes`` (H, W) bool (all False without
            ``raw_holes``).
        """
        height, width = self.img_shape
        rays = self._world_rays(scene.cam_rotation)
        depth, code, blocks = self._cast(scene, rays)

        labels_tab, normals_tab = self._surface_tables(scene)
        labels = np.take(labels_tab, code)
        flat_code = code.ravel()
        normals = [np.take(normals_tab[k], flat_code) for k in range(3)]
        # Channels-first planes: scattering and shading are much faster
        # on (3, N) than on interleaved (N, 3) arrays.
        albedo = np.empty((3, height * width), np.float32)

        def paint(idx, rgb):
            for k in range(3):
                albedo[k][idx] = rgb[k]

        flat_depth = depth.ravel()
        flat_rays = [r.ravel() for r in rays]
        org = scene.cam_position.astype(np.float32)

        def world_points(idx):
            z = np.take(flat_depth, idx)
            return [org[k] + z * np.take(flat_rays[k], idx) for k in range(3)]

        # Room. Floor texture runs along x (planks) and y (rows).
        for surface, material in ((4, scene.floor), (5, scene.ceiling)):
            idx = np.flatnonzero(flat_code == surface)
            p = world_points(idx)
            paint(idx, surface_albedo(material, p[0], p[1]))
        idx = np.flatnonzero(flat_code < 4)
        p = world_points(idx)
        along = np.where(flat_code[idx] < 2, p[1], p[0])
        wall = surface_albedo(scene.walls, along, p[2])
        if scene.walls.baseboard:
            wall[:, p[2] < _BASEBOARD_M] = _BASEBOARD_COLOR[:, None]
        paint(idx, wall)

        rot = scene.cam_rotation.astype(np.float32)
        glossy = []
        for obj, (base, rect) in zip(scene.objects, blocks):
            if rect is None:
                continue
            idx = self._object_pixels(code, base, _block_size(obj), rect)
            if idx.size == 0:
                continue
            local = flat_code[idx] - base
            p = world_points(idx)
            if isinstance(obj, Box):
                axis = local // 2
                s = np.where(axis == 0, p[1], p[0])
                t = np.where(axis == 2, p[1], p[2])
                curved = None
            elif isinstance(obj, Cylinder):
                n = [
                    (p[0] - np.float32(obj.center[0]))
                    / np.float32(obj.radius),
                    (p[1] - np.float32(obj.center[1]))
                    / np.float32(obj.radius),
                    np.zeros_like(p[0]),
                ]
                cap = local == 1
                arc = np.arctan2(n[1], n[0]) * np.float32(obj.radius)
                s = np.where(cap, p[0], arc)
                t = np.where(cap, p[1], p[2])
                curved = ~cap
            else:
                n = [
                    (p[k] - np.float32(obj.center[k])) / np.float32(obj.radius)
                    for k in range(3)
                ]
                radius = np.float32(obj.radius)
                s = np.arctan2(n[1], n[0]) * radius
                t = np.arcsin(np.clip(n[2], -1, 1)) * radius
                curved = slice(None)
            paint(idx, surface_albedo(obj.material, s, t))
            if curved is not None:
                # Renormalise (float32 rounding), then rotate the world
                # normal into the camera: n_cam = R^T n.
                inv_len = np.float32(1.0) / np.sqrt(
                    n[0] * n[0] + n[1] * n[1] + n[2] * n[2]
                )
                n = [component * inv_len for component in n]
                sel = idx[curved]
                for k in range(3):
                    normals[k][sel] = (
                        n[0][curved] * rot[0, k]
                        + n[1][curved] * rot[1, k]
                        + n[2][curved] * rot[2, k]
                    )
            if obj.material.glossy:
                glossy.append(idx)

        normals = [n.reshape(height, width) for n in normals]
        albedo = albedo.reshape(3, height, width)
        img, specular = self._shade(scene, depth, normals, albedo, glossy)
        if self.noise_levels > 0:
            img += rng.integers(
                -self.noise_levels,
                self.noise_levels + 1,
                size=img.shape,
                dtype=np.int8,
            )
        np.clip(img, 0, 255, out=img)
        img = cv2.merge([plane.astype(np.uint8) for plane in img])

        depth = np.minimum(depth, np.float32(self.max_depth))
        if raw_holes:
            holes = self.raw_hole_mask(depth, normals, albedo, specular, rng)
            depth = np.where(holes, np.float32(0), depth)
        else:
            holes = np.zeros(self.img_shape, bool)
        return dict(
            img=img,
            depth=depth,
            labels=labels,
            normals=np.stack(normals, axis=-1),
            holes=holes,
        )

    def _shade(self, scene, depth, normals, albedo, glossy):
        """Lambertian + ambient shading (+ Blinn-Phong on glossy objects).

        Returns:
            tuple: the image planes (3, H, W) float32 in 0..255 (before
            noise and rounding) and the specular term (H, W) float32.
        """
        rot = scene.cam_rotation
        light = ((scene.light_position - scene.cam_position) @ rot).astype(
            np.float32
        )
        # Vector to the light, (light - point), in the camera frame.
        lx = self._ray_x * depth
        np.subtract(light[0], lx, out=lx)
        ly = self._ray_y * depth
        np.subtract(light[1], ly, out=ly)
        lz = light[2] - depth
        dist2 = lx * lx
        dist2 += ly * ly
        dist2 += lz * lz
        inv_dist = np.sqrt(dist2)
        np.divide(np.float32(1.0), inv_dist, out=inv_dist)
        falloff = dist2 * np.float32(1.0 / _LIGHT_FALLOFF_M**2)
        falloff += np.float32(1.0)
        np.divide(np.float32(scene.light_power), falloff, out=falloff)
        cos = normals[0] * lx
        cos += normals[1] * ly
        cos += normals[2] * lz
        cos *= inv_dist
        np.maximum(cos, 0, out=cos)
        shade = cos * falloff
        shade += np.float32(scene.ambient)
        # Display gamma 2 (sqrt, cheap and close to sRGB) of 8-bit values:
        # 255 * sqrt(albedo * shade) = sqrt(albedo * shade * 255^2).
        shade *= np.float32(255.0**2)
        rgb = albedo * shade
        specular = np.zeros(self.img_shape, np.float32)
        if glossy:
            idx = np.concatenate(glossy)
            scale = np.take(inv_dist.ravel(), idx)
            # Half vector between the light and the viewer (-ray direction).
            rows, cols = np.divmod(idx, self.img_shape[1])
            ray_x = self._ray_x[0, cols]
            ray_y = self._ray_y[rows, 0]
            inv_norm = self._inv_ray_norm[rows, cols]
            ray = [ray_x, ray_y, np.ones_like(ray_x)]
            half = [
                np.take(light_dir.ravel(), idx) * scale - ray[k] * inv_norm
                for k, light_dir in enumerate((lx, ly, lz))
            ]
            half_norm = np.sqrt(sum(h * h for h in half))
            n_dot_h = sum(
                np.take(normals[k].ravel(), idx) * half[k] for k in range(3)
            )
            n_dot_h = np.maximum(n_dot_h / half_norm, 0)
            lit = np.take(cos.ravel(), idx) > 0
            specular.ravel()[idx] = (
                n_dot_h**_SHININESS * np.take(falloff.ravel(), idx) * lit
            )
            rgb += specular * np.float32(255.0**2)
        np.sqrt(rgb, out=rgb)
        rgb += np.float32(0.5)  # the final truncation to uint8 rounds
        return rgb, specular

    def raw_hole_mask(
        self,
        depth: np.ndarray,
        normals: Sequence[np.ndarray],
        albedo: np.ndarray,
        specular: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Where a Kinect-like sensor returns no depth.

        Holes: outside the NYU raw-depth valid box (:data:`RAW_VALID_BOX`),
        at grazing angles, on dark and on specular surfaces, along depth
        discontinuities (widened horizontally like the Kinect's projector
        shadow) and in a few random smooth blobs.

        Args:
            depth (np.ndarray): Dense z-depth (H, W).
            normals (Sequence[np.ndarray]): Camera-frame normal components,
                three (H, W) arrays.
            albedo (np.ndarray): Linear albedo planes (3, H, W).
            specular (np.ndarray): Specular term (H, W).
            rng (np.random.Generator): Source of the random blobs.

        Returns:
            np.ndarray: (H, W) bool, True = no depth.
        """
        height, width = self.img_shape
        holes = np.ones(self.img_shape, bool)
        top, bottom, left, right = RAW_VALID_BOX
        holes[
            round(top * height) : round(bottom * height),
            round(left * width) : round(right * width),
        ] = False
        cos = np.abs(
            normals[0] * self._ray_x + normals[1] * self._ray_y + normals[2]
        )
        holes |= cos * self._inv_ray_norm < RAW_GRAZING_COS
        brightest = np.maximum(np.maximum(albedo[0], albedo[1]), albedo[2])
        holes |= brightest < RAW_DARK_ALBEDO
        holes |= specular > RAW_SPECULAR

        edges = np.zeros(self.img_shape, np.uint8)
        left_d, right_d = depth[:, :-1], depth[:, 1:]
        jump = np.abs(right_d - left_d) > RAW_EDGE_RELATIVE_JUMP * np.minimum(
            left_d, right_d
        )
        edges[:, :-1] |= jump
        up_d, down_d = depth[:-1], depth[1:]
        jump = np.abs(down_d - up_d) > RAW_EDGE_RELATIVE_JUMP * np.minimum(
            up_d, down_d
        )
        edges[:-1] |= jump
        half_w = max(1, round(3 * width / 640))
        half_h = max(1, round(height / 480))
        kernel = np.ones((2 * half_h + 1, 2 * half_w + 1), np.uint8)
        holes |= cv2.dilate(edges, kernel).astype(bool)

        coarse = rng.random(
            (max(2, height // 24), max(2, width // 24)), dtype=np.float32
        )
        blobs = cv2.resize(
            coarse, (width, height), interpolation=cv2.INTER_CUBIC
        )
        holes |= blobs > 0.98
        return holes


def _block_size(obj) -> int:
    """Number of surface codes of an object (see ``SynthRoomRenderer``)."""
    if isinstance(obj, Box):
        return 6
    if isinstance(obj, Cylinder):
        return 2
    return 1
