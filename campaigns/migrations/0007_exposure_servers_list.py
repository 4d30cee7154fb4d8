"""Exposure.servers becomes a JSON list of server names instead of a ", "-joined string.

Existing rows are converted from their intervals (each piece names its server; the order of first
appearance is the order the string had); a row without intervals keeps the names of its string.
"""

from django.db import migrations

import campaigns.incidents.fields

BATCH = 5_000


def _names(servers_text: str, intervals) -> list[str]:
    from_intervals = list(dict.fromkeys(piece[2] for piece in intervals or [] if len(piece) > 2 and piece[2]))
    if from_intervals:
        return from_intervals
    return [name.strip() for name in (servers_text or "").split(",") if name.strip()]


def _convert(apps, source: str, target: str, convert) -> None:
    Exposure = apps.get_model("campaigns", "Exposure")
    rows = Exposure.objects.only("id", source, "intervals").order_by("id").iterator(chunk_size=BATCH)
    batch = []
    for exposure in rows:
        setattr(exposure, target, convert(exposure))
        batch.append(exposure)
        if len(batch) >= BATCH:
            Exposure.objects.bulk_update(batch, [target], batch_size=BATCH)
            batch = []
    if batch:
        Exposure.objects.bulk_update(batch, [target], batch_size=BATCH)


def forward(apps, schema_editor):
    _convert(apps, "servers", "server_list", lambda exposure: _names(exposure.servers, exposure.intervals))


def backward(apps, schema_editor):
    _convert(apps, "server_list", "servers", lambda exposure: ", ".join(exposure.server_list))


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0006_delivery_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="exposure",
            name="server_list",
            field=campaigns.incidents.fields.NameListField(default=list, verbose_name="servers"),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="exposure", name="servers"),
        migrations.RenameField(model_name="exposure", old_name="server_list", new_name="servers"),
    ]
