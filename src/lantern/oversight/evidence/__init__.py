"""Evidence, custody, enforcement completeness and scene examinations."""
