// The city map: districts, roads and recent incidents drawn from Lantern's GeoJSON endpoints.
// No tile server is needed; a raster tile URL can be configured (LANTERN_MAP_TILE_URL).
(function () {
  "use strict";

  function incidentsUrl(form) {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (value !== "") params.set(key, value);
    }
    return "/api/incidents.geojson?" + params.toString();
  }

  function baseStyle(el) {
    const style = {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }],
    };
    const tiles = el.dataset.tileUrl;
    if (tiles) {
      style.sources.basemap = {
        type: "raster", tiles: [tiles], tileSize: 256,
        attribution: el.dataset.tileAttribution || "",
      };
      style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
    }
    return style;
  }

  function start() {
    const el = document.getElementById("map");
    const form = document.getElementById("map-filters");
    const status = document.getElementById("map-status");
    if (!el || !el.dataset.bounds || typeof maplibregl === "undefined") return;
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
      map.addSource("roads", { type: "geojson", data: "/api/city/roads.geojson" });
      map.addSource("incidents", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "districts-fill", type: "fill", source: "districts",
        paint: { "fill-color": "#5b7fa6", "fill-opacity": 0.08 } });
      map.addLayer({ id: "districts-line", type: "line", source: "districts",
        paint: { "line-color": "#34557a", "line-width": 2, "line-dasharray": [3, 2] } });
      map.addLayer({ id: "roads", type: "line", source: "roads",
        paint: {
          "line-color": ["match", ["get", "class"], ["primary", "trunk", "motorway"], "#c7843a",
            ["secondary", "tertiary"], "#d9a65b", "#9aa5b1"],
          "line-width": ["match", ["get", "class"], ["primary", "trunk", "motorway"], 3, ["secondary"], 2.5, 1.5],
        } });
      map.addLayer({ id: "incidents", type: "circle", source: "incidents",
        paint: { "circle-radius": 4, "circle-color": "#c0392b", "circle-opacity": 0.75,
                 "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } });
      loadIncidents();
    });

    map.on("click", "incidents", function (e) {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat)
        .setText(p.category + " · " + new Date(p.occurred_from).toLocaleString() + (p.premise ? " · " + p.premise : ""))
        .addTo(map);
    });
    map.on("click", "districts-fill", function (e) {
      if (map.queryRenderedFeatures(e.point, { layers: ["incidents"] }).length) return;
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setText(p.name + " (" + p.code + "), " + p.area_km2 + " km²").addTo(map);
    });
    for (const layer of ["incidents", "districts-fill"]) {
      map.on("mouseenter", layer, function () { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", layer, function () { map.getCanvas().style.cursor = ""; });
    }

    function loadIncidents() {
      status.textContent = "Loading incidents…";
      fetch(incidentsUrl(form), { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          map.getSource("incidents").setData(data);
          el.dataset.incidentCount = String(data.features.length);
          status.textContent = data.features.length + " incidents shown";
        })
        .catch(function (err) { status.textContent = "Could not load incidents: " + err.message; });
    }
    form.addEventListener("change", loadIncidents);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
