"""The switchover reports and the replication status of a set, as the API shows them."""


def utc(value):
    """ISO 8601 in UTC with microseconds and 'Z' (a switchover is measured in milliseconds);
    None stays None."""
    return value.strftime('%Y-%m-%dT%H:%M:%S.%fZ') if value else None


def _figure(value, digits=3):
    return round(value, digits) if value is not None else None


def _member(instance_id, name):
    return {'id': instance_id, 'name': name} if instance_id else None


def switchover(row):
    """One report, from a row of domain/switchovers.list_page (the sources' names joined;
    a source whose row is purged shows its id and no name)."""
    return {
        'id': row.id, 'operation': row.operation, 'status': row.status,
        'started': utc(row.started), 'finished': utc(row.finished),
        'old_source': _member(row.old_source_id, row.old_source_name),
        'new_source': _member(row.new_source_id, row.new_source_name),
        'detection_seconds': _figure(row.detection_seconds),
        'write_stopped_at': utc(row.write_stopped_at),
        'write_resumed_at': utc(row.write_resumed_at),
        'write_downtime_seconds': _figure(row.write_downtime_seconds),
        'transactions_lost': row.transactions_lost,
        'canary_writes': row.canary_writes, 'canary_failures': row.canary_failures,
        'message': row.message,
    }


# What a member's guest may report as the reason it is unhealthy, in the tenant's words
# (the guest sends a code; its own text is not shown).
_REASONS = {
    'slot_lost': "The source no longer keeps this replica's data (its replication slot is "
                 'gone): delete this replica and create a new one.',
}


def _reason(answer):
    reason = answer.get('reason') if answer else None
    return (reason, _REASONS[reason]) if reason in _REASONS else (None, None)


def _lag(answer):
    lag = answer.get('lag_seconds')
    return float(lag) if isinstance(lag, (int, float)) and not isinstance(lag, bool) else None


def replication(members, answers):
    """A set's members (domain/switchovers.members, source first) with what each guest
    answered (`answers` by id): a member that did not answer shows lag and health null. A
    source's lag is null: it is what the others are behind."""
    if not members:
        return None
    shown = []
    for member in members:
        answer = answers.get(member.id)
        healthy = answer.get('healthy') if answer is not None else None
        reason, problem = _reason(answer)
        shown.append({'id': member.id, 'name': member.name, 'role': member.role,
                      'status': member.status,
                      'lag_seconds': _lag(answer) if answer and member.role == 'replica'
                      else None,
                      'healthy': bool(healthy) if healthy is not None else None,
                      'reason': reason, 'problem': problem})
    source = members[0]
    return {'source': {'id': source.id, 'name': source.name, 'status': source.status},
            'members': shown}
