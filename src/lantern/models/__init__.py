"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from lantern.models.city import Address, City, District, RoadEdge, RoadNode
from lantern.models.incidents import ImportBatch, Incident
from lantern.models.resources import Station, Unit
from lantern.models.sim import SimTruth

__all__ = [
    "Address",
    "City",
    "District",
    "ImportBatch",
    "Incident",
    "RoadEdge",
    "RoadNode",
    "SimTruth",
    "Station",
    "Unit",
]
