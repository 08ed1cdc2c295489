"""The ``kgpub`` command line (click)."""
