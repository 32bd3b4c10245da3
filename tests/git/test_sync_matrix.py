"""The sync matrix: each scenario with real repos. ``case.sync`` judges invariants 1, 4 and 5 with git itself
(no studio-collab commit in ``git log``, nothing unmerged in ``git status``, every file whose bytes changed on
disk listed once); each test then checks its own outcome with ``git status --porcelain``, ``git diff`` and
nbformat. Preview = no mutation and undo = byte-identical are judged by a full snapshot of HEAD, index and
work tree."""

from __future__ import annotations

import os
import threading
import time

import nbformat
import pytest

from studio_collab.errors import StudioCollabError
from studio_collab.git.sync import RepoSync, repo_lock
from studio_collab.git.undo import SyncRecorder
from studio_collab.git.worktree import Worktree
from studio_collab.jobs import JobCancelled
from tests.git.repos import all_notebooks_valid, git, notebook


@pytest.fixture(autouse=True)
def notebooks_always_valid(case):
    yield
    bad = all_notebooks_valid(case.repo)
    # an invalid notebook may only be one upstream committed, exactly as upstream wrote it
    for path in bad:
        committed = git(case.repo, "show", f"HEAD:{path}", check=False)
        assert committed and committed == case.read(path), f"sync left an invalid notebook: {path}"


def cells(text: str) -> list[str]:
    return [c.source for c in nbformat.reads(text, as_version=4).cells]


def status(case) -> set[str]:
    return {line for line in case.git("status", "--porcelain=v1", "--untracked-files=all").splitlines()}


def on_upstream(case) -> None:
    assert case.git("rev-parse", "HEAD") == case.git("rev-parse", "origin/main")


LESSON = "".join(f"line {i}\n" for i in range(1, 11))


# --- fast-forward: upstream only, user's work stays uncommitted ------------------------------------------------
def test_upstream_only_change_is_taken(case):
    case.upstream.commit({"lesson.py": "new lesson\n"})
    result = case.sync()
    assert case.read("lesson.py") == "new lesson\n"
    assert case.outcomes(result) == {"lesson.py": "updated"}
    on_upstream(case)
    assert status(case) == set() and result["undo"]


def test_upstream_new_and_removed_files(case):
    case.upstream.commit({"extra.md": "more\n", "data/table.csv": None})
    result = case.sync()
    assert case.read("extra.md") == "more\n"
    assert not (case.repo / "data").exists()
    assert case.outcomes(result) == {"extra.md": "updated", "data/table.csv": "updated"}
    assert status(case) == set()


def test_nothing_changed_anywhere_reports_nothing(case):
    head = case.git("rev-parse", "HEAD")
    result = case.sync()
    assert result["files"] == [] and case.git("rev-parse", "HEAD") == head and result["undo"] is None


def test_local_edit_without_upstream_change_is_kept(case):
    case.write("lesson.py", "my own lesson\n")
    result = case.sync()
    assert case.read("lesson.py") == "my own lesson\n"
    assert result["files"] == [] and status(case) == {" M lesson.py"}


def test_local_edit_stays_uncommitted_while_upstream_arrives(case):
    case.write("README.md", "# My notes\n")
    case.upstream.commit({"lesson.py": "upstream lesson\n"})
    result = case.sync()
    assert case.read("README.md") == "# My notes\n" and case.read("lesson.py") == "upstream lesson\n"
    assert case.outcomes(result) == {"lesson.py": "updated"}
    on_upstream(case)
    assert status(case) == {" M README.md"}  # still the user's uncommitted edit, nothing committed


def test_staged_edit_stays_staged(case):
    case.write("README.md", "# staged\n")
    case.git("add", "README.md")
    staged = case.git("diff", "--cached")
    case.upstream.commit({"lesson.py": "upstream\n"})
    case.sync()
    on_upstream(case)
    assert status(case) == {"M  README.md"} and case.git("diff", "--cached") == staged


def test_staged_and_unstaged_edits_of_one_file_both_survive(case):
    case.write("README.md", "# staged\n")
    case.git("add", "README.md")
    case.write("README.md", "# staged\nand unstaged\n")
    case.write("brand-new.py", "x = 1\n")
    case.git("add", "brand-new.py")
    case.upstream.commit({"lesson.py": "upstream\n"})
    case.sync()
    assert status(case) == {"MM README.md", "A  brand-new.py"}
    assert case.read("README.md") == "# staged\nand unstaged\n" and case.git("show", ":README.md") == "# staged\n"


def test_disjoint_edits_in_one_file_are_merged_and_stay_uncommitted(case):
    case.write("lesson.py", LESSON.replace("line 2\n", "line 2 (mine)\n"))
    case.upstream.commit({"lesson.py": LESSON.replace("line 10\n", "line 10 (theirs)\n")})
    result = case.sync()
    text = case.read("lesson.py")
    assert "line 2 (mine)" in text and "line 10 (theirs)" in text
    assert case.outcomes(result) == {"lesson.py": "merged"}
    diff = case.git("diff", "lesson.py")
    assert "+line 2 (mine)" in diff and "theirs" not in diff  # only the user's change is uncommitted


