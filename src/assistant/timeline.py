"""The targets ledger on a calendar: a plotly figure for the UI, HTML or PNG files for briefings.

Only targets and dated commitments are plotted (reported figures are history), each at
the last day of its deadline period. HTML embeds plotly.js so it opens offline; PNG is
drawn with matplotlib because plotly's static export needs kaleido and a browser.
"""

from __future__ import annotations

import html
import textwrap
import warnings
from datetime import date
from pathlib import Path
from typing import Iterable

import plotly.graph_objects as go
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure as MplFigure

from assistant.targets import Target, as_target, period_end
from ingest.text import has_cjk

_SYMBOLS = {"target": ("circle", "o"), "deadline": ("diamond", "D")}
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei")
_MAX_LISTED = 8


def _split(rows: Iterable[Target | dict]) -> tuple[list[tuple[date, Target]], list[Target]]:
    """(rows with a resolved deadline and its last day, rows whose deadline is unresolved)."""
    dated, unresolved = [], []
    for row in map(as_target, rows):
        if row.kind not in _SYMBOLS:
            continue
        due = period_end(row.deadline_norm)
        if due:
            dated.append((due, row))
        elif row.deadline:
            unresolved.append(row)
    return sorted(dated, key=lambda pair: pair[0]), unresolved


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
    return "<br>".join(lines)


def _unresolved_note(unresolved: list[Target]) -> str:
    lines = [f"{html.escape(r.title or r.doc_id)}: {html.escape(r.deadline)} ({html.escape(r.metric or r.value)})"
             for r in unresolved[:_MAX_LISTED]]
    if len(unresolved) > _MAX_LISTED:
        lines.append(f"... and {len(unresolved) - _MAX_LISTED} more")
    return "Unresolved deadlines:<br>" + "<br>".join(lines)


def timeline_figure(rows: Iterable[Target | dict]) -> go.Figure:
    """One mark per target or deadline with a resolved deadline, one row per document, coloured by issuer."""
    dated, unresolved = _split(rows)
    fig = go.Figure()
    fig.update_layout(title=_title(dated, unresolved), template="plotly_white", legend_title_text="Issuer",
                      xaxis={"type": "date", "title": "Due by (last day of the deadline period)"},
                      yaxis={"automargin": True}, hoverlabel={"align": "left"})
    for issuer in sorted({row.issuer or "(no issuer)" for _, row in dated}):
        points = [(due, row) for due, row in dated if (row.issuer or "(no issuer)") == issuer]
        fig.add_trace(go.Scatter(
            x=[due.isoformat() for due, _ in points], y=[row.title or row.doc_id for _, row in points],
            mode="markers", name=issuer, text=[_hover(row) for _, row in points], hoverinfo="text",
            marker={"size": 12, "symbol": [_SYMBOLS[row.kind][0] for _, row in points]},
        ))
    if unresolved:
        fig.add_annotation(text=_unresolved_note(unresolved), xref="paper", yref="paper", x=0, y=-0.25,
                           xanchor="left", yanchor="top", showarrow=False, align="left")
        fig.update_layout(margin={"b": 120 + 18 * min(len(unresolved), _MAX_LISTED + 1)})
    return fig


def _cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def _draw_png(rows: Iterable[Target | dict], path: Path) -> None:
    dated, unresolved = _split(rows)
    cjk_font = _cjk_font()

    def legible(text: str, fallback: str) -> str:  # without a CJK font Chinese would print as boxes
        return fallback if has_cjk(text) and not cjk_font else text

    def doc_label(row: Target) -> str:
        return textwrap.shorten(legible(row.title or row.doc_id, row.doc_id), 60)

    docs = list(dict.fromkeys(doc_label(row) for _, row in dated))
    fig = MplFigure(figsize=(11, 2.2 + 0.45 * max(len(docs), 1)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(_title(dated, unresolved), fontsize=10)
    if not dated:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No dated targets or deadlines", ha="center", va="center", transform=ax.transAxes)
    issuers = sorted({row.issuer or "(no issuer)" for _, row in dated})
    for colour, issuer in enumerate(issuers):
        mine = [(due, row) for due, row in dated if (row.issuer or "(no issuer)") == issuer]
        name = legible(issuer, f"issuer of {mine[0][1].doc_id}")
        for kind, (_, marker) in _SYMBOLS.items():
            points = [(due, row) for due, row in mine if row.kind == kind]
            if points:
                ax.scatter([due for due, _ in points], [docs.index(doc_label(row)) for _, row in points],
                           marker=marker, s=60, alpha=0.75, color=f"C{colour % 10}", label=name)
                name = "_nolegend_"
    if dated:
        ax.set_yticks(range(len(docs)), labels=docs)
        ax.set_ylim(-0.6, len(docs) - 0.4)
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.set_xlabel("Due by (last day of the deadline period); circle = target, diamond = deadline", fontsize=9)
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
        font = _cjk_font()
        with rc_context({"font.family": ["DejaVu Sans", font] if font else ["DejaVu Sans"]}), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            _draw_png(rows, path)
    else:
        raise ValueError(f"timeline files are .html or .png, not {path.suffix or 'no suffix'}")
    return path
