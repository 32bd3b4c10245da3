"""URLs are normalised before any prefix match or allow-list (issue #15): a catalog URL whose path would be read
as another path than written (dot segments, percent-encoded dots, letters or slashes) is refused when the catalog
loads, naming the entry; spellings of one host (case, default port) match the same git_credentials prefix."""

from __future__ import annotations

import copy
import json

import pytest
from studio_world import moto_bridge

from studio_collab.git.catalog import with_credentials
from studio_collab.git.repo_spec import (
    CatalogError,
    check_url,
    credentials_for,
    load_config_catalog,
    load_credential_prefixes,
    normalize_url,
    spec_from_studio,
)

TEAM = "https://git.example.com/team/"
TEAM_SECRET = "git/team-token"

REFUSED = [
    ("dot-dot", "https://git.example.com/team/../other.git"),
    ("encoded-dot-dot", "https://git.example.com/team/%2e%2e/other.git"),
    ("upper-encoded-dot-dot", "https://git.example.com/team/%2E%2E/other.git"),
    ("half-encoded-dot-dot", "https://git.example.com/team/.%2e/other.git"),
    ("dot", "https://git.example.com/team/./repo.git"),
    ("trailing-dot-dot", "https://git.example.com/team/repo/.."),
    ("encoded-slash", "https://git.example.com/team%2F..%2Fother.git"),
    ("encoded-backslash", "https://git.example.com/team/..%5Cother.git"),
    ("encoded-letter", "https://git.example.com/te%61m/repo.git"),
]


@pytest.mark.parametrize("url", [u for _, u in REFUSED], ids=[n for n, _ in REFUSED])
def test_a_path_read_otherwise_than_written_is_refused_and_the_entry_named(url):
    with pytest.raises(CatalogError):
        check_url(url)
    with pytest.raises(CatalogError, match=r"^repositories\[1\] \(https://git\.example\.com/"):
        load_config_catalog([{"url": "https://git.example.com/team/fine.git"}, {"url": url}], False)
    with pytest.raises(CatalogError, match=r"^git_credentials\["):
        load_credential_prefixes({url + "/": TEAM_SECRET}, False)


@pytest.mark.parametrize(
    "spelling",
    [
        "https://git.example.com/team/repo.git",
        "https://GIT.Example.COM/team/repo.git",
        "HTTPS://git.example.com/team/repo.git",
        "https://git.example.com:443/team/repo.git",
        "https://git.example.com./team/repo",
        "https://git.example.com//team//repo.git/",
    ],
)
def test_spellings_of_one_host_match_one_prefix(spelling):
    prefixes = load_credential_prefixes({"https://Git.Example.com:443/team/": TEAM_SECRET}, False)
    assert prefixes == [("https://git.example.com/team", TEAM_SECRET)]
    assert normalize_url(spelling) == "https://git.example.com/team/repo"
    assert with_credentials(spec_from_studio(spelling, "space", False), prefixes).credentials_secret == TEAM_SECRET


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.com/teammates/repo.git",
        "https://git.example.com:8443/team/r",
        "https://git.example.com.evil.test/team/repo.git",
        "https://git.example.com/Team/r",
    ],
)
def test_only_that_prefix_on_a_path_boundary_matches(url):
    prefixes = load_credential_prefixes({TEAM: TEAM_SECRET}, False)
    assert credentials_for(normalize_url(url), prefixes) is None


# --- on the world: the case, a space-level CodeRepositories URL climbing out of the admin's prefix ------
@pytest.fixture
def studio_collab_config(world):
    # The admin's token covers <git server>/team/ only; feature-store (private) is outside it.
    return {
        "git_credentials": {f"{world.git_base_url}/team/": "studio-collab/git/feature-store"},
        "git_fetch_interval_seconds": 0,
        "cache_ttl_seconds": 0,
    }


@pytest.mark.world
@pytest.mark.parametrize(
    "spelling", ["team/../feature-store.git", "team/%2e%2e/feature-store.git", "team/./../feature-store.git"]
)
async def test_a_studio_url_climbing_out_of_a_prefix_gets_no_token(world_env, jp_fetch, jp_root_dir, spelling):
    climbing = f"{world_env.git_base_url}/{spelling}"
    domain = moto_bridge.domain(world_env.region, world_env.domain_id)
    saved = copy.deepcopy(domain.default_user_settings)
    # planted in the record: Studio's own URL pattern refuses the port and '%' of these
    settings = copy.deepcopy(saved)
    settings.setdefault("JupyterLabAppSettings", {})["CodeRepositories"] = [{"RepositoryUrl": climbing}]
    domain.default_user_settings = settings
    try:
        world_env.clear_calls()
        listed = json.loads((await jp_fetch("studio-collab", "repos")).body)
    finally:
        domain.default_user_settings = saved
    assert climbing not in {r["url"] for r in listed["repos"]}
    assert any(w.startswith("Skipped a domain repository") and "'..' segments" in w for w in listed["warnings"]), (
        listed["warnings"]
    )
    assert "secretsmanager:GetSecretValue" not in world_env.calls()
    assert not any(p.name.startswith("feature-store") for p in jp_root_dir.iterdir())
