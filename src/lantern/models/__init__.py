"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from lantern.models.airspace import CrowdCount, CrowdZone, DroneTelemetry, FlightDeclaration, Geozone
from lantern.models.alerts import Alert
from lantern.models.audit import AuditEntry, AuditHead
from lantern.models.city import Address, City, District, RoadEdge, RoadNode
from lantern.models.dispatch import Assignment, Call, EidoInbox, IncidentEvent, PremiseWarning, UnitStatusEvent
from lantern.models.fraud import FraudCall, FraudCase, FraudHit, FraudReport, FraudTransaction, FraudWarning
from lantern.models.hazmat import HazmatEntry, HazmatHolder, HazmatLicence, HazmatReport
from lantern.models.incidents import ImportBatch, Incident
from lantern.models.mail import MailMessage
from lantern.models.monitor import (
    EngineCheckpoint,
    Geofence,
    HotlistEntry,
    HotlistHit,
    MonitoredVehicle,
    Position,
    Reader,
    ReaderCount,
    Terminal,
)
from lantern.models.oversight import (
    CaseStep,
    Complaint,
    ComplaintEvent,
    CustodyEvent,
    EisFlag,
    EisReview,
    EnforcementAction,
    EvidenceItem,
    OfficerEvent,
    OfficerPost,
    OversightCase,
    SceneExamination,
    StepExtension,
)
from lantern.models.people import IncidentParty
from lantern.models.resources import Station, Unit
from lantern.models.security import ApiToken, LoginAttempt, RecoveryCode, User, UserRole, UserSession
from lantern.models.sim import SimTruth
from lantern.models.traffic import RoadEvent, SegmentSpeed, TrafficDetector, TrafficReading

__all__ = [
    "Address",
    "Alert",
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "AuditHead",
    "Call",
    "CaseStep",
    "City",
    "Complaint",
    "ComplaintEvent",
    "CrowdCount",
    "CrowdZone",
    "CustodyEvent",
    "District",
    "DroneTelemetry",
    "EidoInbox",
    "EisFlag",
    "EisReview",
    "EnforcementAction",
    "EngineCheckpoint",
    "EvidenceItem",
    "FlightDeclaration",
    "FraudCall",
    "FraudCase",
    "FraudHit",
    "FraudReport",
    "FraudTransaction",
    "FraudWarning",
    "Geofence",
    "Geozone",
    "HazmatEntry",
    "HazmatHolder",
    "HazmatLicence",
    "HazmatReport",
    "HotlistEntry",
    "HotlistHit",
    "ImportBatch",
    "Incident",
    "IncidentEvent",
    "IncidentParty",
    "LoginAttempt",
    "MailMessage",
    "MonitoredVehicle",
    "OfficerEvent",
    "OfficerPost",
    "OversightCase",
    "Position",
    "PremiseWarning",
    "Reader",
    "ReaderCount",
    "RecoveryCode",
    "RoadEdge",
    "RoadEvent",
    "RoadNode",
    "SceneExamination",
    "SegmentSpeed",
    "SimTruth",
    "Station",
    "StepExtension",
    "Terminal",
    "TrafficDetector",
    "TrafficReading",
    "Unit",
    "UnitStatusEvent",
    "User",
    "UserRole",
    "UserSession",
]
