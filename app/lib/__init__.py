"""Helpers shared by every layer: domain errors."""
