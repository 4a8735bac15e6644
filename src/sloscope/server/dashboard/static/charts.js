/* The SLO page's charts: SLI, error budget left and burn rates, drawn with uPlot from
   /api/v1/services/{service}/slos/{slo}/history (of the page's group, if any), with the
   page's deployments and incidents (the JSON in #chart-marks) as vertical lines and
   focusable markers carrying their label.
   Colours: Okabe-Ito; a deployment's line is solid, an incident's dashed. */
(function () {
  "use strict";
  var PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442"];
  var holder = document.getElementById("charts");
  var status = document.getElementById("chart-status");
  if (!holder || typeof uPlot === "undefined") { return; }
  window.sloscopeCharts = [];
  var MARKS = [];
  var marksEl = document.getElementById("chart-marks");
  if (marksEl) {
    try { MARKS = JSON.parse(marksEl.textContent) || []; } catch (e) { MARKS = []; }
  }

  function markColour(m) { return m.kind === "deploy" ? PALETTE[0] : PALETTE[5]; }

  function drawLines(u) {
    var ctx = u.ctx;
    var box = u.bbox;
    ctx.save();
    ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
    MARKS.forEach(function (m) {
      var x = Math.round(u.valToPos(m.at, "x", true));
      if (x < box.left || x > box.left + box.width) { return; }
      ctx.strokeStyle = markColour(m);
      ctx.setLineDash(m.kind === "deploy" ? [] : [8, 6]);
      ctx.beginPath();
      ctx.moveTo(x, box.top);
      ctx.lineTo(x, box.top + box.height);
      ctx.stroke();
    });
    ctx.restore();
  }

  /* One marker per mark over the plot: a tooltip (title) and a keyboard stop (a link to
     the incident, or a focusable span for a deployment). */
  function placeMarkers(u) {
    var old = u.over.querySelectorAll(".mark");
    for (var i = 0; i < old.length; i++) { old[i].parentNode.removeChild(old[i]); }
    var shown = 0;
    MARKS.forEach(function (m) {
      var left = u.valToPos(m.at, "x");
      if (!(left >= 0 && left <= u.over.clientWidth)) { return; }
      var el = document.createElement(m.href ? "a" : "span");
      el.className = "mark mark-" + m.kind;
      el.textContent = m.kind === "deploy" ? "D" : "I";
      el.title = new Date(m.at * 1000).toISOString().replace(".000", "") + " " + m.label;
      el.setAttribute("aria-label", el.title);
      if (m.href) { el.href = m.href; } else { el.tabIndex = 0; }
      el.style.left = left + "px";
      u.over.appendChild(el);
      shown++;
    });
    /* uPlot is ready after its constructor returns: note the count on the chart's entry. */
    var chart = u.root.parentNode;
    chart.setAttribute("data-marks", String(shown));
    window.sloscopeCharts.forEach(function (c) { if (c.id === chart.id) { c.marks = shown; } });
  }

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
      plugins: [{ hooks: { draw: [drawLines], ready: [placeMarkers], setSize: [placeMarkers] } }],
    };
    var plot = new uPlot(opts, data, el);
    var points = data[0].length;
    window.sloscopeCharts.push({
      id: id, series: series.length, points: points,
      marks: el.hasAttribute("data-marks") ? Number(el.getAttribute("data-marks")) : null,
    });
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
  /* A grouped SLO's page shows one group: its charts are that group's history. */
  var query = "?width=" + points;
  var group = holder.getAttribute("data-group");
  if (group) { query += "&group=" + encodeURIComponent(group); }
  fetch(holder.getAttribute("data-src") + query, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(render)
    .catch(function (e) { status.textContent = "Charts unavailable: " + e.message; });
})();
