"""Builds the OpenAPI 3 document from the registered routes, so it cannot drift from code."""
ERROR = {'type': 'object', 'description': "Trove's error envelope, e.g. "
         '{"badRequest": {"code": 400, "message": "..."}}'}
ERROR_CODES = {'400': 'Bad request', '401': 'Not authenticated', '403': 'Forbidden',
               '404': 'Not found', '405': 'Method not allowed', '409': 'Conflict',
               '413': 'Over a limit'}


def _operation(route_):
    params = [{'name': name, 'in': 'path', 'required': True,
               'schema': {'type': 'string', 'minLength': 1, 'maxLength': 255}}
              for name in route_.params]
    params += [{'name': name, 'in': 'query', 'required': False, 'schema': schema}
               for name, schema in route_.query.items()]
    responses = {str(route_.status): {'description': 'Success', 'content': {
        'application/json': {'schema': _response_schema(route_)}}}}
    for code, text in ERROR_CODES.items():
        if code != '401' or route_.auth:
            responses[code] = {'description': text,
                               'content': {'application/json': {'schema': ERROR}}}
    op = {'summary': route_.summary, 'operationId': route_.handler.__qualname__.replace('.', '_'),
          'parameters': params, 'responses': responses}
    if route_.schema:
        op['requestBody'] = {'required': True,
                             'content': {'application/json': {'schema': route_.schema}}}
    if route_.auth:
        op['security'] = [{'keystone': []}]
    return op


def _response_schema(route_):
    if route_.response_key:
        return {'type': 'object', 'required': [route_.response_key]}
    return {'type': 'object'}


def document(routes, server):
    paths = {}
    for route_ in routes:
        paths.setdefault(route_.template, {})[route_.method.lower()] = _operation(route_)
    return {
        'openapi': '3.0.3',
        'info': {'title': 'DBaaS (Trove v1.0 compatible)', 'version': '1.0',
                 'description': 'Errors come in Trove\'s envelope: '
                                '{"<fault>": {"code": N, "message": "..."}}.'},
        'servers': [{'url': server}],
        'components': {'securitySchemes': {
            'keystone': {'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token'}}},
        'paths': paths,
    }
