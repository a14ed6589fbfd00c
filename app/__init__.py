"""Handoff: map, mine and streamline the cross-department handoffs of city services."""

__version__ = "0.1.0"
