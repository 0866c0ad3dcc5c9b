"""The targets ledger on a calendar: a plotly figure for the UI, HTML or PNG files for briefings.

Only targets and dated commitments are plotted (reported figures are history), each at
the last day of its deadline period, one lane per document. Marks due on the same day
(or within a marker's width of each other) in one lane are stacked across the lane, so
"4 dated" shows four marks. A mark whose statement holds a possibly garbled figure is
outlined and says so on hover. HTML embeds plotly.js so it opens offline; PNG is drawn
with matplotlib because plotly's static export needs kaleido and a browser. Both
libraries are imported only when a chart is drawn.
"""

from __future__ import annotations

import html
import textwrap
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable

from assistant.ledger import Target, as_target, period_end
from ingest.text import has_cjk

_SYMBOLS = {"target": ("circle", "o"), "deadline": ("diamond", "D")}
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei")
_MAX_LISTED = 8
_BAND = 0.76  # share of a lane that stacked marks may spread over
_NEAR = 0.015  # marks closer than this share of the plotted date range would overlap on the x axis
_GARBLED_LINE = "#d62728"
_LANE_LABEL = 48  # characters of a document title beside its lane (the full title is in the hover)


@dataclass(frozen=True)
class Mark:
    """Where one row is drawn: its due day, its document's lane and its height in the lane."""

    due: date
    lane: int
    y: float
    row: Target


def _split(rows: Iterable[Target | dict]) -> tuple[list[tuple[date, Target]], list[Target]]:
    """(rows with a resolved deadline and its last day, rows whose deadline is unresolved). Rows
    come as models; the stored dicts that serve/ui/targets.py still passes are read as models here."""
    dated, unresolved = [], []
    for row in map(as_target, rows):
        if row.kind not in _SYMBOLS:
            continue
        due = period_end(row.deadline_norm)
        if due:
            dated.append((due, row))
        elif row.deadline:
            unresolved.append(row)
    return sorted(dated, key=lambda pair: (pair[0], pair[1].start)), unresolved


def _offsets(n: int) -> list[float]:
    if n == 1:
        return [0.0]
    step = min(0.25, _BAND / (n - 1))
    return [(i - (n - 1) / 2) * step for i in range(n)]


def place(dated: list[tuple[date, Target]], lane_of) -> tuple[list[Mark], int]:
    """Marks for the dated rows, and the size of the largest stack. Rows of one lane whose
    days are within a marker's width of the previous one form a stack, spread across the lane."""
    if not dated:
        return [], 0
    days = [due for due, _ in dated]
    near = max(1.0, (max(days) - min(days)).days * _NEAR)
    lanes: dict[int, list[tuple[date, Target]]] = {}
    for due, row in dated:
        lanes.setdefault(lane_of(row), []).append((due, row))
    marks, biggest = [], 1
    for lane, points in lanes.items():
        stacks: list[list[tuple[date, Target]]] = []
        for due, row in points:  # already in date order
            if stacks and (due - stacks[-1][-1][0]).days <= near:
                stacks[-1].append((due, row))
            else:
                stacks.append([(due, row)])
        for stack in stacks:
            biggest = max(biggest, len(stack))
            marks += [Mark(due, lane, lane + dy, row) for (due, row), dy in zip(stack, _offsets(len(stack)))]
    return marks, biggest


def _title(dated: list, unresolved: list[Target]) -> str:
    if not dated and not unresolved:
        return "No targets or deadlines to plot"
    title = f"Targets and deadlines: {len(dated)} dated"
    return title + (f", {len(unresolved)} with an unresolved deadline (not plotted)" if unresolved else "")


def _hover(row: Target) -> str:
    wrap = "<br>".join(textwrap.wrap(html.escape(row.statement), 80))
    figure = " ".join(part for part in (row.comparator, row.value) if part)
    lines = [f"<b>{html.escape(row.title or row.doc_id)}</b>", wrap, f"Metric: {html.escape(row.metric)}"]
    if figure:
        lines.append(f"Value: {html.escape(figure)}")
    lines.append(f"Deadline: {html.escape(row.deadline)} ({row.deadline_norm})")
    if row.garbled:
        lines.append(f"⚠ {html.escape(row.garbled_warning)}; check the original source")
    return "<br>".join(lines)


def _unresolved_note(unresolved: list[Target]) -> str:
    lines = [f"{html.escape(r.title or r.doc_id)}: {html.escape(r.deadline)} ({html.escape(r.metric or r.value)})"
             for r in unresolved[:_MAX_LISTED]]
    if len(unresolved) > _MAX_LISTED:
        lines.append(f"... and {len(unresolved) - _MAX_LISTED} more")
    return "Unresolved deadlines:<br>" + "<br>".join(lines)


def _issuer(row: Target) -> str:
    return row.issuer or "(no issuer)"


