"""The cloud connector's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", BigInteger, nullable=False),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("token_hash", LargeBinary(32), primary_key=True),
    Column("building", String(64), nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)

hubs = Table(
    "hubs",
    metadata,
    Column("hub_id", String(32), primary_key=True),
    Column("building", String(64), nullable=False, index=True),
    Column("public_key", LargeBinary(65), nullable=False),
    Column("registered_at", BigInteger, nullable=False),
)

meters = Table(
    "meters",
    metadata,
    Column("meter_id", String(32), primary_key=True),
    Column("hub_id", String(32), nullable=False),
    Column("building", String(64), nullable=False),
    Column("dwelling", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("public_key", LargeBinary(65), nullable=False),
)

readings = Table(
    "readings",
    metadata,
    Column("meter_id", String(32), primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    Column("digest", LargeBinary(32), nullable=False),
    Column("packet", LargeBinary, nullable=False),
    Column("building", String(64), nullable=False),
    Column("dwelling", String(32), nullable=False, index=True),
    Column("quantity", Integer, nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
)

# One row per reading that was sent with other content than the stored one: the first such
# packet, and how many times (and when last) one came (version 5: bounded, SPEC S6).
conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meter_id", String(32), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("digest", LargeBinary(32), nullable=False),
    Column("packet", LargeBinary, nullable=False),
    Column("hub_id", String(32), nullable=False),
    Column("flagged_at", BigInteger, nullable=False),
    Column("occurrences", Integer, nullable=False, server_default="1"),
    Column("last_flagged_at", BigInteger, nullable=True),
)
CONFLICT_PER_READING = Index(
    "conflicts_one_per_reading", conflicts.c.meter_id, conflicts.c.sequence, unique=True
)

# -- version 2: people, balances and payments ------------------------------------------------

principals = Table(
    "principals",
    metadata,
    Column("token_hash", LargeBinary(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("building", String(64), nullable=False),
    Column("dwelling", String(32), nullable=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("building", String(64), primary_key=True),
    Column("dwelling", String(32), primary_key=True),
    Column("balance_millicents", BigInteger, nullable=False),
    Column("threshold_cents", BigInteger, nullable=False),
    Column("below_threshold", Boolean, nullable=False),
)

tariffs = Table(
    "tariffs",
    metadata,
    Column("building", String(64), primary_key=True),
    Column("quantity", Integer, primary_key=True),
    Column("millicents_per_unit", BigInteger, nullable=False),
)

meter_totals = Table(
    "meter_totals",
    metadata,
    Column("meter_id", String(32), primary_key=True),
    Column("highest_value", BigInteger, nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("building", String(64), nullable=False),
    Column("dwelling", String(32), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("building", String(64), nullable=False),
    Column("dwelling", String(32), nullable=False),
    Column("balance_cents", BigInteger, nullable=False),
    Column("sent_at", BigInteger, nullable=False),
)

# -- version 3: the key ledger (issue 5) -----------------------------------------------------
# Append-only: rows are only ever inserted. The Merkle tree is rebuilt from the leaf hashes at
# start; each cosigned checkpoint the log published is kept with its size.

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("appended_at", BigInteger, nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False, index=True),
    Column("note", Text, nullable=False),
    Column("cosignatures", Integer, nullable=False),
    Column("published_at", BigInteger, nullable=False),
)

VERSION_1 = (enrolments, hubs, meters, readings, conflicts)
VERSION_2 = (principals, accounts, tariffs, meter_totals, payments, reminders)
VERSION_3 = (ledger_entries, ledger_checkpoints)

# -- version 4: biometric consents and sealed templates, the tenancy record (issue 6) --------
# The cloud keeps signed records exactly as signed, plus the few public fields it looks them up
# by. Sealed templates and payments are ciphertexts the cloud cannot open.

biometric_consents = Table(
    "biometric_consents",
    metadata,
    Column("digest", LargeBinary(32), primary_key=True),
    Column("template_id", LargeBinary(16), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("tenant_kid", LargeBinary(16), nullable=False),
    Column("tenant_key", LargeBinary(65), nullable=False),
    Column("lock", String(64), nullable=False),
    Column("purposes", String(64), nullable=False),
    Column("given_at", BigInteger, nullable=False),
    Column("record", LargeBinary, nullable=False),
    Column("received_at", BigInteger, nullable=False),
)

biometric_withdrawals = Table(
    "biometric_withdrawals",
    metadata,
    Column("consent", LargeBinary(32), primary_key=True),
    Column("template_id", LargeBinary(16), nullable=False, index=True),
    Column("withdrawn_at", BigInteger, nullable=False),
    Column("record", LargeBinary, nullable=False),
    Column("bundles_erased", Integer, nullable=False),
    Column("received_at", BigInteger, nullable=False),
)

sealed_templates = Table(
    "sealed_templates",
    metadata,
    Column("digest", LargeBinary(32), primary_key=True),
    Column("template_id", LargeBinary(16), nullable=False, index=True),
    Column("building", String(64), nullable=False),
    Column("lock", String(64), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("epoch", BigInteger, nullable=False),
    Column("station", String(64), nullable=False),
    Column("bundle", LargeBinary, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
)

lease_contracts = Table(
    "lease_contracts",
    metadata,
    Column("digest", LargeBinary(32), primary_key=True),
    Column("landlord", String(64), nullable=False),
    Column("landlord_kid", LargeBinary(16), nullable=False),
    Column("tenant", String(64), nullable=False, index=True),
    Column("tenant_kid", LargeBinary(16), nullable=False, index=True),
    Column("building", String(64), nullable=False),
    Column("flat", String(64), nullable=False),
    Column("contract", LargeBinary, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
)

rent_payments = Table(
    "rent_payments",
    metadata,
    Column("digest", LargeBinary(32), primary_key=True),
    Column("contract", LargeBinary(32), nullable=False, index=True),
    Column("tenant_kid", LargeBinary(16), nullable=False),
    Column("deposit", LargeBinary, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
)

move_out_inspections = Table(
    "move_out_inspections",
    metadata,
    Column("digest", LargeBinary(32), primary_key=True),
    Column("contract", LargeBinary(32), nullable=False, index=True),
    Column("inspection", LargeBinary, nullable=False),
    Column("stored_at", BigInteger, nullable=False),
)

credit_requests = Table(
    "credit_requests",
    metadata,
    Column("digest", LargeBinary(32), primary_key=True),
    Column("nonce", LargeBinary(16), nullable=False, unique=True),
    Column("landlord", String(64), nullable=False),
    Column("landlord_kid", LargeBinary(16), nullable=False),
    Column("tenant", String(64), nullable=False, index=True),
    Column("expires", BigInteger, nullable=False),
    Column("request", LargeBinary, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    # Version 5: the tenant a request is about, by key (SPEC S3); "tenant" is a label.
    Column("tenant_kid", LargeBinary(16), nullable=True),
)
CREDIT_REQUESTS_BY_TENANT_KEY = Index("credit_requests_tenant_kid", credit_requests.c.tenant_kid)

credit_answers = Table(
    "credit_answers",
    metadata,
    Column("request", LargeBinary(32), primary_key=True),
    Column("tenant_kid", LargeBinary(16), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("answered_at", BigInteger, nullable=False),
)

VERSION_4 = (
    biometric_consents,
    biometric_withdrawals,
    sealed_templates,
    lease_contracts,
    rent_payments,
    move_out_inspections,
    credit_requests,
    credit_answers,
)

# -- version 5: scope (issue 13) ---------------------------------------------------------------
# A template id is bound at its first consent to one tenant (their ledger identity) and one lock
# (SPEC S1); conflicts and credit requests change above.

biometric_templates = Table(
    "biometric_templates",
    metadata,
    Column("template_id", LargeBinary(16), primary_key=True),
    Column("tenant", LargeBinary(32), nullable=False, index=True),
    Column("tenant_kid", LargeBinary(16), nullable=False),
    Column("lock", String(64), nullable=False),
    Column("bound_at", BigInteger, nullable=False),
)

VERSION_5 = (biometric_templates,)

# -- version 6: replicas (issue 17) -------------------------------------------------------------
# What one connector process used to keep in memory, where every replica sees it: the secret
# that authenticates login challenges (any replica issues, any accepts), and the challenges that
# logged in, each until it expires (none works twice, at most so many logins per key).

service_secrets = Table(
    "service_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", LargeBinary(64), nullable=False),
)

login_uses = Table(
    "login_uses",
    metadata,
    Column("challenge", LargeBinary(64), primary_key=True),
    Column("kid", LargeBinary(16), nullable=False, index=True),
    Column("expires", BigInteger, nullable=False, index=True),
)

VERSION_6 = (service_secrets, login_uses)
