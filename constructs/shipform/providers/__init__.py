"""Providers: each way of doing one job in the cluster (a service mesh, a GitOps controller, an autoscaler, ...)
is one module that implements its family's small protocol and is registered in its family's table.

A family is a sub-package: ``protocol.py`` states what a provider answers, each provider is a module of its own
that imports only the protocol, the spec and the values (providers never import each other), and the package's
``__init__`` registers them in one :class:`~shipform.providers.registry.Registry`. The model validates names and
takes defaults from the table; the renderers ask the table for the provider a spec names. A new provider is one
file plus one line; a test can register its own without editing shipform.
"""
