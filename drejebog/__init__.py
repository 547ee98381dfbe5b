"""drejebog: executable drejebøger (playbooks) for Danish jobcentres.

Installed, the project claims this one import name. Its parts live in folders at the
repository's root and are mapped under it by setuptools' ``package-dir`` (pyproject.toml):

- ``drejebog.engine``: the pure core (drejebog language, deadlines, the case runtime);
- ``drejebog.app``: the application layer, the use cases every adapter calls;
- ``drejebog.store``: SQL repositories (SQLite and PostgreSQL), migrations;
- ``drejebog.notifications``: templates and delivery channels;
- ``drejebog.cli``: the ``drejebog`` command and the daemon;
- ``drejebog.workflows``: the shipped drejebøger and the projektleder's guide;
- ``drejebog.bootstrap``: the one composition root that wires them together.
"""
