// The report form's map: optional. A click picks the place (lat/long) and fills the address field
// with the nearest registered address; typing an address instead clears the picked point.
(function () {
  "use strict";

  function start() {
    const el = document.getElementById("report-map");
    const address = document.getElementById("address_string");
    const lat = document.getElementById("lat");
    const lon = document.getElementById("long");
    const picked = document.getElementById("map-picked");
    if (!el || !el.dataset.bounds || typeof maplibregl === "undefined") return;
    maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp-worker.js");
    const style = {
      version: 8, sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }],
    };
    if (el.dataset.tileUrl) {
      style.sources.basemap = { type: "raster", tiles: [el.dataset.tileUrl], tileSize: 256,
        attribution: el.dataset.tileAttribution || "" };
      style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
    }
    const map = new maplibregl.Map({
      container: el, style: style, bounds: JSON.parse(el.dataset.bounds),
      fitBoundsOptions: { padding: 16 }, attributionControl: false,
    });
    window.lanternReportMap = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: "© OpenStreetMap contributors" }));
    let marker = null;
    map.on("load", function () {
      map.addSource("roads", { type: "geojson", data: "/portal/reports/roads.geojson" });
      map.addLayer({ id: "roads", type: "line", source: "roads",
        paint: { "line-color": "#8a96a3", "line-width": ["match", ["get", "class"], ["primary", "trunk", "motorway"], 3, 1.5] } });
    });

    function pick(lngLat) {
      lat.value = lngLat.lat.toFixed(6);
      lon.value = lngLat.lng.toFixed(6);
      if (!marker) marker = new maplibregl.Marker({ color: "#0b3d6b" });
      marker.setLngLat(lngLat).addTo(map);
      picked.textContent = picked.dataset.picked;
      fetch("/portal/reports/where?lat=" + lat.value + "&lon=" + lon.value)
        .then(function (r) { return r.json(); })
        .then(function (found) {
          if (found.address) {
            address.value = found.address;
            picked.textContent = picked.dataset.picked + " " + picked.dataset.nearest + " " + found.address;
          }
        })
        .catch(function () { /* the point alone is enough */ });
    }
    map.on("click", function (e) { pick(e.lngLat); });
    address.addEventListener("input", function () {
      lat.value = ""; lon.value = ""; picked.textContent = "";
      if (marker) { marker.remove(); }
    });
    if (lat.value && lon.value) pick({ lat: parseFloat(lat.value), lng: parseFloat(lon.value) });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