def timeline_figure(rows: Iterable[Target | dict]):
    """A plotly figure: one mark per target or deadline with a resolved deadline, one lane per
    document, coloured by issuer; stacked where marks would overlap."""
    import plotly.graph_objects as go

    dated, unresolved = _split(rows)
    docs = list(dict.fromkeys(row.title or row.doc_id for _, row in dated))
    marks, biggest = place(dated, lambda row: docs.index(row.title or row.doc_id))
    lane_px = max(56, 18 * biggest)
    fig = go.Figure()
    fig.update_layout(title=_title(dated, unresolved), template="plotly_white", legend_title_text="Issuer",
                      height=170 + lane_px * max(len(docs), 1),
                      xaxis={"type": "date", "title": "Due by (last day of the deadline period)"},
                      yaxis={"automargin": True, "tickmode": "array", "tickvals": list(range(len(docs))),
                             "ticktext": [textwrap.shorten(d, _LANE_LABEL, placeholder="…") for d in docs],
                             "range": [len(docs) - 0.5, -0.5], "zeroline": False, "showgrid": False},
                      hoverlabel={"align": "left"})
    for issuer in sorted({_issuer(m.row) for m in marks}):
        mine = [m for m in marks if _issuer(m.row) == issuer]
        fig.add_trace(go.Scatter(
            x=[m.due.isoformat() for m in mine], y=[m.y for m in mine], mode="markers", name=issuer,
            text=[_hover(m.row) for m in mine], hoverinfo="text",
            marker={"size": 12, "symbol": [_SYMBOLS[m.row.kind][0] for m in mine],
                    "line": {"width": [2.5 if m.row.garbled else 0.5 for m in mine],
                             "color": [_GARBLED_LINE if m.row.garbled else "white" for m in mine]}},
        ))
    if unresolved:
        fig.add_annotation(text=_unresolved_note(unresolved), xref="paper", yref="paper", x=0, y=-0.25,
                           xanchor="left", yanchor="top", showarrow=False, align="left")
        fig.update_layout(margin={"b": 120 + 18 * min(len(unresolved), _MAX_LISTED + 1)})
    return fig


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def _draw_png(rows: Iterable[Target | dict], path: Path, cjk_font: str | None) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure as MplFigure

    dated, unresolved = _split(rows)

    def legible(text: str, fallback: str) -> str:  # without a CJK font Chinese would print as boxes
        return fallback if has_cjk(text) and not cjk_font else text

    def doc_label(row: Target) -> str:
        return textwrap.shorten(legible(row.title or row.doc_id, row.doc_id), 60)

    docs = list(dict.fromkeys(doc_label(row) for _, row in dated))
    marks, biggest = place(dated, lambda row: docs.index(doc_label(row)))
    fig = MplFigure(figsize=(11, 2.2 + max(0.45, 0.17 * biggest) * max(len(docs), 1)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(_title(dated, unresolved), fontsize=10)
    if not dated:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No dated targets or deadlines", ha="center", va="center", transform=ax.transAxes)
    issuers = sorted({_issuer(m.row) for m in marks})
    for colour, issuer in enumerate(issuers):
        mine = [m for m in marks if _issuer(m.row) == issuer]
        name = legible(issuer, f"issuer of {mine[0].row.doc_id}")
        for kind, (_, marker) in _SYMBOLS.items():
            points = [m for m in mine if m.row.kind == kind]
            if points:
                ax.scatter([m.due for m in points], [m.y for m in points], marker=marker, s=60, alpha=0.8,
                           color=f"C{colour % 10}", label=name,
                           edgecolors=[_GARBLED_LINE if m.row.garbled else "white" for m in points],
                           linewidths=[2 if m.row.garbled else 0.5 for m in points])
                name = "_nolegend_"
    if dated:
        ax.set_yticks(range(len(docs)), labels=docs)
        ax.set_ylim(len(docs) - 0.5, -0.5)
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_xlabel("Due by (last day of the deadline period); circle = target, diamond = deadline; "
                      "red outline = possibly garbled figure", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(title="Issuer", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def save_timeline(rows: Iterable[Target | dict], path: str | Path) -> Path:
    """Write the timeline as self-contained .html (plotly.js embedded) or as .png (matplotlib)."""
    path = Path(path)
    rows = list(rows)
    if path.suffix.lower() in (".html", ".htm"):
        timeline_figure(rows).write_html(str(path), include_plotlyjs=True, full_html=True)
    elif path.suffix.lower() == ".png":
        from matplotlib import rc_context

        font = _cjk_font()
        with rc_context({"font.family": ["DejaVu Sans", font] if font else ["DejaVu Sans"]}), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            _draw_png(rows, path, font)
    else:
        raise ValueError(f"timeline files are .html or .png, not {path.suffix or 'no suffix'}")
    return path
