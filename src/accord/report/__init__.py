"""Charts and reports: each chart is a ``<name>_data(result) -> DataFrame`` and ``plot_<name>(result, ax=None)`` pair."""
