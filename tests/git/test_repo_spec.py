"""The catalog's attack corpus and rules: URLs, branches, targets, ids, dedupe, symlink escapes."""

from __future__ import annotations

import re

import pytest

from studio_collab.errors import StudioCollabError
from studio_collab.git.catalog import merge_sources
from studio_collab.git.repo_spec import (
    CatalogError,
    check_branch,
    check_repo_path,
    check_target,
    check_url,
    load_config_catalog,
    normalize_url,
    resolve_inside,
    spec_from_config,
)

BAD_URLS = [
    "ext::sh -c touch% /tmp/pwned",
    "ext::sh",
    "fd::17",
    "fd::0,1/repo",
    "file:///etc/passwd",
    "file://localhost/srv/repo.git",
    "/srv/git/repo.git",
    "../repo.git",
    "git@github.com:org/repo.git",
    "-uhttps://example.com/x.git",
    "--upload-pack=touch /tmp/pwned",
    "https://example.com/repo.git --upload-pack=touch",
    "https://example.com/--upload-pack=touch/repo.git",
    "https://example.com/-repo.git",
    "http://example.com/repo.git",
    "ftp://example.com/repo.git",
    "ssh://git@example.com/repo.git",
    "https://user:s3cret@example.com/repo.git",
    "https://ghp_tokentokentoken@example.com/repo.git",
    "https://example.com/repo.git?private_token=abc",
    "https://example.com/repo.git#frag",
    "https:///repo.git",
    "https://example.com/",
    "https://example.com:99999/repo.git",
    "https://exa mple.com/repo.git",
    "https://example.com/repo\n.git",
    "",
    None,
    42,
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_are_refused(url):
    with pytest.raises(CatalogError):
        check_url(url)


def test_ssh_only_when_the_admin_allows_it():
    with pytest.raises(CatalogError, match="allow_ssh_repositories"):
        check_url("ssh://git@example.com/org/repo.git")
    assert check_url("ssh://git@example.com/org/repo.git", allow_ssh=True)
    with pytest.raises(CatalogError):
        check_url("http://example.com/org/repo.git", allow_ssh=True)  # plain http never
    with pytest.raises(CatalogError):
        check_url("ssh://git:pw@example.com/org/repo.git", allow_ssh=True)


def test_good_urls_pass():
    for url in (
        "https://github.com/org/repo.git",
        "https://git.example.com:8443/team/sub/group/repo",
        " https://example.com/a/b.git ",
    ):
        assert check_url(url) == url.strip()


def test_config_load_names_the_offending_entry_without_its_credentials():
    entries = [{"url": "https://example.com/good.git"}, {"url": "https://bob:hunter2@example.com/bad.git"}]
    with pytest.raises(CatalogError) as err:
        load_config_catalog(entries, allow_ssh=False)
    message = str(err.value)
    assert "repositories[1]" in message and "https://example.com/bad.git" in message
    assert "hunter2" not in message and "bob" not in message
    with pytest.raises(CatalogError, match=r"repositories\[0\] \(http://example.com/x.git\) uses http"):
        load_config_catalog([{"url": "http://example.com/x.git"}], allow_ssh=False)


BAD_BRANCHES = [
    "",
    "-b",
    "--upload-pack=x",
    "a..b",
    "a b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[x",
    "a\\b",
    "/a",
    "a/",
    "a//b",
    "a.lock",
    "a/b.lock",
    ".hidden",
    "a/.b",
    "a@{1}",
    "@",
    "HEAD",
    "a.",
    "a\x01b",
    "x" * 256,
]


@pytest.mark.parametrize("branch", BAD_BRANCHES)
def test_branch_names_git_refuses_are_refused(branch):
    with pytest.raises(CatalogError):
        check_branch(branch)


def test_branch_rules_agree_with_git(tmp_path):
    import subprocess

    for branch in BAD_BRANCHES[1:-2] + ["main", "feature/x-1", "release-1.0", "a@b", "déjà"]:
        git_ok = subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True).returncode == 0
        try:
            check_branch(branch)
            ours = True
        except CatalogError:
            ours = False
        stricter_on_purpose = ("HEAD", "@", "--upload-pack=x")
        assert ours == git_ok or (not ours and branch in stricter_on_purpose), branch


