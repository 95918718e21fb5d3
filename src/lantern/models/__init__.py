"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from lantern.models.audit import AuditEntry, AuditHead
from lantern.models.city import Address, City, District, RoadEdge, RoadNode
from lantern.models.incidents import ImportBatch, Incident
from lantern.models.people import IncidentParty
from lantern.models.resources import Station, Unit
from lantern.models.security import ApiToken, LoginAttempt, RecoveryCode, User, UserRole, UserSession
from lantern.models.sim import SimTruth

__all__ = [
    "Address",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "City",
    "District",
    "ImportBatch",
    "Incident",
    "IncidentParty",
    "LoginAttempt",
    "RecoveryCode",
    "RoadEdge",
    "RoadNode",
    "SimTruth",
    "Station",
    "Unit",
    "User",
    "UserRole",
    "UserSession",
]
