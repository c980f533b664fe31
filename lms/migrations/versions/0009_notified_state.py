"""seller_profiles.notified_state: the eligibility state platforms were last told

Revision ID: 0009_notified_state
Revises: 0008_certificate_lookup
Create Date: 2026-11-27 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_notified_state'
down_revision = '0008_certificate_lookup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('seller_profiles') as batch_op:
        batch_op.add_column(sa.Column('notified_state', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('seller_profiles') as batch_op:
        batch_op.drop_column('notified_state')
