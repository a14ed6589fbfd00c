"""Improvement actions: findings turned into owned actions with a target, and their
follow-up on later logs."""
