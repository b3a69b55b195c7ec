"""What a launch takes of the project's quotas: the bars of the Details step, and the
reason a launch does not fit, in the user's words.

Everything comes from the one GET /limits the launch request makes (`max_<resource>` and
our `in_use_<resource>` extension, and `max_volume_size`). launch.js redraws the bars and
the reason as the flavor, the volume size or the replica count changes, from the same
sentences (rendered into the page, so they are translated once, here); the workflow
refuses a launch that does not fit with the same words before it asks the API.
"""
import logging

from django.utils.translation import gettext_lazy as _

from trove_dashboard.api import trove
from trove_dashboard.quota_usage import limit_and_use

LOG = logging.getLogger(__name__)


class Resource:
    """One quota a launch takes from; `limit` -1 is unlimited."""

    def __init__(self, name, title, used, limit, texts):
        self.name, self.title, self.used, self.limit = name, title, used, limit
        self.usage_text = UNLIMITED_USAGE if limit < 0 else texts['usage']
        self.adds_text, self.refusal_text = texts['adds'], texts['refusal']

    @property
    def unlimited(self):
        return self.limit < 0

    @property
    def used_percent(self):
        if self.unlimited or self.limit == 0:
            return 0 if self.unlimited or not self.used else 100
        return min(100, round(100 * self.used / self.limit))

    @property
    def usage(self):
        return self.usage_text % {'used': self.used, 'limit': self.limit}

    def refusal(self, need):
        """Why `need` more does not fit, or None when it does."""
        if self.unlimited or need <= 0 or self.used + need <= self.limit:
            return None
        return self.refusal_text % {'need': need, 'left': max(0, self.limit - self.used),
                                    'limit': self.limit}


# (resource, title, its sentences) in the order the bars and the reasons show them.
RESOURCES = (
    ('instances', _('Instances'), {
        'usage': _('%(used)s of %(limit)s used'),
        'adds': _('This launch adds %(need)s.'),
        'refusal': _('This launch needs %(need)s of your instance quota; %(left)s of '
                     '%(limit)s is left.')}),
    ('volumes', _('Volume Storage'), {
        'usage': _('%(used)s of %(limit)s GB used'),
        'adds': _('This launch adds %(need)s GB.'),
        'refusal': _('This launch needs %(need)s GB of volume storage; %(left)s GB is left '
                     'of your %(limit)s GB quota.')}),
    ('ram', _('RAM'), {
        'usage': _('%(used)s of %(limit)s MB used'),
        'adds': _('This launch adds %(need)s MB.'),
        'refusal': _('This launch needs %(need)s MB of RAM; %(left)s MB is left of your '
                     '%(limit)s MB quota.')}),
)
UNLIMITED_USAGE = _('%(used)s used (no limit)')


class LaunchQuota:
    """The project's usage and limits as a launch sees them."""

    def __init__(self, limits):
        self.resources = []
        for name, title, texts in RESOURCES:
            quota_usage = limit_and_use(limits, name)
            if quota_usage is not None:
                limit, used = quota_usage
                self.resources.append(Resource(name, title, used, limit, texts))
        size = limits.get('max_volume_size')
        self.max_volume_size = size if isinstance(size, int) and size > 0 else None

    @classmethod
    def load(cls, request):
        """The quota, or one that knows nothing when the limits cannot be read: the API
        still refuses a launch over quota, in its own words."""
        try:
            return cls(trove.limits(request))
        except Exception:
            LOG.warning('The limits could not be read; the launch shows no quota.',
                        exc_info=True)
            return cls({})

    def needs(self, ram, volume, count=1):
        """{resource: amount} a launch of `count` instances of `ram` MB and `volume` GB
        takes (a replica launch makes `count` instances)."""
        return {'instances': count, 'volumes': (volume or 0) * count,
                'ram': (ram or 0) * count}

    def refusals(self, needs):
        """[(resource, why it does not fit)] for each resource `needs` exceeds."""
        found = []
        for resource in self.resources:
            why = resource.refusal(needs.get(resource.name, 0))
            if why:
                found.append((resource.name, why))
        return found
