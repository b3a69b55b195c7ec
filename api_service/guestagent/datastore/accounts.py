"""Databases, users and root of an engine: validation and the Trove semantics on top of
each engine's `_…` hooks (its SQL or commands). Mixed into EngineManager."""
import re

from api_service.guestagent import errors
from api_service.guestagent.datastore.util import check_paging, generate_password, paginate

USER_HOSTS = 'user_hosts'
# The API refuses these first (api_service/domain/user_hosts.py); an agent asked directly too.
NO_USER_HOSTS = ("%s users have no host: they connect from wherever the instance's access "
                 "allows; leave Host empty.")


class GuestAccounts:
    """Tenant-visible databases and users, with the engine's naming rules."""

    reserved_databases = frozenset()
    reserved_users = frozenset()
    database_name_max = 64
    user_name_max = 63
    database_name_pattern = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_-]*\Z')
    user_name_pattern = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]*\Z')
    name_rule_text = "letters, digits, '_' and '-'"
    user_name_rule_text = "letters, digits, '_', '.' and '-'"
    password_max = 256

    # ----------------------------------------------------------- validation

    def _require(self, capability):
        if capability not in self.capabilities:
            raise errors.NotSupported(capability, self.manager)

    def _check_name(self, name, kind, pattern, maximum, rule):
        label = kind.capitalize()
        if not isinstance(name, str) or not name:
            raise errors.InvalidName('%s name is missing.' % label)
        if len(name) > maximum:
            raise errors.InvalidName('%s name %r is longer than %d characters.'
                                     % (label, name[:maximum] + '…', maximum))
        if not pattern.match(name):
            raise errors.InvalidName('%s name %r may contain only %s, and must not start with '
                                     "'-' or '.'." % (label, name, rule))
        return name

    def _check_database_name(self, name, allow_reserved=False):
        self._check_name(name, 'database', self.database_name_pattern, self.database_name_max,
                         self.name_rule_text)
        if not allow_reserved and self._is_reserved_database(name):
            raise errors.ReservedName("'%s' is a system database and cannot be used." % name)
        return name

    def _check_user_name(self, name):
        self._check_name(name, 'user', self.user_name_pattern, self.user_name_max,
                         self.user_name_rule_text)
        if self._is_reserved_user(name):
            raise errors.ReservedName("'%s' is a system account and cannot be managed here%s."
                                      % (name, '; use root enable' if name == self.root_user_name
                                         else ''))
        return name

    @property
    def supports_host(self):
        """Whether users are name@host: declared by the engine as its 'user_hosts' capability."""
        return USER_HOSTS in self.capabilities

    def _check_new_host(self, host):
        """A host to give a user: refused (not ignored) by engines whose users have none."""
        if not self.supports_host and host not in (None, '', '%'):
            raise errors.BadRequest(NO_USER_HOSTS % self.display_name)
        return self._check_host(host)

    def _check_host(self, host):
        """The user's host: validated for engines with name@host users, else always '%'
        (a lookup by name@host finds the plain name there)."""
        if not self.supports_host:
            return '%'
        if host is None or host == '':
            return '%'
        if not isinstance(host, str) or len(host) > 255 or not re.match(
                r'[A-Za-z0-9.%_:/-]+\Z', host):
            raise errors.InvalidName('Host %r may contain only letters, digits and . %% _ : / -.'
                                     % (host if isinstance(host, str) else type(host).__name__))
        return host

    def _check_password(self, password):
        if not isinstance(password, str) or not password:
            raise errors.BadRequest('A password is required.')
        if len(password) > self.password_max or '\x00' in password:
            raise errors.BadRequest('The password must be at most %d characters and contain no '
                                    'NUL character.' % self.password_max)
        return password

    def _is_reserved_database(self, name):
        return name in self.reserved_databases

    def _is_reserved_user(self, name):
        return name in self.reserved_users or name == self.admin_user

    @staticmethod
    def _name_of(item, kind):
        if isinstance(item, dict):
            return item.get('name')
        if isinstance(item, str):
            return item
        raise errors.BadRequest('Each %s must be an object with a name.' % kind)

    def _database_spec(self, database):
        name = self._check_database_name(self._name_of(database, 'database'))
        spec = {'name': name, 'character_set': None, 'collate': None}
        if isinstance(database, dict):
            for key in ('character_set', 'collate'):
                value = database.get(key)
                if value in (None, ''):
                    continue
                if not isinstance(value, str) or not re.match(r'[A-Za-z0-9_.@-]{1,64}\Z', value):
                    raise errors.BadRequest('The %s %r is not valid.' % (
                        key.replace('_', ' '), value))
                spec[key] = value
        return spec

    def _user_spec(self, user, require_password=True):
        if not isinstance(user, dict):
            raise errors.BadRequest('Each user must be an object with a name and a password.')
        spec = {'name': self._check_user_name(user.get('name')),
                'host': self._check_host(user.get('host')),
                'password': None, 'databases': []}
        if require_password or user.get('password') is not None:
            spec['password'] = self._check_password(user.get('password'))
        databases = user.get('databases') or []
        if not isinstance(databases, (list, tuple)):
            raise errors.BadRequest('A user\'s databases must be a list.')
        spec['databases'] = sorted({self._check_database_name(self._name_of(db, 'database'))
                                    for db in databases})
        return spec

    # --------------------------------------------------------- databases

    def _database_names(self):
        return {db['name'] for db in self._list_databases()}

    def _check_databases_exist(self, names):
        missing = sorted(set(names) - self._database_names())
        if missing:
            raise errors.NotFound('Database %s does not exist.' % ', '.join(
                "'%s'" % name for name in missing))

    def create_databases(self, databases):
        """Create databases given as Trove dicts {"name", "character_set"?, "collate"?}."""
        self._require('databases')
        specs = [self._database_spec(db) for db in databases]
        names = [spec['name'] for spec in specs]
        if len(set(names)) != len(names):
            raise errors.BadRequest('The same database is named twice.')
        existing = sorted(set(names) & self._database_names())
        if existing:
            raise errors.Conflict('Database %s already exists.' % ', '.join(
                "'%s'" % name for name in existing))
        for spec in specs:
            self._create_database(spec)

    def list_databases(self, limit=None, marker=None):
        """Tenant databases as [{"name", "character_set", "collate"}], and the next marker."""
        self._require('databases')
        check_paging(limit, marker)
        items = [db for db in self._list_databases() if not self._is_reserved_database(db['name'])]
        return paginate(items, key=lambda db: db['name'], limit=limit, marker=marker)

    def delete_database(self, name):
        self._require('databases')
        self._check_database_name(name)
        self._check_databases_exist([name])
        self._delete_database(name)

    # ------------------------------------------------------------- users

    def _user_marker(self, user):
        if self.supports_host:
            return '%s@%s' % (user['name'], user['host'])
        return user['name']

    def _existing_user(self, name, host):
        name = self._check_user_name(name)
        host = self._check_host(host)
        user = self._find_user(name, host)
        if user is None:
            raise errors.NotFound("User '%s' does not exist." % (
                '%s@%s' % (name, host) if self.supports_host else name))
        return user

    def create_users(self, users):
        """Create users given as Trove dicts {"name", "password", "host"?, "databases"?}."""
        self._require('users')
        for user in users:
            if isinstance(user, dict):
                self._check_new_host(user.get('host'))
        specs = [self._user_spec(user) for user in users]
        keys = [(spec['name'], spec['host']) for spec in specs]
        if len(set(keys)) != len(keys):
            raise errors.BadRequest('The same user is named twice.')
        for spec in specs:
            if self._find_user(spec['name'], spec['host']) is not None:
                raise errors.Conflict("User '%s' already exists." % self._user_marker(spec))
        self._check_databases_exist({db for spec in specs for db in spec['databases']})
        for spec in specs:
            self._create_user(spec)

    def list_users(self, limit=None, marker=None):
        """Tenant users as [{"name", "host", "databases": [{"name"}]}], and the next marker."""
        self._require('users')
        check_paging(limit, marker)
        items = [self._user_view(user) for user in self._list_users()
                 if user['name'] and not self._is_reserved_user(user['name'])]
        return paginate(items, key=self._user_marker, limit=limit, marker=marker)

    def _user_view(self, user):
        databases = sorted(db for db in user['databases'] if not self._is_reserved_database(db))
        return {'name': user['name'], 'host': user['host'],
                'databases': [{'name': db} for db in databases]}

    def get_user(self, name, host=None):
        self._require('users')
        return self._user_view(self._existing_user(name, host))

    def delete_user(self, name, host=None):
        self._require('users')
        user = self._existing_user(name, host)
        self._delete_user(user['name'], user['host'])

    def change_passwords(self, users):
        """Set new passwords for users given as [{"name", "host"?, "password"}]."""
        self._require('users')
        specs = [self._user_spec(user) for user in users]
        for spec in specs:
            self._existing_user(spec['name'], spec['host'])
        for spec in specs:
            self._set_password(spec['name'], spec['host'], spec['password'])

    def update_attributes(self, name, host, new_name=None, new_password=None, new_host=None):
        """Rename a user, move it to another host, and/or set its password."""
        self._require('users')
        user = self._existing_user(name, host)
        target_name = self._check_user_name(new_name) if new_name else user['name']
        target_host = self._check_new_host(new_host) if new_host else user['host']
        if new_password is not None:
            self._check_password(new_password)
        if (target_name, target_host) != (user['name'], user['host']):
            if self._find_user(target_name, target_host) is not None:
                raise errors.Conflict("User '%s' already exists." % self._user_marker(
                    {'name': target_name, 'host': target_host}))
            self._rename_user(user['name'], user['host'], target_name, target_host)
        if new_password is not None:
            self._set_password(target_name, target_host, new_password)

    def grant_access(self, name, host, databases):
        """Give the user full access to each database named in `databases` ([{"name"}])."""
        self._require('users')
        user = self._existing_user(name, host)
        names = sorted({self._check_database_name(self._name_of(db, 'database'))
                        for db in databases})
        self._check_databases_exist(names)
        if names:
            self._grant(user['name'], user['host'], names)

    def revoke_access(self, name, host, database):
        self._require('users')
        user = self._existing_user(name, host)
        self._check_database_name(database)
        self._check_databases_exist([database])
        self._revoke(user['name'], user['host'], database)

    def list_access(self, name, host):
        """The databases the user can use, as [{"name"}]."""
        self._require('users')
        return self._user_view(self._existing_user(name, host))['databases']

    # -------------------------------------------------------------- root

    def enable_root(self, password=None):
        """Enable (or reset) the root account; returns {"name", "password"}."""
        self._require('root')
        password = self._check_password(password) if password is not None else generate_password()
        self._enable_root(password)
        return {'name': self.root_user_name, 'password': password}

    def disable_root(self):
        self._require('root')
        self._disable_root()

    def is_root_enabled(self):
        self._require('root')
        return self._is_root_enabled()

    # Hooks of the 'databases', 'users' and 'root' capabilities. Engines that
    # declare a capability implement its hooks; the public methods above check
    # the capability first, so these defaults are never reached otherwise.

    def _unsupported(self, capability):
        raise errors.NotSupported(capability, self.manager)

    def _list_databases(self):
        """All databases as [{"name", "character_set", "collate"}], system ones included."""
        self._unsupported('databases')

    def _create_database(self, spec):
        self._unsupported('databases')

    def _delete_database(self, name):
        self._unsupported('databases')

    def _list_users(self):
        """All users as [{"name", "host", "databases": [names]}], system ones included."""
        self._unsupported('users')

    def _find_user(self, name, host):
        """The user as in _list_users, or None."""
        self._unsupported('users')

    def _create_user(self, spec):
        self._unsupported('users')

    def _delete_user(self, name, host):
        self._unsupported('users')

    def _set_password(self, name, host, password):
        self._unsupported('users')

    def _rename_user(self, name, host, new_name, new_host):
        self._unsupported('users')

    def _grant(self, name, host, databases):
        self._unsupported('users')

    def _revoke(self, name, host, database):
        self._unsupported('users')

    def _enable_root(self, password):
        self._unsupported('root')

    def _disable_root(self):
        self._unsupported('root')

    def _is_root_enabled(self):
        self._unsupported('root')