BAD_TARGETS = [
    "",
    "../x",
    "a/../../x",
    "..",
    ".",
    "/abs",
    "~/x",
    "C:\\x",
    "C:/x",
    "a\\b",
    "-x",
    "a/-b",
    ".git",
    "a/.git/hooks",
    "a//b",
    "a\x00b",
]


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_targets_outside_the_root_or_odd_are_refused(target):
    with pytest.raises(CatalogError):
        check_target(target)


def test_good_targets():
    assert check_target("course") == "course"
    assert check_target("team/models/") == "team/models"


def test_symlink_out_of_the_root_is_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    with pytest.raises(StudioCollabError) as err:
        resolve_inside(root, "escape/repo")
    assert err.value.code == "path_outside_root"
    assert resolve_inside(root, "inside/repo") == root.resolve() / "inside/repo"


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", ".git/config", "a\\b", "a\x00"])
def test_open_link_paths_must_stay_in_the_repo(path):
    with pytest.raises(StudioCollabError) as err:
        check_repo_path(path)
    assert err.value.status == 400


@pytest.mark.parametrize(
    "entry",
    [
        {"url": "https://example.com/r.git", "depth": 0},
        {"url": "https://example.com/r.git", "depth": True},
        {"url": "https://example.com/r.git", "depth": "5"},
        {"url": "https://example.com/r.git", "credentials_secret": "-x"},
        {"url": "https://example.com/r.git", "credentials_secret": "a b"},
        {"url": "https://example.com/r.git", "brnach": "main"},
        {"url": "https://example.com/r.git", "description": "see --upload-pack=touch"},
        {"url": "https://example.com/r.git", "name": "evil --config=core.sshCommand=x"},
        {"url": "https://example.com/r.git", "branch": "--upload-pack=x"},
        {"url": "https://example.com/r.git", "target": "--upload-pack=x"},
        "https://example.com/r.git",
    ],
)
def test_every_field_is_checked(entry):
    with pytest.raises(CatalogError):
        spec_from_config(0, entry, allow_ssh=False)


def test_normalised_urls_dedupe_spellings():
    same = [
        "https://GitHub.com/org/Repo.git",
        "https://github.com/org/Repo",
        "https://github.com:443/org/Repo/",
        "https://github.com//org/Repo.git/",
    ]
    assert len({normalize_url(u) for u in same}) == 1
    assert normalize_url("https://github.com/org/Repo") != normalize_url("https://github.com/org/repo")
    with pytest.raises(CatalogError, match="same repository"):
        load_config_catalog([{"url": same[0]}, {"url": same[1], "target": "other"}], allow_ssh=False)
    with pytest.raises(CatalogError, match="same target"):
        load_config_catalog(
            [{"url": "https://a.example/x.git", "target": "t"}, {"url": "https://b.example/y.git", "target": "t"}],
            allow_ssh=False,
        )


def test_ids_are_stable_and_safe():
    first = spec_from_config(0, {"url": "https://example.com/Team/My Models!.git".replace(" ", "%20")}, False)
    again = spec_from_config(3, {"url": "https://example.com/Team/My%20Models!.git"}, False)
    assert first.id == again.id and re.fullmatch(r"[a-z0-9-]+", first.id)
    assert "credentials_secret" not in first.display()


def test_studio_sources_merge_with_config_first_and_dedupe():
    config = load_config_catalog(
        [{"url": "https://git.example.com/team/models.git", "description": "Our models", "branch": "main"}],
        allow_ssh=False,
    )
    found = [
        ("domain", "https://git.example.com/team/models"),  # same repo as config: config wins
        ("domain", "https://git.example.com/shared/data.git"),
        ("space", "https://git.example.com/shared/data.git/"),  # same as domain's: the space is more specific
        ("user_profile", "https://other.example.com/people/models.git"),  # same default target as config's
        ("domain", "http://git.example.com/insecure.git"),
        ("space", "https://me:tok3n@git.example.com/leaky.git"),
        ("user_profile", None),
    ]
    warnings: list[str] = []
    specs = merge_sources(config, found, allow_ssh=False, warnings=warnings)
    by_url = {s.normalized_url: s for s in specs}
    assert [s.source for s in specs] == ["config", "space", "user_profile"]
    assert by_url["https://git.example.com/team/models"].description == "Our models"
    assert by_url["https://git.example.com/shared/data"].source == "space"
    targets = [s.target for s in specs]
    assert len(set(targets)) == len(targets) and targets[2].startswith("models-")
    assert len(warnings) == 3 and not any("tok3n" in w for w in warnings)
