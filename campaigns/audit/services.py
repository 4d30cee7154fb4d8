"""Recording money-relevant actions in the audit log."""

from campaigns.audit.models import AuditEntry
from campaigns.incidents.models import Incident


def audit_record(*, actor, action: str, incident: Incident | None = None, obj=None, **data) -> AuditEntry:
    """Append one audit entry; ``actor`` is a user or None (system, command line)."""
    label = getattr(actor, "get_username", lambda: "")() if actor is not None else ""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=label or data.pop("actor_label", "system"),
        action=action,
        incident=incident,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )
