"""The Admin dashboard's Datastores panel."""
