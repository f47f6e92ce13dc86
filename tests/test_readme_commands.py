"""The README cannot go stale silently: the commands, options and paths it gives must exist.

- every ``make X`` it names is a Makefile target whose recipe dry-runs (``make -n``), and every
  ``python -m emopia_lightning.X`` line of that recipe is checked as the README's own are;
- every ``python -m emopia_lightning.X`` names a module that exists; a Hydra command's
  ``key=value`` options compose against that command's config (Hydra's compose API; nothing
  runs), each value of a sweep in turn, and a sweep comes with ``-m``; an argparse command's words
  parse with that command's own parser;
- every repository path it names in backticks exists;
- every ``outputs/`` path it names lies in a folder a command writes: the folder of a command in
  the same table row, paragraph or code line where there is one, else of any command it gives.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
from dataclasses import dataclass
from functools import cache

import pytest
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf, open_dict

from emopia_lightning import ensemble, predict, summarize
from emopia_lightning.config_registry import CONF_DIR, compose_config
from emopia_lightning.data import check, download
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
# The argparse commands and their parsers.
ARGPARSE_PARSERS = {
    "predict": predict.build_parser,
    "ensemble": ensemble.build_parser,
    "summarize": summarize.build_parser,
    "data.check": check.build_parser,
    "data.download": download.build_parser,
}
# The Hydra options that name where a command writes (beside its run or sweep folder).
WRITING_KEYS = ("hydra.run.dir", "hydra.sweep.dir", "out", "out_dir", "clips_dir")
MULTIRUN_FLAGS = ("-m", "--multirun")
PLACEHOLDER = "PLACEHOLDER"  # what a README placeholder (<time>, <the row's overrides>) becomes


@dataclass(frozen=True)
class Command:
    module: str  # emopia_lightning.X
    words: tuple[str, ...]
    source: str  # where it was found: a README line or a make target's recipe

    @property
    def name(self) -> str:
        return self.module.removeprefix("emopia_lightning.").removesuffix(".__main__")

    def __str__(self) -> str:
        return f"{self.source}: {self.name} {' '.join(self.words)}"[:100]


@dataclass(frozen=True)
class Block:
    """One unit of the README: a code line, a table row or a paragraph."""

    line: int
    code: tuple[str, ...]  # its code: a code line's command, the inline spans of a row or paragraph
    prose: str  # the rest (a code line's comment)
    fenced: bool = False  # a line of a code block


def _blocks() -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[tuple[int, str]] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_inline_block(paragraph[0][0], " ".join(text for _, text in paragraph)))
            paragraph.clear()

    lines = README.splitlines()
    fenced, continued = False, ""
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            flush()
            fenced = not fenced
            continue
        if fenced:
            if line.rstrip().endswith("\\"):  # a command continued on the next line
                continued += line.rstrip()[:-1] + " "
                continue
            code, *comment = re.split(r"\s#\s", continued + line, maxsplit=1)
            blocks.append(Block(number, (code,), " ".join(comment), fenced=True))
            continued = ""
        elif line.startswith("|"):
            flush()
            blocks.append(_inline_block(number, line))
        elif not line.strip() or line.startswith("#"):
            flush()
        else:
            paragraph.append((number, line))
    flush()
    return blocks


def _inline_block(line: int, text: str) -> Block:
    spans = tuple(re.findall(r"`([^`]+)`", text))
    return Block(line, spans, re.sub(r"`[^`]+`", " ", text))


def _commands_in(text: str, source: str) -> list[Command]:
    """Each ``python -m emopia_lightning.X ...`` in ``text``, as its words (up to a comment, a pipe
    or the next shell command)."""
    found = []
    for match in re.finditer(r"python -m (emopia_lightning[\w.]*)([^`#|;&\n]*)", text.replace("\\\n", " ")):
        words_text = re.sub(r"<[^>]*>", PLACEHOLDER, match.group(2))  # <the row's overrides>
        try:
            words = shlex.split(words_text)
        except ValueError:  # an apostrophe of prose after the command
            words = words_text.split()
        found.append(Command(match.group(1), tuple(words), source))
    return found


def _make_targets_in(text: str) -> list[str]:
    return re.findall(r"\bmake ([a-z][a-z0-9-]*)", text)


@cache
def _recipe_commands(target: str) -> tuple[Command, ...]:
    """The emopia_lightning commands of a make target's recipe and of those it depends on, as make
    would run them (``-B``: every recipe, as on a fresh clone; ``-n``: printed, not run)."""
    result = subprocess.run(["make", "-n", "-B", target], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        return ()  # the dry-run test says why
    return tuple(_commands_in(result.stdout, f"make {target}"))


BLOCKS = _blocks()
# Targets named in code, code comments included ("# make generation-report's GAN"), not in prose.
MAKE_TARGETS = sorted(
    {
        target
        for block in BLOCKS
        for text in (*block.code, block.prose if block.fenced else "")
        for target in _make_targets_in(text)
    }
)


def _block_commands(block: Block) -> list[Command]:
    commands = []
    for code in block.code:
        commands += _commands_in(code, f"README line {block.line}")
        for target in _make_targets_in(code):
            commands += _recipe_commands(target)
    return commands


README_COMMANDS = [
    c for block in BLOCKS for code in block.code for c in _commands_in(code, f"README line {block.line}")
]
RECIPE_COMMANDS = [c for target in MAKE_TARGETS for c in _recipe_commands(target)]
COMMANDS = list(dict.fromkeys(README_COMMANDS + RECIPE_COMMANDS))


def test_the_readme_and_its_recipes_give_commands_of_every_kind():
    """The parsing above finds what it checks (an empty list would check nothing)."""
    names = {c.name for c in README_COMMANDS}
    assert set(HYDRA_CONFIGS) | set(ARGPARSE_PARSERS) <= names, names
    recipe_lines = {(c.source, c.name) for c in RECIPE_COMMANDS}
    assert {
        ("make run", "train"),
        ("make run", "generate"),
        ("make run", "evaluate_generator"),
    } <= recipe_lines


@pytest.mark.parametrize("target", MAKE_TARGETS)
def test_every_make_target_the_readme_names_dry_runs(target):
    result = subprocess.run(["make", "-n", target], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _options(words: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """A Hydra command's ``--config-name`` (or None) and its ``key=value`` overrides, without
    placeholders and shell variables."""
    config_name, overrides = None, []
    words = list(words)
    for position, word in enumerate(words):
        if word in ("--config-name", "-cn"):
            config_name = words[position + 1]
        elif word.startswith("--config-name="):
            config_name = word.split("=", 1)[1]
        elif (
            word.startswith("-")
            or "=" not in word
            or "$" in word
            or "…" in word
            or PLACEHOLDER in word
            or word.endswith("=...")
        ):
            continue  # a flag, a placeholder, or prose
        else:
            overrides.append(word)
    return config_name, overrides


def _each_sweep_value(overrides: list[str]) -> list[list[str]]:
    """The override lists that together compose every value of every sweep once: Hydra's own
    parser says which overrides are sweeps and lists their values."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    firsts = [
        f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()))}" if o.is_sweep_override() else text
        for o, text in zip(parsed, overrides)
    ]
    variants = [firsts]
    for position, override in enumerate(parsed):
        if override.is_sweep_override():
            for value in list(override.sweep_string_iterator())[1:]:
                variant = list(firsts)
                variant[position] = f"{override.get_key_element()}={value}"
                variants.append(variant)
    return variants


