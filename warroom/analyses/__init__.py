"""Analyses: what the numbers mean, computed from rows the metric layer answers.

Each module is a pure core over Arrow tables and numpy arrays, with no warehouse access: `cohorts` (first-purchase
cohorts, retention, repurchase, new / returning / reactivated buyers), `rfm` (RFM scores and segments), `clv`
(BG/NBD and Gamma-Gamma customer lifetime models), `overview` (the day at a glance). Their docstrings state
the methods, for the pages that show them.
"""
