"""SQLAlchemy 2.0 typed models, one module per part of the domain."""

from .audit import AuditEvent
from .eido import EidoDocument
from .incidents import (
    ACTIVE_INCIDENT_STATUSES,
    CALL_TYPES,
    DISPOSITIONS,
    SERVICES,
    Assignment,
    Disposition,
    Incident,
    IncidentStatus,
    Outcome,
    StatusEvent,
)
from .people import Discipline, Role, User
from .places import PlaceNote, ReferralLink
from .referrals import (
    ATTEMPT_METHODS,
    ATTEMPT_RESULTS,
    CLOSE_REASONS,
    CONNECTION_SERVICES,
    NEEDS,
    SENSITIVE_NEEDS,
    FollowUpAttempt,
    Referral,
    ReferralClosure,
    ReferralStatus,
    ServiceConnection,
    Urgency,
)
from .teams import Team, TeamStatus, UnitType
from .tokens import ApiToken
from .types import utcnow

__all__ = [
    "ACTIVE_INCIDENT_STATUSES",
    "ApiToken",
    "AuditEvent",
    "EidoDocument",
    "CALL_TYPES",
    "DISPOSITIONS",
    "SERVICES",
    "Assignment",
    "Discipline",
    "Disposition",
    "Incident",
    "IncidentStatus",
    "Outcome",
    "PlaceNote",
    "ReferralLink",
    "Role",
    "StatusEvent",
    "Team",
    "TeamStatus",
    "UnitType",
    "User",
    "utcnow",
    "ATTEMPT_METHODS",
    "ATTEMPT_RESULTS",
    "CLOSE_REASONS",
    "CONNECTION_SERVICES",
    "NEEDS",
    "SENSITIVE_NEEDS",
    "FollowUpAttempt",
    "Referral",
    "ReferralClosure",
    "ReferralStatus",
    "ServiceConnection",
    "Urgency",
]