def _compose(command: Command, overrides: list[str]):
    config_name, _ = _options(command.words)
    folder, default_name = HYDRA_CONFIGS[command.name]
    return compose_config(config_name or default_name, overrides, folder=folder, return_hydra_config=True)


@pytest.mark.parametrize("command", COMMANDS, ids=[str(c) for c in COMMANDS])
def test_every_command_the_readme_gives_exists_and_its_options_compose(command):
    assert importlib.util.find_spec(command.module) is not None, command.module
    if command.name in ARGPARSE_PARSERS:
        parser = ARGPARSE_PARSERS[command.name]()
        try:
            parser.parse_args(list(command.words))
        except SystemExit as exit:  # argparse's refusal (or --help, which exits 0)
            assert exit.code == 0, f"{command}: {parser.prog} refuses these arguments"
        return
    assert command.name in HYDRA_CONFIGS, f"{command}: neither a Hydra nor an argparse command"
    _, overrides = _options(command.words)
    if any(o.is_sweep_override() for o in OverridesParser.create().parse_overrides(overrides)):
        # Hydra refuses a sweep outside a multirun.
        assert any(flag in command.words for flag in MULTIRUN_FLAGS), f"{command}: a sweep without -m"
    for variant in _each_sweep_value(overrides):
        _compose(command, variant)


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