def test_staged_edit_of_a_file_upstream_changed_stays_staged_merged(case):
    case.write("lesson.py", LESSON.replace("line 2\n", "line 2 (mine)\n"))
    case.git("add", "lesson.py")
    case.upstream.commit({"lesson.py": LESSON.replace("line 10\n", "line 10 (theirs)\n")})
    case.sync()
    staged = case.git("diff", "--cached", "lesson.py")
    assert "+line 2 (mine)" in staged and "theirs" not in staged
    assert status(case) == {"M  lesson.py"}


def test_staged_new_file_that_upstream_also_adds_keeps_both_versions(case):
    case.write("config.yaml", "mine: true\n")
    case.git("add", "config.yaml")
    case.upstream.commit({"config.yaml": "theirs: true\n"})
    result = case.sync()
    text = case.read("config.yaml")
    assert "mine: true" in text and "theirs: true" in text and "<<<<<<< yours" in text
    assert case.outcomes(result) == {"config.yaml": "kept_both"}
    on_upstream(case)


def test_staged_new_file_identical_to_upstreams(case):
    case.write("config.yaml", "same: true\n")
    case.git("add", "config.yaml")
    case.upstream.commit({"config.yaml": "same: true\n"})
    result = case.sync()
    assert result["files"] == [] and status(case) == set()


def test_same_line_conflict_keeps_both_versions_in_conflict_regions(case):
    case.write("lesson.py", LESSON.replace("line 5\n", "line 5 USER\n"))
    case.upstream.commit(
        {"lesson.py": LESSON.replace("line 5\n", "line 5 UPSTREAM\n").replace("line 9\n", "line 9 UPSTREAM\n")}
    )
    result = case.sync()
    text = case.read("lesson.py")
    assert "line 5 USER" in text and "line 5 UPSTREAM" in text and "line 9 UPSTREAM" in text
    assert "<<<<<<< yours" in text and ">>>>>>> upstream" in text
    assert case.outcomes(result) == {"lesson.py": "kept_both"}
    on_upstream(case)


def test_binary_conflict_keeps_the_users_file_and_saves_upstreams_beside(case):
    (case.repo / "image.bin").write_bytes(b"mine\0" * 100)
    case.upstream.commit({"image.bin": b"theirs\0" * 100})
    result = case.sync()
    assert (case.repo / "image.bin").read_bytes() == b"mine\0" * 100
    beside = result["files"][0]["beside"]
    assert (case.repo / beside).read_bytes() == b"theirs\0" * 100
    assert case.outcomes(result) == {"image.bin": "kept_both"}


def test_lfs_pointer_changed_on_both_sides_is_never_line_merged(case):
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 12345\n"
    case.upstream.commit({"model.bin": pointer.format("a" * 64)})
    case.sync()
    case.write("model.bin", pointer.format("b" * 64))
    case.upstream.commit({"model.bin": pointer.format("c" * 64)})
    result = case.sync()
    assert case.read("model.bin") == pointer.format("b" * 64)
    assert case.read(result["files"][0]["beside"]) == pointer.format("c" * 64)
    assert case.outcomes(result) == {"model.bin": "kept_both"}


def test_both_sides_made_the_same_edit(case):
    case.write("lesson.py", "same\n")
    case.upstream.commit({"lesson.py": "same\n"})
    result = case.sync()
    assert result["files"] == [] and status(case) == set()


def test_modified_locally_deleted_upstream_is_kept_untracked(case):
    case.write("lesson.py", "my changes matter\n")
    case.upstream.commit({"lesson.py": None})
    result = case.sync()
    assert case.read("lesson.py") == "my changes matter\n"
    assert case.outcomes(result) == {"lesson.py": "skipped"}
    assert status(case) == {"?? lesson.py"}


def test_deleted_locally_unchanged_upstream_stays_deleted(case):
    (case.repo / "README.md").unlink()
    case.upstream.commit({"lesson.py": "v2\n"})
    result = case.sync()
    assert not (case.repo / "README.md").exists() and status(case) == {" D README.md"}
    assert case.outcomes(result) == {"lesson.py": "updated"}


def test_deleted_locally_changed_upstream_comes_back_with_upstream_version(case):
    (case.repo / "lesson.py").unlink()
    case.upstream.commit({"lesson.py": "revised\n"})
    result = case.sync()
    assert case.read("lesson.py") == "revised\n"
    assert case.outcomes(result) == {"lesson.py": "restored"} and status(case) == set()


def test_staged_change_then_deleted_file_keeps_the_staged_content_beside(case):
    case.write("lesson.py", "staged work\n")
    case.git("add", "lesson.py")
    (case.repo / "lesson.py").unlink()
    case.upstream.commit({"lesson.py": "revised upstream\n"})
    result = case.sync()
    assert case.read("lesson.py") == "revised upstream\n"
    assert case.read(result["files"][0]["beside"]) == "staged work\n"
    assert case.outcomes(result) == {"lesson.py": "kept_both"}


def test_staged_deletion_stays_staged_when_upstream_changes_the_file(case):
    case.git("rm", "-q", "lesson.py")
    case.upstream.commit({"lesson.py": "upstream still needs this\n"})
    result = case.sync()
    assert case.outcomes(result) == {"lesson.py": "skipped"} and "git restore" in result["files"][0]["detail"]
    assert status(case) == {"D  lesson.py"}
    on_upstream(case)


def test_deleted_on_both_sides(case):
    (case.repo / "lesson.py").unlink()
    case.upstream.commit({"lesson.py": None})
    result = case.sync()
    assert result["files"] == [] and status(case) == set()


