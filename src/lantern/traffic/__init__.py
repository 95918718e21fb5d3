"""Traffic: detector speeds, congestion indices, map matching, road-event feeds and signal timing."""
