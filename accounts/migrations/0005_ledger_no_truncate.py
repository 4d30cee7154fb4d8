"""On PostgreSQL the ledger also refuses TRUNCATE while it holds rows (a statement-level trigger):
neither `TRUNCATE` nor `manage.py flush` can empty it. SQLite has no TRUNCATE: nothing to do."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION accounts_ledger_no_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM accounts_ledgerentry) THEN
        RAISE EXCEPTION USING
            MESSAGE = 'accounts_ledgerentry is append-only: TRUNCATE refused',
            ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_ledger_no_truncate
    BEFORE TRUNCATE ON accounts_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_ledger_no_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_ledger_no_truncate ON accounts_ledgerentry;
DROP FUNCTION IF EXISTS accounts_ledger_no_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_contact_token_secret")]
    operations = [migrations.RunPython(forward, backward)]
