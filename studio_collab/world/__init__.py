"""The local Studio world: an AWS emulator, an HTTPS git server, a real MLflow server and seeded scenarios.

Used by `studio-collab demo`, the tests and the benchmarks; never imported by the product (it needs moto and
MLflow, which only the `demo` extra installs).
"""
