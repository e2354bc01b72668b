# The label counts, kept like the conversation counts (0009_i12_conversation_tally): -1/+1 rows
# per (account, label, status, inbox, assignee), written in the transaction of the change.
#
# A label row has to move when its conversation changes cell, and a label put on a conversation
# must land in the conversation's cell of that moment, even while someone else resolves or
# assigns it. So the conversation row carries a copy of its label ids (`label_ids`, written only
# by these triggers): a label put on or taken off updates it under the row's lock, and the
# conversation's trigger writes the rows from OLD and NEW, as the conversation tally does.
# PostgreSQL only: SQLite counts labels with COUNT (see ConversationLabelTally).

from django.db import migrations, models

TRIGGER = """
ALTER TABLE conversations_conversation ADD COLUMN label_ids bigint[] NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION conversations_label_ids() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE conversations_conversation SET label_ids = array_remove(label_ids, OLD.label_id)
        WHERE id = OLD.conversation_id AND OLD.label_id = ANY (label_ids);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE conversations_conversation SET label_ids = array_append(label_ids, NEW.label_id)
        WHERE id = NEW.conversation_id AND NEW.label_id <> ALL (label_ids);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER conversations_label_ids
AFTER INSERT OR DELETE OR UPDATE OF conversation_id, label_id
ON conversations_conversationlabel FOR EACH ROW EXECUTE FUNCTION conversations_label_ids();

CREATE OR REPLACE FUNCTION conversations_label_tally() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.account_id = OLD.account_id AND NEW.status = OLD.status
        AND NEW.inbox_id = OLD.inbox_id AND NEW.assignee_id IS NOT DISTINCT FROM OLD.assignee_id
    THEN
        -- The same cell: only the labels put on or taken off move.
        IF NEW.label_ids <> OLD.label_ids THEN
            INSERT INTO conversations_conversationlabeltally
                (account_id, label_id, status, inbox_id, assignee_id, n)
            SELECT NEW.account_id, l, NEW.status, NEW.inbox_id, NEW.assignee_id, -1
            FROM unnest(OLD.label_ids) AS l WHERE l <> ALL (NEW.label_ids)
            UNION ALL
            SELECT NEW.account_id, l, NEW.status, NEW.inbox_id, NEW.assignee_id, 1
            FROM unnest(NEW.label_ids) AS l WHERE l <> ALL (OLD.label_ids);
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND cardinality(OLD.label_ids) > 0 THEN
        INSERT INTO conversations_conversationlabeltally
            (account_id, label_id, status, inbox_id, assignee_id, n)
        SELECT OLD.account_id, l, OLD.status, OLD.inbox_id, OLD.assignee_id, -1
        FROM unnest(OLD.label_ids) AS l;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND cardinality(NEW.label_ids) > 0 THEN
        INSERT INTO conversations_conversationlabeltally
            (account_id, label_id, status, inbox_id, assignee_id, n)
        SELECT NEW.account_id, l, NEW.status, NEW.inbox_id, NEW.assignee_id, 1
        FROM unnest(NEW.label_ids) AS l;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER conversations_label_tally
AFTER INSERT OR DELETE OR UPDATE OF account_id, status, inbox_id, assignee_id, label_ids
ON conversations_conversation FOR EACH ROW EXECUTE FUNCTION conversations_label_tally();

-- The labels already there: copying them onto their conversations writes their tally rows
-- (the triggers above hold both tables until the migration commits).
UPDATE conversations_conversation c SET label_ids = l.ids
FROM (
    SELECT conversation_id, array_agg(label_id ORDER BY label_id) AS ids
    FROM conversations_conversationlabel GROUP BY conversation_id
) l
WHERE c.id = l.conversation_id;
"""
DROP = """
DROP TRIGGER IF EXISTS conversations_label_tally ON conversations_conversation;
DROP FUNCTION IF EXISTS conversations_label_tally();
DROP TRIGGER IF EXISTS conversations_label_ids ON conversations_conversationlabel;
DROP FUNCTION IF EXISTS conversations_label_ids();
ALTER TABLE conversations_conversation DROP COLUMN IF EXISTS label_ids;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0012_i9_queue_cause_rule"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConversationLabelTally",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("account_id", models.BigIntegerField()),
                ("label_id", models.BigIntegerField()),
                ("status", models.CharField(max_length=16)),
                ("inbox_id", models.BigIntegerField()),
                ("assignee_id", models.BigIntegerField(null=True)),
                ("n", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["account_id", "status", "label_id"],
                        include=("inbox_id", "assignee_id", "n"),
                        name="conv_label_tally_cell",
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="conversationtally",
            index=models.Index(
                fields=["account_id", "team_id", "status"],
                include=("inbox_id", "assignee_id", "n"),
                name="conv_tally_team",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
