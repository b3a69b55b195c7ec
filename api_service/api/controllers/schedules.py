"""Extension: backup schedules of an instance and their executions (docs/api-extensions.md)."""
from api_service.api import schemas
from api_service.api import views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.db import models
from api_service.db.session import session_scope
from api_service.domain import schedules

S = '/instances/{instance_id}/schedules'
ONE = S + '/{schedule_id}'


def _with_last_good(schedule):
    with session_scope() as session:
        last = schedules.last_good_backup(session, schedule.id)
    return views.schedule(schedule, last, models.utcnow())


class Schedules(Resource):

    @route('POST', S, schema=schemas.schedule_create, summary='Create a backup schedule',
           response_key='schedule')
    def create(self, req, instance_id):
        policy.enforce(req.ctx, 'schedule:create')
        schedule = schedules.create(req.ctx, instance_id, req.body_json['schedule'])
        return {'schedule': views.schedule(schedule)}

    @route('GET', S, summary="List an instance's backup schedules", response_key='schedules')
    def index(self, req, instance_id):
        policy.enforce(req.ctx, 'schedule:index')
        return {'schedules': [_with_last_good(x) for x in
                              schedules.list_for(req.ctx, instance_id)]}

    @route('GET', ONE, summary='Show a backup schedule', response_key='schedule')
    def show(self, req, instance_id, schedule_id):
        policy.enforce(req.ctx, 'schedule:show')
        return {'schedule': _with_last_good(schedules.get(req.ctx, instance_id, schedule_id))}

    @route('PATCH', ONE, schema=schemas.schedule_update, summary='Change a backup schedule',
           response_key='schedule')
    def update(self, req, instance_id, schedule_id):
        policy.enforce(req.ctx, 'schedule:update')
        schedule = schedules.update(req.ctx, instance_id, schedule_id,
                                    req.body_json['schedule'])
        return {'schedule': views.schedule(schedule)}

    @route('POST', ONE + '/run', schema=schemas.schedule_run, summary='Run a backup '
           'schedule now (its next run is moved to now)', response_key='schedule', status=202)
    def run(self, req, instance_id, schedule_id):
        policy.enforce(req.ctx, 'schedule:run')
        return {'schedule': views.schedule(schedules.run_now(req.ctx, instance_id,
                                                             schedule_id))}

    @route('DELETE', ONE, summary='Delete a backup schedule', status=202)
    def delete(self, req, instance_id, schedule_id):
        policy.enforce(req.ctx, 'schedule:delete')
        schedules.delete(req.ctx, instance_id, schedule_id)

    @route('GET', ONE + '/executions', summary="A schedule's executions",
           response_key='executions')
    def executions(self, req, instance_id, schedule_id):
        policy.enforce(req.ctx, 'schedule:executions')
        return {'executions': [views.execution(e) for e in
                               schedules.executions(req.ctx, instance_id, schedule_id)]}

    @route('DELETE', ONE + '/executions/{execution_id}', summary='Delete an execution record',
           status=202)
    def delete_execution(self, req, instance_id, schedule_id, execution_id):
        policy.enforce(req.ctx, 'schedule:delete_execution')
        schedules.delete_execution(req.ctx, instance_id, schedule_id, execution_id)
