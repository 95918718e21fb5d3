"""Live push: one server-sent-events channel that the map and queues subscribe to."""
