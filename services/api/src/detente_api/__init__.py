"""Détente HTTP API: tension indices and article stances from an in-memory view of Kafka."""
