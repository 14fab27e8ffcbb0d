"""Stand-in for MicroPython's ``micropython`` module under CPython."""


def const(value):
    """Return value unchanged (MicroPython folds it at compile time)."""
    return value


def mem_info(*_args):
    """No heap statistics exist under CPython."""
    return None


interrupt_char = 3  # what kbd_intr last set (-1: Ctrl-C is plain data)


def kbd_intr(char):
    """Remember the console's interrupt character (the CPython console does not act on it)."""
    global interrupt_char
    interrupt_char = char
