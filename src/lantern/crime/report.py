"""The commander's briefing: a crime report rendered as standalone HTML and as PDF.

HTML is one file with its charts inlined (PNG data URIs), so it can be mailed or archived;
the PDF has the same sections, drawn with Matplotlib (no browser or LaTeX needed).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.image import imread

from lantern.crime import render
from lantern.crime.service import CrimeReport

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def charts(rep: CrimeReport) -> dict[str, bytes]:
    """The report's PNG charts by name."""
    out = {
        "hotspots": render.hotspot_png(rep.layer, f"Hot spots {rep.since:%Y-%m-%d} to {rep.until:%Y-%m-%d}"),
        "weekly": render.weekly_png(
            rep.weekly["weeks"],
            rep.weekly["observed"],
            rep.weekly["expected"],
            rep.weekly["upper"],
            "All recorded incidents per week against the seasonal baseline",
        ),
    }
    if rep.knox is not None:
        out["knox"] = render.knox_png(rep.knox, "Burglary near repeats: observed / expected")
    return out


def to_html(rep: CrimeReport) -> str:
    """The report as one self-contained HTML page."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    images = {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in charts(rep).items()}
    return env.get_template("crime_report.html").render(report=rep, images=images)


def _text_page(pdf: PdfPages, title: str, lines: list[str]) -> None:
    fig = Figure(figsize=(8.27, 11.69))
    fig.text(0.07, 0.95, title, fontsize=16, fontweight="bold", va="top")
    y = 0.91
    for line in lines:
        fig.text(0.07, y, line, fontsize=9, va="top", family="monospace")
        y -= 0.018
        if y < 0.05:
            break
    pdf.savefig(fig)  # type: ignore[no-untyped-call]  # PdfPages.savefig has no annotations


def _image_page(pdf: PdfPages, png: bytes) -> None:
    fig = Figure(figsize=(8.27, 11.69))
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.9))
    ax.imshow(imread(io.BytesIO(png), format="png"))
    ax.axis("off")
    pdf.savefig(fig)  # type: ignore[no-untyped-call]  # PdfPages.savefig has no annotations


def to_pdf(rep: CrimeReport) -> bytes:
    """The report as PDF: summary tables, then one page per chart."""
    lines = [
        f"Window: {rep.since:%Y-%m-%d %H:%M} to {rep.until:%Y-%m-%d %H:%M} UTC   Area: {rep.district}",
        f"Generated: {rep.generated_at:%Y-%m-%d %H:%M} UTC",
        "",
        "Recorded incidents by type (previous period of equal length; p: exact test of equal rates)",
        f"{'type':<24}{'now':>8}{'before':>8}{'change':>8}{'p':>10}",
    ]
    lines += [
        f"{r['category']:<24}{r['now']:>8}{r['before']:>8}{r['change']:>+8}{r['p_value']:>10.3g}"
        for r in rep.by_category
    ]
    lines += ["", f"Trend alerts ({len(rep.alerts)}): weekly counts above the upper control limit"]
    lines += [f"- {a['text']}" for a in rep.alerts] or ["- none"]
    lines += ["", "Busiest cells (H3 resolution 10)", f"{'cell':<18}{'count':>8}{'Gi* z':>8}{'hot':>6}"]
    lines += [f"{c['cell']:<18}{c['count']:>8g}{c['z']:>8.2f}{'yes' if c['hot'] else '':>6}" for c in rep.top_cells]
    lines += ["", rep.knox_note, "", "Limits:"]
    words, current = rep.limits.split(), ""
    for w in words:
        if len(current) + len(w) > 90:
            lines.append(current)
            current = ""
        current += w + " "
    lines.append(current)
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        _text_page(pdf, "Crime briefing", lines)
        for png in charts(rep).values():
            _image_page(pdf, png)
    return buf.getvalue()
