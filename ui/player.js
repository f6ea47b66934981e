// The step buttons of the charts' players. They are Plotly buttons that do nothing themselves (method "skip", see
// ui/figures.py: _nav); a click on one animates its chart to the frame before or after the one it shows. Plotly's
// own buttons name their target frame, so every frame had to rewrite them: about 40% of an animation's JSON.
//
// Loaded once per browser tab with the app's accessibility script (ui/accessibility.py), and by every downloaded
// animated figure (ui/figures.py: Spec.to_html); running it again does nothing. window.__convPlayer lends the
// accessibility script the same "which frame is shown" and "show frame k".
(() => {
  if (window.__convPlayer) return;

  const STEP = { "◀ step": -1, "step ▶": 1 }; // ui/figures.py: STEP_BUTTONS
  const frames = (chart) => (chart._transitionData && chart._transitionData._frames) || [];

  // The frame on screen: the last one Plotly animated to, else the one whose title the chart shows (every frame has
  // its own equation; a chart drawn again starts from its first frame's title), else the slider's.
  function shown(chart) {
    const all = frames(chart);
    const name = chart._fullLayout && chart._fullLayout._currentFrame;
    let k = name == null ? -1 : all.findIndex((f) => String(f.name) === String(name));
    if (k >= 0) return k;
    const title = chart.layout && chart.layout.title && chart.layout.title.text;
    k = all.findIndex((f) => f.layout && f.layout.title && f.layout.title.text === title);
    if (k >= 0) return k;
    const slider = chart.layout && chart.layout.sliders && chart.layout.sliders[0];
    const step = slider && slider.steps && slider.steps[slider.active || 0];
    return step ? Number(step.args[0][0]) : 0;
  }

  function show(chart, k) {
    const all = frames(chart);
    if (!all.length || !window.Plotly) return;
    const target = all[Math.max(0, Math.min(all.length - 1, k))];
    window.Plotly.animate(chart, [String(target.name)], {
      mode: "immediate",
      frame: { duration: 0, redraw: true },
      transition: { duration: 0 },
    });
  }

  window.__convPlayer = { frames, shown, show };

  // Plotly runs a button's own (empty) command on the click; this listener on the document comes after it.
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("g.updatemenu-button") : null;
    const chart = button && button.closest(".js-plotly-plot");
    const by = chart && STEP[(button.textContent || "").replace(/\s+/g, " ").trim()];
    if (by) show(chart, shown(chart) + by);
  });
})();
