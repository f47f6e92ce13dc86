"""The README cannot go stale silently: the commands, options and paths it gives must exist.

- every ``make X`` it names is a Makefile target whose recipe dry-runs (``make -n``);
- every ``python -m emopia_lightning.X`` names a module that exists, and its ``key=value`` options
  compose against that command's config (Hydra's compose API; nothing runs);
- every repository path it names in backticks exists, or is one a command writes (``outputs/``).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess

import pytest

from emopia_lightning.config_registry import CONF_DIR, compose_config
from emopia_lightning.project_root import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
# The Hydra commands and their primary configs (folder, name).
HYDRA_CONFIGS = {
    "train": (CONF_DIR, "train"),
    "generate": (CONF_DIR, "generate"),
    "evaluate_generator": (CONF_DIR, "evaluate_generator"),
    "app": (CONF_DIR, "app"),
    "classical": (CONF_DIR / "classical", "classical"),
}


def _code() -> str:
    """The README's code: fenced blocks and inline code spans."""
    fenced = re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))
    return "\n".join(fenced + inline)


def _commands() -> list[list[str]]:
    """Each ``python -m emopia_lightning.X ...`` in the README, as its words (up to a comment,
    a pipe or the next command)."""
    found = []
    for line in _code().replace("\\\n", " ").splitlines():
        for match in re.finditer(r"python -m (emopia_lightning[\w.]*)([^`#|;&]*)", line):
            text = re.sub(r"<[^>]*>", "PLACEHOLDER", match.group(2))  # <the row's overrides>
            try:
                words = shlex.split(text)
            except ValueError:  # an apostrophe of prose after the command
                words = text.split()
            found.append([match.group(1), *words])
    return found


MAKE_TARGETS = sorted(set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", _code())))
COMMANDS = _commands()


@pytest.mark.parametrize("target", MAKE_TARGETS)
def test_every_make_target_the_readme_names_dry_runs(target):
    result = subprocess.run(["make", "-n", target], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c)[:80] for c in COMMANDS])
def test_every_command_the_readme_gives_exists_and_its_options_compose(command):
    module, *words = command
    assert importlib.util.find_spec(module) is not None, module
    name = module.removeprefix("emopia_lightning.").removesuffix(".__main__")
    if name not in HYDRA_CONFIGS:
        return  # an argparse command: its module exists, its flags are its own
    overrides = []
    for word in words:
        if (
            word == "-m"
            or "=" not in word
            or any(c in word for c in "$…")
            or "PLACEHOLDER" in word
            or word.endswith("=...")
        ):
            continue  # multirun flag, a placeholder, or prose
        key, value = word.split("=", 1)
        if "," in value and not value.startswith("["):  # a sweep: each value composes alone
            value = value.split(",")[0]
        overrides.append(f"{key}={value}")
    folder, config = HYDRA_CONFIGS[name]
    compose_config(config, overrides, folder=folder, return_hydra_config=True)


PATH_PREFIXES = ("conf/", "emopia_lightning/", "benchmarks/", "experiments/", "tests/", ".ci/")


def _paths() -> list[str]:
    spans = re.findall(r"`([^`\n]+)`", README) + re.findall(r"\]\(([^)#\s]+)", README)
    paths = set()
    for span in spans:
        for word in span.split():
            word = word.strip(",.;:()'\"")
            if word.startswith(PATH_PREFIXES) and not any(c in word for c in "*<>{}$="):
                paths.add(word.split("::")[0])
    return sorted(paths)


@pytest.mark.parametrize("path", _paths())
def test_every_repository_path_the_readme_names_exists(path):
    assert (PROJECT_ROOT / path).exists(), path


def _written_folders() -> set[str]:
    """Folders the README's and the Makefile's commands write: their run, sweep and out options,
    and each Hydra command's default run folders."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for name, value in re.findall(r"^([A-Z_]+) :?= (\S+)$", makefile, flags=re.M):
        makefile = makefile.replace(f"$({name})", value)
    text = _code() + makefile
    written = {f"outputs/{name}/" for name in HYDRA_CONFIGS}
    for match in re.finditer(
        r"(?:hydra\.run\.dir=|hydra\.sweep\.dir=|\bout=|out_dir=|clips_dir=|--out )(outputs/[^\s'\"`)]*)",
        text,
    ):
        folder = re.split(r"[<$]", match.group(1))[0]  # up to a placeholder
        written.add(folder.rstrip("/") + "/" if "." not in folder.rsplit("/", 1)[-1] else folder)
    return written


def _output_paths() -> list[str]:
    spans = re.findall(r"`([^`\n]+)`", README)
    found = {
        word.strip(",.;:()'\"")
        for span in spans
        for word in span.split()
        if word.startswith("outputs/") and "=" not in word
    }
    return sorted(found)


@pytest.mark.parametrize("path", _output_paths())
def test_every_output_path_the_readme_names_is_written_by_a_command_it_gives(path):
    written = _written_folders()
    stem = re.split(r"[<*{$]", path)[0]
    assert any(stem.startswith(folder) or folder.startswith(stem.rstrip("/") + "/") for folder in written), (
        path,
        sorted(written),
    )
