/* Panel renderers for Grafana's JSON model: timeseries and graph (uPlot), stat, gauge,
 * bargauge, heatmap (canvas), table, text. Each takes (body element, panel, series, ctx)
 * where series are {name, labels, t: [ms], v: [number|null]} built from data frames. */
(function () {
  "use strict";
  var PALETTE = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A9",
                 "#705DA0", "#508642", "#CCA300", "#447EBC", "#C15C17", "#890F02", "#0A437C",
                 "#6D1F62", "#584477"];
  var NAMED = {green: "#73BF69", red: "#F2495C", orange: "#FF9830", yellow: "#FADE2A",
               blue: "#5794F2", purple: "#B877D9", "dark-green": "#37872D", "dark-red": "#C4162A",
               "dark-yellow": "#E0B400", "dark-orange": "#FA6400", "semi-dark-red": "#E02F44",
               "semi-dark-green": "#56A64B", "semi-dark-yellow": "#F2CC0C",
               "semi-dark-orange": "#FF780A", "light-green": "#96D98D", "light-red": "#FF7383",
               text: "#CCCCDC", transparent: "rgba(0,0,0,0)"};
  function color(c) { return NAMED[c] || c || "#73BF69"; }

  function defaults(panel) { return (panel.fieldConfig && panel.fieldConfig.defaults) || {}; }
  function unitOf(panel) {
    var d = defaults(panel);
    if (d.unit) return d.unit;
    if (panel.yaxes && panel.yaxes[0] && panel.yaxes[0].format) return panel.yaxes[0].format;
    if (panel.format) return panel.format;
    return undefined;
  }
  function decimalsOf(panel) {
    var d = defaults(panel);
    return d.decimals != null ? d.decimals : panel.decimals != null ? panel.decimals : undefined;
  }
  function fmt(panel, v) { return window.cairnFormat(v, unitOf(panel), decimalsOf(panel)); }

  function thresholdColor(panel, v, min, max) {
    var th = defaults(panel).thresholds, steps = (th && th.steps) || [{color: "green", value: null}];
    var x = v;
    if (th && th.mode === "percentage") x = max > min ? ((v - min) / (max - min)) * 100 : 0;
    var c = steps[0].color;
    for (var i = 1; i < steps.length; i++) if (steps[i].value != null && x >= steps[i].value) c = steps[i].color;
    return color(c);
  }

  function reduce(s, calcs) {
    var calc = (calcs && calcs[0]) || "lastNotNull", vals = s.v.filter(function (x) { return x != null; });
    if (!vals.length) return null;
    switch (calc) {
    case "last": return s.v[s.v.length - 1];
    case "first": case "firstNotNull": return vals[0];
    case "mean": return vals.reduce(function (a, b) { return a + b; }, 0) / vals.length;
    case "max": return Math.max.apply(null, vals);
    case "min": return Math.min.apply(null, vals);
    case "sum": return vals.reduce(function (a, b) { return a + b; }, 0);
    case "count": return vals.length;
    case "range": return Math.max.apply(null, vals) - Math.min.apply(null, vals);
    case "delta": case "diff": return vals[vals.length - 1] - vals[0];
    default: return vals[vals.length - 1];
    }
  }
  function calcsOf(panel) { return panel.options && panel.options.reduceOptions && panel.options.reduceOptions.calcs; }

  function canvasIn(body) {
    var c = document.createElement("canvas"), r = body.getBoundingClientRect();
    var dpr = window.devicePixelRatio || 1;
    c.className = "viz";
    c.width = Math.max(1, Math.floor(r.width * dpr));
    c.height = Math.max(1, Math.floor(r.height * dpr));
    body.appendChild(c);
    var g = c.getContext("2d");
    g.scale(dpr, dpr);
    return {c: c, g: g, w: r.width, h: r.height};
  }

  function timeseries(body, panel, series, ctx) {
    var times = {}, xs, opts, data, d = defaults(panel), custom = d.custom || {};
    series.forEach(function (s) { s.t.forEach(function (t) { times[t] = 1; }); });
    xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var idx = {};
    xs.forEach(function (t, i) { idx[t] = i; });
    data = [xs.map(function (t) { return t / 1000; })];
    series.forEach(function (s) {
      var y = new Array(xs.length).fill(null);
      s.t.forEach(function (t, i) { y[idx[t]] = s.v[i]; });
      data.push(y);
    });
    var legend = panel.options && panel.options.legend, showLegend = !(legend && legend.showLegend === false) && panel.legend?.show !== false;
    var r = body.getBoundingClientRect();
    var fill = custom.fillOpacity != null ? custom.fillOpacity : panel.fill != null ? panel.fill * 10 : 10;
    opts = {
      width: Math.max(50, r.width), height: Math.max(40, r.height - (showLegend ? Math.min(60, 18 * Math.ceil(series.length / 3)) + 8 : 0)),
      legend: {show: showLegend, live: false},
      cursor: {drag: {x: true, y: false, setScale: false}},
      scales: {x: {time: true, min: ctx.from / 1000, max: ctx.to / 1000}, y: {auto: true}},
      axes: [
        {stroke: "#8e8e9e", grid: {stroke: "rgba(240,250,255,0.09)"}, ticks: {stroke: "rgba(240,250,255,0.09)"}},
        {stroke: "#8e8e9e", grid: {stroke: "rgba(240,250,255,0.09)"}, ticks: {stroke: "rgba(240,250,255,0.09)"},
         size: function (u, values) {
           if (!values) return 50;
           var w = 0;
           u.ctx.font = "12px sans-serif";
           values.forEach(function (v) { w = Math.max(w, u.ctx.measureText(v).width); });
           return Math.ceil(w / (window.devicePixelRatio || 1)) + 22;
         }, values: function (u, vals) { return vals.map(function (v) { return fmt(panel, v); }); }}],
      series: [{}].concat(series.map(function (s, i) {
        var c = PALETTE[i % PALETTE.length];
        return {label: s.name, stroke: c, width: (custom.lineWidth || panel.linewidth || 1) + 0.5,
                fill: fill ? c + Math.round(fill * 2.55).toString(16).padStart(2, "0") : undefined,
                points: {show: false}, spanGaps: false,
                value: function (u, v) { return v == null ? "-" : fmt(panel, v); }};
      })),
      hooks: {
        setSelect: [function (u) {
          if (u.select.width > 5) {
            var a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
            ctx.zoom(Math.round(a * 1000), Math.round(b * 1000));
          }
        }],
        draw: [function (u) {
          var th = d.thresholds, mode = custom.thresholdsStyle && custom.thresholdsStyle.mode;
          if (!th || !mode || mode === "off" || th.mode === "percentage") return;
          th.steps.forEach(function (st) {
            if (st.value == null) return;
            var y = u.valToPos(st.value, "y", true);
            if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
            u.ctx.save();
            u.ctx.strokeStyle = color(st.color);
            u.ctx.setLineDash([6, 4]);
            u.ctx.beginPath();
            u.ctx.moveTo(u.bbox.left, y);
            u.ctx.lineTo(u.bbox.left + u.bbox.width, y);
            u.ctx.stroke();
            u.ctx.restore();
          });
        }],
      },
    };
    /* fixed ends from fieldConfig; an all-null series leaves lo/hi null */
    opts.scales.y.range = function (u, lo, hi) {
      var a = d.min != null ? d.min : lo, b = d.max != null ? d.max : hi;
      if (a == null) a = 0;
      if (b == null || b < a) b = a + 1;
      if (a === b) { a = a === 0 ? 0 : a - Math.abs(a) * 0.1; b = b === 0 ? 1 : b + Math.abs(b) * 0.1; }
      if (d.min == null && d.max == null) { var pad = (b - a) * 0.05; if (a !== 0) a -= pad; b += pad; }
      return [a, b];
    };
    var u = new uPlot(opts, data, body);
    return {canvases: [u.ctx.canvas], destroy: function () { u.destroy(); }};
  }

  function layout(n, w, h) {
    var cols = n <= 1 ? 1 : w > h * 1.5 ? Math.min(n, Math.ceil(Math.sqrt(n * w / h))) : Math.ceil(Math.sqrt(n));
    var rows = Math.ceil(n / cols);
    return {cols: cols, rows: rows, cw: w / cols, ch: h / rows};
  }

  function minmax(panel, vals) {
    var d = defaults(panel), unit = unitOf(panel);
    var min = d.min != null ? d.min : 0;
    var max = d.max != null ? d.max : unit === "percentunit" ? 1 : unit === "percent" ? 100 : Math.max.apply(null, vals.concat([min + 1]));
    return [min, max];
  }

  function stat(body, panel, series) {
    var k = canvasIn(body), vals = series.map(function (s) { return reduce(s, calcsOf(panel)); });
    var L = layout(series.length, k.w, k.h), mm = minmax(panel, vals.filter(function (v) { return v != null; }));
    var bg = panel.options && panel.options.colorMode === "background";
    var spark = !(panel.options && panel.options.graphMode === "none");
    series.forEach(function (s, i) {
      var x = (i % L.cols) * L.cw, y = Math.floor(i / L.cols) * L.ch, v = vals[i];
      var c = v == null ? "#8e8e9e" : thresholdColor(panel, v, mm[0], mm[1]);
      if (bg) { k.g.fillStyle = c; k.g.fillRect(x + 2, y + 2, L.cw - 4, L.ch - 4); }
      if (spark && s.v.length > 1) {
        var lo = Infinity, hi = -Infinity;
        s.v.forEach(function (z) { if (z != null) { lo = Math.min(lo, z); hi = Math.max(hi, z); } });
        if (hi === lo) { hi = lo + 1; lo = lo - 1; }
        k.g.beginPath();
        var t0 = s.t[0], t1 = s.t[s.t.length - 1] || t0 + 1, first = true;
        s.v.forEach(function (z, j) {
          if (z == null) return;
          var px = x + ((s.t[j] - t0) / Math.max(1, t1 - t0)) * L.cw, py = y + L.ch - 4 - ((z - lo) / (hi - lo)) * (L.ch * 0.4);
          if (first) { k.g.moveTo(px, py); first = false; } else k.g.lineTo(px, py);
        });
        k.g.strokeStyle = bg ? "rgba(255,255,255,0.6)" : c;
        k.g.lineWidth = 1.5;
        k.g.stroke();
      }
      var size = Math.max(10, Math.min(L.ch * 0.45, L.cw / 3)), label = fmt(panel, v);
      k.g.font = "500 " + size + "px sans-serif";
      var tw = k.g.measureText(label).width;
      if (tw > L.cw * 0.9) size = Math.max(8, size * (L.cw * 0.9) / tw);
      k.g.fillStyle = bg ? "#fff" : c;
      k.g.font = "500 " + size + "px sans-serif";
      k.g.textAlign = "center";
      k.g.textBaseline = "middle";
      k.g.fillText(label, x + L.cw / 2, y + L.ch / 2 - (series.length > 1 ? size * 0.3 : 0));
      if (series.length > 1) {
        k.g.font = Math.max(9, size * 0.35) + "px sans-serif";
        k.g.fillStyle = bg ? "#fff" : "#ccccdc";
        k.g.fillText(s.name, x + L.cw / 2, y + L.ch / 2 + size * 0.55);
      }
    });
    return {canvases: [k.c]};
  }

  function gauge(body, panel, series) {
    var k = canvasIn(body), vals = series.map(function (s) { return reduce(s, calcsOf(panel)); });
    var L = layout(series.length, k.w, k.h), mm = minmax(panel, vals.filter(function (v) { return v != null; }));
    series.forEach(function (s, i) {
      var cx = (i % L.cols) * L.cw + L.cw / 2, cy = Math.floor(i / L.cols) * L.ch + L.ch * 0.6, v = vals[i];
      var r = Math.max(8, Math.min(L.cw / 2, L.ch * 0.55) - 6), frac = v == null ? 0 : Math.max(0, Math.min(1, (v - mm[0]) / (mm[1] - mm[0] || 1)));
      var c = v == null ? "#8e8e9e" : thresholdColor(panel, v, mm[0], mm[1]);
      k.g.lineWidth = Math.max(4, r * 0.2);
      k.g.strokeStyle = "rgba(255,255,255,0.08)";
      k.g.beginPath(); k.g.arc(cx, cy, r, Math.PI * 0.8, Math.PI * 2.2); k.g.stroke();
      k.g.strokeStyle = c;
      k.g.beginPath(); k.g.arc(cx, cy, r, Math.PI * 0.8, Math.PI * (0.8 + 1.4 * frac)); k.g.stroke();
      k.g.fillStyle = c;
      k.g.font = "500 " + Math.max(9, r * 0.38) + "px sans-serif";
      k.g.textAlign = "center"; k.g.textBaseline = "middle";
      k.g.fillText(fmt(panel, v), cx, cy);
      if (series.length > 1) {
        k.g.fillStyle = "#ccccdc"; k.g.font = Math.max(9, r * 0.2) + "px sans-serif";
        k.g.fillText(s.name, cx, cy + r * 0.55);
      }
    });
    return {canvases: [k.c]};
  }

  function bargauge(body, panel, series) {
    var k = canvasIn(body), vals = series.map(function (s) { return reduce(s, calcsOf(panel)); });
    var mm = minmax(panel, vals.filter(function (v) { return v != null; }));
    var horiz = !(panel.options && panel.options.orientation === "vertical"), n = Math.max(1, series.length);
    series.forEach(function (s, i) {
      var v = vals[i], frac = v == null ? 0 : Math.max(0, Math.min(1, (v - mm[0]) / (mm[1] - mm[0] || 1)));
      var c = v == null ? "#8e8e9e" : thresholdColor(panel, v, mm[0], mm[1]);
      k.g.font = "11px sans-serif"; k.g.textBaseline = "middle";
      if (horiz) {
        var bh = k.h / n, y = i * bh, lw = Math.min(k.w * 0.3, 120), vw = 70, bw = k.w - lw - vw - 8;
        k.g.fillStyle = "#ccccdc"; k.g.textAlign = "left";
        k.g.fillText(s.name.slice(0, 24), 4, y + bh / 2);
        k.g.fillStyle = "rgba(255,255,255,0.06)"; k.g.fillRect(lw, y + bh * 0.15, bw, bh * 0.7);
        k.g.fillStyle = c; k.g.fillRect(lw, y + bh * 0.15, bw * frac, bh * 0.7);
        k.g.textAlign = "right"; k.g.fillText(fmt(panel, v), k.w - 4, y + bh / 2);
      } else {
        var bw2 = k.w / n, x = i * bw2, top = 16, bot = 16, hh = k.h - top - bot;
        k.g.fillStyle = "rgba(255,255,255,0.06)"; k.g.fillRect(x + bw2 * 0.15, top, bw2 * 0.7, hh);
        k.g.fillStyle = c; k.g.fillRect(x + bw2 * 0.15, top + hh * (1 - frac), bw2 * 0.7, hh * frac);
        k.g.textAlign = "center"; k.g.fillText(fmt(panel, v), x + bw2 / 2, 8);
        k.g.fillStyle = "#ccccdc"; k.g.fillText(s.name.slice(0, 12), x + bw2 / 2, k.h - 8);
      }
    });
    return {canvases: [k.c]};
  }

  function heatmap(body, panel, series) {
    var k = canvasIn(body), le = function (s) { var x = s.labels && s.labels.le; return x === "+Inf" ? Infinity : x != null ? parseFloat(x) : 0; };
    var ss = series.slice().sort(function (a, b) { return le(a) - le(b); });
    var times = {}, max = 0;
    ss.forEach(function (s) { s.t.forEach(function (t) { times[t] = 1; }); s.v.forEach(function (v) { if (v != null) max = Math.max(max, v); }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    var cw = k.w / Math.max(1, xs.length), ch = k.h / Math.max(1, ss.length), idx = {};
    xs.forEach(function (t, i) { idx[t] = i; });
    ss.forEach(function (s, row) {
      s.t.forEach(function (t, j) {
        var v = s.v[j];
        if (v == null || v <= 0) return;
        var a = Math.max(0.12, v / (max || 1));
        k.g.fillStyle = "rgba(255," + Math.round(200 - 150 * a) + ",40," + a.toFixed(3) + ")";
        k.g.fillRect(idx[t] * cw, k.h - (row + 1) * ch, Math.ceil(cw), Math.ceil(ch));
      });
    });
    return {canvases: [k.c]};
  }

  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }

  function table(body, panel, series) {
    var keys = {};
    series.forEach(function (s) { Object.keys(s.labels || {}).forEach(function (k) { if (k !== "__name__") keys[k] = 1; }); });
    var cols = Object.keys(keys).sort(), h = "<table class=tbl><tr>";
    cols.forEach(function (c) { h += "<th>" + esc(c) + "</th>"; });
    h += "<th>Value</th></tr>";
    series.forEach(function (s) {
      h += "<tr>";
      cols.forEach(function (c) { h += "<td>" + esc((s.labels || {})[c] || "") + "</td>"; });
      h += "<td>" + esc(fmt(panel, reduce(s, calcsOf(panel)))) + "</td></tr>";
    });
    var div = document.createElement("div");
    div.style.cssText = "position:absolute;inset:0;overflow:auto";
    div.innerHTML = h + "</table>";
    body.appendChild(div);
    return {canvases: []};
  }

  function markdown(src) {
    var out = [], para = [];
    function inline(s) {
      return esc(s).replace(/`([^`]+)`/g, "<code>$1</code>").replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
        .replace(/\*([^*]+)\*/g, "<i>$1</i>").replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2">$1</a>');
    }
    function flush() { if (para.length) { out.push("<p>" + inline(para.join(" ")) + "</p>"); para = []; } }
    String(src || "").split("\n").forEach(function (l) {
      var m = /^(#{1,6})\s+(.*)/.exec(l);
      if (m) { flush(); out.push("<h" + m[1].length + ">" + inline(m[2]) + "</h" + m[1].length + ">"); }
      else if (/^\s*[-*]\s+/.test(l)) { flush(); out.push("<li>" + inline(l.replace(/^\s*[-*]\s+/, "")) + "</li>"); }
      else if (!l.trim()) flush();
      else para.push(l);
    });
    flush();
    return out.join("");
  }

  function text(body, panel) {
    var o = panel.options || {}, div = document.createElement("div");
    div.className = "text";
    var content = o.content != null ? o.content : panel.content;
    if ((o.mode || panel.mode) === "html") div.textContent = content || ""; /* no raw HTML: no script injection */
    else div.innerHTML = markdown(content);
    body.appendChild(div);
    return {canvases: []};
  }

  window.cairnPanels = {
    timeseries: timeseries, graph: timeseries, stat: stat, singlestat: stat, gauge: gauge,
    bargauge: bargauge, heatmap: heatmap, table: table, "table-old": table, text: text,
    needsData: function (type) { return type !== "text"; },
  };
})();
