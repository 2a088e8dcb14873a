"""Errors that end a command with one clear line instead of a traceback."""


class RustokError(Exception):
    """A user-facing failure: the message says what went wrong and what to do."""


class ConfigError(RustokError):
    """Bad configuration (environment variables, flags)."""


class DatabaseUnavailable(RustokError):
    """The database cannot be reached or is not usable."""
