from .audit import AuditEntry
from .compensation import Compensation, CompensationPolicy, Voucher
from .exposure import Exposure
from .incidents import Incident, OutageWindow

__all__ = [
    "AuditEntry",
    "Compensation",
    "CompensationPolicy",
    "Exposure",
    "Incident",
    "OutageWindow",
    "Voucher",
]
