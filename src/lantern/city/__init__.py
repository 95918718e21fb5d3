"""The city model: districts, road network, address registry, stations."""
