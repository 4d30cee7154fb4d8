"""A mailing the product drafts has no stored name: the console names it in its reader's language."""

from django.utils import translation

from campaigns.mailings.services import mailing_create_default
from tests.factories import IncidentFactory, MailingFactory


def test_the_default_apology_is_named_in_the_readers_language(db):
    incident = IncidentFactory(title_de="Speicherausfall", title_fr="Panne de stockage", title_en="Storage outage")

    mailing = mailing_create_default(incident=incident)

    assert mailing.name == ""
    names = {}
    for language in ("de", "fr", "it", "en"):
        with translation.override(language):
            names[language] = mailing.display_name
    assert names == {
        "de": "Entschuldigung: Speicherausfall",
        "fr": "Excuses : Panne de stockage",
        "it": "Scuse: Speicherausfall",  # no Italian title: the incident's default language (de)
        "en": "Apology: Storage outage",
    }


def test_a_name_support_gave_stays_as_it_is(db):
    mailing = MailingFactory(name="Zweiter Versand")

    with translation.override("fr"):
        assert mailing.display_name == str(mailing) == "Zweiter Versand"