@cache
def _written_folders(command: Command) -> tuple[str, ...]:
    """The folders (relative to the checkout) a command writes: its writing options as given,
    and, where it names none, the run or sweep folder its config chooses."""
    if command.name in ARGPARSE_PARSERS:
        try:
            args = ARGPARSE_PARSERS[command.name]().parse_args(list(command.words))
        except SystemExit:
            return ()
        out = getattr(args, "out", None)
        return (str(out),) if out else ()
    values = dict(w.split("=", 1) for w in command.words if "=" in w and not w.startswith("-"))
    multirun = any(flag in command.words for flag in MULTIRUN_FLAGS)
    run_key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    written = [values[key] for key in WRITING_KEYS if key in values]
    if run_key not in values:  # the config's own folder, e.g. outputs/train/runs/<time>
        _, overrides = _options(command.words)
        try:
            cfg = _compose(command, _each_sweep_value(overrides)[0])
        except HydraException:
            cfg = None  # a command that does not compose: its own test fails
        if cfg is not None:
            with open_dict(cfg):
                cfg.hydra.job.name = command.name.rsplit(".", 1)[-1]
            HydraConfig().set_config(cfg)
            written.append(OmegaConf.select(cfg, run_key))
    root = str(PROJECT_ROOT) + "/"
    # A shell variable or a Hydra interpolation in a folder (${composer}, ${hydra:job.num}) is a
    # placeholder; a folder that ends in one (a folder per job) writes the folder above it.
    written = [
        re.sub(r"\$(\{[^}]*\}|\w+)", PLACEHOLDER, w).removeprefix(root).rstrip("/") for w in written if w
    ]
    return tuple(re.sub(f"(/{PLACEHOLDER})+$", "", w) for w in written)


def _segment_matches(named: str, written: str) -> bool:
    """One path segment of the README against one a command writes: equal, or a placeholder
    (``<time>``), one of ``{0,1,2}``, or a glob (``offline-run-*``)."""
    import fnmatch

    if PLACEHOLDER in written or re.fullmatch(r"<[^>]*>", named):
        return True
    if re.fullmatch(r"\{[^}]*\}", named):
        return written in named[1:-1].split(",")
    return fnmatch.fnmatchcase(written, named)


def _inside(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies in it (not merely shares a prefix with it)."""
    named, written = path.rstrip("/").split("/"), folder.split("/")
    return len(written) <= len(named) and all(map(_segment_matches, named, written))


def _named_outputs() -> list[tuple[str, int, bool]]:
    """Each ``outputs/`` path the README names: (path, README line, whether a command of its own
    block must write it). A path a command reads (``ckpt=outputs/...``) may be written by any
    command; a path the text names is written by its own row's, paragraph's or line's command
    where it has one. A command's own writing options define folders and are not checked."""
    found = []
    for index, block in enumerate(BLOCKS):
        own = bool(_block_commands(block))
        for code in block.code:
            is_command = len(code.split()) > 1  # a command's paths are read; a lone path is named
            words = code.split()
            for position, word in enumerate(words):
                key, _, value = word.rpartition("=")
                if key.lstrip("+~") in WRITING_KEYS or (position and words[position - 1] == "--out"):
                    continue
                value = value.strip(",.;:()'\"")
                if value.startswith("outputs/"):
                    found.append((value, index, own and not is_command))
        for word in block.prose.split():
            word = word.strip(",.;:()'\"")
            if word.startswith("outputs/"):
                found.append((word, index, own))
    return sorted(set(found))


NAMED_OUTPUTS = _named_outputs()


@pytest.mark.parametrize(
    "path, block, own", NAMED_OUTPUTS, ids=[f"{p} (line {BLOCKS[b].line})" for p, b, _ in NAMED_OUTPUTS]
)
def test_every_output_path_the_readme_names_is_written_by_its_command(path, block, own):
    commands = _block_commands(BLOCKS[block]) if own else COMMANDS
    folders = sorted({folder for command in commands for folder in _written_folders(command)})
    assert any(_inside(path, folder) for folder in folders), (path, folders)


def test_an_output_path_must_lie_inside_a_written_folder_not_merely_share_its_start():
    assert _inside("outputs/demo/train/checkpoints/last.ckpt", "outputs/demo/train")
    assert _inside("outputs/train/runs/<time>/wandb/offline-run-*", "outputs/train/runs/2026-12-05_10-00-00")
    assert _inside("outputs/lstm_attention_official/{0,1,2}", "outputs/lstm_attention_official")
    assert not _inside("outputs/demo/", "outputs/demo/train")  # a parent of a written folder
    assert not _inside("outputs/demo/trained/x", "outputs/demo/train")  # a longer name
    assert not _inside("outputs/train/runs/<time>", "outputs/train/multiruns/2026-12-05_10-00-00")
