"""Horizon plugin: the Databases panels for our Trove-compatible service."""
