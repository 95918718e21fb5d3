"""Anti-fraud case lifecycle: closing and reopening, and the case's timeline."""
