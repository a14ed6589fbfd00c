"""The database: engine, tables and migrations. The single store of state."""
