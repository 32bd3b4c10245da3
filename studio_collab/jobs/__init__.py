"""Background jobs with progress and cancellation: one mechanism for clone, sync, share and more."""

from .registry import Job, JobCancelled, JobRegistry, JobReporter

__all__ = ["Job", "JobCancelled", "JobRegistry", "JobReporter"]
