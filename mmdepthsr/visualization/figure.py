"""Figures of titled panels with colour bars and legends, drawn with cv2.

A :class:`PanelFigure` is a list of :class:`PanelRow`; each row holds
equally sized image panels (a :class:`Panel`, or None for a gap) and, at
its right end, an optional annotation: a :class:`ColorBar` (the colour
scale of the row's maps, with ticks and a unit) or a :class:`Legend` (a
colour swatch and a name per class). :func:`render_figure` composes it
into one ``(H, W, 3)`` uint8 RGB image. The structure is kept so that
callers (and tests) can read what a figure shows without parsing pixels.

Everything is drawn with cv2 and numpy (no matplotlib figure), so a figure
of a 480 x 640 sample costs a few tens of milliseconds.
"""

import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .depth_vis import colorize_depth

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_BLACK = (0, 0, 0)
_WHITE = 255


@dataclass
class Panel:
    """One titled image of a figure.

    Args:
        title (str): Text above the image.
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB.
        field (str, optional): The data-sample field shown (e.g.
            ``'pred_sr_depth'``), None for derived images.
        kind (str): What the colours mean: ``'rgb'``, ``'depth'``,
            ``'error'``, ``'labels'``, ``'normals'`` or ``'angle'``.
        value_range (tuple[float, float], optional): The values of the
            colour map's first and last colour (maps drawn with one).
    """

    title: str
    image: np.ndarray
    field: Optional[str] = None
    kind: str = 'rgb'
    value_range: Optional[Tuple[float, float]] = None


@dataclass
class ColorBar:
    """A vertical colour scale, ``vmax`` at the top.

    Args:
        vmin (float): Value of the first colour.
        vmax (float): Value of the last colour.
        label (str): Quantity and unit, e.g. ``'depth (m)'``.
        cmap (str): Matplotlib colormap name.
    """

    vmin: float
    vmax: float
    label: str
    cmap: str = 'magma'


@dataclass
class Legend:
    """Class colours and names.

    Args:
        entries (list[tuple[int, str, tuple]]): ``(class id, name, RGB)``.
    """

    entries: List[Tuple[int, str, Tuple[int, int, int]]]

    @property
    def labels(self) -> List[str]:
        """The class names, in order."""
        return [name for _, name, _ in self.entries]


@dataclass
class PanelRow:
    """Panels side by side and the annotation at the row's right end."""

    panels: List[Optional[Panel]]
    annotation: Optional[Union[ColorBar, Legend]] = None


@dataclass
class PanelFigure:
    """Rows of panels; see :func:`render_figure`."""

    rows: List[PanelRow] = field(default_factory=list)

    @property
    def panels(self) -> List[Panel]:
        """Every panel, row by row (gaps left out)."""
        return [p for row in self.rows for p in row.panels if p is not None]

    @property
    def titles(self) -> List[str]:
        """The title of every panel, row by row."""
        return [panel.title for panel in self.panels]

    def panel(self, title: str) -> Panel:
        """The panel titled ``title``.

        Raises:
            KeyError: If there is none.
        """
        for panel in self.panels:
            if panel.title == title:
                return panel
        raise KeyError(f'No panel titled {title!r}; have {self.titles}.')


