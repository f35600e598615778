"""standards domain."""
