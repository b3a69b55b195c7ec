"""A backup store in OpenStack Swift, reached through openstacksdk.

Layout in the container:

    <key>                                   committed objects: a Static Large Object
                                            manifest (or, for an empty object, a plain one)
    .segments/<key>/<writer>/<00000001>     the segments a writer streamed
    .segments/<key>/<writer>/committed      written right after its manifest: these
                                            segments belong to a committed object

A writer streams its bytes as segments of `segment_size` (each one chunked
PUT fed from a small queue, so at most a few write chunks sit in memory),
checks each segment's ETag against the MD5 of what it sent, and on commit
PUTs the manifest at the key, last: the key only ever names a whole object,
as with the local store's rename. Then it PUTs its `committed` marker, so
`cleanup_partials` tells the segments of committed objects from those of
writers that died from one listing, without a request per object. The
manifest also carries the writer's name (`X-Object-Meta-Backup-Segments`):
for a writer stopped between the two PUTs, the janitor asks the manifest
(one HEAD) and writes the marker itself. Deleting an object removes its
manifest, its segments and whatever else is left under its segment prefix
(the marker, writers of that key that died). Keys are written once: the
segments of an object overwritten at the same key stay until it is deleted.

A key may also be a location in another container of the same account,
`swift://<container>/<key>` (`location()`): a backup records the container
it went to that way, so it is found there whatever the store's own
container becomes later (Trove's per-project or per-instance strategies).

Transient failures are retried: every request whose body can be sent again (keystoneauth's
connect and status-code retries on 500, 502, 503 and 504), and a segment, which is streamed
once and kept in a spool file beside the stream, so a segment whose PUT failed is sent
again from there (`retries` times, `retry_delay` seconds apart).

Swift caps an object at 5 GiB and a manifest at 1000 segments by default, so
the largest backup is `segment_size` x `max_segments` (1 TiB by default).

openstacksdk is imported on first use: the guest agent imports this package
whatever its backend, and the SDK is large.
"""
import datetime
import functools
import hashlib
import json
import logging
import queue
import secrets
import tempfile
import threading
import time
from urllib import parse

from api_service.drivers.storage import base

LOG = logging.getLogger(__name__)

SEGMENT_PREFIX = '.segments/'
DEFAULT_SEGMENT_SIZE = 1024 ** 3
MAX_SEGMENT_SIZE = 5 * 1024 ** 3
DEFAULT_MAX_SEGMENTS = 1000
SEGMENTS_HEADER = 'X-Object-Meta-Backup-Segments'
COMMITTED_MARKER = 'committed'
CHECKSUM_HEADER = 'X-Object-Meta-Backup-Checksum'
LISTING_LIMIT = 1000
LOCATION_SCHEME = 'swift://'
# Write chunks queued for a segment's PUT before `write` waits for the network.
QUEUE_DEPTH = 4
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 1.0
# Answers that say "try again": Swift's proxy when object servers are busy or down.
RETRIABLE_STATUSES = (500, 502, 503, 504)
# Swift's answers for no room: 413 over a container or account quota, 507 Insufficient
# Storage on the object servers. Retrying does not help; the tenant reads StoreFull's words.
NO_ROOM_STATUSES = (413, 507)
_END, _CANCEL = object(), object()
_now = time.time   # the clock cleanup_partials compares Swift's listing times with


def check_container(name):
    """`name` if Swift accepts it as a container name, else StorageError."""
    if not isinstance(name, str) or not name or '/' in name or len(name.encode()) > 256:
        raise base.StorageError(details='invalid swift container name %r' % (name,))
    return name


def location(container, key):
    """The location of the object `key` in `container`, as any SwiftObjectStore of the account
    reads, writes and deletes it."""
    return '%s%s/%s' % (LOCATION_SCHEME, check_container(container), base.check_key(key))