def nice_ticks(vmin: float, vmax: float, max_ticks: int = 6) -> List[float]:
    """Round tick values inside ``[vmin, vmax]`` (steps of 1, 2 or 5 times
    a power of ten, at most ``max_ticks`` of them).

    Args:
        vmin (float): Low end.
        vmax (float): High end (``>= vmin``).
        max_ticks (int): Most ticks. Defaults to 6.

    Returns:
        list[float]: Increasing tick values; ``[vmin]`` for an empty range.
    """
    span = vmax - vmin
    if not span > 0:
        return [vmin]
    raw = span / max(max_ticks - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.ceil(vmin / step - 1e-9) * step
    ticks = []
    value = start
    while value <= vmax + 1e-9 * step:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _format_tick(value: float, ticks: Sequence[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else abs(value) or 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f'{value:.{decimals}f}'


def _text_scale(text: str, height: int, width: Optional[int] = None) -> float:
    """The cv2 font scale whose text is ``height`` px high (and at most
    ``width`` px wide)."""
    (text_w, text_h), _ = cv2.getTextSize(text or 'A', _FONT, 1.0, 1)
    scale = height / max(text_h, 1)
    if width is not None:
        scale = min(scale, width / max(text_w, 1))
    return max(scale, 0.1)


def _put_text(canvas, text, x, baseline, scale) -> None:
    cv2.putText(
        canvas, text, (int(x), int(baseline)), _FONT, scale, _BLACK, 1,
        cv2.LINE_AA,
    )  # fmt: skip


def _font_height(tile_h: int) -> int:
    """Text height (px) of annotations next to a tile ``tile_h`` high."""
    return int(np.clip(round(tile_h / 32), 7, 16))


def _draw_colorbar(bar: ColorBar, tile_h: int) -> np.ndarray:
    """The colour bar as an RGB image ``tile_h`` high."""
    font_h = _font_height(tile_h)
    scale = _text_scale('0', font_h)
    bar_w = max(8, font_h)
    margin = font_h // 2 + 1
    length = max(tile_h - 2 * margin, 2)
    ramp = np.linspace(bar.vmax, bar.vmin, length)[:, None]
    if bar.vmax > bar.vmin:
        colours = colorize_depth(
            np.repeat(ramp, bar_w, axis=1), bar.vmin, bar.vmax, bar.cmap
        )
    else:
        colours = colorize_depth(np.ones((length, bar_w)), 0, 1, bar.cmap)
    ticks = nice_ticks(bar.vmin, bar.vmax)
    labels = [_format_tick(t, ticks) for t in ticks]
    label_w = max(
        cv2.getTextSize(text, _FONT, scale, 1)[0][0] for text in labels
    )
    unit_scale = _text_scale(bar.label, font_h, width=tile_h)
    (unit_w, unit_h), unit_base = cv2.getTextSize(
        bar.label, _FONT, unit_scale, 1
    )
    width = bar_w + 3 + label_w + 4 + unit_h + unit_base + 2
    canvas = np.full((tile_h, width, 3), _WHITE, np.uint8)
    canvas[margin : margin + length, :bar_w] = colours
    span = bar.vmax - bar.vmin
    for tick, text in zip(ticks, labels):
        frac = (bar.vmax - tick) / span if span > 0 else 0.5
        y = margin + int(round(frac * (length - 1)))
        canvas[y, bar_w : bar_w + 3] = 0
        _put_text(canvas, text, bar_w + 4, y + font_h // 2, scale)
    # The label, written along the bar (reading bottom to top).
    strip = np.full((unit_h + unit_base + 2, tile_h, 3), _WHITE, np.uint8)
    _put_text(strip, bar.label, (tile_h - unit_w) // 2, unit_h + 1, unit_scale)
    canvas[:, width - strip.shape[0] :] = np.rot90(strip)
    return canvas


def _draw_legend(legend: Legend, tile_h: int) -> np.ndarray:
    """The legend as an RGB image ``tile_h`` high (more columns when the
    classes do not fit in one)."""
    font_h = _font_height(tile_h)
    scale = _text_scale('A', font_h)
    line_h = font_h + max(3, font_h // 2)
    per_column = max(1, (tile_h - 2) // line_h)
    entries = legend.entries or [(-1, '(no class)', (255, 255, 255))]
    columns = [
        entries[i : i + per_column] for i in range(0, len(entries), per_column)
    ]
    column_ws = [
        font_h
        + 4
        + max(
            cv2.getTextSize(name, _FONT, scale, 1)[0][0] for _, name, _ in col
        )
        + 8
        for col in columns
    ]
    canvas = np.full((tile_h, sum(column_ws), 3), _WHITE, np.uint8)
    x = 0
    for col, col_w in zip(columns, column_ws):
        for row, (_, name, colour) in enumerate(col):
            top = 1 + row * line_h
            box = canvas[top : top + font_h, x : x + font_h]
            box[...] = 0
            box[1:-1, 1:-1] = colour
            _put_text(canvas, name, x + font_h + 4, top + font_h - 1, scale)
        x += col_w
    return canvas


def _title_strip_height(tile_h: int) -> int:
    return max(14, round(0.07 * tile_h))


def _title_image(title: str, width: int, height: int) -> np.ndarray:
    strip = np.full((height, width, 3), _WHITE, np.uint8)
    scale = _text_scale(title, round(0.55 * height), width=width - 4)
    _put_text(strip, title, 2, round(0.75 * height), scale)
    return strip


def render_figure(figure: PanelFigure, pad: int = 4) -> np.ndarray:
    """Compose a figure into one RGB image.

    Every row is ``title strip + tile`` high, where the tile is the size
    of the row's first panel (others are resized to it, nearest
    neighbour, so label colours stay exact); panels are ``pad`` pixels
    apart, each title is written above its panel (shrunk to the panel's
    width), the annotation follows the last panel. Rows are left-aligned
    on a white canvas as wide as the widest row.

    Args:
        figure (PanelFigure): What to draw.
        pad (int): Pixels between panels and between rows. Defaults to 4.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB.
    """
    drawn_rows = []
    for row in figure.rows:
        first = next((p for p in row.panels if p is not None), None)
        if first is None:
            continue
        tile_h, tile_w = first.image.shape[:2]
        title_h = _title_strip_height(tile_h)
        pieces = []
        for panel in row.panels:
            block = np.full((title_h + tile_h, tile_w, 3), _WHITE, np.uint8)
            if panel is not None:
                image = panel.image
                if image.shape[:2] != (tile_h, tile_w):
                    image = cv2.resize(
                        image,
                        (tile_w, tile_h),
                        interpolation=cv2.INTER_NEAREST,
                    )
                block[:title_h] = _title_image(panel.title, tile_w, title_h)
                block[title_h:] = image
            pieces.append(block)
        if isinstance(row.annotation, ColorBar):
            side = _draw_colorbar(row.annotation, tile_h)
        elif isinstance(row.annotation, Legend):
            side = _draw_legend(row.annotation, tile_h)
        else:
            side = None
        if side is not None:
            block = np.full((title_h + tile_h, side.shape[1], 3), _WHITE)
            block[title_h:] = side
            pieces.append(block.astype(np.uint8))
        gap = np.full((title_h + tile_h, pad, 3), _WHITE, np.uint8)
        parts = []
        for piece in pieces:
            parts += [piece, gap]
        drawn_rows.append(np.concatenate(parts[:-1], axis=1))
    if not drawn_rows:
        raise ValueError('render_figure: the figure has no panel.')
    width = max(r.shape[1] for r in drawn_rows)
    height = sum(r.shape[0] for r in drawn_rows) + pad * (len(drawn_rows) - 1)
    canvas = np.full((height, width, 3), _WHITE, np.uint8)
    y = 0
    for row in drawn_rows:
        canvas[y : y + row.shape[0], : row.shape[1]] = row
        y += row.shape[0] + pad
    return canvas
