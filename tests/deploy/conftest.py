"""Fixtures for tests/deploy: the project's wheel and venvs that stand in for Studio images."""

from __future__ import annotations

import pytest

from tests.deploy.images import IMAGES, Venv, build_wheel, ensure_venv, image_requirements
from tests.ui.conftest import browser, page  # noqa: F401 - the browser fixtures, shared with tests/ui


@pytest.fixture(scope="session")
def project_wheel(tmp_path_factory):
    try:
        return build_wheel(tmp_path_factory.mktemp("wheel"))
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def _image_venv() -> Venv:
    venv, reason = ensure_venv("image", image_requirements())
    if venv is None:
        pytest.fail(f"could not build the image venv: {reason}")
    return venv


@pytest.fixture
def image_venv(_image_venv) -> Venv:
    """A venv like a Studio image before studio-collab: JupyterLab and the product's dependencies only."""
    _image_venv.reset()
    return _image_venv


@pytest.fixture(scope="session", params=sorted(IMAGES))
def _studio_image_venv(request) -> Venv:
    """Both ends of the supported range: SageMaker Distribution's pinned extension set at JupyterLab 4.5, and the
    newest JupyterLab 4.x with the newest of the same extensions. Made once, then reused (keyed by requirements).
    Only what the image ships: pip resolves Studio's extensions alone (adding our pins made it backtrack through
    boto3 releases for over ten minutes); our wheel must then fit what they brought, as it must in Studio."""
    venv, reason = ensure_venv(request.param, list(IMAGES[request.param]))
    if venv is None:
        pytest.fail(f"could not build the {request.param} venv: {reason}")
    venv.image = request.param
    return venv


@pytest.fixture
def studio_image_venv(_studio_image_venv, project_wheel) -> Venv:
    """A venv like a Studio image: JupyterLab with Studio's own extensions, plus our wheel."""
    _studio_image_venv.reset()
    _studio_image_venv.install_wheel(project_wheel)
    check = _studio_image_venv.pip("check", timeout=120)
    ours = [line for line in check.stdout.splitlines() if line.lower().startswith("studio-collab")]
    assert ours == [], f"the image's packages do not satisfy studio-collab: {ours}"
    yield _studio_image_venv
    _studio_image_venv.reset()