def split_location(key):
    """(container, key) of a location; (None, key) for a plain key of the store's container."""
    if not isinstance(key, str) or not key.startswith(LOCATION_SCHEME):
        return None, key
    container, _, rest = key[len(LOCATION_SCHEME):].partition('/')
    try:
        check_container(container)
    except base.StorageError:
        raise base.InvalidKey(details='invalid swift location %r' % (key,))
    return container, rest


def _routed(method):
    """Run a BackupStorage method on the container a location names (the store's own by default)."""
    @functools.wraps(method)
    def in_container(self, key, *args):
        container, key = split_location(key)
        return method(self.in_container(container), key, *args)
    return in_container


class _Cancelled(Exception):
    """Raised inside a segment's body so the PUT breaks off instead of storing a short segment."""


def connect(auth_url=None, username=None, password=None, project_name=None, project_id=None,
            user_domain_name='Default', project_domain_name='Default', token=None,
            storage_url=None, region_name=None, interface='public', verify=True, timeout=60):
    """openstacksdk's object-store proxy for these credentials.

    `storage_url` + `token`: a pre-authenticated Swift endpoint (no Keystone).
    `token` (+ project): an existing Keystone token. Otherwise a Keystone
    password. The proxy re-authenticates by itself when a Keystone token expires.
    """
    from keystoneauth1 import exceptions as ks_exceptions
    from keystoneauth1 import session as ks_session
    from keystoneauth1 import token_endpoint
    from keystoneauth1.identity import v3
    from openstack import connection

    scope = dict(project_id=project_id, project_name=project_name,
                 project_domain_name=project_domain_name if project_name else None)
    if storage_url and token:
        auth = token_endpoint.Token(storage_url, token)
    elif token:
        auth = v3.Token(auth_url=auth_url, token=token, **scope)
    elif auth_url and username and password:
        auth = v3.Password(auth_url=auth_url, username=username, password=password,
                           user_domain_name=user_domain_name, **scope)
    else:
        raise base.StorageError(details='swift storage needs auth_url with username and '
                                'password, a token, or storage_url with a token')
    session = ks_session.Session(auth=auth, verify=verify, timeout=timeout)
    # Looked up here so a missing endpoint is our error, said plainly (and not left to
    # openstacksdk's disabled-service shim).
    try:
        endpoint = session.get_endpoint(service_type='object-store', interface=interface,
                                        region_name=region_name)
    except ks_exceptions.EndpointNotFound:
        endpoint = None
    if not endpoint:
        raise base.StorageError(details='%s endpoint for object-store service in %s region not '
                                'found' % (interface, region_name or 'any'))
    conn = connection.Connection(session=session, region_name=region_name,
                                 object_store_interface=interface)
    return conn.object_store


def conf_options():
    """The oslo.config options of this backend ([backup_swift] on the server and in the guest)."""
    from oslo_config import cfg
    return [
        cfg.StrOpt('container', default='database_backups',
                   help='Container backups are stored in (created on the first backup).'),
        cfg.IntOpt('segment_size', default=DEFAULT_SEGMENT_SIZE, min=1, max=MAX_SEGMENT_SIZE,
                   help='Bytes per segment of a backup object; the largest backup is this '
                        'times max_segments.'),
        cfg.IntOpt('max_segments', default=DEFAULT_MAX_SEGMENTS, min=1,
                   help="Segments per object: Swift's max_manifest_segments."),
        cfg.URIOpt('auth_url', help='Keystone v3 URL, e.g. http://keystone:5000/v3.'),
        cfg.StrOpt('username', help='Keystone user owning the backups.'),
        cfg.StrOpt('password', secret=True, help="That user's password."),
        cfg.StrOpt('user_domain_name', default='Default', help="The user's domain."),
        cfg.StrOpt('project_name', help='Project (Swift account) backups are stored in.'),
        cfg.StrOpt('project_id', help='Project id, instead of project_name.'),
        cfg.StrOpt('project_domain_name', default='Default', help="The project's domain."),
        cfg.StrOpt('token', secret=True,
                   help='An existing Keystone token instead of a password; with storage_url, '
                        'a pre-authenticated Swift token (no Keystone).'),
        cfg.URIOpt('storage_url', help='Swift endpoint (http://swift:8080/v1/AUTH_<project>) '
                                       'instead of the Keystone catalog; needs token.'),
        cfg.StrOpt('region_name', help='Region of the object-store endpoint in the catalog.'),
        cfg.StrOpt('interface', default='public', choices=['public', 'internal', 'admin'],
                   help='Catalog interface of the object-store endpoint.'),
        cfg.StrOpt('cafile', help='CA bundle to verify Keystone and Swift with.'),
        cfg.BoolOpt('insecure', default=False, help='Do not verify TLS certificates.'),
        cfg.IntOpt('timeout', default=60, min=1, help='Seconds an HTTP request may take.'),
        cfg.IntOpt('retries', default=DEFAULT_RETRIES, min=0,
                   help='Times a request that failed to connect or got a 5xx is sent again.'),
        cfg.FloatOpt('retry_delay', default=DEFAULT_RETRY_DELAY, min=0,
                     help='Seconds between two tries of one request.'),
    ]


