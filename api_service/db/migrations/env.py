"""Alembic environment: runs against the engine given by db/migration.py."""
from alembic import context

from api_service.db import models
from api_service.db import models_backups, models_configurations, models_instances  # noqa: F401,E501
from api_service.db import models_metrics, models_modules, models_schedules  # noqa: F401
from api_service.db import models_replication  # noqa: F401

target_metadata = models.Base.metadata


def run_migrations_online():
    connection = context.config.attributes['connection']
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
