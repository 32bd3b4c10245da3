"""The sync matrix: each scenario with real repos, asserting that no user edit is lost, every notebook stays a
valid nbformat notebook, and the reported outcome per file."""

from __future__ import annotations

import json
import time

import nbformat
import pytest

from studio_collab.errors import StudioCollabError
from tests.git.repos import all_notebooks_valid, notebook


@pytest.fixture(autouse=True)
def notebooks_always_valid(case):
    yield
    assert all_notebooks_valid(case.repo) == []


def cells(text: str) -> list[str]:
    return [c.source for c in nbformat.reads(text, as_version=4).cells]


def test_upstream_only_change_is_taken(case):
    case.upstream.commit({"lesson.py": "new lesson\n"})
    result = case.sync()
    assert case.read("lesson.py") == "new lesson\n"
    assert case.outcomes(result) == {"lesson.py": "updated"}


def test_upstream_new_and_removed_files(case):
    case.upstream.commit({"extra.md": "more\n", "data/table.csv": None})
    result = case.sync()
    assert case.read("extra.md") == "more\n"
    assert not (case.repo / "data/table.csv").exists()
    assert case.outcomes(result) == {"extra.md": "updated", "data/table.csv": "updated"}


def test_nothing_changed_anywhere_reports_nothing(case):
    head = case.git("rev-parse", "HEAD")
    result = case.sync()
    assert result["files"] == [] and case.git("rev-parse", "HEAD") == head


def test_local_edit_without_upstream_change_is_kept(case):
    case.write("lesson.py", "my own lesson\n")
    result = case.sync()
    assert case.read("lesson.py") == "my own lesson\n"
    assert result["files"] == []


def test_disjoint_edits_in_one_file_are_merged(case):
    case.write("lesson.py", case.read("lesson.py").replace("line 2\n", "line 2 (mine)\n"))
    case.upstream.commit({"lesson.py": "".join(f"line {i}\n" for i in range(1, 10)) + "line 10 (theirs)\n"})
    result = case.sync()
    text = case.read("lesson.py")
    assert "line 2 (mine)" in text and "line 10 (theirs)" in text
    assert case.outcomes(result) == {"lesson.py": "merged"}


def test_disjoint_edits_in_different_files(case):
    case.write("README.md", "# My notes\n")
    case.upstream.commit({"lesson.py": "upstream lesson\n"})
    result = case.sync()
    assert case.read("README.md") == "# My notes\n" and case.read("lesson.py") == "upstream lesson\n"
    assert case.outcomes(result) == {"lesson.py": "updated"}


def test_same_line_conflict_keeps_the_users_line(case):
    case.write("lesson.py", case.read("lesson.py").replace("line 5\n", "line 5 USER\n"))
    case.upstream.commit({"lesson.py": case.read("lesson.py").replace("line 5 USER\n", "line 5 UPSTREAM\n")
                          .replace("line 9\n", "line 9 UPSTREAM\n")})
    result = case.sync()
    text = case.read("lesson.py")
    assert "line 5 USER" in text and "UPSTREAM\n" in text.split("line 9")[1]  # other upstream hunk merged
    assert "line 5 UPSTREAM" not in text and "<<<<<<<" not in text
    assert case.outcomes(result) == {"lesson.py": "merged"}


def test_notebook_changed_on_both_sides_is_never_text_merged(case):
    mine = notebook("import math", "x = 100", "print(x)")
    theirs = notebook("import math", "x = 1", "print(x * 2)")
    case.write("analysis.ipynb", mine)
    case.upstream.commit({"analysis.ipynb": theirs})
    result = case.sync()
    assert cells(case.read("analysis.ipynb")) == cells(mine)
    beside = [p for p in case.repo.iterdir() if p.name.startswith("analysis.upstream-")]
    assert len(beside) == 1 and cells(beside[0].read_text()) == cells(theirs)
    assert case.outcomes(result) == {"analysis.ipynb": "kept_local"}
    assert beside[0].name in result["files"][0]["detail"]


def test_notebook_same_cell_conflict_stays_valid_json(case):
    case.write("analysis.ipynb", notebook("import math", "x = 'mine'", "print(x)"))
    case.upstream.commit({"analysis.ipynb": notebook("import math", "x = 'theirs'", "print(x)", "y = 2")})
    case.sync()
    json.loads(case.read("analysis.ipynb"))
    assert cells(case.read("analysis.ipynb"))[1] == "x = 'mine'"


def test_notebook_changed_only_upstream_is_updated(case):
    case.upstream.commit({"analysis.ipynb": notebook("import math", "x = 2")})
    result = case.sync()
    assert cells(case.read("analysis.ipynb")) == ["import math", "x = 2"]
    assert case.outcomes(result) == {"analysis.ipynb": "updated"}


