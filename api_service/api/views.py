"""Trove's JSON shapes for each resource, built from domain objects."""
import json



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
    # Extension: what the version's guest manager declares (databases, users, root, ...),
    # so clients offer a feature without guessing from datastore names.
    data['capabilities'] = sorted(filter(None, (version.capabilities or '').split(',')))
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


def configuration_parameter(p):
    """Trove's ConfigurationParameterView: min and max only for numbers; `unit` (extension) in
    the engine's own unit (PostgreSQL's 8kB, kB, ms…) where it has one."""
    data = {'name': p.name, 'type': p.type, 'restart_required': p.restart_required,
            'datastore_version_id': p.datastore_version_id}
    if p.min is not None:
        data['min'] = p.min
    if p.max is not None:
        data['max'] = p.max
    if p.unit:
        data['unit'] = p.unit
    return data


def mgmt_configuration_parameter(p):
    """Trove's MgmtConfigurationParameterView: the bounds as `min_size`/`max_size`."""
    data = {'name': p.name, 'type': p.type, 'restart_required': p.restart_required,
            'datastore_version_id': p.datastore_version_id}
    if p.min is not None:
        data['min_size'] = p.min
    if p.max is not None:
        data['max_size'] = p.max
    if p.unit:
        data['unit'] = p.unit
    return data


def configuration(row):
    """Trove's ConfigurationView (a list item), from a page row; plus the version number."""
    return {'id': row.id, 'name': row.name, 'description': row.description,
            'created': _isotime(row.created), 'updated': _isotime(row.updated),
            'datastore_version_id': row.datastore_version_id,
            'datastore_name': row.datastore_name, 'datastore_version_name': row.version_name,
            'datastore_version_number': row.version_number}


def configuration_detail(view):
    """Trove's DetailedConfigurationView: the list item plus values and instance_count."""
    row = view.configuration
    return {'id': row.id, 'name': row.name, 'description': row.description,
            'values': view.values, 'created': _isotime(row.created),
            'updated': _isotime(row.updated), 'instance_count': view.instance_count,
            'datastore_name': view.datastore_name,
            'datastore_version_id': row.datastore_version_id,
            'datastore_version_name': view.version_name,
            'datastore_version_number': view.version_number}


def configuration_instance(row):
    return {'id': row.id, 'name': row.name}


def availability_zone(zone):
    return {'name': zone.name, 'available': zone.available, 'hosts': zone.hosts}


def network(n):
    return {'id': n.id, 'name': n.name, 'subnet_id': n.subnet_id, 'cidr': n.cidr,
            'is_default': n.is_default}


def _isotime(value):
    return value.strftime('%Y-%m-%dT%H:%M:%S') if value else None


def _addresses(address, network_id):
    # As upstream Trove: each address with its type and the id of its network.
    if not address:
        return [], []
    return [address], [{'address': address, 'type': 'private', 'network': network_id}]


def _instance_refs(req, ids):
    return [{'id': instance_id, 'links': links(req, 'instances', instance_id)}
            for instance_id in ids]


def instance_summary(req, row, replicas=None):
    """The list view, from a page row (instance columns plus datastore names);
    `replicas`: the ids of its live replicas, if it is a source."""
    ips, addresses = _addresses(row.address, row.network_id)
    volume = {'size': row.volume_size}
    if row.volume_used_bytes is not None:
        # Extension: usage in the list too, so a dashboard needs no show per row.
        volume['used'] = round(row.volume_used_bytes / 1024 ** 3, 3)
    data = {
        'id': row.id, 'name': row.name, 'status': row.status,
        'operating_status': row.operating_status, 'links': links(req, 'instances', row.id),
        'flavor': {'id': row.flavor_id, 'links': links(req, 'flavors', row.flavor_id)},
        'datastore': {'type': row.datastore_name, 'version': row.version_name,
                      'version_number': row.version_number},
        'region': row.region, 'volume': volume, 'ip': ips,
        'addresses': addresses, 'locality': row.locality,
        'access': {'is_public': row.is_public, 'allowed_cidrs': json.loads(row.allowed_cidrs)},
        'created': _isotime(row.created), 'updated': _isotime(row.updated),
    }
    if row.configuration_id:
        data['configuration'] = {'id': row.configuration_id, 'name': row.configuration_name,
                                 'links': links(req, 'configurations', row.configuration_id)}
    # As upstream: each only when there is one (list and show alike).
    replica_of = getattr(row, 'replica_of_id', None)
    if replica_of:
        data['replica_of'] = _instance_refs(req, [replica_of])[0]
    if replicas:
        data['replicas'] = _instance_refs(req, replicas)
    return data


