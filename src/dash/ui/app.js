/* cairn-dash web UI: login, dashboard list and search, dashboard view (24-column grid,
 * collapsible rows, template variables, time picker, refresh, zoom), JSON editor.
 * No framework: the DOM and fetch. Render progress is written into the DOM
 * (body data-panels, data-drawn, data-render-ms; each panel's data-state and
 * data-pixels) so headless tests and the benchmark can read it. */
(function () {
  "use strict";
  var SUB = window.cairn.appSubUrl, main = document.getElementById("main");
  var consoleErrors = [];
  window.addEventListener("error", function (e) { consoleErrors.push(String(e.message)); document.body.dataset.consoleErrors = consoleErrors.length; });
  var origError = console.error;
  console.error = function () { consoleErrors.push([].join.call(arguments, " ")); document.body.dataset.consoleErrors = consoleErrors.length; origError.apply(console, arguments); };

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function api(method, path, body) {
    var h = {"Accept": "application/json"};
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (method !== "GET") h["X-CSRF-Token"] = cookie("cairn_csrf");
    return fetch(SUB + path, {method: method, headers: h, credentials: "same-origin",
                              body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (r) {
        if (r.status === 401 && path !== "/api/login") { go("/login"); throw new Error("login required"); }
        return r.json().then(function (j) { if (!r.ok) { var e = new Error(j.message || r.statusText); e.status = r.status; e.body = j; throw e; } return j; });
      });
  }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.indexOf("on") === 0) e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function go(path) { history.pushState(null, "", SUB + path); route(); }
  window.addEventListener("popstate", function () { route(); });

  /* ---- time ---- */
  var RANGES = ["1m", "5m", "15m", "30m", "1h", "3h", "6h", "12h", "24h", "2d", "7d", "30d"];
  function dur(s) {
    var m = /^(\d+)(ms|s|m|h|d|w|M|y)$/.exec(s), k = {ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, M: 2592e6, y: 31536e6};
    return m ? +m[1] * k[m[2]] : NaN;
  }
  function parseTime(s, now) {
    if (s == null || s === "") return NaN;
    if (/^\d+$/.test(s)) return +s;
    if (s === "now") return now;
    var m = /^now-(\w+?)(\/\w)?$/.exec(s);
    if (m) return now - dur(m[1]);
    var t = Date.parse(s);
    return isNaN(t) ? NaN : t;
  }

  /* ---- variables ---- */
  function interpolate(s, vars, forRegex) {
    if (typeof s !== "string") return s;
    return s.replace(/\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(\w+)/g, function (all, a, fmtName, b, c) {
      var name = a || b || c, v = vars[name];
      if (v === undefined) return all;
      if (Array.isArray(v)) return v.length === 1 ? v[0] : "(" + v.join("|") + ")";
      return v;
    });
  }
  function varQuery(dsUid, q, vars, from, to) {
    var query = typeof q === "string" ? q : (q && q.query) || "";
    query = interpolate(query, vars).trim();
    var m = /^label_values\((?:(.*),\s*)?(\w+)\)$/.exec(query);
    var base = "/api/datasources/proxy/uid/" + encodeURIComponent(dsUid) + "/api/v1/";
    var range = "&start=" + Math.floor(from / 1000) + "&end=" + Math.ceil(to / 1000);
    if (m && !m[1]) return api("GET", base + "label/" + m[2] + "/values?" + range.slice(1)).then(function (r) { return r.data; });
    if (m) return api("GET", base + "series?match[]=" + encodeURIComponent(m[1]) + range).then(function (r) {
      var seen = {};
      r.data.forEach(function (s) { if (s[m[2]] != null) seen[s[m[2]]] = 1; });
      return Object.keys(seen);
    });
    var qr = /^query_result\((.*)\)$/.exec(query);
    if (qr) return api("GET", base + "query?query=" + encodeURIComponent(qr[1]) + "&time=" + Math.floor(to / 1000)).then(function (r) {
      return r.data.result.map(function (x) { var l = Object.keys(x.metric).map(function (k) { return k + '="' + x.metric[k] + '"'; }); return (x.metric.__name__ || "") + "{" + l.join(",") + "} " + x.value[1] + " " + x.value[0] * 1000; });
    });
    var mv = /^metrics\((.*)\)$/.exec(query);
    if (mv) return api("GET", base + "label/__name__/values").then(function (r) { return r.data.filter(function (n) { return new RegExp(mv[1]).test(n); }); });
    return Promise.resolve([]);
  }

  function resolveVars(dash, params, dsList, defaultDs, from, to) {
    var vars = {}, list = (dash.templating && dash.templating.list) || [], bar = document.getElementById("vars");
    bar.innerHTML = "";
    var chain = Promise.resolve();
    list.forEach(function (v) {
      chain = chain.then(function () {
        var opts = [];
        var p;
        if (v.type === "custom") p = Promise.resolve(String(v.query || "").split(",").map(function (x) { return x.trim(); }).filter(Boolean).map(function (x) { var kv = x.split(" : "); return kv[kv.length - 1]; }));
        else if (v.type === "interval") p = Promise.resolve(String(v.query || "1m,10m,1h").split(",").map(function (x) { return x.trim(); }));
        else if (v.type === "datasource") p = Promise.resolve(dsList.filter(function (d) { return d.type === v.query; }).map(function (d) { return d.uid; }));
        else if (v.type === "constant" || v.type === "textbox") p = Promise.resolve([v.query || ""]);
        else if (v.type === "query") {
          var ds = v.datasource && typeof v.datasource === "object" ? interpolate(v.datasource.uid, vars) : interpolate(v.datasource || "", vars);
          if (!ds || ds === "default") ds = defaultDs;
          p = varQuery(ds, v.query, vars, from, to).catch(function () { return []; });
        } else p = Promise.resolve([]);
        return p.then(function (values) {
          if (v.regex) {
            var re = /^\/(.*)\/(\w*)$/.exec(v.regex), rx = re ? new RegExp(re[1], re[2]) : new RegExp(v.regex);
            values = values.map(function (x) { var m = rx.exec(x); return m ? (m[1] !== undefined ? m[1] : x) : null; }).filter(function (x) { return x != null; });
          }
          values = values.filter(function (x, i) { return values.indexOf(x) === i; });
          if (v.sort === 1 || v.sort === 3) values.sort(); else if (v.sort === 2 || v.sort === 4) values.sort().reverse();
          opts = v.includeAll ? ["$__all"].concat(values) : values;
          var want = params.getAll("var-" + v.name), cur = v.current && v.current.value;
          var sel = want.length ? want : cur != null && cur !== "" && (!Array.isArray(cur) || cur.length) ? [].concat(cur) : [opts[0]];
          sel = sel.filter(function (x) { return opts.indexOf(x) >= 0 || x === "$__all"; });
          if (!sel.length && opts.length) sel = [opts[0]];
          var value = sel.indexOf("$__all") >= 0 ? (v.allValue ? [v.allValue] : values.map(function (x) { return x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); })) : sel;
          vars[v.name] = v.multi || sel.indexOf("$__all") >= 0 ? value : value[0];
          if (v.type === "datasource") vars[v.name] = value[0] || defaultDs;
          if (v.hide === 2) return;
          var s = el("select", {onchange: function () {
            var q = new URLSearchParams(location.search);
            q.delete("var-" + v.name);
            Array.prototype.forEach.call(s.selectedOptions, function (o) { q.append("var-" + v.name, o.value); });
            history.replaceState(null, "", location.pathname + "?" + q);
            route();
          }});
          if (v.multi) s.multiple = true;
          opts.forEach(function (o) { var oe = el("option", {value: o, text: o === "$__all" ? "All" : o}); if (sel.indexOf(o) >= 0) oe.setAttribute("selected", ""); s.appendChild(oe); });
          bar.appendChild(el("label", {}, [el("span", {text: v.label || v.name}), s]));
        });
      });
    });
    return chain.then(function () { return vars; });
  }

  /* ---- dashboard view ---- */
  var timer = null, current = null;
  function flatPanels(dash) {
    var out = [];
    (dash.panels || []).forEach(function (p) {
      out.push(p);
      if (p.type === "row" && !p.collapsed) (p.panels || []).forEach(function (q) { out.push(q); });
    });
    return out;
  }

  function toSeries(result) {
    var out = [];
    ((result && result.frames) || []).forEach(function (f) {
      var fields = f.schema.fields, vals = f.data.values;
      for (var i = 1; i < fields.length; i++) {
        var name = (fields[i].config && fields[i].config.displayNameFromDS) || f.schema.name || fields[i].name;
        out.push({name: name, labels: fields[i].labels || {}, t: vals[0], v: vals[i]});
      }
    });
    return out;
  }

  function pixelsOf(canvases) {
    var n = 0;
    canvases.forEach(function (c) {
      try {
        var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (var i = 0; i < d.length; i += 4) {
          /* saturated pixels: series and values, not the gray axes and grid */
          if (d[i + 3] > 40 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
        }
      } catch (e) { /* a tainted canvas cannot be read */ }
    });
    return n;
  }

  function renderDashboard(uid) {
    var params = new URLSearchParams(location.search);
    var now = Date.now(), fromS = params.get("from") || null, toS = params.get("to") || null;
    if (timer) { clearInterval(timer); timer = null; }
    return Promise.all([api("GET", "/api/dashboards/uid/" + encodeURIComponent(uid)), api("GET", "/api/frontend/settings")]).then(function (r) {
      var dash = r[0].dashboard, meta = r[0].meta, settings = r[1];
      current = r[0];
      fromS = fromS || (dash.time && dash.time.from) || "now-6h";
      toS = toS || (dash.time && dash.time.to) || "now";
      var from = parseTime(fromS, now), to = parseTime(toS, now);
      var dsList = Object.keys(settings.datasources).map(function (k) { return settings.datasources[k]; });
      var defaultDs = (settings.datasources[settings.defaultDatasource] || dsList[0] || {}).uid;
      document.title = dash.title + " - cairn-dash";
      document.getElementById("crumb").textContent = (meta.folderTitle && meta.folderTitle !== "General" ? meta.folderTitle + " / " : "") + dash.title;
      toolbar(dash, meta, fromS, toS, params);
      return resolveVars(dash, params, dsList, defaultDs, from, to).then(function (vars) {
        drawGrid(dash, vars, from, to, defaultDs);
        var refresh = params.get("refresh") || dash.refresh;
        if (refresh && dur(refresh) >= 5000 && !params.get("kiosk-norefresh")) timer = setInterval(function () { route(); }, dur(refresh));
      });
    });
  }

  function toolbar(dash, meta, fromS, toS, params) {
    var tools = document.getElementById("tools");
    tools.innerHTML = "";
    var sel = el("select", {id: "range", onchange: function () { setTime("now-" + sel.value, "now"); }});
    var rel = /^now-(\w+)$/.exec(fromS), isRel = rel && toS === "now";
    if (!isRel) sel.appendChild(el("option", {text: "Absolute", value: ""}));
    RANGES.forEach(function (r) { var o = el("option", {value: r, text: "Last " + r}); if (isRel && rel[1] === r) o.selected = true; sel.appendChild(o); });
    var f = el("input", {id: "from", size: "16", value: fromS}), t = el("input", {id: "to", size: "16", value: toS});
    var apply = el("button", {text: "Apply", onclick: function () { setTime(f.value, t.value); }});
    var zoomOut = el("button", {text: "Zoom out", onclick: function () {
      var now = Date.now(), a = parseTime(fromS, now), b = parseTime(toS, now), span = b - a;
      setTime(String(Math.round(a - span / 2)), String(Math.round(Math.min(now, b + span / 2))));
    }});
    var rs = el("select", {id: "refresh", onchange: function () { var q = new URLSearchParams(location.search); if (rs.value) q.set("refresh", rs.value); else q.delete("refresh"); history.replaceState(null, "", location.pathname + "?" + q); route(); }});
    var cur = params.get("refresh") || dash.refresh || "";
    ["", "5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h"].forEach(function (r) { var o = el("option", {value: r, text: r || "Off"}); if (r === cur) o.selected = true; rs.appendChild(o); });
    var edit = el("button", {text: "JSON", onclick: function () { go("/d/" + dash.uid + "/" + meta.slug + "/json" + location.search); }});
    [sel, f, t, apply, zoomOut, el("button", {text: "Refresh", onclick: function () { route(); }}), rs, edit].forEach(function (x) { tools.appendChild(x); });
  }
  function setTime(from, to) {
    var q = new URLSearchParams(location.search);
    q.set("from", from); q.set("to", to);
    history.pushState(null, "", location.pathname + "?" + q);
    route();
  }

  function drawGrid(dash, vars, from, to, defaultDs) {
    var grid = el("div", {class: "grid"}), panels = flatPanels(dash), t0 = window.cairn.t0;
    main.innerHTML = "";
    main.appendChild(grid);
    var todo = panels.filter(function (p) { return p.type !== "row"; }), done = 0, drawn = 0;
    document.body.dataset.panels = todo.length;
    document.body.dataset.drawn = 0;
    document.body.dataset.done = 0;
    delete document.body.dataset.renderMs;
    function finished(p, node, state, pixels) {
      node.dataset.state = state;
      node.dataset.pixels = pixels || 0;
      done++;
      if (state === "drawn") drawn++;
      document.body.dataset.done = done;
      document.body.dataset.drawn = drawn;
      if (done === todo.length) document.body.dataset.renderMs = Math.round(performance.now() - t0);
    }
    if (!todo.length) document.body.dataset.renderMs = Math.round(performance.now() - t0);
    panels.forEach(function (p) {
      var g = p.gridPos || {x: 0, y: 0, w: 12, h: 8};
      if (p.type === "row") {
        var row = el("div", {class: "row", style: "grid-row:" + (g.y + 1) + " / span 1", onclick: function () {
          p.collapsed = !p.collapsed;
          if (!p.collapsed) { /* Grafana moves a row's panels to the top level when it opens */ }
          drawGrid(dash, vars, from, to, defaultDs);
        }}, [el("span", {class: "caret", text: p.collapsed ? "▸" : "▾"}), el("span", {text: interpolate(p.title, vars)})]);
        grid.appendChild(row);
        return;
      }
      var body = el("div", {class: "body"});
      var node = el("div", {class: "panel", "data-id": p.id, "data-type": p.type,
        style: "grid-column:" + (g.x + 1) + " / span " + g.w + ";grid-row:" + (g.y + 1) + " / span " + g.h},
        [el("h3", {text: interpolate(p.title || "", vars), title: p.description || ""}), body]);
      grid.appendChild(node);
      var renderer = window.cairnPanels[p.type];
      if (!renderer) {
        body.appendChild(el("div", {class: "msg", text: "Panel type " + p.type + " is not supported"}));
        finished(p, node, "unsupported");
        return;
      }
      if (!window.cairnPanels.needsData(p.type)) {
        renderer(body, p, [], {});
        finished(p, node, "drawn", 1);
        return;
      }
      var targets = (p.targets || []).filter(function (t) { return !t.hide && (t.expr || "").trim(); });
      if (!targets.length) { body.appendChild(el("div", {class: "msg", text: "No data"})); finished(p, node, "nodata"); return; }
      var width = Math.max(100, Math.round(grid.clientWidth * g.w / 24));
      var queries = targets.map(function (t) {
        var ds = t.datasource || p.datasource, uid = ds && typeof ds === "object" ? ds.uid : ds;
        uid = interpolate(uid || "", vars);
        if (!uid || uid === "default" || uid === "-- Mixed --") uid = defaultDs;
        var instant = p.type !== "timeseries" && p.type !== "graph" && p.type !== "heatmap" && t.instant === true && t.range !== true;
        return {refId: t.refId || "A", datasource: {uid: uid, type: "prometheus"}, expr: interpolate(t.expr, vars),
                legendFormat: interpolate(t.legendFormat || "", vars), interval: interpolate(t.interval || p.interval || "", vars),
                maxDataPoints: p.maxDataPoints || width, instant: instant, range: !instant};
      });
      api("POST", "/api/ds/query", {queries: queries, from: String(from), to: String(to)}).catch(function (e) {
        if (e.body && e.body.results) return e.body;
        throw e;
      }).then(function (res) {
        var series = [], errs = [];
        queries.forEach(function (q) {
          var r = res.results[q.refId];
          if (r && r.error) errs.push(r.error);
          series = series.concat(toSeries(r));
        });
        if (errs.length && !series.length) { node.classList.add("error"); body.appendChild(el("div", {class: "msg", text: errs[0]})); finished(p, node, "error"); return; }
        if (!series.length) { body.appendChild(el("div", {class: "msg", text: "No data"})); finished(p, node, "nodata"); return; }
        var out = renderer(body, p, series, {from: from, to: to, zoom: function (a, b) { setTime(String(a), String(b)); }});
        /* uPlot commits its drawing in a microtask: count pixels after the next frame */
        requestAnimationFrame(function () { finished(p, node, "drawn", pixelsOf(out.canvases)); });
      }).catch(function (e) {
        node.classList.add("error");
        body.appendChild(el("div", {class: "msg", text: String(e.message)}));
        finished(p, node, "error");
      });
    });
  }

  /* ---- JSON editor ---- */
  function renderEditor(uid) {
    return api("GET", "/api/dashboards/uid/" + encodeURIComponent(uid)).then(function (r) {
      var ta = el("textarea", {id: "json", spellcheck: "false"}), msg = el("div", {id: "msg"});
      ta.textContent = JSON.stringify(r.dashboard, null, 2); /* its default value */
      document.getElementById("crumb").textContent = r.dashboard.title + " / JSON Model";
      document.getElementById("tools").innerHTML = "";
      document.getElementById("vars").innerHTML = "";
      main.innerHTML = "";
      var save = el("button", {id: "save", text: "Save dashboard", onclick: function () {
        var model;
        try { model = JSON.parse(ta.value); } catch (e) { msg.className = "err"; msg.textContent = "Invalid JSON: " + e.message; return; }
        api("POST", "/api/dashboards/db", {dashboard: model, folderUid: r.meta.folderUid || undefined, message: "edited as JSON"}).then(function (s) {
          msg.className = ""; msg.textContent = "Saved version " + s.version;
          go("/d/" + s.uid + "/" + s.slug);
        }).catch(function (e) { msg.className = "err"; msg.textContent = e.message; });
      }});
      main.appendChild(el("div", {class: "editor"}, [ta, el("p", {}, [save, el("a", {href: SUB + "/d/" + uid, text: " Back"})]), msg]));
      if (!r.meta.canSave) { save.disabled = true; msg.textContent = r.meta.provisioned ? "Provisioned dashboard: saving is disabled." : "You cannot save this dashboard."; }
    });
  }

  /* ---- list ---- */
  function renderList() {
    var params = new URLSearchParams(location.search), q = params.get("query") || "";
    document.getElementById("crumb").textContent = "Dashboards";
    document.getElementById("tools").innerHTML = "";
    document.getElementById("vars").innerHTML = "";
    var input = el("input", {id: "search", placeholder: "Search dashboards by name", value: q});
    var list = el("div", {id: "results"});
    main.innerHTML = "";
    main.appendChild(el("div", {class: "list"}, [input, list]));
    function load() {
      api("GET", "/api/search?type=dash-db&query=" + encodeURIComponent(input.value)).then(function (items) {
        list.innerHTML = "";
        items.forEach(function (it) {
          var a = el("a", {class: "item", href: SUB + it.url.slice(SUB.length), onclick: function (e) { e.preventDefault(); go(it.url.slice(SUB.length)); }},
                     [el("span", {text: (it.folderTitle ? it.folderTitle + " / " : "") + it.title})]);
          var tags = el("span");
          (it.tags || []).forEach(function (t) { tags.appendChild(el("span", {class: "tag", text: t})); });
          a.appendChild(tags);
          list.appendChild(a);
        });
        if (!items.length) list.appendChild(el("p", {text: "No dashboards found."}));
        document.body.dataset.listed = items.length;
      });
    }
    input.addEventListener("input", load);
    load();
  }

  function renderLogin() {
    document.getElementById("crumb").textContent = "Log in";
    document.getElementById("tools").innerHTML = "";
    var u = el("input", {id: "user", placeholder: "email or username", autocomplete: "username"});
    var p = el("input", {id: "password", type: "password", placeholder: "password", autocomplete: "current-password"});
    var msg = el("div", {class: "err"});
    var form = el("form", {class: "login", onsubmit: function (e) {
      e.preventDefault();
      api("POST", "/api/login", {user: u.value, password: p.value}).then(function () { go("/"); })
        .catch(function (err) { msg.textContent = err.message; });
    }}, [u, p, el("button", {type: "submit", text: "Log in"}), msg]);
    main.innerHTML = "";
    main.appendChild(form);
  }

  function route() {
    var path = location.pathname.slice(SUB.length) || "/", m;
    if (path === "/login") return renderLogin();
    if ((m = /^\/d\/([^/]+)(?:\/[^/]*)?\/json$/.exec(path))) return renderEditor(m[1]);
    if ((m = /^\/d\/([^/]+)/.exec(path))) return renderDashboard(m[1]).catch(function (e) {
      main.textContent = e.message;
      document.body.dataset.renderMs = -1;
    });
    return renderList();
  }
  document.getElementById("home").addEventListener("click", function (e) { e.preventDefault(); go("/"); });
  route();
})();
