"""Real-time monitoring: one rule engine over sensor streams (regulated vehicles, hotlists)."""
