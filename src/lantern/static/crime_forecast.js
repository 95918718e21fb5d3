// The forecast page: next period's hot cells by the chosen method, from
// /api/crime/forecast.geojson, beside that method's back-test on the same data. Changing the
// method, period, coverage, types or district reloads both.
(function () {
  "use strict";

  function pct(x) { return x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%"; }
  function num(x, digits) { return x === null || x === undefined ? "–" : Number(x).toFixed(digits); }
  let clock = null; // formats times in the city's zone, as every page of Lantern shows them
  function when(iso) { return clock.format(new Date(iso)); }

  function layerUrl(form) {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (value === "") continue;
      if (key === "types" && value.startsWith("category:")) {
        params.set("category", value.slice("category:".length));
      } else {
        params.set(key, value);
      }
    }
    return "/api/crime/forecast.geojson?" + params.toString();
  }

  function start() {
    const el = document.getElementById("map");
    const form = document.getElementById("forecast-filters");
    const status = document.getElementById("forecast-status");
    const warnings = document.getElementById("forecast-warnings");
    const download = document.getElementById("forecast-geojson");
    const compare = document.getElementById("forecast-compare");
    if (!form) return;
    clock = new Intl.DateTimeFormat("en-GB", {
      timeZone: el.dataset.timezone || "UTC", weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    });
    const map = window.lanternCrimeMap.create(el, function (map) {
      map.addSource("forecast", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "forecast", type: "fill", source: "forecast",
        paint: {
          "fill-color": ["case", ["get", "tied"], "#f5b041", "#c0392b"],
          // the top-ranked cells darkest; rank 1 at 0.85 down to 0.45
          "fill-opacity": ["interpolate", ["linear"], ["get", "rank"], 1, 0.85, 20, 0.45],
          "fill-outline-color": "#ffffff",
        } });
      load();
    });
    if (!map) return;

    map.on("click", "forecast", function (e) {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat)
        .setText("rank " + p.rank + " · score " + p.score + (p.tied ? " · tied at the cut" : ""))
        .addTo(map);
    });

    let latest = 0;
    function load() {
      if (!map.getSource("forecast")) return; // the map's load event loads
      const url = layerUrl(form);
      const ticket = ++latest;
      status.textContent = "Forecasting…";
      download.href = url;
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) throw new Error(body.message || body.detail || "HTTP " + r.status);
            return body;
          });
        })
        .then(function (data) {
          if (ticket !== latest) return;
          show(data);
          if (compare.open) loadComparison();
        })
        .catch(function (err) {
          if (ticket !== latest) return;
          map.getSource("forecast").setData({ type: "FeatureCollection", features: [] });
          el.dataset.cellCount = "0";
          status.textContent = "No forecast: " + err.message;
        });
    }

    function show(data) {
      const meta = data.meta;
      const b = meta.backtest;
      map.getSource("forecast").setData(data);
      el.dataset.method = meta.method;
      el.dataset.cellCount = String(data.features.length);
      el.dataset.hitRate = String(b.hit_rate);
      el.dataset.forecastFrom = meta.forecast_from;
      status.textContent = meta.method_name + ": " + meta.selected_cells + " of " + meta.study_area_cells
        + " cells (" + meta.coverage_pct + "% of the area) for the " + meta.period + " from "
        + when(meta.forecast_from) + " to " + when(meta.forecast_to);
      warnings.textContent = meta.warnings.join(" ");
      document.getElementById("figures-method").textContent = meta.method_name + " at " + meta.coverage_pct + "%";
      document.getElementById("figure-hit").textContent = pct(b.hit_rate);
      document.getElementById("figure-pai").textContent = num(b.pai, 2);
      document.getElementById("figure-pei").textContent = num(b.pei, 2);
      document.getElementById("figure-uncertainty").textContent = b.hit_rate_ci95
        ? "Mean of " + b.scored_origins + " back-test " + meta.period + "s: 95% interval " + pct(b.hit_rate_ci95[0])
          + "–" + pct(b.hit_rate_ci95[1]) + "; single " + meta.period + "s ranged " + pct(b.hit_rate_p10_p90[0])
          + "–" + pct(b.hit_rate_p10_p90[1]) + " (10th–90th percentile), " + b.incidents_per_period
          + " incidents a " + meta.period + " on average."
        : "Too few back-test periods for an interval.";
      const body = document.querySelector("#forecast-coverages tbody");
      body.replaceChildren();
      for (const row of b.by_coverage) {
        const tr = document.createElement("tr");
        if (Math.round(100 * row.coverage) === meta.coverage_pct) tr.setAttribute("aria-current", "true");
        const cells = [Math.round(100 * row.coverage) + "%", pct(row.hit_rate), num(row.pai, 2), num(row.pei, 2)];
        cells.forEach(function (text, i) {
          const td = document.createElement(i === 0 ? "th" : "td");
          if (i === 0) td.scope = "row"; else td.className = "num";
          td.textContent = text;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      }
      const d = meta.data;
      document.getElementById("forecast-window").textContent = "Data: " + d.incidents + " incidents, "
        + meta.types + ", in " + d.periods + " " + meta.period + "s, " + when(d.history_from) + " to "
        + when(d.history_to) + " (last incident " + when(d.last_incident) + "); back-test: the " + meta.parameters.backtest.origins + " " + meta.period
        + "s starting " + when(meta.parameters.backtest.first_origin) + " to "
        + when(meta.parameters.backtest.last_origin) + "; " + meta.cell_m + " m cells, study area "
        + meta.study_area_cells + " cells (" + meta.study_area_km2 + " km²).";
      document.getElementById("forecast-parameters").textContent = JSON.stringify(meta.parameters, null, 1);
    }

    // Every method's back-test on the same data and settings, one request after another (each
    // answer is cached on the server, so reopening or switching back is quick).
    let comparing = 0;
    function loadComparison() {
      const ticket = ++comparing;
      const body = compare.querySelector("tbody");
      const note = document.getElementById("compare-status");
      const options = Array.from(form.elements.method.options);
      note.textContent = "Back-testing every method…";
      const rows = [];
      let chain = Promise.resolve();
      options.forEach(function (option) {
        chain = chain.then(function () {
          const params = new URLSearchParams(layerUrl(form).split("?")[1]);
          params.set("method", option.value);
          return fetch("/api/crime/forecast.geojson?" + params.toString(), { headers: { Accept: "application/json" } })
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (data) { rows.push([option, data ? data.meta.backtest : null]); });
        });
      });
      chain.then(function () {
        if (ticket !== comparing) return;
        const best = Math.max.apply(null, rows.map(function (r) { return r[1] && r[1].hit_rate ? r[1].hit_rate : -1; }));
        body.replaceChildren();
        for (const [option, b] of rows) {
          const tr = document.createElement("tr");
          tr.dataset.method = option.value;
          const th = document.createElement("th");
          th.scope = "row";
          th.textContent = option.textContent + (b && b.hit_rate === best ? " (best here)" : "");
          tr.appendChild(th);
          for (const text of b ? [pct(b.hit_rate), num(b.pai, 2), num(b.pei, 2)] : ["–", "–", "–"]) {
            const td = document.createElement("td");
            td.className = "num";
            td.textContent = text;
            tr.appendChild(td);
          }
          body.appendChild(tr);
        }
        note.textContent = "Same data, period and coverage as the map; the mean over the same back-test periods.";
      }).catch(function (err) { note.textContent = "Could not compare: " + err.message; });
    }
    compare.addEventListener("toggle", function () { if (compare.open) loadComparison(); });

    form.addEventListener("change", load);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
