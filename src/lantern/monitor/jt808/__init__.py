"""JT/T 808 (2013 and 2019) vehicle terminal protocol: framing and messages (pure)."""
