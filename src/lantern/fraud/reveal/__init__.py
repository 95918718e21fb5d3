"""Identity-reveal requests: purpose-bound, approved by a second person, answered by the partner."""
