"""Warroom: one set of live numbers for an e-commerce sale day's operations, finance and tech teams."""

__version__ = "0.1.0"
