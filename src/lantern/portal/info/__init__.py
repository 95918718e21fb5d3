"""Public information on the portal: traffic and safety alerts, fraud advice, complaints about officers."""
