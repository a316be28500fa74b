"""cxlab: a research workspace for customer-experience teams.

The package does every computation; notebooks narrate and show it.
Modules are named for what an analyst says: ``metrics``, ``drivers``, ``cohorts``,
``complaints``, ``quality``, ``plots``, ``report``; ``schema`` and ``io`` read and
store data, ``samples`` generates the synthetic sample data set.
"""

__version__ = "0.1.0"
