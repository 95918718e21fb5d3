// The public traffic map: congestion per road segment (coloured by level) and road events,
// drawn from Lantern's own GeoJSON endpoints. No inline script: the CSP forbids it.
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

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function start() {
    const el = document.getElementById("traffic-map");
    const status = document.getElementById("traffic-map-status");
    if (!el || !el.dataset.bounds || typeof maplibregl === "undefined") return;
    maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp-worker.js");
    const map = new maplibregl.Map({
      container: el,
      style: baseStyle(el),
      bounds: JSON.parse(el.dataset.bounds),
      fitBoundsOptions: { padding: 24 },
      attributionControl: false,
    });
    window.lanternTrafficMap = map;
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
    map.addControl(new maplibregl.AttributionControl({
      compact: false, customAttribution: el.dataset.attribution || "© OpenStreetMap contributors",
    }));

    map.on("load", function () {
      map.addSource("congestion", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addSource("events", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "congestion-lines", type: "line", source: "congestion",
        filter: ["==", ["geometry-type"], "LineString"],
        layout: { "line-cap": "round", "line-sort-key": ["case", ["==", ["get", "tti"], null], 0, 1] },
        paint: { "line-color": ["get", "colour"],
                 "line-width": ["case", ["==", ["get", "tti"], null], 1.5, 4] } });
      map.addLayer({ id: "congestion-points", type: "circle", source: "congestion",
        filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-color": ["get", "colour"], "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
      map.addLayer({ id: "events-lines", type: "line", source: "events",
        filter: ["==", ["geometry-type"], "LineString"],
        paint: { "line-color": "#6a1b9a", "line-width": 6, "line-dasharray": [1, 1] } });
      map.addLayer({ id: "events-points", type: "circle", source: "events",
        filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-color": "#6a1b9a", "circle-radius": 8, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
      load();
    });

    function describe(p) {
      if (p.kind) {
        return (p.name || p.kind) + (p.description ? " · " + p.description : "");
      }
      if (p.tti === null || p.tti === undefined) return (p.name || p.id) + " · no data in the last hour";
      const speed = p.speed_kmh != null ? " · " + p.speed_kmh + " km/h" : "";
      return (p.name || p.id) + " · index " + p.index + " (" + p.level + ")" + speed;
    }
    for (const layer of ["congestion-lines", "congestion-points", "events-lines", "events-points"]) {
      map.on("click", layer, function (e) {
        new maplibregl.Popup().setLngLat(e.lngLat).setText(describe(e.features[0].properties)).addTo(map);
      });
      map.on("mouseenter", layer, function () { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", layer, function () { map.getCanvas().style.cursor = ""; });
    }

    function load() {
      status.textContent = "Loading the traffic map…";
      Promise.all([getJson("/api/traffic/congestion.geojson"), getJson("/api/traffic/events.geojson")])
        .then(function (data) {
          map.getSource("congestion").setData(data[0]);
          map.getSource("events").setData(data[1]);
          const current = data[0].features.filter(function (f) { return f.properties.tti !== null; }).length;
          el.dataset.segmentCount = String(current);
          el.dataset.eventCount = String(data[1].features.length);
          status.textContent = current + " road segments with data in the last hour (grey: none), " +
            data[1].features.length + " road events on the map";
        })
        .catch(function (err) { status.textContent = "Could not load the traffic map: " + err.message; });
    }
    window.setInterval(load, 60000);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
