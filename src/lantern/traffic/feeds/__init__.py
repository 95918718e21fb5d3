"""Road-event and congestion feeds: WZDx 4.2 GeoJSON, CAP 1.2 XML, plain GeoJSON, and their validators."""
