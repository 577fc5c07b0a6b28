"""The performance benchmark of issue #7: load generator, bare baseline server, scenarios and the results table."""
