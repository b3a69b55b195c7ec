"""Backends behind small interfaces: compute (where instances live), storage (backups)."""
