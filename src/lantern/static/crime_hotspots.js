// The hotspot page: Gi* cells for a time window, from /api/crime/hotspots.geojson.
// Changing any filter (window length, end date, type, district, cells) reloads the layer.
(function () {
  "use strict";

  function layerUrl(form) {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (value === "") continue;
      if (key === "until") {
        // the chosen day is included: the window ends at the next midnight (UTC)
        const end = new Date(value + "T00:00:00Z");
        end.setUTCDate(end.getUTCDate() + 1);
        params.set("until", end.toISOString());
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

  function baseStyle(el) {
    const style = {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }],
    };
    const tiles = el.dataset.tileUrl;
    if (tiles) {
      style.sources.basemap = { type: "raster", tiles: [tiles], tileSize: 256, attribution: el.dataset.tileAttribution || "" };
      style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
    }
    return style;
  }

  function start() {
    const el = document.getElementById("map");
    const form = document.getElementById("hotspot-filters");
    const status = document.getElementById("hotspot-status");
    const warnings = document.getElementById("hotspot-warnings");
    const download = document.getElementById("hotspot-geojson");
    const picture = document.getElementById("hotspot-png");
    if (!el || !form || !el.dataset.bounds || typeof maplibregl === "undefined") return;
    maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp-worker.js");
    const map = new maplibregl.Map({
      container: el,
      style: baseStyle(el),
      bounds: JSON.parse(el.dataset.bounds),
      fitBoundsOptions: { padding: 24 },
      attributionControl: false,
    });
    window.lanternMap = map;
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
    map.addControl(new maplibregl.AttributionControl({
      compact: false, customAttribution: el.dataset.attribution || "© OpenStreetMap contributors",
    }));

    map.on("load", function () {
      map.addSource("districts", { type: "geojson", data: "/api/city/districts.geojson" });
      map.addSource("hotspots", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "districts-line", type: "line", source: "districts",
        paint: { "line-color": "#34557a", "line-width": 2, "line-dasharray": [3, 2] } });
      map.addLayer({ id: "hotspots", type: "fill", source: "hotspots",
        paint: {
          "fill-color": ["case", ["get", "hot"], "#c0392b", ["get", "cold"], "#5dade2", "#f0b27a"],
          "fill-opacity": ["case", ["get", "hot"], 0.75, 0.45],
          "fill-outline-color": "#ffffff",
        } });
      load();
    });

    map.on("click", "hotspots", function (e) {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat)
        .setText(p.count + " incidents · Gi* z = " + p.z + ", p = " + p.p + (p.hot ? " · hot spot" : ""))
        .addTo(map);
    });

    let latest = 0;
    function load() {
      const url = layerUrl(form);
      const ticket = ++latest;
      status.textContent = "Loading hotspots…";
      download.href = url;
      picture.href = url.replace("hotspots.geojson", "hotspots.png");
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          if (ticket !== latest) return; // a newer request superseded this one
          map.getSource("hotspots").setData(data);
          el.dataset.cellCount = String(data.features.length);
          el.dataset.incidentCount = String(data.meta.incidents);
          el.dataset.window = data.meta.since + "/" + data.meta.until;
          status.textContent = data.meta.incidents + " incidents in " + data.features.length + " cells, "
            + data.meta.hot_cells + " hot spots";
          warnings.textContent = (data.meta.warnings || []).join(" ");
        })
        .catch(function (err) { status.textContent = "Could not load hotspots: " + err.message; });
    }
    form.addEventListener("change", load);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
