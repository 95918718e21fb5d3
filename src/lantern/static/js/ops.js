// The operations map of the dispatch desk: open incidents by priority, units by status, kept
// current by server-sent events (/api/live). Clicking an incident opens its panel (HTMX).
(function () {
  "use strict";
  const PRIORITY_COLOURS = ["match", ["get", "priority"], 1, "#c0392b", 2, "#e67e22", "#f1c40f"];
  const UNIT_COLOURS = ["match", ["get", "status"], "available", "#1e7a45", "out_of_service", "#7f8c8d", "#1f5f99"];
  const incidents = new Map();
  const units = new Map();
  const alerts = new Map();

  function collection(map) {
    return { type: "FeatureCollection", features: Array.from(map.values()) };
  }

  function feature(item) {
    return { type: "Feature", id: item.id, geometry: { type: "Point", coordinates: [item.lon, item.lat] }, properties: item };
  }

  function minutesSince(iso) {
    return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  }

  function renderList() {
    const body = document.querySelector("#incident-list tbody");
    if (!body) return;
    const district = document.getElementById("filter-district").value;
    const rows = Array.from(incidents.values())
      .map((f) => f.properties)
      .filter((p) => p.status === "open" && (!district || String(p.district_id) === district))
      .sort((a, b) => (a.priority - b.priority) || a.occurred_from.localeCompare(b.occurred_from));
    body.replaceChildren(...rows.map((p) => {
      const tr = document.createElement("tr");
      tr.tabIndex = 0;
      tr.dataset.incident = p.id;
      tr.className = "clickable p" + p.priority;
      for (const text of ["P" + p.priority, p.number, p.type_code || p.category, minutesSince(p.occurred_from) + " min", p.status]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      return tr;
    }));
  }

  function openPanel(id) {
    if (window.htmx) window.htmx.ajax("GET", "/dispatch/incidents/" + id + "/panel", { target: "#panel", swap: "innerHTML" });
  }

  function refresh(map) {
    const district = document.getElementById("filter-district").value;
    const shown = new Map(Array.from(incidents).filter(([, f]) => f.properties.status === "open" &&
      (!district || String(f.properties.district_id) === district)));
    map.getSource("incidents").setData(collection(shown));
    map.getSource("units").setData(collection(units));
    const el = document.getElementById("ops-map");
    el.dataset.incidentCount = String(shown.size);
    el.dataset.units = JSON.stringify(Array.from(units.values()).map((f) => [f.properties.callsign, f.properties.status]));
    renderList();
  }

  function start() {
    const el = document.getElementById("ops-map");
    if (!el || !el.dataset.bounds || typeof maplibregl === "undefined") return;
    maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp-worker.js");
    const map = new maplibregl.Map({
      container: el,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] },
      bounds: JSON.parse(el.dataset.bounds), fitBoundsOptions: { padding: 24 }, attributionControl: false,
    });
    window.lanternOpsMap = map;
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: el.dataset.attribution }));
    map.on("load", async function () {
      map.addSource("roads", { type: "geojson", data: "/api/city/roads.geojson" });
      map.addSource("districts", { type: "geojson", data: "/api/city/districts.geojson" });
      map.addSource("incidents", { type: "geojson", data: collection(incidents) });
      map.addSource("units", { type: "geojson", data: collection(units) });
      map.addSource("alerts", { type: "geojson", data: collection(alerts) });
      map.addLayer({ id: "districts", type: "line", source: "districts", paint: { "line-color": "#34557a", "line-dasharray": [3, 2] } });
      map.addLayer({ id: "roads", type: "line", source: "roads", paint: { "line-color": "#b5bec8", "line-width": 1.5 } });
      map.addLayer({ id: "incidents", type: "circle", source: "incidents",
        paint: { "circle-radius": 9, "circle-color": PRIORITY_COLOURS, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
      map.addLayer({ id: "units", type: "circle", source: "units",
        paint: { "circle-radius": 6, "circle-color": UNIT_COLOURS, "circle-stroke-color": "#000", "circle-stroke-width": 1 } });
      map.addLayer({ id: "alerts", type: "circle", source: "alerts",
        paint: { "circle-radius": 7, "circle-color": "#f39c12", "circle-stroke-color": "#7a4a00", "circle-stroke-width": 2 } });
      map.on("click", "alerts", (e) => {
        const p = e.features[0].properties;
        new maplibregl.Popup().setLngLat(e.lngLat).setText(p.title + " (" + p.source + ")").addTo(map);
      });
      const [openIncidents, allUnits] = await Promise.all([
        fetch("/api/dispatch/incidents.geojson").then((r) => r.json()),
        fetch("/api/dispatch/units.geojson").then((r) => r.ok ? r.json() : { features: [] }),
      ]);
      for (const f of openIncidents.features) incidents.set(f.id, f);
      for (const f of allUnits.features) units.set(f.id, f);
      refresh(map);
      connect(map);
    });
    map.on("click", "incidents", (e) => openPanel(e.features[0].properties.id));
    map.on("click", function (e) {
      if (map.queryRenderedFeatures(e.point, { layers: ["incidents"] }).length) return;
      const lat = document.getElementById("lat");
      if (!lat) return;
      lat.value = e.lngLat.lat.toFixed(6);
      document.getElementById("lon").value = e.lngLat.lng.toFixed(6);
      document.getElementById("address").value = "";
      document.getElementById("check-button").click();
    });
    document.getElementById("filter-district").addEventListener("change", () => refresh(map));
    document.getElementById("incident-list").addEventListener("click", (e) => {
      const row = e.target.closest("tr[data-incident]");
      if (row) openPanel(row.dataset.incident);
    });
    document.getElementById("incident-list").addEventListener("keydown", (e) => {
      const row = e.target.closest("tr[data-incident]");
      if (row && e.key === "Enter") openPanel(row.dataset.incident);
    });
  }

  function connect(map) {
    const status = document.getElementById("live-status");
    const source = new EventSource("/api/live");
    source.addEventListener("open", () => { status.textContent = "live"; });
    source.addEventListener("error", () => { status.textContent = "reconnecting…"; });
    source.addEventListener("incident", (e) => {
      const item = JSON.parse(e.data);
      incidents.set(item.id, feature(item));
      refresh(map);
      const panel = document.querySelector(".incident-panel");
      if (panel && panel.dataset.incidentId === String(item.id)) openPanel(item.id);
    });
    source.addEventListener("unit", (e) => {
      const item = JSON.parse(e.data);
      if (item.lat === null || item.lon === null) return;
      units.set(item.id, feature(item));
      refresh(map);
      document.querySelectorAll('.unit-status[data-unit="' + item.callsign + '"]').forEach((td) => {
        td.textContent = item.status.replace("_", " ");
      });
    });
    source.addEventListener("alert", (e) => {
      // Monitoring alerts (vehicle rules, hotlist hits) carry a place: show them until resolved.
      const item = JSON.parse(e.data);
      if (item.lat === null || item.lat === undefined) return;
      if (item.status === "resolved") alerts.delete(item.id);
      else alerts.set(item.id, { type: "Feature", id: item.id, geometry: { type: "Point", coordinates: [item.lon, item.lat] }, properties: item });
      const src = map.getSource("alerts");
      if (src) src.setData(collection(alerts));
    });
    source.addEventListener("reload", () => window.location.reload());
  }

  document.addEventListener("click", function (e) {
    const pick = e.target.closest("button[data-address]");
    if (!pick) return;
    document.getElementById("address").value = pick.dataset.address;
    document.getElementById("check-button").click();
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey && (e.key === "n" || e.key === "N")) {
      const details = document.querySelector("details.intake");
      if (details) { details.open = true; document.getElementById("type_code").focus(); e.preventDefault(); }
    }
  });
  document.addEventListener("DOMContentLoaded", start);
})();
