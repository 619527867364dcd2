"""Random indoor scenes for SynthRooms: a box room, furniture and a camera.

World frame: x and y span the floor, z points up; the floor is the plane
``z = 0``, the ceiling ``z = room_size[2]``. Every distance is in metres.
Camera frame (the toolbox convention): x right, y down, z forward.
"""

from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np

#: Semantic classes of SynthRooms, in label order (label = index).
SYNTH_CLASSES = ('wall', 'floor', 'ceiling', 'box', 'cylinder', 'sphere')
#: Display colours (RGB) of :data:`SYNTH_CLASSES`.
SYNTH_PALETTE = [
    [174, 199, 232],
    [152, 223, 138],
    [255, 250, 200],
    [214, 39, 40],
    [31, 119, 180],
    [255, 127, 14],
]
WALL, FLOOR, CEILING, BOX, CYLINDER, SPHERE = range(6)

#: Ranges (min, max) of the room size in metres (width x, length y, height
#: z). The longest possible diagonal is below 10 m, so every z-depth lies in
#: the NYU range (0, 10) without clamping.
ROOM_WIDTH_RANGE = (3.0, 6.0)
ROOM_LENGTH_RANGE = (3.5, 7.0)
ROOM_HEIGHT_RANGE = (2.4, 3.0)
#: Camera height above the floor (handheld Kinect), metres.
CAMERA_HEIGHT_RANGE = (1.0, 1.7)
#: Downward camera tilt (positive = looking down) and roll, degrees.
CAMERA_PITCH_RANGE = (-3.0, 20.0)
CAMERA_ROLL_RANGE = (-4.0, 4.0)
#: Free horizontal distance kept between the camera and every object.
CAMERA_CLEARANCE = 1.0


@dataclass
class Material:
    """Procedural surface appearance.

    Args:
        kind (str): Texture kind: 'plain', 'wood', 'tiles', 'checker',
            'stripes' or 'wallpaper'.
        color (np.ndarray): Base albedo, linear RGB in [0, 1], shape (3,).
        color2 (np.ndarray): Second albedo (checks, grout, stripes), (3,).
        scale (float): Texture period in metres (plank width, tile size).
        glossy (bool): Adds a specular highlight (and Kinect-like holes on
            it in the raw-depth variant).
        baseboard (bool): Walls only: a 10 cm skirting board at the floor.
    """

    kind: str
    color: np.ndarray
    color2: np.ndarray
    scale: float = 0.5
    glossy: bool = False
    baseboard: bool = False


@dataclass
class Box:
    """Axis-aligned box ``lo <= p <= hi`` (both (3,) world points)."""

    lo: np.ndarray
    hi: np.ndarray
    material: Material
    label: int = BOX


@dataclass
class Cylinder:
    """Vertical cylinder: axis through ``center`` (x, y), ``z0 <= z <= z1``."""

    center: np.ndarray
    radius: float
    z0: float
    z1: float
    material: Material
    label: int = CYLINDER


@dataclass
class Sphere:
    """Sphere of ``radius`` around the world point ``center`` (3,)."""

    center: np.ndarray
    radius: float
    material: Material
    label: int = SPHERE


@dataclass
class Scene:
    """A sampled scene.

    Args:
        room_size (np.ndarray): (width x, length y, height z) in metres.
        cam_position (np.ndarray): Camera centre in world coordinates (3,).
        cam_rotation (np.ndarray): Camera-to-world rotation (3, 3); its
            columns are the camera x (right), y (down), z (forward) axes in
            world coordinates, so ``p_world = R @ p_cam + cam_position``.
        light_position (np.ndarray): Point light, world coordinates (3,).
        ambient (float): Ambient light term.
        light_power (float): Diffuse strength of the point light.
        floor, walls, ceiling (Material): Room materials.
        objects (list): :class:`Box`, :class:`Cylinder`, :class:`Sphere`.
    """

    room_size: np.ndarray
    cam_position: np.ndarray
    cam_rotation: np.ndarray
    light_position: np.ndarray
    ambient: float
    light_power: float
    floor: Material
    walls: Material
    ceiling: Material
    objects: List = field(default_factory=list)

    @property
    def cam_to_world(self) -> np.ndarray:
        """Homogeneous camera-to-world transform (4, 4), float64."""
        pose = np.eye(4)
        pose[:3, :3] = self.cam_rotation
        pose[:3, 3] = self.cam_position
        return pose

    @property
    def up_in_camera(self) -> np.ndarray:
        """The world up vector (0, 0, 1) in camera coordinates (3,)."""
        return self.cam_rotation[2].copy()