def test_invalid_upstream_notebook_never_replaces_a_valid_one(case):
    broken = '{"cells": [ {"cell_type": "code", "source": "x",}'  # what a bad text merge upstream looks like
    case.upstream.commit({"analysis.ipynb": broken})
    result = case.sync()
    assert cells(case.read("analysis.ipynb")) == ["import math", "x = 1", "print(x)"]
    beside = [p for p in case.repo.iterdir() if p.name.startswith("analysis.upstream-")]
    assert beside and beside[0].read_text() == broken
    assert case.outcomes(result) == {"analysis.ipynb": "kept_local"}
    beside[0].unlink()  # the upstream copy is the one invalid file, by design; the fixture checks the rest


def test_deleted_file_is_restored(case):
    (case.repo / "README.md").unlink()
    result = case.sync()
    assert case.read("README.md") == "# Course\n"
    assert case.outcomes(result) == {"README.md": "restored"}


def test_file_names_that_look_like_patterns_are_only_themselves(case):
    case.upstream.commit({"*.py": "a file named star\n", ":(glob)x.py": "magic-looking\n"})
    case.sync()
    case.write("lesson.py", "my edit must survive\n")
    (case.repo / "*.py").unlink()
    (case.repo / ":(glob)x.py").unlink()
    result = case.sync()
    assert case.read("lesson.py") == "my edit must survive\n"
    assert case.read("*.py") == "a file named star\n" and case.read(":(glob)x.py") == "magic-looking\n"
    assert case.outcomes(result) == {"*.py": "restored", ":(glob)x.py": "restored"}


def test_deleted_file_changed_upstream_comes_back_with_upstream_version(case):
    (case.repo / "lesson.py").unlink()
    case.upstream.commit({"lesson.py": "revised\n"})
    result = case.sync()
    assert case.read("lesson.py") == "revised\n"
    assert case.outcomes(result) == {"lesson.py": "restored"}


def test_untracked_file_clashing_with_new_upstream_file_is_renamed(case):
    case.write("solution.py", "my attempt\n")
    case.upstream.commit({"solution.py": "official solution\n"})
    result = case.sync()
    assert case.read("solution.py") == "official solution\n"
    renamed = [p for p in case.repo.iterdir() if p.name.startswith("solution.local-")]
    assert len(renamed) == 1 and renamed[0].read_text() == "my attempt\n"
    assert case.outcomes(result) == {"solution.py": "renamed"}


def test_untracked_notebook_clash_keeps_both_notebooks(case):
    mine = notebook("my = 'work'")
    case.write("homework.ipynb", mine)
    case.upstream.commit({"homework.ipynb": notebook("task = 1")})
    case.sync()
    renamed = [p for p in case.repo.iterdir() if p.name.startswith("homework.local-")]
    assert renamed and cells(renamed[0].read_text()) == ["my = 'work'"]
    assert cells(case.read("homework.ipynb")) == ["task = 1"]


def test_ignored_file_clashing_with_upstream_is_not_overwritten(case):
    case.upstream.commit({".gitignore": "*.out\n"})
    case.sync()
    case.write("result.out", "my precious output\n")
    case.upstream.commit({".gitignore": "", "result.out": "upstream output\n"})
    case.sync()
    renamed = [p for p in case.repo.iterdir() if p.name.startswith("result.local-")]
    assert renamed and renamed[0].read_text() == "my precious output\n"


def test_untracked_folder_where_upstream_adds_a_file(case):
    case.write("notes/mine.txt", "keep me\n")
    case.upstream.commit({"notes": "upstream turned this name into a file\n"})
    result = case.sync()
    assert case.read("notes") == "upstream turned this name into a file\n"
    renamed = [p for p in case.repo.iterdir() if p.name.startswith("notes.local-")]
    assert renamed and (renamed[0] / "mine.txt").read_text() == "keep me\n"
    assert case.outcomes(result)["notes"] == "renamed"


def test_modified_locally_deleted_upstream_is_kept(case):
    case.write("lesson.py", "my changes matter\n")
    case.upstream.commit({"lesson.py": None})
    result = case.sync()
    assert case.read("lesson.py") == "my changes matter\n"
    assert case.outcomes(result) == {"lesson.py": "kept_local"}


def test_committed_deletion_with_upstream_change_restores_upstream_version(case):
    case.git("rm", "-q", "lesson.py")
    case.git("commit", "-q", "-m", "I removed it")
    case.upstream.commit({"lesson.py": "upstream still needs this\n"})
    result = case.sync()
    assert case.read("lesson.py") == "upstream still needs this\n"
    assert case.outcomes(result) == {"lesson.py": "restored"}


def test_users_own_commits_and_upstream_commits_are_merged(case):
    case.write("mine.py", "print('mine')\n")
    case.git("add", "mine.py")
    case.git("commit", "-q", "-m", "my work")
    case.upstream.commit({"theirs.py": "print('theirs')\n"})
    case.sync()
    assert case.read("mine.py") == "print('mine')\n" and case.read("theirs.py") == "print('theirs')\n"
    ahead, behind = case.git("rev-list", "--left-right", "--count", "HEAD...origin/main").split()
    assert int(behind) == 0 and int(ahead) >= 2


