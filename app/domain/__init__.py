"""Vertical slices of the service: controllers (HTTP), services (rules), schemas (shapes)."""
