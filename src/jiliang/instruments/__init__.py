"""instruments domain."""
