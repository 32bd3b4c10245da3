"""studio-collab: a JupyterLab extension for teams in Amazon SageMaker Studio.

Only extension points live here, so that importing the package stays cheap: the heavy parts
(boto3, GitPython, MLflow) load lazily inside the services that need them.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "studio-collab"}]


def _jupyter_server_extension_points():
    from .app import StudioCollabApp

    return [{"module": "studio_collab", "app": StudioCollabApp}]
