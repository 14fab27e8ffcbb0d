"""Stand-in for MicroPython's ``micropython`` module under CPython."""


def const(value):
    """Return value unchanged (MicroPython folds it at compile time)."""
    return value


def mem_info(*_args):
    """No heap statistics exist under CPython."""
    return None
