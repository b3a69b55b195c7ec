"""Trove's JSON shapes for each resource, built from domain objects."""


def links(req, collection, item_id):
    host = req.cached_host_url
    return [{'rel': 'self', 'href': '%s/v1.0/%s/%s/%s' % (host, req.ctx.url_project_id,
                                                          collection, item_id)},
            {'rel': 'bookmark', 'href': '%s/%s/%s' % (host, collection, item_id)}]


def datastore_version(req, version, include_datastore=True):
    data = {'id': version.id, 'name': version.name, 'version': version.version,
            'links': links(req, 'datastores/versions', version.id)}
    if include_datastore:
        data['datastore'] = version.datastore_id
    if req.ctx.is_admin:
        data.update({'active': version.active, 'packages': version.packages or '',
                     'image': version.image_id, 'manager': version.manager,
                     'image_tags': version.image_tags.split(',') if version.image_tags else []})
    else:
        data['active'] = version.active
    return data


def datastore(req, ds):
    versions = [v for v in ds.versions if v.active or req.ctx.is_admin]
    data = {'id': ds.id, 'name': ds.name, 'links': links(req, 'datastores', ds.id),
            'versions': [datastore_version(req, v, include_datastore=False) for v in versions]}
    if ds.default_version_id:
        data['default_version'] = ds.default_version_id
    return data


def flavor(req, f):
    numeric = f.id.isdigit() and not f.id.startswith('0')
    return {'id': int(f.id) if numeric else None, 'str_id': f.id, 'name': f.name,
            'ram': f.ram, 'vcpus': f.vcpus, 'disk': f.disk, 'ephemeral': f.ephemeral,
            'links': links(req, 'flavors', f.id)}


def volume_type(vt):
    return {'id': vt.id, 'name': vt.name, 'description': vt.description,
            'is_public': vt.is_public}


def availability_zone(zone):
    return {'name': zone.name, 'available': zone.available, 'hosts': zone.hosts}
