"""Branch leads confirm or dispute the handoffs of as-is versions, one side each."""
