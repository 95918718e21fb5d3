// The hotspot page: Gi* cells for a time window, from /api/crime/hotspots.geojson, or (with
// "Colour cells by: change over time") the same cells classified over the last eight windows of
// that length, from /api/crime/emerging.geojson. Changing any filter reloads the shown layer.
(function () {
  "use strict";

  const TREND_PERIODS = 8;
  // The chosen day is included: the window ends at the next midnight (UTC).
  function windowEnd(value) {
    const end = new Date(value + "T00:00:00Z");
    end.setUTCDate(end.getUTCDate() + 1);
    return end;
  }

  function layerUrl(form) {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (value === "") continue;
      if (key === "until") {
        params.set("until", windowEnd(value).toISOString());
      } else if (key === "cells") {
        const [method, size] = value.split(":");
        params.set("method", method);
        params.set(method === "h3" ? "resolution" : "cell_m", size);
      } else {
        params.set(key, value);
      }
    }
    return "/api/crime/hotspots.geojson?" + params.toString();
  }

  // Eight consecutive windows of the chosen length ending at the chosen day, on H3 cells (the
  // classification needs the same cells in every window; square grids use resolution 10).
  function trendUrl(form) {
    const data = new FormData(form);
    const params = new URLSearchParams();
    const day = data.get("until") || form.elements.until.dataset.default.slice(0, 10);
    const end = windowEnd(day);
    const start = new Date(end.getTime() - TREND_PERIODS * Number(data.get("days")) * 86400000);
    params.set("since", start.toISOString());
    params.set("until", end.toISOString());
    params.set("periods", String(TREND_PERIODS));
    const [method, size] = String(data.get("cells")).split(":");
    params.set("resolution", method === "h3" ? size : "10");
    if (data.get("category")) params.set("category", data.get("category"));
    if (data.get("district_id")) params.set("district_id", data.get("district_id"));
    return "/api/crime/emerging.geojson?" + params.toString();
  }

  function start() {
    const el = document.getElementById("map");
    const form = document.getElementById("hotspot-filters");
    const colourBy = document.getElementById("colour-by");
    const status = document.getElementById("hotspot-status");
    const warnings = document.getElementById("hotspot-warnings");
    const download = document.getElementById("hotspot-geojson");
    const picture = document.getElementById("hotspot-png");
    const giLegend = document.getElementById("gi-legend");
    const trendLegend = document.getElementById("trend-legend");
    const trendTable = document.getElementById("trend-table");
    if (!form || !colourBy) return;
    const map = window.lanternCrimeMap.create(el, function (map) {
      map.addSource("hotspots", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addSource("emerging", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "hotspots", type: "fill", source: "hotspots",
        paint: {
          "fill-color": ["case", ["get", "hot"], "#c0392b", ["get", "cold"], "#5dade2", "#f0b27a"],
          "fill-opacity": ["case", ["get", "hot"], 0.75, 0.45],
          "fill-outline-color": "#ffffff",
        } });
      // each class's colour comes from its row of the page's table, so legend and map agree
      const colours = ["match", ["get", "class"]];
      for (const row of trendTable.tBodies[0].rows) colours.push(row.dataset.class, row.dataset.colour);
      colours.push("#cccccc");
      map.addLayer({ id: "emerging", type: "fill", source: "emerging", layout: { visibility: "none" },
        paint: { "fill-color": colours, "fill-opacity": 0.75, "fill-outline-color": "#ffffff" } });
      load();
    });
    if (!map) return;

    map.on("click", "hotspots", function (e) {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat)
        .setText(p.count + " incidents · Gi* z = " + p.z + ", p = " + p.p + (p.hot ? " · hot spot" : ""))
        .addTo(map);
    });
    map.on("click", "emerging", function (e) {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat)
        .setText(p["class"] + " · Gi* z in the last window = " + p.z_last).addTo(map);
    });

    function trendMode() {
      return colourBy.querySelector("input:checked").value === "trend";
    }

    let latest = 0;
    function load() {
      if (!map.getLayer("emerging")) return; // the map has not loaded yet; its load event loads
      const trend = trendMode();
      map.setLayoutProperty("hotspots", "visibility", trend ? "none" : "visible");
      map.setLayoutProperty("emerging", "visibility", trend ? "visible" : "none");
      giLegend.hidden = trend;
      trendLegend.hidden = !trend;
      const url = layerUrl(form);
      download.href = trend ? trendUrl(form) : url;
      picture.href = url.replace("hotspots.geojson", "hotspots.png");
      const ticket = ++latest;
      status.textContent = trend ? "Classifying cells over time…" : "Loading hotspots…";
      fetch(trend ? trendUrl(form) : url, { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          if (ticket !== latest) return; // a newer request superseded this one
          el.dataset.mode = trend ? "trend" : "gi";
          if (trend) showTrend(data); else showHotspots(data);
        })
        .catch(function (err) { status.textContent = "Could not load the layer: " + err.message; });
    }

    function showHotspots(data) {
      map.getSource("hotspots").setData(data);
      el.dataset.cellCount = String(data.features.length);
      el.dataset.incidentCount = String(data.meta.incidents);
      el.dataset.window = data.meta.since + "/" + data.meta.until;
      status.textContent = data.meta.incidents + " incidents in " + data.features.length + " cells, "
        + data.meta.hot_cells + " hot spots";
      warnings.textContent = (data.meta.warnings || []).join(" ");
    }

    function showTrend(data) {
      map.getSource("emerging").setData(data);
      el.dataset.trendCells = String(data.features.length);
      el.dataset.trendWindow = data.meta.since + "/" + data.meta.until;
      const classes = data.meta.classes || {};
      for (const row of trendTable.tBodies[0].rows) {
        row.cells[1].textContent = String(classes[row.dataset.class] || 0);
      }
      status.textContent = data.features.length + " cells with a pattern over " + data.meta.periods
        + " windows of " + data.meta.period_days + " days";
      warnings.textContent = "";
    }

    form.addEventListener("change", load);
    colourBy.addEventListener("change", load);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
