"""Trigram indexes for the search of the conversation list and Contatos: contacts' name, phone and
e-mail, and what was written in messages (PostgreSQL only; SQLite, the laptop default, searches
without them)."""

from django.db import migrations

INDEXES = {
    "contact_name_trgm": "UPPER(name::text)",
    "contact_phone_trgm": "UPPER(phone_number::text)",
    "contact_email_trgm": "UPPER(email::text)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON conversations_contact"
            f" USING gin ({expression} gin_trgm_ops)"
        )
    # Only what the conversation search looks at: incoming and outgoing, not private notes.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS message_content_trgm ON conversations_message"
        " USING gin (UPPER(content::text) gin_trgm_ops)"
        " WHERE message_type IN ('incoming', 'outgoing') AND private = false"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, "message_content_trgm"]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
