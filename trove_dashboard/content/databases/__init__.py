"""The Instances panel: list, launch, detail (overview, events, users, databases)."""
