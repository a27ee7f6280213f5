/* Value formatting by Grafana unit ids (fieldConfig.defaults.unit) and decimals. */
(function () {
  "use strict";
  function fixed(v, d) {
    if (d == null) {
      var a = Math.abs(v);
      d = a === 0 ? 0 : a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    }
    return v.toFixed(d);
  }
  function scaled(steps, base) {
    return function (v, d) {
      var i = 0, a = Math.abs(v);
      while (i < steps.length - 1 && a >= base) { v /= base; a /= base; i++; }
      return fixed(v, d) + steps[i];
    };
  }
  function suffix(s) { return function (v, d) { return fixed(v, d) + s; }; }
  function short(v, d) { return scaled(["", " K", " Mil", " Bil", " Tri"], 1000)(v, d); }
  function duration(unitsFromSeconds) {
    return function (v, d) {
      var s = v * unitsFromSeconds, a = Math.abs(s);
      if (a === 0) return "0 s";
      if (a < 1e-6) return fixed(s * 1e9, d) + " ns";
      if (a < 1e-3) return fixed(s * 1e6, d) + " µs";
      if (a < 1) return fixed(s * 1e3, d) + " ms";
      if (a < 60) return fixed(s, d) + " s";
      if (a < 3600) return fixed(s / 60, d) + " min";
      if (a < 86400) return fixed(s / 3600, d) + " hour";
      return fixed(s / 86400, d) + " day";
    };
  }
  var table = {
    none: function (v, d) { return fixed(v, d); },
    short: short,
    percent: suffix("%"),
    percentunit: function (v, d) { return fixed(v * 100, d) + "%"; },
    bytes: scaled([" B", " KiB", " MiB", " GiB", " TiB", " PiB"], 1024),
    decbytes: scaled([" B", " kB", " MB", " GB", " TB", " PB"], 1000),
    bits: scaled([" b", " Kib", " Mib", " Gib", " Tib"], 1024),
    decbits: scaled([" b", " kb", " Mb", " Gb", " Tb"], 1000),
    bps: scaled([" bps", " Kbps", " Mbps", " Gbps", " Tbps"], 1000),
    Bps: scaled([" B/s", " kB/s", " MB/s", " GB/s", " TB/s"], 1000),
    binBps: scaled([" B/s", " KiB/s", " MiB/s", " GiB/s"], 1024),
    pps: scaled([" p/s", " Kp/s", " Mp/s"], 1000),
    reqps: function (v, d) { return short(v, d) + " req/s"; },
    ops: function (v, d) { return short(v, d) + " ops/s"; },
    iops: function (v, d) { return short(v, d) + " io/s"; },
    eps: function (v, d) { return short(v, d) + " evt/s"; },
    hertz: scaled([" Hz", " kHz", " MHz", " GHz"], 1000),
    celsius: suffix("°C"),
    rotrpm: suffix(" rpm"),
    s: duration(1),
    ms: duration(1e-3),
    "µs": duration(1e-6),
    ns: duration(1e-9),
    dtdurations: duration(1),
    bool: function (v) { return v ? "True" : "False"; },
    bool_yes_no: function (v) { return v ? "Yes" : "No"; },
    dateTimeAsIso: function (v) { return new Date(v).toISOString(); },
    dateTimeFromNow: function (v) { return Math.round((Date.now() - v) / 1000) + "s ago"; },
  };
  window.cairnFormat = function (v, unit, decimals) {
    if (v == null || Number.isNaN(v)) return "No data";
    var f = table[unit || "short"];
    if (!f && unit && unit.indexOf("suffix:") === 0) return fixed(v, decimals) + unit.slice(7);
    return (f || short)(v, decimals);
  };
})();
