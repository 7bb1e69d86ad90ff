"""The province read model: declarations and their stages, committees, meetings, results, certificates
and integrity records, projected from every service's events (issue 17, docs/readmodel.md)."""

from alembic import op

revision: str = "gateway_readmodel"
down_revision: str | None = "gateway_feeds"

# Frozen DDL of zhicheng_gateway.readmodel.models at this revision (a rebuild creates the same
# tables in a fresh schema from the models and swaps them in).
STATEMENTS = (
    """
CREATE TABLE gateway.rm_applied_events (
    event_id UUID NOT NULL,
    producer VARCHAR(32) NOT NULL,
    CONSTRAINT pk_rm_applied_events PRIMARY KEY (event_id)
)
""",
    """
CREATE TABLE gateway.rm_declarations (
    declaration_id UUID NOT NULL,
    region VARCHAR(6) NOT NULL,
    applicant_key VARCHAR(64),
    holder_sealed VARCHAR(2048),
    employer_name VARCHAR(256),
    year INTEGER,
    series VARCHAR(64),
    specialty VARCHAR(128),
    level VARCHAR(32),
    kind VARCHAR(32),
    channel VARCHAR(32),
    committee_id UUID,
    stage VARCHAR(24) NOT NULL,
    stage_since TIMESTAMP WITH TIME ZONE NOT NULL,
    due DATE,
    returned_count INTEGER NOT NULL,
    qualified BOOLEAN NOT NULL,
    review_rule_ids JSONB NOT NULL,
    meeting_id UUID,
    result VARCHAR(16),
    certificate_number VARCHAR(64),
    CONSTRAINT pk_rm_declarations PRIMARY KEY (declaration_id)
)
""",
    "CREATE INDEX ix_rm_declarations_committee ON gateway.rm_declarations (committee_id)",
    "CREATE INDEX ix_rm_declarations_region ON gateway.rm_declarations (region varchar_pattern_ops)",
    """
CREATE INDEX ix_rm_declarations_stage_region
ON gateway.rm_declarations (stage, region varchar_pattern_ops)
""",
    """
CREATE TABLE gateway.rm_stage_visits (
    event_id UUID NOT NULL,
    declaration_id UUID NOT NULL,
    stage VARCHAR(24) NOT NULL,
    entered_at TIMESTAMP WITH TIME ZONE NOT NULL,
    entered_on DATE NOT NULL,
    left_on DATE,
    working_days INTEGER,
    due DATE,
    CONSTRAINT pk_rm_stage_visits PRIMARY KEY (event_id, declaration_id)
)
""",
    "CREATE INDEX ix_rm_stage_visits_declaration ON gateway.rm_stage_visits (declaration_id, entered_at)",
    """
CREATE TABLE gateway.rm_committees (
    committee_id UUID NOT NULL,
    region VARCHAR(6) NOT NULL,
    name VARCHAR(256) NOT NULL,
    kind VARCHAR(32),
    organizer_name VARCHAR(256),
    series VARCHAR(64),
    levels JSONB NOT NULL,
    specialties JSONB NOT NULL,
    status VARCHAR(24) NOT NULL,
    valid_from DATE,
    valid_until DATE,
    policy_pack VARCHAR(64),
    CONSTRAINT pk_rm_committees PRIMARY KEY (committee_id)
)
""",
    "CREATE INDEX ix_rm_committees_region ON gateway.rm_committees (region varchar_pattern_ops)",
    """
CREATE TABLE gateway.rm_meetings (
    meeting_id UUID NOT NULL,
    committee_id UUID NOT NULL,
    region VARCHAR(6) NOT NULL,
    meeting_date DATE,
    state VARCHAR(24) NOT NULL,
    applicant_count INTEGER,
    members INTEGER,
    attending INTEGER,
    evaluated_count INTEGER,
    passed_count INTEGER,
    document_number VARCHAR(128),
    confirmed_on DATE,
    CONSTRAINT pk_rm_meetings PRIMARY KEY (meeting_id)
)
""",
    "CREATE INDEX ix_rm_meetings_region ON gateway.rm_meetings (region varchar_pattern_ops)",
    """
CREATE TABLE gateway.rm_results (
    declaration_id UUID NOT NULL,
    meeting_id UUID NOT NULL,
    committee_id UUID NOT NULL,
    committee_name VARCHAR(256) NOT NULL,
    region VARCHAR(6) NOT NULL,
    year INTEGER NOT NULL,
    passed BOOLEAN NOT NULL,
    applicant_key VARCHAR(64),
    applicant_name_sealed VARCHAR(1024),
    series VARCHAR(64),
    specialty VARCHAR(128),
    level VARCHAR(32),
    title_name VARCHAR(128),
    document_number VARCHAR(128) NOT NULL,
    approving_authority VARCHAR(256) NOT NULL,
    confirmed_on DATE NOT NULL,
    title_obtained_on DATE NOT NULL,
    confirmed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_rm_results PRIMARY KEY (declaration_id)
)
""",
    "CREATE INDEX ix_rm_results_committee_year ON gateway.rm_results (committee_id, year)",
    "CREATE INDEX ix_rm_results_region ON gateway.rm_results (region varchar_pattern_ops)",
    """
CREATE TABLE gateway.rm_certificates (
    certificate_number VARCHAR(64) NOT NULL,
    region VARCHAR(6) NOT NULL,
    declaration_id UUID,
    holder_key VARCHAR(64) NOT NULL,
    holder_name_key VARCHAR(64),
    holder_name_sealed VARCHAR(1024) NOT NULL,
    series VARCHAR(64) NOT NULL,
    specialty VARCHAR(128) NOT NULL,
    level VARCHAR(32) NOT NULL,
    title_name VARCHAR(128) NOT NULL,
    committee_id UUID,
    year INTEGER NOT NULL,
    obtained_on DATE NOT NULL,
    issued_at TIMESTAMP WITH TIME ZONE NOT NULL,
    basis VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    status_at TIMESTAMP WITH TIME ZONE,
    reason_category VARCHAR(64),
    superseded_by VARCHAR(64),
    CONSTRAINT pk_rm_certificates PRIMARY KEY (certificate_number)
)
""",
    "CREATE INDEX ix_rm_certificates_committee ON gateway.rm_certificates (committee_id)",
    "CREATE INDEX ix_rm_certificates_holder_key ON gateway.rm_certificates (holder_key)",
    "CREATE INDEX ix_rm_certificates_name_key ON gateway.rm_certificates (holder_name_key)",
    """
CREATE INDEX ix_rm_certificates_obtained
ON gateway.rm_certificates (obtained_on, certificate_number)
""",
    "CREATE INDEX ix_rm_certificates_region ON gateway.rm_certificates (region varchar_pattern_ops)",
    """
CREATE INDEX ix_rm_certificates_series_level_year
ON gateway.rm_certificates (series, level, year, obtained_on, certificate_number)
""",
    """
CREATE INDEX ix_rm_certificates_status_year
ON gateway.rm_certificates (status, year, obtained_on, certificate_number)
""",
    """
CREATE TABLE gateway.rm_integrity_records (
    record_id UUID NOT NULL,
    region VARCHAR(6) NOT NULL,
    subject_kind VARCHAR(16) NOT NULL,
    subject_key VARCHAR(64) NOT NULL,
    kind VARCHAR(64) NOT NULL,
    state VARCHAR(16) NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE NOT NULL,
    effects JSONB NOT NULL,
    rule_ids JSONB NOT NULL,
    committee_id UUID,
    declaration_id UUID,
    shared_with_credit_platform BOOLEAN NOT NULL,
    CONSTRAINT pk_rm_integrity_records PRIMARY KEY (record_id)
)
""",
    """
CREATE INDEX ix_rm_integrity_records_region
ON gateway.rm_integrity_records (region varchar_pattern_ops)
""",
    "CREATE INDEX ix_rm_integrity_records_subject ON gateway.rm_integrity_records (subject_key)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "gateway.rm_integrity_records",
        "gateway.rm_certificates",
        "gateway.rm_results",
        "gateway.rm_meetings",
        "gateway.rm_committees",
        "gateway.rm_stage_visits",
        "gateway.rm_declarations",
        "gateway.rm_applied_events",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
