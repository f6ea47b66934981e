// Keyboard access to the charts' players and to regions that scroll sideways. Loaded once per browser tab by
// ui/accessibility.py (st.html with JavaScript allowed); running it again does nothing.
//
// Plotly draws a player's buttons (play at three speeds, pause, step back and forward) and its slider in SVG, which
// the keyboard cannot reach. Here they become buttons and a slider to assistive technology: Tab reaches each one,
// Enter or Space presses it (the chart's own button, so the chart animates exactly as with the mouse), and the arrow
// keys on any of them step one frame back or forward (Home and End: the first and the last frame). Plotly redraws the
// buttons when it redraws the chart, so the attributes are put back after every change, and the focus too.
//
// A formula or table (markdown's or st.table's) wider than a phone scrolls sideways inside its own box; such a box
// gets tabindex=0 so that the keyboard can scroll it (axe: scrollable-region-focusable).
(() => {
  if (window.__convAccessibility) return;
  window.__convAccessibility = true;

  const BUTTON = "g.updatemenu-button";
  const GRIP = "g.slider-container rect.slider-grip-rect";
  let focusAfterRedraw = null; // [chart, index of the player control] to focus again once Plotly redrew it

  const chartOf = (el) => el.closest(".js-plotly-plot");
  const controls = (chart) => Array.from(chart.querySelectorAll(`${BUTTON}, ${GRIP}`));
  const label = (button) => (button.textContent || "").replace(/\s+/g, " ").trim();
  const spoken = (text) => {
    if (text === "◀ step") return "step back";
    if (text === "step ▶") return "step forward";
    if (text.startsWith("▶ ")) return `play, ${text.slice(2)}`; // "play, slow"
    return text.replace(/^❚❚\s*/, ""); // "pause"
  };

  // ui/player.js, loaded just before this script: the frame a chart shows, and a chart moved to frame k
  const { frames, shown: current, show } = window.__convPlayer;

  function press(el) {
    // Plotly listens for a click on the button's group; a synthetic one runs the same handler as the mouse.
    el.dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    el.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
    el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  }

  function markPlayers() {
    for (const chart of document.querySelectorAll(".js-plotly-plot")) {
      const all = controls(chart);
      const n = frames(chart).length;
      all.forEach((el, i) => {
        if (el.matches(GRIP)) {
          const k = current(chart);
          el.setAttribute("role", "slider");
          el.setAttribute("aria-label", "animation step");
          el.setAttribute("aria-valuemin", "1");
          el.setAttribute("aria-valuemax", String(n));
          el.setAttribute("aria-valuenow", String(k + 1));
          el.setAttribute("aria-valuetext", `step ${k + 1} of ${n}`);
        } else {
          el.setAttribute("role", "button");
          el.setAttribute("aria-label", spoken(label(el)));
        }
        if (el.getAttribute("tabindex") !== "0") el.setAttribute("tabindex", "0");
        el.dataset.playerIndex = String(i);
      });
      if (focusAfterRedraw && focusAfterRedraw[0] === chart) {
        const el = all[focusAfterRedraw[1]];
        if (el && document.activeElement !== el) el.focus({ preventScroll: true });
        if (el) focusAfterRedraw = null;
      }
    }
  }

  function markScrollers() {
    const boxes = document.querySelectorAll(
      ".katex-display, [data-testid=stMarkdownContainer] table, [data-testid=stTable] div:has(> table)",
    );
    for (const box of boxes) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && box.getAttribute("tabindex") !== "0") {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "group");
        box.setAttribute("aria-label", box.matches(".katex-display") ? "formula, scrolls sideways" : "table, scrolls sideways");
      } else if (!scrolls && box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  document.addEventListener(
    "keydown",
    (event) => {
      const el = event.target instanceof Element ? event.target.closest(`${BUTTON}, ${GRIP}`) : null;
      const chart = el && chartOf(el);
      if (!chart) return;
      const index = Number(el.dataset.playerIndex || 0);
      let handled = true;
      if ((event.key === "Enter" || event.key === " ") && el.matches(BUTTON)) press(el);
      else if (event.key === "ArrowRight" || event.key === "ArrowUp") show(chart, current(chart) + 1);
      else if (event.key === "ArrowLeft" || event.key === "ArrowDown") show(chart, current(chart) - 1);
      else if (event.key === "Home") show(chart, 0);
      else if (event.key === "End") show(chart, frames(chart).length - 1);
      else handled = false;
      if (handled) {
        event.preventDefault();
        focusAfterRedraw = [chart, index];
      }
    },
    true,
  );

  // At most once per animation frame; while a chart plays only its players are looked at again (cheap), the
  // formulas only when something outside the charts changed or the window was resized.
  let pending = null;
  const schedule = (everything) => {
    if (pending) {
      pending.everything ||= everything;
      return;
    }
    pending = { everything };
    requestAnimationFrame(() => {
      const { everything: all } = pending;
      pending = null;
      markPlayers();
      if (all) markScrollers();
    });
  };
  new MutationObserver((mutations) =>
    schedule(mutations.some((m) => !(m.target instanceof Element && m.target.closest(".js-plotly-plot")))),
  ).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", () => schedule(true));
  schedule(true);
})();
