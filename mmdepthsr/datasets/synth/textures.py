"""Procedural textures of SynthRooms.

Every texture is a pure function of surface coordinates in metres, so the
texture is fixed to the surface: its projection shrinks with distance and
gives the texture-gradient depth cue. No randomness happens here; the
scene's materials carry the random parameters.
"""

import numpy as np

from .scene import Material


def _hash(index: np.ndarray, salt: float = 0.0) -> np.ndarray:
    """Deterministic pseudo-random value in [0, 1) per integer cell."""
    value = np.sin(index * np.float32(12.9898) + np.float32(salt))
    value = value * np.float32(43758.5453)
    return value - np.floor(value)


def _mix(material: Material, weight: np.ndarray) -> np.ndarray:
    """Blend ``color`` (weight 0) and ``color2`` (weight 1), (3, N)."""
    return (
        material.color[:, None] * (1.0 - weight)
        + material.color2[:, None] * weight
    )


def surface_albedo(
    material: Material, s: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Albedo of ``material`` at surface coordinates ``(s, t)``.

    Args:
        material (Material): The surface material.
        s (np.ndarray): First surface coordinate in metres, shape (N,).
        t (np.ndarray): Second surface coordinate in metres, shape (N,).

    Returns:
        np.ndarray: Linear RGB albedo in [0, 1], channels first, shape
        (3, N), float32.
    """
    scale = np.float32(material.scale)
    kind = material.kind
    if kind == 'plain':
        wave = np.sin(s * np.float32(1.7)) * np.sin(t * np.float32(2.3))
        albedo = material.color[:, None] * (1.0 + 0.05 * wave)
    elif kind == 'wood':
        # Planks of width `scale` along s, staggered joints, wavy grain.
        row = np.floor(t / scale)
        shade = np.float32(0.85) + np.float32(0.3) * _hash(row)
        grain = np.sin(
            s * np.float32(23.0)
            + np.float32(3.0) * np.sin(s * np.float32(2.7) + row)
            + np.float32(6.0) * _hash(row, 1.0)
        )
        albedo = _mix(material, np.float32(0.35) + np.float32(0.25) * grain)
        albedo *= shade
        along = s / np.float32(1.2) + _hash(row, 2.0)
        gap = (t / scale - row < 0.05) | (along - np.floor(along) < 0.01)
        albedo[:, gap] *= np.float32(0.55)
    elif kind == 'tiles':
        col, row = np.floor(s / scale), np.floor(t / scale)
        shade = np.float32(0.92) + np.float32(0.16) * _hash(col * 31.0 + row)
        albedo = material.color[:, None] * shade
        grout = (s / scale - col < 0.04) | (t / scale - row < 0.04)
        albedo[:, grout] = material.color2[:, None]
    elif kind == 'checker':
        parity = (np.floor(s / scale) + np.floor(t / scale)) % 2
        albedo = _mix(material, parity.astype(np.float32))
    elif kind == 'stripes':
        parity = np.floor(s / scale) % 2
        albedo = _mix(material, parity.astype(np.float32))
    elif kind == 'wallpaper':
        phase = s * np.float32(2 * np.pi) / scale
        albedo = _mix(
            material, np.float32(0.5) + np.float32(0.5) * np.sin(phase)
        )
    else:
        raise ValueError(f'Unknown SynthRooms texture kind {kind!r}.')
    return albedo.astype(np.float32, copy=False)
