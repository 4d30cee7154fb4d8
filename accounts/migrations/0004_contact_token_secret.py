"""Every contact gets its own random sign-in secret (one per row, not one shared default)."""

import secrets

from django.db import migrations, models

import accounts.models


def fill(apps, schema_editor):
    Contact = apps.get_model("accounts", "Contact")
    contacts = list(Contact.objects.only("pk"))
    for contact in contacts:
        contact.token_secret = secrets.token_urlsafe(32)
    Contact.objects.bulk_update(contacts, ["token_secret"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_ledger_append_only")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="token_secret",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="sign-in secret"),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contact",
            name="token_secret",
            field=models.CharField(
                default=accounts.models.new_token_secret, editable=False, max_length=64, verbose_name="sign-in secret"
            ),
        ),
    ]
