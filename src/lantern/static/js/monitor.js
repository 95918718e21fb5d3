// Monitoring maps: vehicles and geofences (view mode, refreshed every 5 s and on live alerts),
// and the geofence/route editor (edit mode: clicks collect points into GeoJSON form fields).
(function () {
  "use strict";

  function baseStyle(el) {
    const style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] };
    if (el.dataset.tileUrl) {
      style.sources.basemap = { type: "raster", tiles: [el.dataset.tileUrl], tileSize: 256, attribution: el.dataset.tileAttribution || "" };
      style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
    }
    return style;
  }

  const EMPTY = { type: "FeatureCollection", features: [] };

  function addCommonLayers(map) {
    map.addSource("roads", { type: "geojson", data: "/api/city/roads.geojson" });
    map.addLayer({ id: "roads", type: "line", source: "roads", paint: { "line-color": "#b5bec8", "line-width": 1.2 } });
    map.addSource("fences", { type: "geojson", data: "/api/monitor/geofences.geojson" });
    map.addLayer({ id: "fences-fill", type: "fill", source: "fences",
      paint: { "fill-color": ["match", ["get", "severity"], "critical", "#c0392b", "#e67e22"], "fill-opacity": 0.18 } });
    map.addLayer({ id: "fences-line", type: "line", source: "fences", paint: { "line-color": "#a04000", "line-width": 1.5 } });
  }

  function startView(map) {
    map.addSource("vehicles", { type: "geojson", data: EMPTY });
    map.addLayer({ id: "vehicles", type: "circle", source: "vehicles",
      paint: { "circle-radius": 6, "circle-color": ["case", ["get", "online"], "#1f5f99", "#95a5a6"],
               "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
    map.addSource("alerts", { type: "geojson", data: EMPTY });
    map.addLayer({ id: "alerts", type: "circle", source: "alerts",
      paint: { "circle-radius": 9, "circle-color": "#f39c12", "circle-opacity": 0.6, "circle-stroke-color": "#7a4a00", "circle-stroke-width": 2 } });
    const refresh = () => fetch("/api/monitor/vehicles.geojson").then((r) => r.ok ? r.json() : EMPTY)
      .then((data) => map.getSource("vehicles").setData(data));
    refresh();
    setInterval(refresh, 5000);
    map.on("click", "vehicles", (e) => {
      const p = e.features[0].properties;
      const popup = document.createElement("div");
      const link = document.createElement("a");
      link.href = "/monitor/vehicles/" + encodeURIComponent(p.id);
      link.textContent = p.plate;
      popup.append(link, document.createTextNode(" · " + p.class_label + " · " + Math.round(p.speed_kmh || 0) + " km/h"));
      new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(popup).addTo(map);
    });
    const alerts = new Map();
    if (typeof EventSource !== "undefined") {
      const source = new EventSource("/api/live");
      source.addEventListener("alert", (e) => {
        const item = JSON.parse(e.data);
        if (item.lat === null || item.lat === undefined) return;
        if (item.status === "resolved") alerts.delete(item.id);
        else alerts.set(item.id, { type: "Feature", geometry: { type: "Point", coordinates: [item.lon, item.lat] }, properties: item });
        map.getSource("alerts").setData({ type: "FeatureCollection", features: Array.from(alerts.values()) });
        const status = document.getElementById("engine-status");
        if (status && item.status === "new") status.textContent = "New alert: " + item.title + " — reload to act on it.";
      });
    }
  }

  function startEditor(map) {
    const points = [];
    const shape = document.getElementById("fence-shape");
    const count = document.getElementById("point-count");
    map.addSource("draft", { type: "geojson", data: EMPTY });
    map.addLayer({ id: "draft-line", type: "line", source: "draft", paint: { "line-color": "#1f5f99", "line-width": 2, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "draft-points", type: "circle", source: "draft", paint: { "circle-radius": 4, "circle-color": "#1f5f99" } });

    function geometry(kind) {
      if (kind === "circle") return points.length ? { type: "Point", coordinates: points[points.length - 1] } : null;
      if (kind === "polygon") return points.length >= 3 ? { type: "Polygon", coordinates: [points.concat([points[0]])] } : null;
      return points.length >= 2 ? { type: "LineString", coordinates: points.slice() } : null;
    }

    function redraw() {
      count.textContent = String(points.length);
      const features = points.map((p) => ({ type: "Feature", geometry: { type: "Point", coordinates: p }, properties: {} }));
      const line = shape && shape.value === "polygon" && points.length >= 3 ? points.concat([points[0]]) : points;
      if (line.length >= 2) features.push({ type: "Feature", geometry: { type: "LineString", coordinates: line }, properties: {} });
      map.getSource("draft").setData({ type: "FeatureCollection", features: features });
      const fence = geometry(shape ? shape.value : "polygon");
      document.getElementById("fence-geometry").value = fence ? JSON.stringify(fence) : "";
      const route = geometry("corridor");
      document.getElementById("route-geometry").value = route ? JSON.stringify(route) : "";
    }

    map.on("click", (e) => {
      points.push([Number(e.lngLat.lng.toFixed(6)), Number(e.lngLat.lat.toFixed(6))]);
      if (shape && shape.value === "circle") points.splice(0, points.length - 1);
      redraw();
    });
    document.getElementById("clear-points").addEventListener("click", () => { points.length = 0; redraw(); });
    if (shape) shape.addEventListener("change", redraw);
    const routeForm = document.getElementById("route-form");
    routeForm.addEventListener("submit", () => {
      const vehicle = document.getElementById("route-vehicle").value;
      routeForm.action = routeForm.dataset.actionTemplate.replace("VEHICLE", encodeURIComponent(vehicle));
    });
    window.lanternFenceEditor = { points: points, redraw: redraw };
  }

  function start() {
    const el = document.getElementById("monitor-map");
    if (!el || typeof maplibregl === "undefined") return;
    maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp-worker.js");
    const options = { container: el, style: baseStyle(el), attributionControl: false };
    if (el.dataset.bounds) { options.bounds = JSON.parse(el.dataset.bounds); options.fitBoundsOptions = { padding: 24 }; }
    else { options.center = [0, 0]; options.zoom = 1; }
    const map = new maplibregl.Map(options);
    window.lanternMonitorMap = map;
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
    map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: el.dataset.attribution || "" }));
    map.on("load", () => {
      addCommonLayers(map);
      if (el.dataset.mode === "edit" && document.getElementById("fence-form")) startEditor(map);
      else startView(map);
      el.dataset.ready = "true";
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