def test_binary_conflict_keeps_the_users_file(case):
    (case.repo / "image.bin").write_bytes(b"mine" * 100)
    case.upstream.commit({"image.bin": b"theirs" * 100})
    case.sync()
    assert (case.repo / "image.bin").read_bytes() == b"mine" * 100


def test_dirty_index_staged_and_unstaged_edits_survive(case):
    case.write("README.md", "# staged\n")
    case.git("add", "README.md")
    case.write("README.md", "# staged\nand unstaged\n")
    case.write("brand-new.py", "x = 1\n")
    case.git("add", "brand-new.py")
    case.upstream.commit({"lesson.py": "upstream\n"})
    case.sync()
    assert case.read("README.md") == "# staged\nand unstaged\n"
    assert case.read("brand-new.py") == "x = 1\n" and case.read("lesson.py") == "upstream\n"


def test_staged_new_file_clashing_with_upstream_keeps_the_users_content(case):
    case.write("config.yaml", "mine: true\n")
    case.git("add", "config.yaml")
    case.upstream.commit({"config.yaml": "theirs: true\n"})
    result = case.sync()
    assert "mine: true" in case.read("config.yaml")
    assert case.outcomes(result)["config.yaml"] == "merged"


def test_detached_head_with_edits_goes_back_on_the_branch(case):
    first = case.git("rev-parse", "HEAD").strip()
    case.upstream.commit({"lesson.py": "v2\n"})
    case.sync()
    case.git("checkout", "-q", "--detach", first)
    case.write("README.md", "# edited while detached\n")
    case.upstream.commit({"extra.md": "v3\n"})
    result = case.sync()
    assert case.git("symbolic-ref", "--short", "HEAD").strip() == "main"
    assert case.read("README.md") == "# edited while detached\n"
    assert case.read("lesson.py") == "v2\n" and case.read("extra.md") == "v3\n"
    assert result["branch"] == "main" and result["notes"]


def test_detached_head_with_its_own_commit_keeps_it(case):
    case.git("checkout", "-q", "--detach")
    case.write("detached.py", "work\n")
    case.git("add", "detached.py")
    case.git("commit", "-q", "-m", "detached work")
    case.sync()
    assert case.git("symbolic-ref", "--short", "HEAD").strip() == "main"
    assert case.read("detached.py") == "work\n"


def test_rewritten_upstream_history_stops_with_history_diverged(case):
    case.write("README.md", "# mine\n")
    case.upstream.rewrite_history({"README.md": "# brand new history\n"})
    with pytest.raises(StudioCollabError) as err:
        case.sync()
    assert err.value.code == "history_diverged"
    assert case.read("README.md") == "# mine\n"  # nothing touched
    with pytest.raises(StudioCollabError):  # still refused on retry: the check does not rely on the old ref
        case.sync()


def test_merge_in_progress_is_refused_and_left_alone(case):
    case.git("checkout", "-q", "-b", "side")
    case.write("README.md", "# side\n")
    case.git("commit", "-q", "-am", "side")
    case.git("checkout", "-q", "main")
    case.write("README.md", "# main\n")
    case.git("commit", "-q", "-am", "main")
    with pytest.raises(AssertionError):
        case.git("merge", "side")  # leaves a conflicted merge
    with pytest.raises(StudioCollabError) as err:
        case.sync()
    assert err.value.code == "operation_in_progress"
    assert "<<<<<<<" in case.read("README.md")  # the user's merge is theirs to finish
    case.git("merge", "--abort")


def test_recent_index_lock_is_respected_and_stale_one_removed(case):
    lock = case.repo / ".git" / "index.lock"
    lock.write_text("")
    with pytest.raises(StudioCollabError) as err:
        case.sync()
    assert err.value.code == "repo_busy"
    old = time.time() - 3600
    import os

    os.utime(lock, (old, old))
    case.upstream.commit({"lesson.py": "after lock\n"})
    case.sync()
    assert case.read("lesson.py") == "after lock\n" and not lock.exists()


def test_second_sync_is_a_no_op(case):
    case.write("README.md", "# mine\n")
    case.upstream.commit({"lesson.py": "v2\n"})
    case.sync()
    head = case.git("rev-parse", "HEAD")
    again = case.sync()
    assert again["files"] == [] and case.git("rev-parse", "HEAD") == head


def test_git_config_is_never_written(case, tmp_path):
    global_config = (tmp_path / "home" / ".gitconfig").read_text()
    repo_config = (case.repo / ".git" / "config").read_text()
    case.write("README.md", "# mine\n")
    case.upstream.commit({"lesson.py": "v2\n"})
    case.sync()
    assert (tmp_path / "home" / ".gitconfig").read_text() == global_config
    assert (case.repo / ".git" / "config").read_text() == repo_config
    author = case.git("log", "-1", "--format=%an <%ae>", "HEAD^1")
    assert author.strip() == "studio-collab <studio-collab@localhost>"


def test_sync_without_configured_branch_follows_the_remote_default(case):
    case.upstream.commit({"lesson.py": "default branch\n"})
    case.sync(branch=None)
    assert case.read("lesson.py") == "default branch\n"
