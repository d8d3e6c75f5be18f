"""Developer tooling: the local stack, the local API runner, benchmarks. Never shipped to Lambda."""
