"""Django's one model registry for the campaigns app: every slice's models, imported here.

Code inside a slice imports its models from the slice (``campaigns.incidents.models``) so that
the import contracts see the real dependencies; this module exists for Django and the tests.
"""

from campaigns.api.models import ApiToken, IdempotentRequest, MonitoringAlert
from campaigns.audit.models import AuditEntry
from campaigns.claims.models import Claim, ClaimAttachment
from campaigns.compensation.models import (
    Compensation,
    CompensationPolicy,
    CompensationTopUp,
    GoodwillCredit,
    PolicyProposal,
    Voucher,
)
from campaigns.finance.models import VoucherReminder
from campaigns.incidents.models import Exposure, ExposureAdjustment, Incident, OutageWindow
from campaigns.mailings.models import Delivery, DeliveryEvent, Mailing, PeriodicRun, SuppressedAddress
from campaigns.offers.models import OfferSettings, PartnerCode, PartnerPool, Redemption
from campaigns.status.models import IncidentUpdate

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Claim",
    "ClaimAttachment",
    "Compensation",
    "CompensationPolicy",
    "CompensationTopUp",
    "Delivery",
    "DeliveryEvent",
    "Exposure",
    "ExposureAdjustment",
    "GoodwillCredit",
    "IdempotentRequest",
    "Incident",
    "IncidentUpdate",
    "Mailing",
    "MonitoringAlert",
    "OfferSettings",
    "OutageWindow",
    "PartnerCode",
    "PartnerPool",
    "PeriodicRun",
    "PolicyProposal",
    "Redemption",
    "SuppressedAddress",
    "Voucher",
    "VoucherReminder",
]
