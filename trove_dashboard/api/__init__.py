"""The dashboard's only way to the service."""