def options_from_conf(group):
    """get_storage('swift', **options) for an oslo.config group of conf_options()."""
    options = {opt.dest: group[opt.dest] for opt in conf_options()}
    insecure, cafile = options.pop('insecure'), options.pop('cafile')
    options['verify'] = False if insecure else (cafile or True)
    return options


class _Response:
    """The body of a GET as a binary file-like object."""

    def __init__(self, response, key):
        self._response = response
        self._key = key

    def read(self, size=-1):
        try:
            return self._response.raw.read(None if size is None or size < 0 else size)
        except Exception as error:
            raise base.StorageError(details='reading %s from swift: %s' % (
                self._key, type(error).__name__))

    def close(self):
        self._response.close()


class _SegmentUpload:
    """One segment, sent as a chunked PUT from its own thread while the writer feeds it.

    What it sends is also kept in a spool file: a PUT that fails (a 5xx, a broken
    connection) is sent again from there in `finish`.
    """

    def __init__(self, store, name):
        self.name = name
        self.size = 0
        self._store = store
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self._response = self._error = None
        self._spool = tempfile.TemporaryFile(prefix='swift-segment-')
        self._streaming = True
        self._thread = threading.Thread(target=self._send, daemon=True,
                                        name='swift-segment')
        self._thread.start()

    def _body(self):
        while True:
            data = self._queue.get()
            if data is _END:
                return
            if data is _CANCEL:
                raise _Cancelled()
            yield data

    def _send(self):
        try:
            # No retry here: a generator cannot be sent twice (finish() re-sends the spool).
            self._response = self._store.request('PUT', self.name, data=self._body(),
                                                 retry=False)
        except BaseException as error:   # noqa: B902 - reported to the writer's thread
            self._error = error

    def _put(self, item):
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=1)
                return True
            except queue.Full:
                continue
        return False

    def write(self, data):
        self._spool.write(data)
        self._md5.update(data)
        self.size += len(data)
        if self._streaming and not self._put(data):
            if not self._retriable():
                raise self._failure()
            self._streaming = False   # the PUT ended early; finish() sends the spool again

    def _retriable(self):
        if self._response is not None:
            return self._response.status_code in RETRIABLE_STATUSES
        return not isinstance(self._error, _Cancelled)

    def _send_spool_again(self):
        """Re-send the whole segment from the spool until Swift stores it or retries run out."""
        for attempt in range(1, self._store.retries + 1):
            if not self._retriable():
                return
            LOG.warning('segment %s: %s; sending it again (%d of %d)', self.name,
                        self._failure().details, attempt, self._store.retries)
            time.sleep(self._store.retry_delay)
            self._spool.seek(0)
            try:
                self._response, self._error = self._store.request(
                    'PUT', self.name, data=self._spool, retry=False), None
            except base.StorageError as error:
                self._response, self._error = None, error
            if self._response is not None and self._response.status_code == 201:
                return

    def finish(self):
        """The manifest entry of the stored segment, once Swift confirmed its ETag."""
        if self._streaming:
            self._put(_END)
        self._thread.join()
        if self._response is None or self._response.status_code != 201:
            self._send_spool_again()
        self._spool.close()
        response = self._response
        if response is None or response.status_code != 201:
            raise self._failure()
        etag = response.headers.get('Etag', '').strip('"')
        if etag != self._md5.hexdigest():
            raise base.StorageError(details='segment %s: swift stored etag %s, sent md5 %s' % (
                self.name, etag, self._md5.hexdigest()))
        return {'path': '/%s/%s' % (self._store.container, self.name), 'etag': etag,
                'size_bytes': self.size}

    def cancel(self):
        self._put(_CANCEL)
        self._thread.join(timeout=30)
        self._spool.close()

    def _failure(self):
        if isinstance(self._error, base.StorageError):
            return self._error
        if self._response is not None:
            return self._store.error('PUT', self.name, self._response)
        return base.StorageError(details='segment %s: %s' % (
            self.name, type(self._error).__name__ if self._error else 'upload ended'))


