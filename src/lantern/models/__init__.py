"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from lantern.models.airspace import CrowdCount, CrowdZone, DroneTelemetry, FlightDeclaration, Geozone
from lantern.models.alerts import Alert
from lantern.models.appointments import Booking, Hall, HallClosedDay, HallHours, Slot
from lantern.models.audit import AuditEntry, AuditHead
from lantern.models.city import Address, City, District, RoadEdge, RoadNode
from lantern.models.dispatch import Assignment, Call, EidoInbox, IncidentEvent, PremiseWarning, UnitStatusEvent
from lantern.models.fraud import (
    FraudCall,
    FraudCase,
    FraudCaseEvent,
    FraudHit,
    FraudReport,
    FraudRevealRequest,
    FraudTransaction,
    FraudWarning,
)
from lantern.models.hazmat import HazmatEntry, HazmatHolder, HazmatLicence, HazmatReport
from lantern.models.incidents import ImportBatch, Incident
from lantern.models.lostfound import FoundItem, LostFoundMatch, LostReport
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
from lantern.models.portal import PortalReport, PortalReportEvent, PortalReportPhoto, PortalSubscription
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
    "Booking",
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
    "FoundItem",
    "FraudCall",
    "FraudCase",
    "FraudCaseEvent",
    "FraudHit",
    "FraudReport",
    "FraudRevealRequest",
    "FraudTransaction",
    "FraudWarning",
    "Geofence",
    "Geozone",
    "Hall",
    "HallClosedDay",
    "HallHours",
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
    "LostFoundMatch",
    "LostReport",
    "MailMessage",
    "MonitoredVehicle",
    "OfficerEvent",
    "OfficerPost",
    "OversightCase",
    "PortalReport",
    "PortalReportEvent",
    "PortalReportPhoto",
    "PortalSubscription",
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
    "Slot",
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
