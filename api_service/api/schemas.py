"""JSON schemas for every request body, and reusable pieces of them.

The same schemas feed the OpenAPI document (api/openapi.py).
"""

non_negative_or_unlimited = {'type': 'integer', 'minimum': -1, 'maximum': 2 ** 31 - 1}

quota_update = {
    'type': 'object',
    'required': ['quotas'],
    'additionalProperties': False,
    'properties': {
        'quotas': {
            'type': 'object',
            'minProperties': 1,
            'additionalProperties': False,
            'properties': {name: non_negative_or_unlimited
                           for name in ('instances', 'ram', 'volumes', 'backups')},
        },
    },
}
