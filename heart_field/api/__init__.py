"""The CAD integration API, /api/v1: versioned JSON with bearer tokens (see README, "For integrators")."""

DESCRIPTION = (
    "HEART Field's interface for the Durham ECC's computer-aided dispatch system. "
    "Every request but this document carries `Authorization: Bearer <token>`. "
    'Errors are JSON `{"error": code, "message": text}` with a 4xx status. '
    "`POST /incidents` is idempotent by `cad_number`."
)

# The EIDO operations register themselves on the API blueprint (routes.bp).
from . import eido as _eido  # noqa: E402, F401
