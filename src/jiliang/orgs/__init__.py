"""orgs domain."""
