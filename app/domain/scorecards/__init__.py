"""Department scorecards: the figures a branch lead is held to, period over period."""
