"""Errors that reach the user as one line (SPEC §10: non-zero exit with a one-line reason)."""


class WaybillWatchError(Exception):
    """A failure the user can act on; its message is one line that says what to do."""
