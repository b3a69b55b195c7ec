"""The embedded stack's service database: its own SQLite file, or DBAAS_DATABASE_URL."""
from api_service.common import config
from api_service.embedded import layout as layout_mod
from api_service.embedded import services


def configured_url(tmp_path):
    layout = layout_mod.Layout(str(tmp_path / 'stack'))
    services.write_config(layout, layout_mod.load_secrets(layout))
    config.load(['--config-file', layout.config_file])
    try:
        return layout, config.CONF.database.connection
    finally:
        config.load([])


def test_the_stack_uses_its_own_sqlite_file_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv('DBAAS_DATABASE_URL', raising=False)
    layout, url = configured_url(tmp_path)
    assert url == 'sqlite:///' + layout.path('dbaas.sqlite')


def test_dbaas_database_url_points_every_service_at_a_server(tmp_path, monkeypatch):
    wanted = 'postgresql+psycopg://dbaas:pa$$word@db.example:5432/dbaas'
    monkeypatch.setenv('DBAAS_DATABASE_URL', wanted)
    assert configured_url(tmp_path)[1] == wanted
