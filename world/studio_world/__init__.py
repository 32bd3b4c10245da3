"""The local Studio world: an AWS emulator, an HTTPS git server, a real MLflow server and seeded scenarios.

Used by `studio-collab demo`, the tests and the benchmarks; never imported by the product. It is its own
distribution (`world/pyproject.toml`), so the product wheel a Studio image installs carries none of it.
"""