class _SwiftWriter(base.ObjectWriter):

    def __init__(self, store, key):
        super().__init__(key)
        self._store = store
        self.writer_name = secrets.token_hex(8)
        self.segment_prefix = '%s%s/%s/' % (SEGMENT_PREFIX, key, self.writer_name)
        self._segments = []
        self._current = None

    def _write(self, data):
        store = self._store
        view = memoryview(data)
        while view:
            if self._current is None:
                if len(self._segments) >= store.max_segments:
                    raise base.StorageError('The backup is larger than the backup storage '
                                            'accepts.', details='%s: more than %d segments' % (
                                                self.key, store.max_segments))
                self._current = _SegmentUpload(
                    store, '%s%08d' % (self.segment_prefix, len(self._segments) + 1))
            piece = view[:store.segment_size - self._current.size]
            self._current.write(bytes(piece))
            view = view[len(piece):]
            if self._current.size >= store.segment_size:
                self._finish_segment()

    def _finish_segment(self):
        current, self._current = self._current, None
        self._segments.append(current.finish())

    def _commit(self):
        if self._current is not None:
            self._finish_segment()
        headers = {CHECKSUM_HEADER: base.format_checksum(self._digest)}
        if not self._segments:
            self._store.expect((201,), 'PUT', self.key, data=b'', headers=headers)
            return
        headers[SEGMENTS_HEADER] = self.writer_name
        self._store.expect((201,), 'PUT', self.key, params={'multipart-manifest': 'put'},
                           data=json.dumps(self._segments), headers=headers)
        try:
            self._store.mark_committed(self.segment_prefix)
        except base.StorageError as error:
            # The object is whole already; the janitor finds the manifest and marks it.
            LOG.warning('could not mark the segments of %s committed: %s', self.key,
                        error.details)

    def _abort(self):
        if self._current is not None:
            self._current.cancel()
            self._current = None
        try:
            self._store.delete_prefix(self.segment_prefix)
        except base.StorageError as error:
            # cleanup_partials removes them later.
            LOG.warning('could not remove the segments of aborted %s: %s', self.key,
                        error.details)