def instance_detail(req, view):
    """The show view: the summary plus volume usage, zone, fault and service status."""
    instance = view.instance
    row = _InstanceRow(instance, view)
    data = instance_summary(req, row, getattr(view, 'replicas', None))
    data['volume']['type'] = instance.volume_type_id
    data['availability_zone'] = instance.availability_zone
    data['service_status_updated'] = _isotime(instance.service_status_updated)
    if view.fault is not None:
        fault = {'message': view.fault.message, 'created': _isotime(view.fault.created)}
        if req.ctx.is_admin:
            fault['details'] = view.fault.details
        data['fault'] = fault
    if req.ctx.is_admin:
        data['tenant_id'] = instance.project_id
        data['host'] = instance.host
    return data


class _InstanceRow:
    """An ORM instance read like a page row."""

    def __init__(self, instance, view):
        self._instance = instance
        self.datastore_name = view.datastore.name
        self.version_name = view.version.name
        self.version_number = view.version.version
        self.configuration_name = view.configuration.name if view.configuration else None

    def __getattr__(self, name):
        return getattr(self._instance, name)


def event(e, backup=None):
    """A step; `backup` is the (name, deleted) of the backup the step names (its stored
    backup_id), if it is one of the project's (events.for_instance joins it): null name and
    deleted otherwise."""
    duration = (e.finished - e.started).total_seconds() if e.finished else None
    backup_name, backup_deleted = backup or (None, None)
    return {'id': e.id, 'operation': e.operation, 'name': e.step, 'outcome': e.outcome,
            'message': e.message, 'started': _isotime(e.started),
            'finished': _isotime(e.finished), 'duration': duration,
            'backup_id': e.backup_id,
            'backup_name': backup_name, 'backup_deleted': backup_deleted}


def backup(req, row, datastore_name=None, version_name=None, instance=None):
    """Trove's backup shape; `row` is a page row or an ORM backup with names given
    (`instance`: its instance's (name, deleted))."""
    datastore_name = datastore_name or row.datastore_name
    version_name = version_name or row.version_name
    instance_name, instance_deleted = instance or (row.instance_name, row.instance_deleted)
    size_gb = round(row.size_bytes / 1024 ** 3, 4) if row.size_bytes is not None else None
    data = {'id': row.id, 'name': row.name, 'description': row.description,
            'status': row.status, 'instance_id': row.instance_id, 'parent_id': row.parent_id,
            'size': size_gb, 'checksum': row.checksum, 'locationRef': row.location,
            'created': _isotime(row.created), 'updated': _isotime(row.updated),
            'project_id': row.project_id, 'schedule_id': row.schedule_id,
            # Extension: the instance by name, kept after it is deleted (then marked so).
            'instance_name': instance_name,
            'instance_deleted': instance_deleted is None or bool(instance_deleted),
            'datastore': {'type': datastore_name, 'version': version_name,
                          'version_id': row.datastore_version_id}}
    if row.status in ('FAILED', 'DELETE_FAILED') and row.fail_reason:
        data['fail_reason'] = row.fail_reason
    return data


def schedule(s, last_good=None, now=None):
    data = {'id': s.id, 'instance_id': s.instance_id, 'name': s.name,
            'description': s.description, 'pattern': s.pattern, 'incremental': s.incremental,
            'retention': s.retention, 'enabled': s.enabled,
            'next_execution_time': _isotime(s.next_execution_time),
            'created': _isotime(s.created), 'updated': _isotime(s.updated)}
    if last_good is not None and now is not None:
        data['last_backup'] = {'id': last_good.id, 'created': _isotime(last_good.created),
                               'age_seconds': int((now - last_good.created).total_seconds())}
    return data


def execution(e):
    return {'id': e.id, 'schedule_id': e.schedule_id,
            'scheduled_time': _isotime(e.scheduled_time), 'started': _isotime(e.started),
            'finished': _isotime(e.finished), 'state': e.state,
            'output': e.backup_id if e.state == 'SUCCESS' else e.output,
            'backup_id': e.backup_id}


# -- the operator's instances (Trove's mgmt extension) ------------------------------------

def _server_and_volume(instance):
    # The local driver names an instance's guest ("server") and its volume after the
    # instance itself, so their ids are the instance's: known even once they are gone.
    server = {'id': instance.id, 'name': instance.name, 'status': instance.operating_status,
              'tenant_id': instance.project_id, 'host': instance.host,
              'deleted': bool(instance.deleted), 'deleted_at': _isotime(instance.deleted_at)}
    used = instance.volume_used_bytes
    volume = {'id': instance.id, 'size': instance.volume_size, 'type': instance.volume_type_id,
              'used': round(used / 1024 ** 3, 3) if used is not None else None,
              'total': instance.volume_size}
    return server, volume


