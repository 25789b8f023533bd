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
from .push import PushFeedCursor, PushMessage, PushSubscription
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
from .sessions import SignInFailure, UserSession
from .shifts import REQUIRED_ROLES, CrewRole, Shift, SignInLink
from .steering import (
    NOTE_MAX_LENGTH,
    RESOLUTIONS,
    URGENT_ACK_SECONDS,
    CallNote,
    CallResolution,
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
    "PushFeedCursor",
    "PushMessage",
    "PushSubscription",
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
    "SignInFailure",
    "UserSession",
    "Urgency",
    "NOTE_MAX_LENGTH",
    "RESOLUTIONS",
    "URGENT_ACK_SECONDS",
    "CallNote",
    "CallResolution",
    "REQUIRED_ROLES",
    "CrewRole",
    "Shift",
    "SignInLink",
]
