"""The public portal: residents' reports (Open311), status, appointments, lost and found, public information."""
