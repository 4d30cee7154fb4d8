from .audit import AuditEntry
from .compensation import Compensation, CompensationPolicy, Voucher
from .exposure import Exposure
from .incidents import Incident, OutageWindow
from .mailing import Delivery, DeliveryEvent, Mailing, SuppressedAddress

__all__ = [
    "AuditEntry",
    "Compensation",
    "CompensationPolicy",
    "Delivery",
    "DeliveryEvent",
    "Exposure",
    "Incident",
    "Mailing",
    "OutageWindow",
    "SuppressedAddress",
    "Voucher",
]
