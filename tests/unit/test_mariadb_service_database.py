"""MariaDB as the service database (operations.md lists it beside PostgreSQL): a fresh
database migrates to head, and the statements that differ by dialect work on it — quota
reservations (ON DUPLICATE KEY), the metrics ring's upsert, row locks of concurrent creates,
the state machine's conditional updates and the backups' chains. The tests are the
SQLite/PostgreSQL ones, run again here on a throw-away MariaDB server, each on a database of
its own (tests/unit/mariadb_fixtures.py); test_mariadb_service_catalogue.py does the same
for the catalogue."""
import sqlalchemy

from api_service.db import migration
from tests.unit.mariadb_fixtures import database_url, mariadb_server  # noqa: F401

# The tests run again here on MariaDB; their fixtures come with them.
from tests.unit.test_backups_api import (  # noqa: F401
    bapi, test_backup_quota_and_listing_and_isolation,
    test_incremental_needs_a_completed_parent_of_the_same_instance)
from tests.unit.test_conductor import test_heartbeats_move_between_active_and_shutdown  # noqa: F401
from tests.unit.test_instance_metrics import (  # noqa: F401
    hourly, test_heartbeats_within_one_interval_overwrite_its_slot,
    test_the_ring_keeps_exactly_the_last_days_slots)
from tests.unit.test_instances_api import (  # noqa: F401
    api, test_actions_follow_the_state_machine,
    test_create_records_build_and_casts_to_taskmanager,
    test_quota_is_enforced_and_freed_values_reported,
    test_twenty_concurrent_creates_never_pass_the_quota)


def test_a_fresh_database_migrates_to_head_with_every_table(conf, database_url):  # noqa: F811
    assert migration.current_revision() == migration.head_revision()
    tables = set(sqlalchemy.inspect(sqlalchemy.create_engine(database_url)).get_table_names())
    assert {'instances', 'datastore_versions', 'quota_usages', 'backups',
            'instance_metrics'} <= tables
