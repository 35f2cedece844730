"""bondhook: give every Linux bond a MAC derived from a port's permanent address."""

__version__ = "0.6.0"