# --- untracked and ignored clashes ------------------------------------------------------------------------------
def test_untracked_file_clashing_with_new_upstream_file_is_moved_aside(case):
    case.write("solution.py", "my attempt\n")
    case.upstream.commit({"solution.py": "official solution\n"})
    result = case.sync()
    assert case.read("solution.py") == "official solution\n"
    renamed = [f for f in result["files"] if f["outcome"] == "renamed"]
    assert len(renamed) == 1 and renamed[0]["from"] == "solution.py"
    assert case.read(renamed[0]["path"]) == "my attempt\n"
    assert case.outcomes(result)["solution.py"] == "updated"


def test_untracked_file_identical_to_upstreams_is_left(case):
    case.write("solution.py", "official\n")
    case.upstream.commit({"solution.py": "official\n"})
    result = case.sync()
    assert status(case) == set() and all(f["outcome"] != "renamed" for f in result["files"])


def test_untracked_notebook_clash_keeps_both_notebooks(case):
    case.write("homework.ipynb", notebook("my = 'work'"))
    case.upstream.commit({"homework.ipynb": notebook("task = 1")})
    result = case.sync()
    renamed = [f for f in result["files"] if f["outcome"] == "renamed"]
    assert cells(case.read(renamed[0]["path"])) == ["my = 'work'"]
    assert cells(case.read("homework.ipynb")) == ["task = 1"]


def test_ignored_file_clashing_with_upstream_is_not_overwritten(case):
    case.upstream.commit({".gitignore": "*.out\n"})
    case.sync()
    case.write("result.out", "my precious output\n")
    case.upstream.commit({".gitignore": "", "result.out": "upstream output\n"})
    result = case.sync()
    renamed = [f for f in result["files"] if f["outcome"] == "renamed"]
    assert renamed and case.read(renamed[0]["path"]) == "my precious output\n"


def test_untracked_folder_where_upstream_adds_a_file(case):
    case.write("notes/mine.txt", "keep me\n")
    case.upstream.commit({"notes": "upstream turned this name into a file\n"})
    result = case.sync()
    assert case.read("notes") == "upstream turned this name into a file\n"
    renamed = [f for f in result["files"] if f["outcome"] == "renamed"]
    assert renamed[0]["from"] == "notes" and case.read(renamed[0]["path"] + "/mine.txt") == "keep me\n"


# --- file <-> folder swaps, renames --------------------------------------------------------------------------
def test_folder_replaced_by_a_file_upstream_with_an_edit_inside(case):
    case.write("data/table.csv", "a,b\n1,2\n3,4 mine\n")
    case.upstream.commit({"data/table.csv": None})
    case.upstream.commit({"data": "now a file\n"})
    result = case.sync()
    assert case.read("data") == "now a file\n"
    aside = [f for f in result["files"] if f["outcome"] == "renamed"]
    assert aside and case.read(aside[0]["path"] + "/table.csv") == "a,b\n1,2\n3,4 mine\n"
    assert not [p for p in os.listdir(case.repo) if "~" in p]
    on_upstream(case)


def test_file_replaced_by_a_folder_upstream_with_a_local_edit(case):
    case.write("README.md", "# my readme edit\n")
    case.upstream.commit({"README.md": None})
    case.upstream.commit({"README.md/index.md": "now a folder\n"})
    result = case.sync()
    assert case.read("README.md/index.md") == "now a folder\n"
    aside = [f for f in result["files"] if f["outcome"] == "renamed"]
    assert aside and case.read(aside[0]["path"]) == "# my readme edit\n"
    assert not [p for p in os.listdir(case.repo) if "~" in p]


def test_folder_replaced_by_a_file_without_local_edits(case):
    case.upstream.commit({"data/table.csv": None})
    case.upstream.commit({"data": "file now\n"})
    case.sync()
    assert case.read("data") == "file now\n" and status(case) == set()


def test_upstream_rename_is_reported_as_a_rename(case):
    case.upstream.commit({"lesson.py": None, "lessons/one.py": LESSON})
    result = case.sync()
    assert case.outcomes(result) == {"lessons/one.py": "renamed"}
    assert result["files"][0]["from"] == "lesson.py"
    assert status(case) == set()


def test_upstream_rename_with_a_local_edit_follows_the_rename(case):
    case.write("lesson.py", LESSON.replace("line 2\n", "line 2 (mine)\n"))
    case.upstream.commit({"lesson.py": None, "lessons/one.py": LESSON.replace("line 9\n", "line 9 (theirs)\n")})
    result = case.sync()
    assert not (case.repo / "lesson.py").exists()
    text = case.read("lessons/one.py")
    assert "line 2 (mine)" in text and "line 9 (theirs)" in text
    assert case.outcomes(result) == {"lessons/one.py": "renamed"} and result["files"][0]["from"] == "lesson.py"
    assert status(case) == {" M lessons/one.py"}


def test_case_only_rename_upstream(case):
    case.upstream.commit({"README.md": None, "readme.md": "# Course\n"})
    result = case.sync()
    assert case.outcomes(result) == {"readme.md": "renamed"} and result["files"][0]["from"] == "README.md"
    assert sorted(os.listdir(case.repo)).count("readme.md") == 1 and "README.md" not in os.listdir(case.repo)


