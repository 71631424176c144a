"""sciplat: the notebook service of a science platform on GKE, as code."""

__version__ = "0.1.0"
