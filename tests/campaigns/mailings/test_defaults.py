"""Every new mailing starts with the sending parameters of the settings, whichever service makes it."""

import pytest

from campaigns.mailings.drafts import mailing_draft_create
from campaigns.mailings.services import mailing_create_default
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_new_mailings_take_the_sending_parameters_from_the_settings(settings, support_user):
    # given sending parameters set for the installation
    settings.HOSTNOTIFY = {
        **settings.HOSTNOTIFY,
        "MAIL_BATCH_SIZE": 37,
        "MAIL_RATE_PER_SECOND": 4.5,
        "MAIL_AUTO_PAUSE_ERROR_RATE": 0.35,
    }
    incident = IncidentFactory()
    # when the default apology and a draft are created
    made = [
        mailing_create_default(incident=incident, by=None),
        mailing_draft_create(incident=incident, by=support_user, name="Update"),
    ]
    # then both start with them
    for mailing in made:
        mailing.refresh_from_db()
        assert (mailing.batch_size, mailing.rate_per_second, mailing.auto_pause_error_rate) == (37, 4.5, 0.35)