class SwiftObjectStore(base.BackupStorage):
    """Objects in one Swift container (created on the first write if missing).

    Credentials are those of `connect`; `connection` is an object-store proxy
    to use instead (the caller's own openstacksdk connection).
    """

    def __init__(self, container, segment_size=DEFAULT_SEGMENT_SIZE,
                 max_segments=DEFAULT_MAX_SEGMENTS, connection=None, retries=DEFAULT_RETRIES,
                 retry_delay=DEFAULT_RETRY_DELAY, **auth):
        check_container(container)
        if not 0 < int(segment_size) <= MAX_SEGMENT_SIZE:
            raise base.StorageError(details='segment_size must be 1 byte to 5 GiB')
        self.container = container
        self.segment_size = int(segment_size)
        self.max_segments = int(max_segments)
        self.retries = int(retries)
        self.retry_delay = float(retry_delay)
        self._proxy = connection
        self._auth = auth
        self._lock = threading.Lock()
        self._container_ready = False
        self._others = {}

    def in_container(self, container):
        """This store, or one on the same connection for another container (None: this one)."""
        if container is None or container == self.container:
            return self
        other = self._others.get(container)
        if other is None:
            other = self._others.setdefault(container, SwiftObjectStore(
                container, self.segment_size, self.max_segments, connection=self.proxy,
                retries=self.retries, retry_delay=self.retry_delay))
        return other

    def __repr__(self):
        # Never the credentials.
        return '<SwiftObjectStore container=%s>' % (self.container,)

    # -- HTTP ---------------------------------------------------------------------------
    @property
    def proxy(self):
        with self._lock:
            if self._proxy is None:
                self._proxy = connect(**self._auth)
            return self._proxy

    def request(self, method, name=None, params=None, retry=True, **kwargs):
        """One request on the container (or on the object `name` in it); the response.

        With `retry`, keystoneauth sends it again after a failed connection or a 5xx
        (every request of this store is idempotent; a streamed body passes retry=False).
        """
        if retry and self.retries:
            kwargs.update(connect_retries=self.retries, connect_retry_delay=self.retry_delay,
                          status_code_retries=self.retries,
                          retriable_status_codes=RETRIABLE_STATUSES,
                          status_code_retry_delay=self.retry_delay)
        path = '/' + parse.quote(self.container, safe='')
        if name is not None:
            path += '/' + parse.quote(name, safe='/')
        if params:
            path += '?' + parse.urlencode(params)
        try:
            return self.proxy.request(path, method, raise_exc=False, **kwargs)
        except base.StorageError:
            raise
        except Exception as error:
            # keystoneauth's messages name URLs and statuses, never credentials. The status
            # is added from the attribute: the message text may not carry it.
            status = getattr(error, 'http_status', None)
            raise base.StorageError(details='swift %s %s: %s: %s%s' % (
                method, path, type(error).__name__, error,
                ' (HTTP %s)' % status if status and 'HTTP %s' % status not in str(error)
                else ''))

    def error(self, method, name, response):
        details = 'swift %s %s/%s: HTTP %d' % (method, self.container, name or '',
                                               response.status_code)
        if method == 'PUT' and response.status_code in NO_ROOM_STATUSES:
            return base.StoreFull(details=details)
        return base.StorageError(details=details)

    def expect(self, statuses, method, name=None, **kwargs):
        response = self.request(method, name, **kwargs)
        if response.status_code not in statuses:
            raise self.error(method, name, response)
        return response

    def _not_found(self, key):
        return base.ObjectNotFound(details='no object %s in swift container %s' % (
            key, self.container))

    def _ensure_container(self):
        if not self._container_ready:
            self.expect((201, 202, 204), 'PUT')
            self._container_ready = True

    def list_names(self, prefix):
        """(name, last modified as a Unix time) of every object whose name starts with `prefix`."""
        found, marker = [], ''
        while True:
            response = self.request('GET', params={'prefix': prefix, 'marker': marker,
                                                   'limit': LISTING_LIMIT, 'format': 'json'})
            if response.status_code == 404:
                return found
            if response.status_code not in (200, 204):
                raise self.error('GET', None, response)
            page = response.json() if response.status_code == 200 else []
            found += [(item['name'], _timestamp(item['last_modified'])) for item in page]
            if len(page) < LISTING_LIMIT:
                return found
            marker = page[-1]['name']

    def mark_committed(self, writer_prefix):
        self.expect((201,), 'PUT', writer_prefix + COMMITTED_MARKER, data=b'')

    def delete_prefix(self, prefix):
        """Delete every object under `prefix`; how many went."""
        removed = 0
        for name, _ in self.list_names(prefix):
            removed += self.expect((204, 404), 'DELETE', name).status_code == 204
        return removed

    # -- BackupStorage --------------------------------------------------------------------
    @_routed
    def open_writer(self, key):
        base.check_key(key)
        self._ensure_container()
        return _SwiftWriter(self, key)

    @_routed
    def open_reader(self, key):
        response = self.request('GET', base.check_key(key), stream=True)
        if response.status_code == 404:
            response.close()
            raise self._not_found(key)
        if response.status_code != 200:
            response.close()
            raise self.error('GET', key, response)
        return _Response(response, key)

    def _head(self, key):
        response = self.request('HEAD', base.check_key(key))
        if response.status_code == 404:
            return None
        if response.status_code not in (200, 204):
            raise self.error('HEAD', key, response)
        return response.headers

    @_routed
    def exists(self, key):
        return self._head(key) is not None

    @_routed
    def size(self, key):
        headers = self._head(key)
        if headers is None:
            raise self._not_found(key)
        return int(headers['Content-Length'])

    @_routed
    def delete(self, key):
        """The manifest and its segments (Swift's SLO delete) or a plain object, then what else
        is left under its segment prefix."""
        deleted = self._delete_object(key)
        if deleted:
            self.delete_prefix('%s%s/' % (SEGMENT_PREFIX, key))
        return deleted

    def _delete_object(self, key):
        response = self.request('DELETE', base.check_key(key),
                                params={'multipart-manifest': 'delete'},
                                headers={'Accept': 'application/json'})
        if response.status_code == 404:
            return False
        if response.status_code == 204:
            return True
        if response.status_code != 200:
            raise self.error('DELETE', key, response)
        # An SLO delete answers 200 with its own status and errors in the body.
        # (a missing object is 'Number Not Found': 1, not a 404).
        result = response.json()
        status = result.get('Response Status', '')
        if status.startswith('400') and 'Not an SLO manifest' in str(result.get('Errors')):
            # An empty object is stored plain.
            return self.expect((204, 404), 'DELETE', key).status_code == 204
        if not status.startswith('200') or result.get('Errors'):
            raise base.StorageError(details='swift delete of %s: %s %s %s' % (
                key, status, result.get('Response Body'), result.get('Errors')))
        return result.get('Number Deleted', 0) > 0

    def cleanup_partials(self, older_than_seconds):
        """Remove the segments of writers that stopped `older_than_seconds` ago and never committed.

        A live writer adds a segment every `segment_size` bytes, so the
        threshold must be longer than writing one segment takes. One listing
        of the segments; a HEAD only for a writer with neither a marker nor
        recent segments (died, or stopped between its manifest and marker).
        """
        cutoff = _now() - older_than_seconds
        writers = {}
        for name, modified in self.list_names(SEGMENT_PREFIX):
            prefix = name.rsplit('/', 1)[0] + '/'
            writers.setdefault(prefix, []).append((name, modified))
        removed = 0
        for prefix, objects in sorted(writers.items()):
            segments = [name for name, _ in objects if name != prefix + COMMITTED_MARKER]
            marked = len(segments) < len(objects)
            if (marked and segments) or max(modified for _, modified in objects) > cutoff:
                continue    # a committed object's segments, or a writer maybe still writing
            if marked:      # a marker alone: its object's delete stopped halfway
                self.expect((204, 404), 'DELETE', prefix + COMMITTED_MARKER)
                continue
            if self._committed_by(prefix):
                self.mark_committed(prefix)
                continue
            for name in segments:
                self.expect((204, 404), 'DELETE', name)
            removed += 1
        if removed:
            LOG.info('removed %d stale partial backup object(s) from swift container %s',
                     removed, self.container)
        return removed

    def _committed_by(self, writer_prefix):
        """Whether the manifest at the writer's key names this writer."""
        key, _, writer = writer_prefix[len(SEGMENT_PREFIX):-1].rpartition('/')
        try:
            headers = self._head(key)
        except base.InvalidKey:
            return False
        return headers is not None and headers.get(SEGMENTS_HEADER) == writer


def _timestamp(value):
    """Swift's listing time ('2026-11-22T03:10:26.123450', UTC) as a Unix time."""
    moment = datetime.datetime.fromisoformat(value)
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()
