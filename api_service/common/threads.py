"""Run oslo's libraries on plain threads, never eventlet.

eventlet is installed (Keystone and python-troveclient need it), and oslo.service
and futurist pick it up when they can; it costs ~20 MB per process and patches the
DNS resolver. Every console script of ours calls this before importing
oslo.messaging.
"""
import sys


def use_threads():
    sys.modules.setdefault('eventlet', None)   # futurist probes for it: make the probe fail
    from oslo_service import backend
    try:
        backend.init_backend(backend.BackendType.THREADING)
    except Exception:
        pass  # already initialised in this process
