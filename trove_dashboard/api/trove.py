"""Talks to the DBaaS API with python-troveclient, as the logged-in user.

One client per request, built from the user's token and the catalog's
`database` endpoint; nothing is cached across requests.
"""
from django.conf import settings
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from openstack_dashboard.api import base
from troveclient.v1 import client as trove_client


def troveclient(request):
    endpoint = base.url_for(request, 'database')
    auth = v3.Token(auth_url=settings.OPENSTACK_KEYSTONE_URL, token=request.user.token.id,
                    project_id=request.user.project_id)
    session = ks_session.Session(auth=auth, verify=not getattr(
        settings, 'OPENSTACK_SSL_NO_VERIFY', False))
    return trove_client.Client(session=session, endpoint_override=endpoint)


def datastore_list(request):
    return troveclient(request).datastores.list()


def flavor_list(request):
    return troveclient(request).flavors.list()
