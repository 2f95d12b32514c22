"""machines and contracts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:44:13.123600
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from passport_vc.store.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_list_copy",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("fetched_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("url"),
    )
    op.create_table(
        "contract",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("makerspace_id", sa.Integer(), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["makerspace_id"],
            ["makerspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_makerspace_id"), ["makerspace_id"], unique=False
        )

    op.create_table(
        "facility",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("makerspace_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["makerspace_id"],
            ["makerspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_facility_makerspace_id"), ["makerspace_id"], unique=False
        )

    op.create_table(
        "equipment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("facility_id", sa.String(length=36), nullable=False),
        sa.Column("equipment_type", sa.String(length=500), nullable=True),
        sa.Column("manufacturing_process", sa.String(length=500), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("skills_required", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facility.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_equipment_equipment_type"), ["equipment_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_equipment_facility_id"), ["facility_id"], unique=False)

    op.create_table(
        "facility_tag",
        sa.Column("facility_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facility.id"],
        ),
        sa.PrimaryKeyConstraint("facility_id", "kind", "value"),
    )
    with op.batch_alter_table("facility_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facility_tag_value"), ["value"], unique=False)

    op.create_table(
        "equipment_operator",
        sa.Column("equipment_id", sa.String(length=36), nullable=False),
        sa.Column("holder", sa.String(length=2000), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
        ),
        sa.PrimaryKeyConstraint("equipment_id", "holder"),
    )
    op.create_table(
        "qualification_check",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("contract_id", sa.String(), nullable=True),
        sa.Column("equipment_id", sa.String(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("record_credential", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("qualification_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qualification_check_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_qualification_check_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_qualification_check_equipment_id"), ["equipment_id"], unique=False
        )

    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.alter_column("makerspace_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.alter_column("makerspace_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("qualification_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qualification_check_equipment_id"))
        batch_op.drop_index(batch_op.f("ix_qualification_check_created_at"))
        batch_op.drop_index(batch_op.f("ix_qualification_check_contract_id"))

    op.drop_table("qualification_check")
    op.drop_table("equipment_operator")
    with op.batch_alter_table("facility_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_tag_value"))

    op.drop_table("facility_tag")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_facility_id"))
        batch_op.drop_index(batch_op.f("ix_equipment_equipment_type"))

    op.drop_table("equipment")
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_makerspace_id"))
        batch_op.drop_index(batch_op.f("ix_facility_country"))

    op.drop_table("facility")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_makerspace_id"))

    op.drop_table("contract")
    op.drop_table("status_list_copy")
