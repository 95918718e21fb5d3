"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from lantern.models.alerts import Alert
from lantern.models.audit import AuditEntry, AuditHead
from lantern.models.city import Address, City, District, RoadEdge, RoadNode
from lantern.models.dispatch import Assignment, Call, EidoInbox, IncidentEvent, PremiseWarning, UnitStatusEvent
from lantern.models.incidents import ImportBatch, Incident
from lantern.models.people import IncidentParty
from lantern.models.resources import Station, Unit
from lantern.models.security import ApiToken, LoginAttempt, RecoveryCode, User, UserRole, UserSession
from lantern.models.sim import SimTruth

__all__ = [
    "Address",
    "Alert",
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "AuditHead",
    "Call",
    "City",
    "District",
    "EidoInbox",
    "ImportBatch",
    "Incident",
    "IncidentEvent",
    "IncidentParty",
    "LoginAttempt",
    "PremiseWarning",
    "RecoveryCode",
    "RoadEdge",
    "RoadNode",
    "SimTruth",
    "Station",
    "Unit",
    "UnitStatusEvent",
    "User",
    "UserRole",
    "UserSession",
]
