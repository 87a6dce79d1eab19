"""What the page does in the browser for the canvas: parks its toolbar above it, and makes the
Clear button (key "clear") empty it at once. Used by app.py's page and by bench/floor_app.py."""

from __future__ import annotations

import streamlit as st

# The canvas's hover toolbar (undo, redo, reset) rests invisible at 1rem above the canvas and
# is 46 px tall: until a mouse has hovered for 0.2 s, or always on a touch screen, it covers
# the top 30 px of the canvas's right half, and a stroke started there (the top of a 5 or a 7)
# was lost (tests/browser/test_robustness_in_chromium.py). It lives in the component's shadow
# DOM, out of the page's CSS, so this script gives each canvas a rule that parks it above, in
# a strip of its own (parked over the model's caption, it hid the caption's end on a phone).
#
# Clear is the canvas's own reset, done here in the page; the canvas then sends its empty
# drawing. Done on the server (a new canvas under a new key), it waited for a run: 180 ms from
# click to empty canvas on an idle server (6 ms here; median of 10, 2026-12-03), and on a busy
# one a pen put down in the meantime drew on the old canvas, which the new, empty one then
# replaced (server paused 0.5-0.8 s: the 7 drawn after Clear was never read; paused 2 s, the
# click itself was lost). So the server never hears the click.
CANVAS_SCRIPT = st.components.v2.component("canvas_script", js="""
export default function() {
  const watched = new WeakSet();
  const observers = [];
  const watch = (node) => {  // a shadow root's changes are not seen from the document
    if (watched.has(node)) return;
    watched.add(node);
    const observer = new MutationObserver(park);
    observer.observe(node, { childList: true, subtree: true });
    observers.push(observer);
  };
  const canvasRoots = () => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
    .map(host => host.shadowRoot).filter(root => root && root.querySelector('.dc-toolbar'));
  const park = () => {
    document.querySelectorAll('[data-testid=stBidiComponentIsolated]').forEach(host => {
      if (host.shadowRoot) watch(host.shadowRoot);
    });
    canvasRoots().filter(root => !root.querySelector('style[data-parked]')).forEach(root => {
      const style = document.createElement('style');
      style.dataset.parked = '';
      style.textContent = '.dc-root { margin-top: 2.9rem; } '
        + '.dc-toolbar, .dc-root:hover > .dc-toolbar { top: -2.9rem; }';
      root.appendChild(style);
    });
  };
  const clear = (event) => {
    if (!event.target.closest || !event.target.closest('.st-key-clear button')) return;
    event.preventDefault();
    event.stopPropagation();  // before Streamlit's own handler: no run for the click
    canvasRoots().forEach(root => root.querySelector('button[aria-label="Reset canvas & history"]')?.click());
  };
  watch(document.body);
  park();
  document.addEventListener('click', clear, true);
  return () => {
    observers.forEach(o => o.disconnect());
    document.removeEventListener('click', clear, true);
  };
}
""")


def canvas_script() -> None:
    CANVAS_SCRIPT(key="canvas_script")
