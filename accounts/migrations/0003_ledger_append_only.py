"""On PostgreSQL the ledger refuses UPDATE and DELETE at the database: append-only for everyone."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION accounts_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'accounts_ledgerentry is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_ledger_append_only
    BEFORE UPDATE OR DELETE ON accounts_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION accounts_ledger_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_ledger_append_only ON accounts_ledgerentry;
DROP FUNCTION IF EXISTS accounts_ledger_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_contact_portal_sign_in")]
    operations = [migrations.RunPython(forward, backward)]
