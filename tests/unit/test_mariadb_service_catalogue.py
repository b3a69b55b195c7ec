"""MariaDB as the service database, the catalogue's part: a datastore version only deleted
instances ran on is deleted and its name registers anew. MariaDB has no partial unique index
(migration 0016): registration's own check, serialised by the catalogue generation's row
lock, keeps live names unique there. See test_mariadb_service_database.py."""
from tests.unit.mariadb_fixtures import database_url, mariadb_server  # noqa: F401
from tests.unit.test_datastore_admin import (  # noqa: F401
    api, mem, test_a_version_records_alone_name_is_deleted_and_named_anew,
    test_register_spec_spelling_and_errors, engines)
