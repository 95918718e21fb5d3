"""Row-level scope: which rows a reader may see, applied inside queries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowScope:
    """``district_ids`` None means every district; restricted rows need ``include_restricted``."""

    district_ids: frozenset[int] | None = None
    include_restricted: bool = False

    @classmethod
    def everything(cls) -> RowScope:
        """Unrestricted scope, for system jobs (imports, simulator, retention)."""
        return cls(district_ids=None, include_restricted=True)

    def allows(self, district_id: int | None, restricted: bool) -> bool:
        """Whether one row with these attributes is in scope."""
        if restricted and not self.include_restricted:
            return False
        return self.district_ids is None or district_id in self.district_ids
