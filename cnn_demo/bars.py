"""Bar charts drawn for every drawing (the ten probabilities, each dense layer's units), as HTML.

    st.html(bars.STYLE + bars.probability_bars(prediction.probabilities, top=4))

Plain HTML and CSS rather than Vega-Lite: the browser compiled and drew each Vega chart on
every drawing, and the four of Pooled's page (probabilities and three dense layers) made
pen-up -> Prediction 45 ms slower in Chromium (365 -> 321 ms beside the floor page's 285 ms;
`python -m cnn_demo.bench --sections end_to_end`). These are a few divs, laid out by CSS.
"""

from __future__ import annotations

import html

import numpy as np

from cnn_demo.verdict import percent

BLUE, ORANGE = "#4c8bd6", "#e8590c"  # as the page's other charts; readable on light and dark
# Numbers are written under every bar while they fit in the narrowest chart, else under every
# 2nd, 4th, 8th...: three dense layers side by side on a 1024 px projector with the sidebar open
# get about 175 px each, where Pooled's 32 unit numbers, 16 of them written, were 270 px of text
# and pushed each number past its bar (the 16 stood under unit 20, the 24 to 30 past the last).
NARROWEST_CHART_PX = 170
LABEL_CHAR_PX = 7  # 11 px monospace

STYLE = f"""
<style>
.cnn-bars {{ font: 11px/1.2 ui-monospace, monospace; margin: 0.2rem 0 0.6rem 0; }}
.cnn-bars-plot {{ position: relative; height: 150px; display: flex; gap: 2px;
  border-bottom: 1px solid rgba(128, 128, 128, 0.35); border-top: 1px dotted rgba(128, 128, 128, 0.35); }}
.cnn-bars-plot > div {{ position: relative; flex: 1; }}
.cnn-bars-plot b {{ position: absolute; left: 0; right: 0; background: {BLUE}; border-radius: 1px; }}
.cnn-bars-plot b.top {{ background: {ORANGE}; }}
.cnn-bars-plot b span {{ position: absolute; bottom: 100%; left: 50%; transform: translateX(-50%);
  white-space: nowrap; padding-bottom: 1px; }}
.cnn-bars-zero {{ position: absolute; left: 0; right: 0; height: 0; border-top: 1px solid rgba(128, 128, 128, 0.7); }}
.cnn-bars-ends {{ display: flex; justify-content: space-between; opacity: 0.7; }}
.cnn-bars-labels {{ display: flex; gap: 2px; margin-top: 2px; }}
.cnn-bars-labels span {{ flex: 1; min-width: 0; display: flex; justify-content: center; white-space: nowrap; }}
.cnn-bars-title {{ text-align: center; opacity: 0.7; margin-top: 1px; }}
</style>
"""


def bars_html(values: np.ndarray, labels: list[str], title: str, value_text, top: int | None = None,
              low: float | None = None, high: float | None = None, end_text=None) -> str:
    """One bar per value, from a zero line, between `low` and `high` (default: the values' own
    range, with zero in it), which are written by `end_text`; `top` highlighted and its value
    written over it; every bar's value in its tooltip, written by `value_text`."""
    end_text = end_text or value_text
    values = np.asarray(values, np.float64).reshape(-1)
    low = min(0.0, float(values.min())) if low is None else low
    high = max(float(values.max()), 1e-6) if high is None else high
    span = high - low
    zero = -low / span  # share of the height below zero
    step = label_step(labels)
    bars, names = [], []
    for i, (value, label) in enumerate(zip(values, labels)):
        share = min(abs(value), span) / span
        bottom = zero if value >= 0 else zero - share
        text = html.escape(f"{label}: {value_text(value)}")
        mark = f' class="top"><span>{html.escape(value_text(value))}</span></b>' if i == top else "></b>"
        bars.append(f'<div title="{text}"><b style="bottom:{bottom:.2%};height:{share:.2%}"{mark}</div>')
        names.append(f"<span>{html.escape(label) if i % step == 0 else ''}</span>")
    zero_line = f'<i class="cnn-bars-zero" style="bottom:{zero:.2%}"></i>' if low < 0 else ""
    summary = html.escape(f"{title}: " + ", ".join(f"{label} {value_text(v)}" for label, v in zip(labels, values)))
    return (f'<div class="cnn-bars" role="img" aria-label="{summary}">'
            f'<div class="cnn-bars-ends"><span>{html.escape(end_text(high))}</span></div>'
            f'<div class="cnn-bars-plot">{zero_line}{"".join(bars)}</div>'
            f'<div class="cnn-bars-labels">{"".join(names)}</div>'
            f'<div class="cnn-bars-ends"><span>{html.escape(end_text(low))}</span>'
            f'<span class="cnn-bars-title">{html.escape(title)}</span><span></span></div></div>')


def label_step(labels: list[str]) -> int:
    """Write every `label_step`-th label (a power of two) so that they fit in the narrowest chart."""
    room = NARROWEST_CHART_PX // (LABEL_CHAR_PX * max(map(len, labels), default=1) + 6)
    step = 1
    while -(-len(labels) // step) > max(room, 1):
        step *= 2
    return step


def probability_bars(probabilities: np.ndarray, top: int) -> str:
    """The ten digits' probabilities, 0 to 100%, the answer highlighted."""
    return bars_html(probabilities, [str(d) for d in range(len(probabilities))], "digit",
                     lambda p: percent(p, 1, short=True), top=top, low=0.0, high=1.0, end_text=lambda p: f"{p:.0%}")


def vector_bars(values: np.ndarray) -> str:
    """A dense layer's units (digits for a ten-unit output), from its lowest value (or 0) to its highest."""
    ten = values.size == 10
    return bars_html(values, [str(i) for i in range(values.size)], "digit" if ten else "unit",
                     lambda v: f"{v:.3f}")
