"""An incident's title and description in de, fr, it and en (django-modeltranslation).

modeltranslation adds ``title_de`` … ``description_en`` columns and makes ``incident.title`` read
the active language's. Its fallback order is one setting for every row; an incident's text falls
back to *that incident's* default language first, so the two fields get a descriptor that reads:
the active language, the incident's default language, the other languages, then the original
column (what an import without per-language titles wrote).
"""

from typing import cast

from django.db.models import Field
from django.utils.translation import get_language
from modeltranslation.fields import TranslationFieldDescriptor
from modeltranslation.translator import TranslationOptions, translator

from campaigns.incidents.models import INCIDENT_LANGUAGES, Incident

TRANSLATED_FIELDS = ("title", "description")


class IncidentTranslationOptions(TranslationOptions):
    fields = TRANSLATED_FIELDS


class IncidentTextDescriptor(TranslationFieldDescriptor):
    """The field in the reader's language, else in the incident's default language, else any."""

    def __get__(self, instance, owner):
        if instance is None:
            return self
        name = self.field.name
        active = (get_language() or "")[:2]
        # values()/values_list() call this with a stand-in object that carries only the columns read.
        own_default = getattr(instance, "default_language", None)
        for language in dict.fromkeys((active, own_default, *INCIDENT_LANGUAGES)):
            value = getattr(instance, f"{name}_{language}", None)
            if value:
                return value
        return instance.__dict__.get(name) or ""


translator.register(Incident, IncidentTranslationOptions)
for _name in TRANSLATED_FIELDS:
    setattr(Incident, _name, IncidentTextDescriptor(cast(Field, Incident._meta.get_field(_name))))
