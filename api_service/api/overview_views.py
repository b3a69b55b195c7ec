"""The overview's shape (extension `GET /overview`, docs/api-extensions.md)."""
from api_service.api import views


def overview(summary):
    """{"overview": …} from domain/overview.summary(): counts as lists (largest first), sizes
    in the units the instances and backups report them in, times as instances show them."""
    return {'overview': {
        'instances': {
            'total': sum(count for _status, count in summary['by_status']),
            'by_status': [{'status': key, 'count': count}
                          for key, count in summary['by_status']],
            'by_datastore': [{'datastore': key, 'count': count}
                             for key, count in summary['by_datastore']],
        },
        'storage': {'allocated_gb': summary['allocated_gb'],
                    'used_bytes': summary['used_bytes']},
        'backups': {'count': summary['backup_count'], 'size_bytes': summary['backup_bytes']},
        'next_backups': [{
            'schedule_id': row.id, 'schedule_name': row.name,
            'next_run': views._isotime(row.next_execution_time),
            'instance_id': row.instance_id, 'instance_name': row.instance_name,
        } for row in summary['next_backups']],
        'recent_faults': [{
            'instance_id': row.instance_id, 'instance_name': row.instance_name,
            'instance_status': row.instance_status, 'message': row.message,
            'created': views._isotime(row.created),
        } for row in summary['faults']],
    }}
