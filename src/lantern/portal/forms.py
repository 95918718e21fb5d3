"""What every portal form shares: problems named per field, with messages from the catalogue."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a resident's form: the field, and a catalogue message id with its values."""

    field: str
    message: str
    params: dict[str, object] = dataclasses.field(default_factory=dict)

    @property
    def english(self) -> str:
        """The message in the source language, values filled in (for logs and API errors)."""
        return self.message % self.params if self.params else self.message
