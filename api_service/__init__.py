"""A Database-as-a-Service speaking Trove's v1.0 API."""
