"""The application layer: the use cases a person or the daemon performs, against ports."""
