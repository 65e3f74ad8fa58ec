"""Détente's shared domain library.

Pure functions and data only: no Kafka, Faust or FastAPI imports live here, so the
producer, the worker, the API and the offline CLI all run exactly the same logic.
"""

__version__ = "0.1.0"
