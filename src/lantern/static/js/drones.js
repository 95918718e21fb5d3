// The airspace map: geozones, declared volumes (approved green, rejected red), the outline being
// drawn for a new declaration, and the decision on the one just filed shown where it lies.
(function () {
  "use strict";
  const EMPTY = { type: "FeatureCollection", features: [] };

  function start() {
    const el = document.getElementById("drone-map");
    if (!el || typeof maplibregl === "undefined") return;
    maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp-worker.js");
    const style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] };
    if (el.dataset.tileUrl) {
      style.sources.basemap = { type: "raster", tiles: [el.dataset.tileUrl], tileSize: 256 };
      style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
    }
    const options = { container: el, style: style, attributionControl: false };
    if (el.dataset.bounds) { options.bounds = JSON.parse(el.dataset.bounds); options.fitBoundsOptions = { padding: 24 }; }
    const map = new maplibregl.Map(options);
    window.lanternDroneMap = map;
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
    map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: el.dataset.attribution || "" }));
    const points = [];

    function redraw() {
      const count = document.getElementById("point-count");
      if (count) count.textContent = String(points.length);
      const ring = points.length >= 3 ? points.concat([points[0]]) : points;
      const features = points.map((p) => ({ type: "Feature", geometry: { type: "Point", coordinates: p }, properties: {} }));
      if (ring.length >= 2) features.push({ type: "Feature", geometry: { type: "LineString", coordinates: ring }, properties: {} });
      map.getSource("draft").setData({ type: "FeatureCollection", features: features });
      const field = document.getElementById("declaration-geometry");
      if (field) field.value = points.length >= 3 ? JSON.stringify({ type: "Polygon", coordinates: [ring] }) : "";
    }

    map.on("load", async () => {
      map.addSource("roads", { type: "geojson", data: "/api/city/roads.geojson" });
      map.addLayer({ id: "roads", type: "line", source: "roads", paint: { "line-color": "#b5bec8", "line-width": 1 } });
      map.addSource("zones", { type: "geojson", data: "/api/drones/geozones.geojson" });
      map.addLayer({ id: "zones", type: "fill", source: "zones",
        paint: { "fill-color": ["match", ["get", "restriction"], "prohibited", "#c0392b", "#e67e22"], "fill-opacity": 0.25 } });
      map.addLayer({ id: "zones-line", type: "line", source: "zones", paint: { "line-color": "#922b21", "line-width": 1.5 } });
      const declared = await fetch("/api/drones/declarations.geojson").then((r) => r.ok ? r.json() : EMPTY);
      map.addSource("volumes", { type: "geojson", data: declared });
      map.addLayer({ id: "volumes", type: "fill", source: "volumes",
        paint: { "fill-color": ["match", ["get", "state"], "approved", "#1e7b45", "rejected", "#8e1b10", "#7f8c8d"], "fill-opacity": 0.3 } });
      map.addLayer({ id: "volumes-line", type: "line", source: "volumes",
        paint: { "line-color": ["match", ["get", "state"], "approved", "#1e7b45", "#8e1b10"], "line-width": 2 } });
      map.addSource("draft", { type: "geojson", data: EMPTY });
      map.addLayer({ id: "draft-line", type: "line", source: "draft", paint: { "line-color": "#1f5f99", "line-width": 2, "line-dasharray": [2, 1] } });
      map.addLayer({ id: "draft-points", type: "circle", source: "draft", paint: { "circle-radius": 4, "circle-color": "#1f5f99" } });

      const decided = el.dataset.decided && declared.features.find((f) => f.properties.id === el.dataset.decided);
      if (decided) {
        const ring = decided.geometry.coordinates[0];
        const lons = ring.map((p) => p[0]), lats = ring.map((p) => p[1]);
        const centre = [(Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2];
        const text = decided.properties.id + " " + decided.properties.state + (decided.properties.reason ? ": " + decided.properties.reason : "");
        new maplibregl.Popup({ closeOnClick: false, className: "decision-popup" }).setLngLat(centre).setText(text).addTo(map);
      }
      map.on("click", (e) => {
        if (!document.getElementById("declaration-form")) return;
        points.push([Number(e.lngLat.lng.toFixed(6)), Number(e.lngLat.lat.toFixed(6))]);
        redraw();
      });
      map.on("click", "zones", (e) => {
        if (document.getElementById("declaration-form")) return;
        const p = e.features[0].properties;
        new maplibregl.Popup().setLngLat(e.lngLat).setText(p.name + " (" + p.restriction + ", " + p.lower_m + "–" + p.upper_m + " m)").addTo(map);
      });
      const clear = document.getElementById("clear-points");
      if (clear) clear.addEventListener("click", () => { points.length = 0; redraw(); });
      el.dataset.ready = "true";
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