def _mgmt_fields(instance, task_description):
    return {'tenant_id': instance.project_id, 'host': instance.host,
            'server_id': instance.id, 'service_status': instance.operating_status,
            'deleted': bool(instance.deleted), 'deleted_at': _isotime(instance.deleted_at),
            'task_description': task_description}


def mgmt_instance_summary(req, row, task_description):
    """An operator's list item: the tenant's, plus project, host, server id and deleted."""
    data = instance_summary(req, row)
    data.update(_mgmt_fields(row, task_description))
    return data


def mgmt_instance_detail(req, view, task_description):
    """An operator's show (Trove's MgmtInstanceDetailView): the tenant's detail plus
    server {id, ...}, volume {id, size, used, ...}, deleted, task and root history."""
    instance = view.instance
    data = instance_detail(req, view)
    data.update(_mgmt_fields(instance, task_description))
    server, volume = _server_and_volume(instance)
    server['addresses'] = data['addresses']
    data['server'] = server
    data['volume'].update(volume)
    data['guest_status'] = {'state_description': instance.operating_status}
    if view.root_enabled is not None:
        data['root_enabled'] = _isotime(view.root_enabled.created)
        data['root_enabled_by'] = view.root_enabled.user_id
    return data


def root_history(instance_id, enabled, user_id):
    """Trove's RootHistoryView: 'Never' and 'Nobody' when root was never enabled."""
    return {'id': instance_id, 'enabled': _isotime(enabled) if enabled else 'Never',
            'user': user_id or 'Nobody'}


def diagnostics(figures):
    """Trove's DiagnosticsView keys (null where not known) plus what is known."""
    return dict(figures, last_heartbeat=_isotime(figures['last_heartbeat']))


# -- operators' catalogue (issue #12) ----------------------------------------------------

def datastore_version_seen(req, version, include_datastore=True):
    """A version as GET /datastores… shows it: plus its maturity (experimental-datastores)
    for everyone, and its visibility for admins only (datastore-visibility VIS-01)."""
    data = datastore_version(req, version, include_datastore)
    data['maturity'] = version.maturity
    if req.ctx.is_admin:
        data['visibility'] = version.visibility
        # python-troveclient keeps its manager object in a resource's `manager` attribute,
        # which a `manager` key would overwrite (the mgmt view's name, as upstream).
        data['datastore_manager'] = data.pop('manager', version.manager)
    return data


def datastore_seen(req, ds, versions):
    """A datastore with the versions the asker's lists show (datastores.listed_versions)."""
    data = {'id': ds.id, 'name': ds.name, 'links': links(req, 'datastores', ds.id),
            'versions': [datastore_version_seen(req, v, include_datastore=False)
                         for v in versions]}
    if ds.default_version_id:
        data['default_version'] = ds.default_version_id
    return data


def _split(text):
    return text.split(',') if text else []


def mgmt_datastore_version(registered):
    """Upstream's mgmt DatastoreVersionView, plus visibility, maturity and capabilities."""
    row = registered.row
    return {'id': row.id, 'name': row.name, 'version': row.version,
            'datastore_id': row.datastore_id, 'datastore_name': registered.datastore_name,
            'datastore_manager': row.manager, 'image': row.image_id,
            'image_tags': _split(row.image_tags), 'packages': _split(row.packages),
            'active': row.active, 'default': registered.is_default,
            'registry_ext': None, 'repl_strategy': None,
            'visibility': row.visibility, 'maturity': row.maturity,
            'capabilities': _split(row.capabilities), 'engine_path': row.engine_path,
            # Ids of the flavors and volume types it is restricted to; []: no restriction.
            'flavors': list(registered.flavors), 'volume_types': list(registered.volume_types)}


def datastore_manager(name, maturity, capabilities):
    """A guest manager a version may be registered with (GET /mgmt/datastore-managers)."""
    return {'name': name, 'maturity': maturity, 'capabilities': list(capabilities)}


def datastore_version_member(member):
    """The spec's member: `member` carries the project (column tenant_id)."""
    return {'id': member.id, 'datastore_version_id': member.version_id,
            'member': member.tenant_id}


def mgmt_volume_type(vt):
    return dict(volume_type(vt), root_path=vt.root_path)
