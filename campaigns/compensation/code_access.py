"""Who sees a voucher code whole: its customer (portal, letter, PDF) and finance. Everyone else
on staff sees it masked (``ABCD-••••-••••-6789``), and every time finance is shown codes whole
outside the letter itself, the audit log records who, where and which vouchers."""

from accounts.roles import is_finance
from campaigns.audit.services import audit_record
from campaigns.incidents.models import Incident

CODE_SHOWN = "voucher.code_shown"


def code_visible_to(user) -> bool:
    """True when ``user`` may see codes whole (finance, or a superuser)."""
    return user is not None and is_finance(user)


def code_shown_record(
    *, user, where: str, voucher_ids: list[int] | None = None, incident: Incident | None = None, actor_label: str = ""
) -> None:
    """Audit that full codes were shown to ``user`` (None: the command line, named by
    ``actor_label``): those of ``voucher_ids``, or with None every code of ``incident`` (exports)."""
    if voucher_ids is not None and not voucher_ids:
        return
    extra = {"actor_label": actor_label} if actor_label else {}
    vouchers = sorted(voucher_ids) if voucher_ids is not None else "all of the incident"
    audit_record(actor=user, action=CODE_SHOWN, incident=incident, where=where, vouchers=vouchers, **extra)
