"""Initial schema: users, messages and the message event log.

Revision ID: 0001
Revises:
Create Date: 2026-12-03

Times are plain timezone-aware columns here; the application's UTCDateTime
type stores UTC in them. Statuses are short strings with a CHECK constraint,
not a PostgreSQL enum, so that adding one later is an ordinary migration.
"""

import sqlalchemy as sa

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Instant = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("username_key", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("registered_at", Instant, nullable=False),
        sa.Column(
            "session_generation", sa.Integer(), server_default="0", nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username_key", name=op.f("uq_users_username_key")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("send_at", Instant, nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dispatched_at", Instant, nullable=True),
        sa.Column("spooled_at", Instant, nullable=True),
        sa.Column("spool_host", sa.String(length=255), nullable=True),
        sa.Column("sent_at", Instant, nullable=True),
        sa.Column("smtp_reply", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_messages_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(op.f("ix_messages_owner_id"), "messages", ["owner_id"])
    op.create_index("ix_messages_status_send_at", "messages", ["status", "send_at"])

    op.create_table(
        "message_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", Instant, nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_events_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_events")),
    )
    op.create_index(
        op.f("ix_message_events_message_id"), "message_events", ["message_id"]
    )


def downgrade():
    op.drop_table("message_events")
    op.drop_table("messages")
    op.drop_table("users")