def test_case_only_rename_with_local_edit(case):
    case.write("lesson.py", LESSON + "mine\n")
    case.upstream.commit({"lesson.py": None, "Lesson.py": LESSON})
    result = case.sync()
    assert case.read("Lesson.py") == LESSON + "mine\n" and not (case.repo / "lesson.py").exists()
    assert case.outcomes(result) == {"Lesson.py": "renamed"}


# --- symlinks, submodules, flags ------------------------------------------------------------------------------
def test_symlink_from_upstream_is_never_followed(case, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("outside\n")
    case.upstream.commit({"lesson.py": "v2\n"})
    os.symlink(outside, case.upstream.work / "link")
    git(case.upstream.work, "add", "link")
    git(case.upstream.work, "commit", "-q", "-m", "link")
    git(case.upstream.work, "push", "-q", "origin", "HEAD:refs/heads/main")
    case.sync()
    assert os.path.islink(case.repo / "link") and outside.read_text() == "outside\n"
    os.unlink(case.repo / "link")
    case.write("link", "mine\n")  # the user replaces the link by a file
    os.unlink(case.upstream.work / "link")
    case.upstream.commit({"link": "now a file upstream\n"})
    case.sync()
    assert outside.read_text() == "outside\n"


def test_untracked_symlinked_folder_is_moved_aside_not_written_through(case, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, case.repo / "notes")
    case.upstream.commit({"notes/todo.md": "upstream\n"})
    result = case.sync()
    assert list(outside.iterdir()) == []
    assert case.read("notes/todo.md") == "upstream\n" and not os.path.islink(case.repo / "notes")
    assert any(f["outcome"] == "renamed" and f["from"] == "notes" for f in result["files"])


def test_submodule_bump_is_never_reverted(case, tmp_path):
    from tests.git.repos import Upstream

    (tmp_path / "sub").mkdir()
    sub = Upstream(tmp_path / "sub")
    first = sub.commit({"lib.py": "v1\n"})
    git(case.upstream.work, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.url, "vendor")
    git(case.upstream.work, "commit", "-q", "-m", "add submodule")
    git(case.upstream.work, "push", "-q", "origin", "HEAD:refs/heads/main")
    case.sync()
    second = sub.commit({"lib.py": "v2\n"})
    git(case.upstream.work / "vendor", "pull", "-q", "origin", "main")
    git(case.upstream.work, "commit", "-q", "-am", "bump submodule")
    git(case.upstream.work, "push", "-q", "origin", "HEAD:refs/heads/main")
    result = case.sync()
    assert case.outcomes(result) == {"vendor": "skipped"} and "submodule update" in result["files"][0]["detail"]
    again = case.sync()
    assert again["files"] == []
    on_upstream(case)
    assert case.git("ls-files", "-s", "vendor").split()[1] == second != first
    assert status(case) == set()


def test_skip_worktree_file_changed_upstream_is_skipped_with_a_next_step(case):
    case.git("update-index", "--skip-worktree", "lesson.py")
    case.write("lesson.py", "my local config\n")
    case.upstream.commit({"lesson.py": "upstream\n"})
    result = case.sync()
    assert case.read("lesson.py") == "my local config\n"
    assert case.outcomes(result) == {"lesson.py": "skipped"}
    assert "--no-skip-worktree" in result["files"][0]["detail"]
    on_upstream(case)
    assert case.git("show", ":lesson.py") == "upstream\n"


def test_assume_unchanged_edit_is_not_lost(case):
    case.git("update-index", "--assume-unchanged", "lesson.py")
    case.write("lesson.py", LESSON.replace("line 2\n", "line 2 (mine)\n"))
    case.upstream.commit({"lesson.py": LESSON.replace("line 9\n", "line 9 (theirs)\n")})
    result = case.sync()
    text = case.read("lesson.py")
    assert "line 2 (mine)" in text and "line 9 (theirs)" in text
    assert case.outcomes(result) == {"lesson.py": "merged"}
    assert case.git("ls-files", "-v", "lesson.py").startswith("h ")  # the user's flag is kept


# --- branches, local commits and the user's choice ---------------------------------------------------------------
def commit_locally(case, path="mine.py", text="print('mine')\n", message="my work"):
    case.write(path, text)
    case.git("add", path)
    case.git("commit", "-q", "-m", message)
    return case.git("rev-parse", "HEAD").strip()


def test_local_commits_and_upstream_moved_asks_for_a_choice_and_changes_nothing(case):
    commit_locally(case)
    case.upstream.commit({"theirs.py": "print('theirs')\n"})
    result = case.sync()  # the judge asserts the repository is untouched
    assert result["choice_needed"] == ["merge", "rebase", "branch"] and result["local_commits"] == 1
    assert case.outcomes(result) == {"theirs.py": "updated"}


def test_choice_merge_makes_one_merge_commit_with_the_users_identity(case):
    mine = commit_locally(case)
    case.write("README.md", "# uncommitted\n")
    case.upstream.commit({"theirs.py": "print('theirs')\n"})
    case.sync(choice="merge")
    parents = case.git("log", "-1", "--format=%P").split()
    assert parents == [mine, case.git("rev-parse", "origin/main").strip()]
    assert case.git("log", "-1", "--format=%an <%ae>|%cn").strip() == "Real User <user@example.com>|Real User"
    assert status(case) == {" M README.md"} and case.read("theirs.py") == "print('theirs')\n"


def test_choice_merge_without_a_git_identity_is_refused_with_a_next_step(case, tmp_path):
    commit_locally(case)
    case.upstream.commit({"theirs.py": "x\n"})
    (tmp_path / "home" / ".gitconfig").write_text("")
    before = case.state()
    with pytest.raises(StudioCollabError) as err:
        case.sync(choice="merge")
    assert err.value.code == "identity_missing" and "git config --global user.email" in err.value.message
    assert case.state() == before


def test_choice_rebase_replays_the_users_commits_on_upstream(case):
    commit_locally(case)
    case.upstream.commit({"theirs.py": "print('theirs')\n"})
    case.sync(choice="rebase")
    assert case.git("rev-parse", "HEAD^") == case.git("rev-parse", "origin/main")
    assert case.git("log", "-1", "--format=%an|%s").strip() == "Maintainer|my work"
    assert case.read("mine.py") == "print('mine')\n" and status(case) == set()


def test_choice_branch_keeps_the_users_commits_on_their_own_branch(case):
    mine = commit_locally(case)
    case.upstream.commit({"theirs.py": "print('theirs')\n"})
    result = case.sync(choice="branch")
    on_upstream(case)
    kept = [b for b in case.git("branch", "--format=%(refname:short)").split() if b.startswith("main-mine-")]
    assert len(kept) == 1 and case.git("rev-parse", kept[0]).strip() == mine
    assert kept[0] in " ".join(result["notes"])


def test_choice_merge_with_conflicting_commits_is_refused_with_a_next_step(case):
    commit_locally(case, "lesson.py", "mine\n")
    case.upstream.commit({"lesson.py": "theirs\n"})
    before = case.state()
    with pytest.raises(StudioCollabError) as err:
        case.sync(choice="merge")
    assert err.value.code == "choice_conflicts" and "branch" in err.value.message
    assert case.state() == before


def test_local_commits_with_nothing_new_upstream(case):
    head = commit_locally(case)
    result = case.sync()
    assert result["files"] == [] and case.git("rev-parse", "HEAD").strip() == head


def test_detached_head_with_edits_goes_back_on_the_branch(case):
    first = case.git("rev-parse", "HEAD").strip()
    case.upstream.commit({"lesson.py": "v2\n"})
    case.sync()
    case.git("checkout", "-q", "--detach", first)
    case.write("README.md", "# edited while detached\n")
    case.upstream.commit({"extra.md": "v3\n"})
    result = case.sync()
    assert case.git("symbolic-ref", "--short", "HEAD").strip() == "main"
    assert case.read("lesson.py") == "v2\n" and case.read("extra.md") == "v3\n"
    assert status(case) == {" M README.md"} and result["notes"]
    on_upstream(case)


def test_detached_head_with_its_own_commit_asks_for_a_choice(case):
    case.git("checkout", "-q", "--detach")
    commit_locally(case, "detached.py", "work\n", "detached work")
    case.upstream.commit({"lesson.py": "v2\n"})
    result = case.sync()
    assert result["choice_needed"]
    case.sync(choice="branch")
    assert case.git("symbolic-ref", "--short", "HEAD").strip() == "main"
    kept = [b for b in case.git("branch", "--format=%(refname:short)").split() if b.startswith("main-mine-")]
    assert case.git("show", f"{kept[0]}:detached.py") == "work\n"


def test_another_branch_checked_out_is_refused_with_a_next_step(case):
    case.git("checkout", "-q", "-b", "experiment")
    case.upstream.commit({"lesson.py": "v2\n"})
    with pytest.raises(StudioCollabError) as err:
        case.sync()
    assert err.value.code == "other_branch" and "git switch main" in err.value.message


def test_shallow_clone_syncs(case, tmp_path):
    shallow = case.root / "shallow"
    git(case.root, "clone", "-q", "--depth", "1", f"file://{case.upstream.bare}", str(shallow))
    case.upstream.commit({"lesson.py": "v2\n"})
    case.repo = shallow
    result = case.sync()
    assert case.read("lesson.py") == "v2\n" and case.outcomes(result) == {"lesson.py": "updated"}


def test_an_unborn_branch_gets_upstreams_files_and_undo_empties_it_again(case):
    fresh = case.root / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q", "-b", "main")
    git(fresh, "remote", "add", "origin", str(case.upstream.bare))
    case.repo = fresh
    case.write("notes.txt", "mine, untracked\n")
    result = case.sync()
    assert case.read("lesson.py") == LESSON and case.read("notes.txt") == "mine, untracked\n"
    assert status(case) == {"?? notes.txt"}
    on_upstream(case)
    SyncRecorder(Worktree(case.runner, fresh, 60)).undo(result["undo"])
    assert git(fresh, "rev-parse", "-q", "--verify", "HEAD", check=False) == ""
    assert sorted(p.name for p in fresh.iterdir()) == [".git", "notes.txt"]


def test_a_stash_the_user_keeps_is_untouched(case):
    case.write("README.md", "# stashed\n")
    case.git("stash", "-q")
    stash = case.git("rev-parse", "refs/stash")
    case.upstream.commit({"README.md": "# upstream\n"})
    case.sync()
    assert case.git("rev-parse", "refs/stash") == stash and case.git("stash", "list").count("\n") == 1


# --- refusals and busy states ------------------------------------------------------------------------------------
def test_rewritten_upstream_history_stops_with_history_diverged(case):
    case.write("README.md", "# mine\n")
    case.upstream.rewrite_history({"README.md": "# brand new history\n"})
    with pytest.raises(StudioCollabError) as err:
        case.sync()
    assert err.value.code == "history_diverged"
    assert case.read("README.md") == "# mine\n"
    with pytest.raises(StudioCollabError):
        case.sync()


def test_merge_in_progress_is_refused_and_left_alone(case):
    case.git("checkout", "-q", "-b", "side")
    case.write("README.md", "# side\n")
    case.git("commit", "-q", "-am", "side")
    case.git("checkout", "-q", "main")
    case.write("README.md", "# main\n")
    case.git("commit", "-q", "-am", "main")
    with pytest.raises(AssertionError):
        case.git("merge", "side")
    with pytest.raises(StudioCollabError) as err:
        case.sync()
    assert err.value.code == "operation_in_progress"
    assert "<<<<<<<" in case.read("README.md")
    case.git("merge", "--abort")


def test_recent_index_lock_is_respected_and_stale_one_removed(case):
    lock = case.repo / ".git" / "index.lock"
    lock.write_text("")
    with pytest.raises(StudioCollabError) as err:
        case.sync()
    assert err.value.code == "repo_busy"
    old = time.time() - 3600
    os.utime(lock, (old, old))
    case.upstream.commit({"lesson.py": "after lock\n"})
    case.sync()
    assert case.read("lesson.py") == "after lock\n" and not lock.exists()


def test_a_second_sync_while_one_runs_is_refused(case):
    case.upstream.commit({"lesson.py": "v2\n"})
    with repo_lock(Worktree(case.runner, case.repo, 60)):
        with pytest.raises(StudioCollabError) as err:
            case.sync()
    assert err.value.code == "repo_busy"
    case.sync()
    assert case.read("lesson.py") == "v2\n"


def test_cancel_during_fetch_changes_nothing(case):
    case.write("README.md", "# mine\n")
    case.upstream.commit({"lesson.py": "v2\n"})
    before = case.state()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(JobCancelled):
        RepoSync(Worktree(case.runner, case.repo, 60), "main", cancel=cancel).run()
    assert case.state() == before


def test_second_sync_is_a_no_op(case):
    case.write("README.md", "# mine\n")
    case.upstream.commit({"lesson.py": "v2\n"})
    case.sync()
    head = case.git("rev-parse", "HEAD")
    again = case.sync()
    assert again["files"] == [] and case.git("rev-parse", "HEAD") == head


def test_git_config_is_never_written_and_nothing_is_committed(case, tmp_path):
    global_config = (tmp_path / "home" / ".gitconfig").read_text()
    repo_config = (case.repo / ".git" / "config").read_text()
    case.write("README.md", "# mine\n")
    case.upstream.commit({"lesson.py": "v2\n"})
    case.sync()
    assert (tmp_path / "home" / ".gitconfig").read_text() == global_config
    assert (case.repo / ".git" / "config").read_text() == repo_config
    assert case.git("rev-list", "--count", "origin/main..HEAD").strip() == "0"


def test_sync_without_configured_branch_follows_the_remote_default(case):
    case.upstream.commit({"lesson.py": "default branch\n"})
    case.sync(branch=None)
    assert case.read("lesson.py") == "default branch\n"


def test_file_names_that_look_like_patterns_are_only_themselves(case):
    case.upstream.commit({"*.py": "a file named star\n", ":(glob)x.py": "magic-looking\n"})
    case.sync()
    case.write("lesson.py", "my edit must survive\n")
    case.upstream.commit({"*.py": "star v2\n"})
    result = case.sync()
    assert case.read("lesson.py") == "my edit must survive\n"
    assert case.read("*.py") == "star v2\n" and case.read(":(glob)x.py") == "magic-looking\n"
    assert case.outcomes(result) == {"*.py": "updated"}


# --- notebooks ------------------------------------------------------------------------------------------------------
def nb(*sources, outputs=None, ids=None):
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for i, cell in enumerate(book.cells):
        cell.id = (ids or [f"cell-{n}" for n in range(len(sources))])[i]
        if outputs and i in outputs:
            cell.outputs = [nbformat.v4.new_output("stream", text=outputs[i])]
            cell.execution_count = 7
    return book


def text(book) -> str:
    return nbformat.writes(book)


@pytest.fixture
def nbcase(case):
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 1", "print(x)"))})
    case.sync()
    return case


def conflict_sides(book) -> list:
    return [c.metadata.get("studio_collab", {}).get("conflict", {}).get("side") for c in book.cells]


def test_notebook_same_cell_changed_on_both_sides_keeps_both_cells_marked(nbcase):
    case = nbcase
    case.write("analysis.ipynb", text(nb("import math", "x = 'mine'", "print(x)")))
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 'theirs'", "print(x)"))})
    result = case.sync()
    book = nbformat.reads(case.read("analysis.ipynb"), as_version=4)
    nbformat.validate(book)
    sources = [c.source for c in book.cells]
    assert sources[0] == "import math" and sources[-1] == "print(x)"
    assert sources.index("x = 'mine'") + 2 == sources.index("x = 'theirs'")  # note, mine, theirs
    sides = conflict_sides(book)
    assert sides[sources.index("x = 'mine'")] == "mine" and sides[sources.index("x = 'theirs'")] == "upstream"
    assert "note" in sides and len({c.id for c in book.cells}) == len(book.cells)
    assert {"cell-0", "cell-1", "cell-2"} <= {c.id for c in book.cells}
    assert case.outcomes(result) == {"analysis.ipynb": "kept_both"} and result["files"][0]["cells"]


def test_notebook_different_cells_changed_both_land(nbcase):
    case = nbcase
    case.write("analysis.ipynb", text(nb("import math, os", "x = 1", "print(x)")))
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 1", "print(x * 2)"))})
    result = case.sync()
    assert cells(case.read("analysis.ipynb")) == ["import math, os", "x = 1", "print(x * 2)"]
    assert case.outcomes(result) == {"analysis.ipynb": "merged"}
    assert [c["change"] for c in result["files"][0]["cells"]] == ["merged"]


def test_notebook_outputs_only_upstream_with_source_edited_locally_never_conflicts(nbcase):
    case = nbcase
    case.write("analysis.ipynb", text(nb("import math", "x = 2", "print(x)")))
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 1", "print(x)", outputs={2: "1\n"}))})
    result = case.sync()
    book = nbformat.reads(case.read("analysis.ipynb"), as_version=4)
    assert [c.source for c in book.cells] == ["import math", "x = 2", "print(x)"]
    assert case.outcomes(result) == {"analysis.ipynb": "merged"} and "note" not in conflict_sides(book)


def test_notebook_outputs_and_counts_on_both_sides_never_conflict(nbcase):
    case = nbcase
    case.write("analysis.ipynb", text(nb("import math", "x = 1", "print(x)", outputs={2: "mine\n"})))
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 1", "print(x)", outputs={2: "theirs\n"}))})
    case.sync()
    book = nbformat.reads(case.read("analysis.ipynb"), as_version=4)
    assert len(book.cells) == 3 and "note" not in conflict_sides(book)


def test_notebook_metadata_only_churn_never_conflicts(nbcase):
    case = nbcase
    mine = nb("import math", "x = 1", "print(x)")
    mine.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (mine)", "language": "python"}
    mine.cells[1].metadata["tags"] = ["mine"]
    case.write("analysis.ipynb", text(mine))
    theirs = nb("import math", "x = 1", "print(x)")
    theirs.metadata["kernelspec"] = {"name": "conda", "display_name": "Conda", "language": "python"}
    theirs.cells[1].metadata["tags"] = ["theirs"]
    case.upstream.commit({"analysis.ipynb": text(theirs)})
    result = case.sync()
    book = nbformat.reads(case.read("analysis.ipynb"), as_version=4)
    assert len(book.cells) == 3 and "note" not in conflict_sides(book)
    assert case.outcomes(result) == {"analysis.ipynb": "merged"}


def test_notebook_renamed_and_edited_upstream_while_edited_locally_is_merged_as_a_notebook(nbcase):
    case = nbcase
    case.write("analysis.ipynb", text(nb("import math, os", "x = 1", "print(x)")))
    case.upstream.commit(
        {"analysis.ipynb": None, "work/analysis.ipynb": text(nb("import math", "x = 1", "print(x * 3)"))}
    )
    result = case.sync()
    assert not (case.repo / "analysis.ipynb").exists()
    assert cells(case.read("work/analysis.ipynb")) == ["import math, os", "x = 1", "print(x * 3)"]
    assert case.outcomes(result) == {"work/analysis.ipynb": "renamed"}
    assert result["files"][0]["from"] == "analysis.ipynb"


def test_notebook_deleted_upstream_edited_locally_is_kept(nbcase):
    case = nbcase
    case.write("analysis.ipynb", text(nb("import math", "x = 'mine'", "print(x)")))
    case.upstream.commit({"analysis.ipynb": None})
    result = case.sync()
    assert cells(case.read("analysis.ipynb"))[1] == "x = 'mine'"
    assert case.outcomes(result) == {"analysis.ipynb": "skipped"}


BROKEN = '{"cells": [ {"cell_type": "code", "source": "x",}'


def test_invalid_upstream_notebook_untouched_locally_is_left_as_upstream_wrote_it(nbcase):
    case = nbcase
    case.upstream.commit({"analysis.ipynb": BROKEN})
    result = case.sync()
    assert case.read("analysis.ipynb") == BROKEN == case.git("show", "HEAD:analysis.ipynb")
    assert case.outcomes(result) == {"analysis.ipynb": "updated"}
    assert status(case) == set()


def test_invalid_upstream_notebook_edited_locally_keeps_the_users_and_is_never_text_merged(nbcase):
    case = nbcase
    mine = text(nb("import math", "x = 'mine'", "print(x)"))
    case.write("analysis.ipynb", mine)
    case.upstream.commit({"analysis.ipynb": BROKEN})
    result = case.sync()
    assert case.read("analysis.ipynb") == mine
    assert (
        case.outcomes(result) == {"analysis.ipynb": "skipped"}
        and "not a valid notebook" in result["files"][0]["detail"]
    )
    assert all_notebooks_valid(case.repo) == []


def test_notebook_deleted_cell_locally_edited_upstream_keeps_upstreams_cell(nbcase):
    case = nbcase
    case.write("analysis.ipynb", text(nb("import math", "print(x)", ids=["cell-0", "cell-2"])))
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 'theirs'", "print(x)"))})
    case.sync()
    book = nbformat.reads(case.read("analysis.ipynb"), as_version=4)
    assert "x = 'theirs'" in [c.source for c in book.cells] and "upstream" in conflict_sides(book)


def test_notebook_opened_and_resaved_unchanged_takes_upstream(nbcase):
    case = nbcase
    book = nbformat.reads(case.read("analysis.ipynb"), as_version=4)
    case.write("analysis.ipynb", nbformat.writes(book, indent=2) + "\n\n")  # a save that changed bytes only
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 5", "print(x)"))})
    result = case.sync()
    assert cells(case.read("analysis.ipynb")) == ["import math", "x = 5", "print(x)"]
    assert case.outcomes(result) == {"analysis.ipynb": "updated"} and status(case) == set()


def test_notebook_changed_only_upstream_is_updated(nbcase):
    case = nbcase
    case.upstream.commit({"analysis.ipynb": text(nb("import math", "x = 2"))})
    result = case.sync()
    assert cells(case.read("analysis.ipynb")) == ["import math", "x = 2"]
    assert case.outcomes(result) == {"analysis.ipynb": "updated"}


# --- preview and undo ----------------------------------------------------------------------------------------------
def busy_state(case):
    """Staged, unstaged, untracked clash, conflict, rename, deletion: every kind of change at once."""
    case.write("README.md", "# staged\n")
    case.git("add", "README.md")
    case.write("lesson.py", LESSON.replace("line 5\n", "line 5 USER\n"))
    case.write("solution.py", "my attempt\n")
    (case.repo / "image.bin").write_bytes(b"mine\0")
    os.chmod(case.repo / "data/table.csv", 0o755)
    case.upstream.commit(
        {
            "lesson.py": LESSON.replace("line 5\n", "line 5 UPSTREAM\n"),
            "solution.py": "official\n",
            "image.bin": b"theirs\0",
            "data/table.csv": None,
            "data/moved.csv": "a,b\n1,2\n",
            "new/deep/file.txt": "deep\n",
        }
    )


def test_preview_changes_nothing_and_matches_the_sync(case):
    busy_state(case)
    preview = case.sync(preview=True)  # the judge compares HEAD, index and every file before and after
    assert preview["preview"] is True and preview["undo"] is None
    real = case.sync()

    def summary(result):  # a name moved aside carries a time stamp: compare by where it came from
        return sorted((f["outcome"], f.get("from") or f["path"]) for f in result["files"])

    assert summary(preview) == summary(real) and len(real["files"]) == 6


def test_a_confirmed_preview_is_applied_only_if_upstream_has_not_moved_since(case):
    case.upstream.commit({"lesson.py": "v2\n"})
    plan = case.sync(preview=True)
    case.upstream.commit({"lesson.py": "v3, pushed after the preview\n"})
    before = case.state()
    with pytest.raises(StudioCollabError) as err:
        RepoSync(Worktree(case.runner, case.repo, 60), "main", expect_upstream=plan["upstream"]).run()
    assert err.value.code == "upstream_moved"
    assert {k: v for k, v in case.state().items()} == before


def test_undo_restores_head_index_and_files_byte_for_byte(case):
    busy_state(case)
    before = case.state()
    result = case.sync()
    assert case.state() != before
    syncs = SyncRecorder(Worktree(case.runner, case.repo, 60)).list()
    assert syncs[0]["id"] == result["undo"] and syncs[0]["undoable"] is True
    SyncRecorder(Worktree(case.runner, case.repo, 60)).undo(result["undo"])
    assert case.state() == before
    assert SyncRecorder(Worktree(case.runner, case.repo, 60)).list() == []


def test_undo_refuses_when_the_user_changed_things_since(case):
    case.upstream.commit({"lesson.py": "v2\n"})
    result = case.sync()
    case.write("lesson.py", "v2 and my newer work\n")
    recorder = SyncRecorder(Worktree(case.runner, case.repo, 60))
    assert recorder.list()[0]["undoable"] is True  # the quick check only looks at HEAD
    with pytest.raises(StudioCollabError) as err:
        recorder.undo(result["undo"])
    assert err.value.code == "changed_since_sync" and "lesson.py" in err.value.message
    assert case.read("lesson.py") == "v2 and my newer work\n"


def test_undo_of_a_branch_choice_restores_the_users_commits_and_removes_the_branch(case):
    mine = commit_locally(case)
    case.upstream.commit({"theirs.py": "x\n"})
    before = case.state()
    result = case.sync(choice="branch")
    SyncRecorder(Worktree(case.runner, case.repo, 60)).undo(result["undo"])
    assert case.state() == before and case.git("rev-parse", "HEAD").strip() == mine
    assert not [b for b in case.git("branch").split() if b.startswith("main-mine-")]


def test_undo_of_a_detached_head_sync_detaches_again(case):
    case.git("checkout", "-q", "--detach")
    case.upstream.commit({"lesson.py": "v2\n"})
    before = case.state()
    result = case.sync()
    SyncRecorder(Worktree(case.runner, case.repo, 60)).undo(result["undo"])
    assert case.state() == before
