"""Horizon dashboard plugin content: one package per panel."""
