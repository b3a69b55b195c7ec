"""Django unit tests of the dashboard plugin (Horizon test helpers, the API mocked)."""
