"""merge the feature heads of issues 6 and 7 (traceability chain and reverse trace, filings,
early warning, inspections, complaints and integrity) into one head

Revision ID: 0014
Revises: 0007, 0008, 0009, 0010, 0011, 0013
Create Date: 2026-11-27 08:15:00
"""

revision = '0014'
down_revision = ('0007', '0008', '0009', '0010', '0011', '0013')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
