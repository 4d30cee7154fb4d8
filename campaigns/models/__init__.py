from .audit import AuditEntry
from .compensation import Compensation, CompensationPolicy, Voucher
from .exposure import Exposure
from .incidents import Incident, OutageWindow
from .mailing import Delivery, DeliveryEvent, Mailing, SuppressedAddress
from .reminders import VoucherReminder
from .status import IncidentUpdate

__all__ = [
    "AuditEntry",
    "Compensation",
    "CompensationPolicy",
    "Delivery",
    "DeliveryEvent",
    "Exposure",
    "Incident",
    "IncidentUpdate",
    "Mailing",
    "OutageWindow",
    "SuppressedAddress",
    "Voucher",
    "VoucherReminder",
]
