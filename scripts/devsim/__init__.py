"""CPython stand-ins for the MicroPython built-in modules the device code uses.

Put this folder on ``sys.path`` (before ``lib/``) to run device code under CPython:
the virtual board and the host test-suite both do.
"""
