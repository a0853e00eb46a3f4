"""Tools around the package: training, demo, benchmarks and soak runs."""
