"""The audit trail: reading who changed what, per process or across the catalogue."""
