"""Runs first at every boot, before main.py: start the application with the memory boot left free."""

import gc

gc.collect()