def camera_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Camera-to-world rotation for a z-up world.

    Args:
        yaw (float): Heading of the optical axis in the floor plane, radians
            from the world x axis towards y.
        pitch (float): Downward tilt of the optical axis, radians.
        roll (float): Rotation about the optical axis, radians.

    Returns:
        np.ndarray: (3, 3) rotation with columns right, down, forward.
    """
    forward = np.array([np.cos(yaw), np.sin(yaw), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    right = np.cross(forward, up)
    base = np.stack([right, -up, forward], axis=1)
    # Positive pitch turns the optical axis towards the camera's +y (down).
    cp, sp = np.cos(pitch), np.sin(pitch)
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])
    cr, sr = np.cos(roll), np.sin(roll)
    spin = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return base @ tilt @ spin


def _random_color(
    rng: np.random.Generator,
    saturation: Tuple[float, float],
    value: Tuple[float, float],
) -> np.ndarray:
    """A random linear-RGB albedo from an HSV range."""
    hue = rng.uniform(0.0, 1.0)
    sat = rng.uniform(*saturation)
    val = rng.uniform(*value)
    k = (np.array([5.0, 3.0, 1.0]) + hue * 6.0) % 6.0
    rgb = val - val * sat * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return rgb.astype(np.float32)


def _object_material(rng: np.random.Generator) -> Material:
    kind = rng.choice(['plain', 'checker', 'stripes', 'wood'])
    if rng.uniform() < 0.12:
        # Dark objects (screens, black plastic): holes in the raw variant.
        color = _random_color(rng, (0.0, 0.3), (0.03, 0.08))
    else:
        color = _random_color(rng, (0.2, 0.9), (0.25, 0.9))
    color2 = np.clip(color * rng.uniform(0.45, 0.75), 0.0, 1.0)
    return Material(
        kind=str(kind),
        color=color,
        color2=color2.astype(np.float32),
        scale=float(rng.uniform(0.06, 0.25)),
        glossy=bool(rng.uniform() < 0.3),
    )


def _room_materials(rng: np.random.Generator):
    floor_kind = str(rng.choice(['wood', 'tiles', 'checker', 'plain']))
    if floor_kind == 'wood':
        floor_color = _random_color(rng, (0.4, 0.7), (0.35, 0.65))
        floor_color[[0, 1, 2]] = np.sort(floor_color)[::-1]  # warm tones
    else:
        floor_color = _random_color(rng, (0.0, 0.4), (0.4, 0.85))
    floor = Material(
        kind=floor_kind,
        color=floor_color,
        color2=(floor_color * rng.uniform(0.5, 0.8)).astype(np.float32),
        scale=float(
            rng.uniform(0.12, 0.25)
            if floor_kind == 'wood'
            else rng.uniform(0.3, 0.6)
        ),
    )
    wall_color = _random_color(rng, (0.0, 0.35), (0.55, 0.9))
    walls = Material(
        kind=str(rng.choice(['plain', 'wallpaper'])),
        color=wall_color,
        color2=(wall_color * rng.uniform(0.8, 0.92)).astype(np.float32),
        scale=float(rng.uniform(0.1, 0.3)),
        baseboard=True,
    )
    ceiling_color = _random_color(rng, (0.0, 0.08), (0.8, 0.95))
    ceiling = Material(
        kind=str(rng.choice(['plain', 'tiles'])),
        color=ceiling_color,
        color2=(ceiling_color * 0.8).astype(np.float32),
        scale=float(rng.uniform(0.5, 0.7)),
    )
    return floor, walls, ceiling


def _clear_of_camera(lo_xy, hi_xy, cam_xy) -> bool:
    """Whether the camera stays outside an inflated object footprint."""
    return bool(
        np.any(cam_xy < lo_xy - CAMERA_CLEARANCE)
        or np.any(cam_xy > hi_xy + CAMERA_CLEARANCE)
    )


def _overlaps(lo_xy, hi_xy, footprints) -> bool:
    for other_lo, other_hi in footprints:
        if np.all(lo_xy < other_hi) and np.all(other_lo < hi_xy):
            return True
    return False


def sample_scene(rng: np.random.Generator) -> Scene:
    """Draw a random room, camera, light and furniture.

    Args:
        rng (np.random.Generator): The only source of randomness.

    Returns:
        Scene: The sampled scene.
    """
    size = np.array(
        [
            rng.uniform(*ROOM_WIDTH_RANGE),
            rng.uniform(*ROOM_LENGTH_RANGE),
            rng.uniform(*ROOM_HEIGHT_RANGE),
        ]
    )
    # Camera: somewhere in the room, looking roughly towards its centre and
    # not facing a wall from close by.
    margin = 0.4
    for _ in range(50):
        cam_xy = rng.uniform([margin, margin], size[:2] - margin)
        to_center = size[:2] / 2 - cam_xy
        yaw = np.arctan2(to_center[1], to_center[0]) + rng.uniform(-0.5, 0.5)
        direction = np.array([np.cos(yaw), np.sin(yaw)])
        with np.errstate(divide='ignore'):
            reach = np.where(
                direction > 0, size[:2] - cam_xy, -cam_xy
            ) / np.where(direction == 0, 1e-12, direction)
        if reach.min() > 2.2:
            break
    cam_position = np.array(
        [cam_xy[0], cam_xy[1], rng.uniform(*CAMERA_HEIGHT_RANGE)]
    )
    rotation = camera_rotation(
        yaw,
        np.deg2rad(rng.uniform(*CAMERA_PITCH_RANGE)),
        np.deg2rad(rng.uniform(*CAMERA_ROLL_RANGE)),
    )
    floor, walls, ceiling = _room_materials(rng)
    light = np.array(
        [
            rng.uniform(0.2, 0.8) * size[0],
            rng.uniform(0.2, 0.8) * size[1],
            size[2] - rng.uniform(0.2, 0.4),
        ]
    )

    objects: List = []
    footprints: List = []
    boxes: List[Box] = []
    for _ in range(int(rng.integers(3, 8))):
        for _ in range(20):
            extent = np.array(
                [
                    rng.uniform(0.3, 1.8),
                    rng.uniform(0.3, 1.2),
                    rng.uniform(0.3, 1.9),
                ]
            )
            if rng.uniform() < 0.5:
                extent[[0, 1]] = extent[[1, 0]]
            lo_xy = rng.uniform(0.0, np.maximum(size[:2] - extent[:2], 1e-3))
            if rng.uniform() < 0.5:  # against a wall, like a cabinet
                axis = int(rng.integers(0, 2))
                lo_xy[axis] = (
                    0.0 if rng.uniform() < 0.5 else size[axis] - extent[axis]
                )
            hi_xy = lo_xy + extent[:2]
            if _clear_of_camera(lo_xy, hi_xy, cam_xy) and not _overlaps(
                lo_xy, hi_xy, footprints
            ):
                box = Box(
                    lo=np.array([lo_xy[0], lo_xy[1], 0.0]),
                    hi=np.array([hi_xy[0], hi_xy[1], extent[2]]),
                    material=_object_material(rng),
                )
                boxes.append(box)
                objects.append(box)
                footprints.append((lo_xy, hi_xy))
                break
    for _ in range(int(rng.integers(1, 4))):
        for _ in range(20):
            radius = rng.uniform(0.1, 0.4)
            height = rng.uniform(0.3, 1.5)
            center = rng.uniform(radius, size[:2] - radius)
            lo_xy, hi_xy = center - radius, center + radius
            if _clear_of_camera(lo_xy, hi_xy, cam_xy) and not _overlaps(
                lo_xy, hi_xy, footprints
            ):
                objects.append(
                    Cylinder(
                        center=center,
                        radius=float(radius),
                        z0=0.0,
                        z1=float(height),
                        material=_object_material(rng),
                    )
                )
                footprints.append((lo_xy, hi_xy))
                break
    for _ in range(int(rng.integers(1, 5))):
        radius = rng.uniform(0.08, 0.35)
        support = boxes[int(rng.integers(0, len(boxes)))] if boxes else None
        if support is not None and rng.uniform() < 0.5:
            # Resting on top of a box (a ball on a table).
            center_xy = rng.uniform(support.lo[:2], support.hi[:2])
            center = np.array([*center_xy, support.hi[2] + radius])
            sphere_ok = _clear_of_camera(
                center_xy - radius, center_xy + radius, cam_xy
            )
        else:
            center_xy = rng.uniform(radius, size[:2] - radius)
            center = np.array([*center_xy, radius])
            sphere_ok = _clear_of_camera(
                center_xy - radius, center_xy + radius, cam_xy
            ) and not _overlaps(
                center_xy - radius, center_xy + radius, footprints
            )
        if sphere_ok and center[2] + radius < size[2] - 0.05:
            objects.append(
                Sphere(
                    center=center,
                    radius=float(radius),
                    material=_object_material(rng),
                )
            )
    return Scene(
        room_size=size,
        cam_position=cam_position,
        cam_rotation=rotation,
        light_position=light,
        ambient=float(rng.uniform(0.25, 0.4)),
        light_power=float(rng.uniform(1.0, 1.6)),
        floor=floor,
        walls=walls,
        ceiling=ceiling,
        objects=objects,
    )
