"""The Building Hub cloud connector: telemetry ingest with signed storage receipts."""
