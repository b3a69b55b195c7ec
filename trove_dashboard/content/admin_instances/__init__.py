"""The Admin dashboard's Instances panel."""
