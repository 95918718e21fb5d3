// The city map shared by the crime pages (hotspots, forecast): basemap, district outlines,
// controls. Each page adds its own layers once the map has loaded.
(function () {
  "use strict";

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

  // A map over the city's bounds (from data-bounds), or null when MapLibre or the city is missing.
  function create(el, onLoad) {
    if (!el || !el.dataset.bounds || typeof maplibregl === "undefined") return null;
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
      map.addLayer({ id: "districts-line", type: "line", source: "districts",
        paint: { "line-color": "#34557a", "line-width": 2, "line-dasharray": [3, 2] } });
      onLoad(map);
    });
    return map;
  }

  window.lanternCrimeMap = { create: create };
})();
