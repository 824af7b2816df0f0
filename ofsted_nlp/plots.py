"""Heatmaps of a theme matrix: authorities (or documents) by themes, coloured by net balance.

Red is negative, blue positive, centred on 0 (-1 to 1); grey where a theme
has no positive or negative finding. Pass a ``theme_matrix(..., value="count")``
so that counts can be shown (annotations, HTML hover); a ``value="net"``
matrix also works, without counts. Files are written whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .labels import THEMES
from .matrix import net_and_counts, row_labels

TITLE = "Ofsted findings by theme: net balance (positive - negative) / (positive + negative)"
NAN_COLOUR = "#d9d9d9"


def _theme_labels() -> list[str]:
    return [t.replace("_", " ") if t != "caf" else "CAF" for t in THEMES]


def _atomic(path: Path):
    from .outputs import atomic_path

    return atomic_path(Path(path))


def heatmap_png(matrix: pd.DataFrame, path: str | Path) -> Path:
    """A PNG heatmap (matplotlib, Agg backend: no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    import matplotlib

    net, pos, neg = net_and_counts(matrix)
    labels = row_labels(matrix)
    n = max(len(labels), 1)
    fig = Figure(figsize=(9.5, max(3.0, 0.32 * n + 2.0)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad=NAN_COLOUR)
    data = np.ma.masked_invalid(net.reshape(len(labels), len(THEMES)))
    image = ax.imshow(data, cmap=cmap, vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(THEMES)), labels=_theme_labels(), rotation=30, ha="right", fontsize=9)
    ax.set_yticks(range(len(labels)), labels=labels, fontsize=8 if n > 40 else 9)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, len(THEMES), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(labels), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if n <= 120:
        for i in range(len(labels)):
            for j in range(len(THEMES)):
                v = net[i, j]
                if np.isnan(v):
                    text = "" if pos is None else "–"
                else:
                    text = f"{v:+.2f}"
                    if pos is not None:
                        text += f"\n{pos[i, j]}+ {neg[i, j]}−"
                if text:
                    colour = "white" if not np.isnan(v) and abs(v) > 0.6 else "black"
                    ax.text(j, i, text, ha="center", va="center", fontsize=6.5, color=colour, linespacing=0.9)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("net balance (−1 all negative, +1 all positive)", fontsize=8)
    ax.set_title(TITLE, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with _atomic(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path


def heatmap_html(matrix: pd.DataFrame, path: str | Path) -> Path:
    """An interactive HTML heatmap (plotly), self-contained so it opens offline; counts on hover."""
    import plotly.colors
    import plotly.graph_objects as go

    net, pos, neg = net_and_counts(matrix)
    labels = row_labels(matrix)
    n = len(labels)
    grid = net.reshape(n, len(THEMES))
    z = [[None if np.isnan(v) else round(float(v), 3) for v in row] for row in grid]
    text = [["no positive or negative findings" if np.isnan(v) else f"net {v:+.2f}" for v in row] for row in grid]
    scale = plotly.colors.diverging.RdBu  # red (low) to blue (high), explicit so no renderer reverses it
    colorscale = [[i / (len(scale) - 1), c] for i, c in enumerate(scale)]
    extra = {}
    hover = "<b>%{y}</b><br>%{x}: %{text}"
    if pos is not None:
        extra["customdata"] = np.dstack([pos, neg]).tolist() if n else []
        hover += "<br>positive %{customdata[0]}, negative %{customdata[1]}"
    heat = go.Heatmap(
        z=z, x=_theme_labels(), y=labels, text=text, **extra,
        zmin=-1, zmax=1, zmid=0, colorscale=colorscale, xgap=1, ygap=1, hoverongaps=True,
        colorbar={"title": {"text": "net"}, "tickvals": [-1, -0.5, 0, 0.5, 1]},
        hovertemplate=hover + "<extra></extra>",
    )
    fig = go.Figure(heat)
    fig.update_layout(
        title={"text": TITLE, "font": {"size": 14}},
        plot_bgcolor=NAN_COLOUR,
        height=max(420, 24 * n + 180),
        width=900,
        margin={"l": 220, "r": 40, "t": 70, "b": 80},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
        xaxis={"side": "top", "type": "category"},
    )
    path = Path(path)
    with _atomic(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fig.write_html(fh, include_plotlyjs=True, full_html=True)
    return path
