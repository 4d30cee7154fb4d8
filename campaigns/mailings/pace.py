"""A mailing's pace: its sending rate and batch size, which support may change until it finishes.

The rate is read by every batch when it starts (``handover.Throttle``), so a change slows or
speeds the sending from the next batch on; the batch size splits the deliveries queued from then
on (launch, resume, retry).
"""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.audit.services import audit_record
from campaigns.mailings.models import Mailing

FINISHED = (Mailing.Status.DONE, Mailing.Status.CANCELLED)
MAX_BATCH = 5000
MAX_RATE = 1000


class PaceRefused(Exception):
    pass


class PaceForm(forms.Form):
    rate_per_second = forms.FloatField(
        label=_("Messages per second"), min_value=0, max_value=MAX_RATE, help_text=_("0: as fast as the workers can")
    )
    batch_size = forms.IntegerField(label=_("Batch size"), min_value=1, max_value=MAX_BATCH)


def mailing_set_pace(*, mailing: Mailing, rate_per_second: float, batch_size: int, by) -> Mailing:
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status in FINISHED:
            raise PaceRefused(gettext("The mailing is finished; its pace no longer changes."))
        before = {"rate_per_second": mailing.rate_per_second, "batch_size": mailing.batch_size}
        after = {"rate_per_second": rate_per_second, "batch_size": batch_size}
        if before != after:
            mailing.rate_per_second, mailing.batch_size = rate_per_second, batch_size
            mailing.save(update_fields=["rate_per_second", "batch_size"])
            audit_record(
                actor=by, action="mailing.pace", incident=mailing.incident, obj=mailing, before=before, after=after
            )
    return mailing
