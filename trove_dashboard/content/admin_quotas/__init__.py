"""The Admin dashboard's Quotas panel."""
