"""Putting studio-collab into a SageMaker Studio domain: lifecycle configuration, IAM policy, doctor and
the configuration reference."""
