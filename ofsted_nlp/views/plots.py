"""Heatmaps of a theme matrix: authorities (or documents) by themes.

What is drawn follows the matrix's value (``theme_matrix(..., value=...)``):

* ``net`` (and ``count``, whose net is computed from its counts): the net
  balance, red negative to blue positive, centred on 0 (-1 to 1);
* ``negative``: the number of negative findings, white to red.

Grey where a theme has no positive or negative finding. A cell built from
fewer than 3 findings is faded and hatched, so that one sentence does not read
as a verdict. ``highlight`` (an authority's name or code) draws its rows in
bold with a frame; the "statistical neighbours (median)" row is in italics.
``title`` should say what was selected (see ``Selection.describe``).

The functions take plain arguments (a DataFrame, a path, strings) and write
their file whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ofsted_nlp.schema import THEMES
from ofsted_nlp.views.matrix import NEIGHBOUR_MEDIAN, SMALL, findings_per_cell, net_and_counts, row_labels

NAN_COLOUR = "#d9d9d9"
TITLES = {
    "net": "Ofsted findings by theme: net balance (positive - negative) / (positive + negative)",
    "count": "Ofsted findings by theme: net balance (positive - negative) / (positive + negative)",
    "negative": "Ofsted findings by theme: number of negative findings",
}
TITLE = TITLES["net"]


def theme_labels() -> list[str]:
    return [t.replace("_", " ") if t != "caf" else "CAF" for t in THEMES]


def _atomic(path: Path):
    from ofsted_nlp.io.atomic import atomic_path

    return atomic_path(Path(path))


def plot_values(matrix: pd.DataFrame) -> tuple[str, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(value drawn, values rows x themes, findings behind each cell, positive, negative counts or None)."""
    value = matrix.attrs.get("value", "net")
    if value == "negative":
        if not all(t in matrix.columns for t in THEMES):
            raise ValueError("a negative matrix needs the six theme columns")
        values = matrix[list(THEMES)].to_numpy(dtype=float)
        return "negative", values, findings_per_cell(matrix), None, None
    net, pos, neg = net_and_counts(matrix)
    if pos is not None:
        n = pos + neg
    else:
        try:
            n = findings_per_cell(matrix)
        except ValueError:
            n = np.where(np.isnan(net), 0, SMALL)  # a net matrix without counts: nothing to mark
    return "net", net, np.asarray(n, dtype=float), pos, neg


def highlighted_rows(matrix: pd.DataFrame, highlight: str | None) -> list[int]:
    """Rows of the authority ``highlight`` (name, DfE number or ONS code; case ignored)."""
    if not highlight:
        return []
    key = str(highlight).strip().casefold()
    codes = set()
    try:
        from ofsted_nlp.views.selection import resolve_authority

        a = resolve_authority(highlight)
        codes = {a.old_la_code, a.new_la_code.casefold()}
    except ValueError:
        pass
    rows = []
    for i in range(len(matrix)):
        r = matrix.iloc[i]
        values = {str(r.get(c, "")).strip().casefold() for c in ("la_name", "old_la_code", "new_la_code")}
        if key in values or (codes and values & codes):
            rows.append(i)
    return rows


