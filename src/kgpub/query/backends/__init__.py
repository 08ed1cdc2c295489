"""Where queries run: the :class:`~kgpub.query.backends.base.QueryBackend` interface and its implementations."""
