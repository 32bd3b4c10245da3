"""Code provenance of MLflow runs, recorded where the run starts (the user's kernel or script).

This package runs inside the user's process, loaded by MLflow through the ``mlflow.run_context_provider`` entry
point: it imports nothing heavy when loaded and nothing of the server extension, ever.
"""
