"""Anti-fraud centre: transaction and call-record rules, typologies, mule networks, victim warnings."""
