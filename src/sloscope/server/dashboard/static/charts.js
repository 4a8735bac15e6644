/* The SLO page's charts: SLI, error budget left and burn rates, drawn with uPlot from
   /api/v1/services/{service}/slos/{slo}/history. Colours: Okabe-Ito. */
(function () {
  "use strict";
  var PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442"];
  var holder = document.getElementById("charts");
  var status = document.getElementById("chart-status");
  if (!holder || typeof uPlot === "undefined") { return; }
  window.sloscopeCharts = [];

  function width(el) { return Math.max(280, Math.min(1100, el.clientWidth || 600)); }

  function draw(id, title, series, data, yRange) {
    var el = document.getElementById(id);
    var opts = {
      title: title,
      width: width(el),
      height: 220,
      series: [{}].concat(series),
      scales: { x: { time: true }, y: yRange ? { range: yRange } : {} },
      axes: [{}, { size: 70 }],
      legend: { live: true },
    };
    var plot = new uPlot(opts, data, el);
    var points = data[0].length;
    window.sloscopeCharts.push({ id: id, series: series.length, points: points });
    el.setAttribute("data-series", String(series.length));
    el.setAttribute("data-points", String(points));
    return plot;
  }

  function constant(n, value) { var out = []; for (var i = 0; i < n; i++) { out.push(value); } return out; }

  function render(h) {
    var t = h.timestamps;
    var n = t.length;
    var sliPct = h.sli.map(function (v) { return v === null ? null : v * 100; });
    var objective = constant(n, h.objective * 100);
    var lows = sliPct.filter(function (v) { return v !== null; });
    var low = lows.length ? Math.min.apply(null, lows.concat([h.objective * 100])) : 0;
    draw("chart-sli", "SLI (%)", [
      { label: "SLI", stroke: PALETTE[0], width: 2 },
      { label: "objective", stroke: PALETTE[5], dash: [6, 4] },
    ], [t, sliPct, objective], [Math.max(0, low - (100 - low) * 0.2), 100]);
    var left = h.budget_remaining.map(function (v) { return v === null ? null : v * 100; });
    draw("chart-budget", "Error budget left (%)", [
      { label: "budget left", stroke: PALETTE[2], width: 2, fill: "rgba(0,158,115,0.12)" },
    ], [t, left]);
    var burnSeries = [];
    var burnData = [t];
    var names = Object.keys(h.burn_rates);
    names.forEach(function (name, i) {
      burnSeries.push({ label: "burn " + name, stroke: PALETTE[i % PALETTE.length], width: 1.5 });
      burnData.push(h.burn_rates[name]);
    });
    h.alert_thresholds.forEach(function (a) {
      burnSeries.push({
        label: a.severity + " " + a.long_window + " > " + Number(a.factor.toPrecision(3)) + "x",
        stroke: a.severity === "page" ? PALETTE[5] : PALETTE[1],
        dash: [6, 4],
      });
      burnData.push(constant(n, a.factor));
    });
    draw("chart-burn", "Burn rate (x)", burnSeries, burnData);
    holder.setAttribute("data-drawn", String(window.sloscopeCharts.length));
    status.textContent = h.has_data ? n + " points since " + new Date(h.window_start * 1000).toISOString()
      : "No data for this SLO in its window.";
  }

  var points = Math.min(600, Math.max(100, Math.floor(width(holder))));
  fetch(holder.getAttribute("data-src") + "?width=" + points, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(render)
    .catch(function (e) { status.textContent = "Charts unavailable: " + e.message; });
})();
