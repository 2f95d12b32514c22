"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 02:54:27.281245
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from passport_vc.store.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("api_key_hint", sa.String(length=16), nullable=True),
        sa.Column("makerspace_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_makerspace_id"), ["makerspace_id"], unique=False
        )

    op.create_table(
        "challenge",
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("value"),
    )
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_challenge_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "makerspace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("did", sa.String(length=400), nullable=False),
        sa.Column("did_method", sa.String(length=8), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("facility_url", sa.String(length=2000), nullable=True),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("api_key_hint", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_key_hash"),
        sa.UniqueConstraint("did"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "trusted_issuer",
        sa.Column("did", sa.String(length=400), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("did"),
    )
    op.create_table(
        "credential",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=2000), nullable=False),
        sa.Column("makerspace_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=2000), nullable=True),
        sa.Column("skill_uri", sa.String(length=400), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("valid_until", UtcDateTime(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["makerspace_id"],
            ["makerspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id"),
    )
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_holder"), ["holder"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_credential_makerspace_id"), ["makerspace_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credential_skill_uri"), ["skill_uri"], unique=False)

    op.create_table(
        "signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("makerspace_id", sa.Integer(), nullable=False),
        sa.Column("verification_method", sa.String(length=500), nullable=False),
        sa.Column("fragment", sa.String(length=64), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=64), nullable=False),
        sa.Column("sealed_private", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["makerspace_id"],
            ["makerspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("verification_method"),
    )
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signing_key_makerspace_id"), ["makerspace_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signing_key_state"), ["state"], unique=False)

    op.create_table(
        "status_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("makerspace_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["makerspace_id"],
            ["makerspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("makerspace_id", "purpose", "seq"),
    )
    with op.batch_alter_table("status_list", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_list_makerspace_id"), ["makerspace_id"], unique=False
        )

    op.create_table(
        "status_entry",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credential.id"],
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["status_list.id"],
        ),
        sa.PrimaryKeyConstraint("list_id", "idx"),
    )
    with op.batch_alter_table("status_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_entry_credential_id"), ["credential_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("status_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_entry_credential_id"))

    op.drop_table("status_entry")
    with op.batch_alter_table("status_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_list_makerspace_id"))

    op.drop_table("status_list")
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_key_state"))
        batch_op.drop_index(batch_op.f("ix_signing_key_makerspace_id"))

    op.drop_table("signing_key")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_skill_uri"))
        batch_op.drop_index(batch_op.f("ix_credential_makerspace_id"))
        batch_op.drop_index(batch_op.f("ix_credential_issued_at"))
        batch_op.drop_index(batch_op.f("ix_credential_holder"))

    op.drop_table("credential")
    op.drop_table("trusted_issuer")
    op.drop_table("makerspace")
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_expires_at"))

    op.drop_table("challenge")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_makerspace_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
