"""The embedded stack seeds its flavors and volume types on the first start only: a restart
keeps what the operator changed (edits, renames, deletes), and never refuses to start."""
from api_service.db import models
from api_service.db.session import session_scope
from api_service.domain import catalogue_admin

FLAVORS = [('1', 'db.tiny', 256, 1), ('3', 'db.medium', 1024, 2)]
TYPES = [('standard', '/v/standard', 'Standard'), ('fast', '/v/fast', 'Fast')]


def flavors():
    with session_scope() as session:
        return {f.id: (f.name, f.ram) for f in session.query(models.Flavor)}


def test_a_restart_keeps_the_operators_flavors(conf):
    assert catalogue_admin.seed_flavors(FLAVORS)
    catalogue_admin.upsert_flavor('1', 'db.tiny', 300, 1)          # edited
    catalogue_admin.upsert_flavor('3', 'db.med2', 1024, 2)         # renamed...
    catalogue_admin.upsert_flavor('7', 'db.medium', 2048, 2)       # ...and its name reused
    assert not catalogue_admin.seed_flavors(FLAVORS)               # the next start
    assert flavors() == {'1': ('db.tiny', 300), '3': ('db.med2', 1024),
                         '7': ('db.medium', 2048)}


def test_a_restart_keeps_the_operators_volume_types(conf):
    assert catalogue_admin.seed_volume_types(TYPES)
    catalogue_admin.upsert_volume_type('fast', '/v/fast', 'Private now', is_public=False)
    assert not catalogue_admin.seed_volume_types(TYPES)
    with session_scope() as session:
        fast = session.query(models.VolumeType).filter_by(name='fast').one()
        assert (fast.description, fast.is_public) == ('Private now', False)
        assert session.query(models.VolumeType).count() == 2
