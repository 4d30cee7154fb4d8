"""A list of names stored as a JSON array, with an ``overlap`` lookup that works on PostgreSQL and
SQLite alike: ``Exposure.objects.filter(servers__overlap=["server11", "server02"])``.

Django's JSONField ``contains`` is not available on SQLite, and a text match on the stored JSON
would take server1 for server19; this lookup compares whole array elements on both databases.
"""

from django.db import NotSupportedError, models
from django.db.models import Lookup


class NameListField(models.JSONField):
    """A JSON array of strings (e.g. the servers an exposure names, in order of first appearance)."""

    def get_prep_value(self, value):
        # A bare string would be stored as a JSON scalar that no list lookup can read.
        if value is not None and (
            not isinstance(value, list | tuple) or not all(isinstance(name, str) for name in value)
        ):
            raise TypeError(f"{self.name} takes a list of names, not {value!r}")
        return super().get_prep_value(list(value) if value is not None else None)


@NameListField.register_lookup
class Overlap(Lookup):
    """True when the stored list shares at least one element with the given names."""

    lookup_name = "overlap"
    prepare_rhs = False

    def _names(self) -> list[str]:
        names = [self.rhs] if isinstance(self.rhs, str) else list(self.rhs)
        return [str(name) for name in names]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        names = self._names()
        if not names:
            return "FALSE", []
        return f"{lhs} ?| %s::text[]", (*lhs_params, names)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        names = self._names()
        if not names:
            return "0", []
        placeholders = ", ".join(["%s"] * len(names))
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) AS item WHERE item.value IN ({placeholders}))",
            (*lhs_params, *names),
        )

    def as_sql(self, compiler, connection):
        raise NotSupportedError(f"the overlap lookup is not implemented for {connection.vendor}")