def heatmap_png(matrix: pd.DataFrame, path: str | Path, title: str | None = None,
                highlight: str | None = None, small: int = SMALL) -> Path:
    """A PNG heatmap of ``matrix`` (matplotlib, Agg backend: no display needed)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    value, data_values, n_cell, pos, neg = plot_values(matrix)
    labels = row_labels(matrix)
    n = len(labels)
    rows = max(n, 1)
    # Readable with 150 rows: a fixed height per row, the font shrinking only to 7 pt.
    per_row = 0.32 if n <= 40 else 0.2
    longest = max((len(x) for x in labels), default=10)
    fig = Figure(figsize=(6.5 + 0.075 * min(longest, 60), max(3.2, per_row * rows + 2.2)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    grid = data_values.reshape(n, len(THEMES)) if n else np.full((1, len(THEMES)), np.nan)
    if value == "negative":
        cmap = matplotlib.colormaps["Reds"].with_extremes(bad=NAN_COLOUR)
        top = max(1.0, float(np.nanmax(grid)) if np.isfinite(grid).any() else 1.0)
        shown = np.where(n_cell.reshape(grid.shape) > 0 if n else False, grid, np.nan)
        image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=0, vmax=top, aspect="auto",
                          interpolation="nearest")
        bar_label = "negative findings"
    else:
        cmap = matplotlib.colormaps["RdBu"].with_extremes(bad=NAN_COLOUR)
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-1, vmax=1, aspect="auto",
                          interpolation="nearest")
        bar_label = "net balance (−1 all negative, +1 all positive)"
    font = 9 if n <= 40 else 7
    ax.set_xticks(range(len(THEMES)), labels=theme_labels(), rotation=30, ha="right", fontsize=9)
    ax.set_yticks(range(n), labels=labels, fontsize=font)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, len(THEMES), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1 if n <= 60 else 0.4)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    marked = (n_cell.reshape(grid.shape) > 0) & (n_cell.reshape(grid.shape) < small) if n else np.zeros((0, 0))
    for i, j in zip(*np.nonzero(marked)):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=(1, 1, 1, 0.55), edgecolor="#777777",
                               hatch="///", linewidth=0))
    if n <= 60:
        for i in range(n):
            for j in range(len(THEMES)):
                v = grid[i, j]
                k = int(n_cell.reshape(grid.shape)[i, j])
                if value == "negative":
                    text = f"{int(v)} of {k}" if k else ""
                    dark = k and not marked[i, j] and v > 0.6 * np.nanmax(grid)
                elif np.isnan(v):
                    text = "" if pos is None else "–"
                    dark = False
                else:
                    text = f"{v:+.2f}" + (f"\n{pos[i, j]}+ {neg[i, j]}−" if pos is not None and neg is not None
                                             else f"\nn={k}")
                    dark = abs(v) > 0.6 and not marked[i, j]
                if text:
                    ax.text(j, i, text, ha="center", va="center", fontsize=6.5, linespacing=0.9,
                            color="white" if dark else "black")
    ticks = ax.get_yticklabels()
    for i in highlighted_rows(matrix, highlight):
        ax.add_patch(Rectangle((-0.5, i - 0.5), len(THEMES), 1, fill=False, edgecolor="black", linewidth=2.2))
        ticks[i].set_fontweight("bold")
    for i, label in enumerate(labels):
        if label == NEIGHBOUR_MEDIAN:
            ticks[i].set_fontstyle("italic")
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(bar_label, fontsize=8)
    heading = TITLES.get(matrix.attrs.get("value", "net"), TITLE)
    heading += f"\n{title}" if title else ""
    if marked.any():
        heading += f"\nhatched: fewer than {small} findings"
    ax.set_title(heading, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with _atomic(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path


def heatmap_html(matrix: pd.DataFrame, path: str | Path, title: str | None = None,
                 highlight: str | None = None, small: int = SMALL) -> Path:
    """An HTML heatmap, self-contained so it opens offline: the report's heatmap (``views/templates/
    heatmap.js``) on a page of its own (``matrix.html.j2``), the counts behind a cell on hover.

    Cells from fewer than ``small`` findings are hatched and say so on hover.
    """
    from ofsted_nlp.views.page import render

    value, data_values, n_cell, pos, neg = plot_values(matrix)
    labels = row_labels(matrix)
    marks = set(highlighted_rows(matrix, highlight))
    n = len(labels)
    grid = data_values.reshape(n, len(THEMES))
    counts = n_cell.reshape(n, len(THEMES))
    # a net matrix without counts (not one of theme_matrix's): the number behind a cell is not known
    known = value == "negative" or pos is not None or all(f"{t}_findings" in matrix.columns for t in THEMES)
    top = max(1, int(np.nanmax(grid))) if value == "negative" and np.isfinite(grid).any() else 1
    rows = []
    for i, (label, line, krow) in enumerate(zip(labels, grid, counts)):
        values: list[float | int | None] = []
        titles: list[str] = []
        for j, (v, k) in enumerate(zip(line, krow)):
            if np.isnan(v) or (value == "negative" and not k):
                values.append(None)
                titles.append("")
                continue
            values.append(int(v) if value == "negative" else round(float(v), 3))
            if value == "negative":
                tip = f"{int(v)} negative of {int(k)} findings"
            else:
                tip = f"net {v:+.2f}" + (f" from {int(k)} findings" if known else "")
            if known and 0 < k < small:
                tip += f" (fewer than {small}: too few to read)"
            if pos is not None and neg is not None:
                tip += f"; positive {int(pos[i, j])}, negative {int(neg[i, j])}"
            titles.append(tip)
        rows.append({"label": label, "highlight": i in marks, "median": label == NEIGHBOUR_MEDIAN,
                     "values": values, "n": [int(k) for k in krow] if known else None, "titles": titles})
    by = matrix.attrs.get("by", "authority" if "label" not in matrix.columns else "document")
    data = {"themes": theme_labels(), "theme_keys": list(THEMES), "small": small, "scale": value, "top": top,
            "first": {"authority-year": "authority · year"}.get(by, by), "rows": rows}
    page = render("matrix.html.j2", heading=TITLES.get(matrix.attrs.get("value", "net"), TITLE), title=title or "",
                  rows=n, scale=value, top=top, small=small, data=data)
    path = Path(path)
    with _atomic(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
