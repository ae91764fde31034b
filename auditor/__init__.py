"""auditor: inventory and link auditor for provincial Party agencies and communes."""

__version__ = "0.1.0"
