"""Writes docs/configuration.md from the code: every MEMORY_* variable, its type, default, limits and other ways to set it.

    python scripts/generate_config_docs.py            # rewrites docs/configuration.md (`make docs`)
    python scripts/generate_config_docs.py --check    # exits 1 when the file is stale

Nothing the settings code knows is repeated here. Settings.from_environ runs with a
recording variant of config._Env, which notes each variable read with its kind,
default, limits and choices; setting each variable in turn (each choice to each
option) reaches those read only in some configurations (the LLM's, once a model is
named). Setting a variable and seeing which attribute of Settings changes gives the
defaults that live outside the reader (`env.text("LISTEN") or "127.0.0.1:50051"`)
and, done with each command-line option, the flags that set a variable. Meanings
come from memory_service/settings_reference.py, runtime settings from
runtime_settings.py, per-user settings from the proto's comments.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the repository's code, not an installed copy
    sys.path.insert(0, str(ROOT))

from memory_service import config, runtime_settings, settings_reference  # noqa: E402
from memory_service.cli import build_parser, settings_from  # noqa: E402

OUTPUT = ROOT / "docs" / "configuration.md"
USER_PROTO = ROOT / "protos" / "voxbridge" / "memory" / "v1" / "user.proto"
MAX_FIXES = 4  # variables a probe may need beside it (a TLS key beside its certificate)


class ReferenceError(Exception):
    """The code and settings_reference.py disagree; the message says how."""


@dataclasses.dataclass
class Variable:
    """One MEMORY_* variable as the code reads it."""

    name: str
    kind: str  # text | number | integer | flag | choice
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    context: dict[str, str] = dataclasses.field(default_factory=dict)  # the variables set when it was first read
    field: str | None = None  # the Settings attribute it sets, e.g. "worker.concurrency"
    path_typed: bool = False
    flags: list[str] = dataclasses.field(default_factory=list)


# ---- recording what Settings.from_environ reads -------------------------------------------------


def _recording_env(reads: list[Variable]) -> type[config._Env]:
    class RecordingEnv(config._Env):
        typed: str | None = None  # the typed reader in progress: its text() call is not a read of its own

        def text(self, name: str) -> str | None:
            if name != self.typed:
                reads.append(Variable(config.PREFIX + name, "text"))
            return super().text(name)

        def number(
            self, name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
        ) -> float:
            reads.append(Variable(config.PREFIX + name, "number", default, minimum, maximum))
            with self._typed(name):
                return super().number(name, default, minimum=minimum, maximum=maximum)

        def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
            reads.append(Variable(config.PREFIX + name, "integer", default, minimum))
            with self._typed(name):
                return super().integer(name, default, minimum=minimum)

        def flag(self, name: str, default: bool) -> bool:
            reads.append(Variable(config.PREFIX + name, "flag", default))
            with self._typed(name):
                return super().flag(name, default)

        def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
            reads.append(Variable(config.PREFIX + name, "choice", default, choices=options))
            with self._typed(name):
                return super().choice(name, options, default)

        @contextlib.contextmanager
        def _typed(self, name: str) -> Iterator[None]:
            self.typed = name
            try:
                yield
            finally:
                self.typed = None

    return RecordingEnv


def _read(environ: Mapping[str, str]) -> tuple[config.Settings | None, list[Variable], str | None]:
    """Settings for an environment (None and the error when refused), and every variable read on the way."""
    reads: list[Variable] = []
    with mock.patch.object(config, "_Env", _recording_env(reads)):
        try:
            return config.Settings.from_environ(environ), reads, None
        except config.ConfigError as exc:
            return None, reads, str(exc)


class Prober:
    """Builds settings with variables set to recognisable values, and completes what a value needs beside it."""

    def __init__(self, scratch: Path) -> None:
        self._scratch = scratch

    def text_value(self, name: str) -> str:
        """An existing file named after the variable, ending like HOST:PORT: free text, file and address
        settings all take it."""
        path = self._scratch / f"probe-{name}:1"
        path.touch()
        return str(path)

    def build(self, environ: Mapping[str, str]) -> tuple[config.Settings | None, list[Variable], dict[str, str]]:
        """Settings for environ, adding the text variables an error says are missing (e.g. MEMORY_TLS_KEY)."""
        environ = dict(environ)
        reads: list[Variable] = []
        for _ in range(MAX_FIXES):
            settings, more, error = _read(environ)
            reads += more
            if error is None:
                return settings, reads, environ
            kinds = {read.name: read.kind for read in more}
            missing = [
                n for n in re.findall(r"MEMORY_[A-Z0-9_]+", error) if n not in environ and kinds.get(n) == "text"
            ]
            if not missing:
                break
            environ.update({name: self.text_value(name) for name in missing})
        return None, reads, environ


def discover(prober: Prober) -> dict[str, Variable]:
    """Every variable Settings.from_environ can read, in the order first read."""
    found: dict[str, Variable] = {}
    pending: list[dict[str, str]] = [{}]
    while pending:
        environ = pending.pop(0)
        _, reads, _ = prober.build(environ)
        for read in reads:
            if read.name in found:
                continue
            read.context = environ
            found[read.name] = read
            pending += [{**environ, read.name: value} for value in _branch_values(read, prober)]
    return found


def _branch_values(variable: Variable, prober: Prober) -> list[str]:
    """Values that may make the code read other variables (numbers only set sizes and times)."""
    if variable.kind == "text":
        return [prober.text_value(variable.name)]
    if variable.kind == "choice":
        return [option for option in variable.choices if option != variable.default]
    if variable.kind == "flag":
        return ["false" if variable.default else "true"]
    return []


# ---- which Settings attribute a variable sets, and its default -----------------------------------


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """A settings object as attribute path → value (Settings.environ left out: it holds everything)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        flat: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.name != "environ":
                flat.update(leaves(getattr(value, f.name), f"{prefix}{f.name}."))
        return flat
    return {prefix.rstrip("."): value}


def _probe_value(variable: Variable, prober: Prober) -> tuple[str, Any]:
    """A value to set, and what the attribute it sets should then hold (None: look for the file's name)."""
    if variable.kind == "text":
        return prober.text_value(variable.name), None
    if variable.kind == "choice":
        option = next(o for o in variable.choices if o != variable.default)
        return option, option
    if variable.kind == "flag":
        return ("false", False) if variable.default else ("true", True)
    low = variable.minimum if variable.minimum is not None else 0
    if variable.maximum is not None:
        candidates = [low + (variable.maximum - low) * share for share in (0.37, 0.61)]
    else:  # small steps: a minimum pool size must stay under the maximum's default
        candidates = [low + step for step in (3.7, 5.3)]
    if variable.kind == "integer":
        candidates = [float(int(c)) for c in candidates]
    value = next(c for c in candidates if c != variable.default)  # inside the limits, unlike the default
    if variable.kind == "integer":
        return str(int(value)), int(value)
    return str(value), value


def locate(variable: Variable, prober: Prober) -> None:
    """Fills in the Settings attribute a variable sets and, for text variables, the default held there."""
    base, _, _ = prober.build(variable.context)
    value, expected = _probe_value(variable, prober)
    probed, _, _ = prober.build({**variable.context, variable.name: value})
    if probed is None:
        return
    before = leaves(base) if base is not None else {}
    after = leaves(probed)
    changed = {path: v for path, v in after.items() if before.get(path, _MISSING) != v}
    if expected is None:
        marker = Path(value).name.lower()
        matches = [path for path, v in changed.items() if v is not None and marker in str(v).lower()]
    else:
        matches = [path for path, v in changed.items() if v == expected] or (list(changed) if len(changed) == 1 else [])
    if len(matches) != 1:
        return
    variable.field = matches[0]
    variable.path_typed = isinstance(after[variable.field], Path)
    if variable.kind == "text":
        variable.default = before.get(variable.field)


_MISSING = object()


def attach_flags(variables: dict[str, Variable], prober: Prober) -> None:
    """Every command-line option that sets a variable's attribute, with the commands that take it."""
    by_field = {v.field: v for v in variables.values() if v.field}
    commands: dict[str, list[str]] = {}
    for path, parser in _commands(build_parser()):
        base_argv = path + _required_arguments(parser)
        base = leaves(settings_from(_parse(base_argv), {}))
        for action in parser._actions:
            if not action.option_strings or action.required or isinstance(action, argparse._HelpAction):
                continue
            argv = [*base_argv, action.option_strings[-1]]
            if action.nargs != 0:
                argv.append(_first_choice(action) or _option_value(action, prober))
            after = leaves(settings_from(_parse(argv), {}))
            for field in (p for p, v in after.items() if base.get(p) != v):
                if field not in by_field:
                    raise ReferenceError(f"{action.option_strings[-1]} sets {field}, which no MEMORY_* variable sets")
                commands.setdefault(f"{by_field[field].name} {action.option_strings[-1]}", []).append(" ".join(path))
    every = {" ".join(path) for path, _ in _commands(build_parser())}
    for key, paths in commands.items():
        name, option = key.split(" ")
        where = "every command" if set(paths) == every else ", ".join(f"`{p}`" for p in paths)
        variables[name].flags.append(f"`{option}` ({where})")


def _parse(argv: list[str]) -> argparse.Namespace:
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:
        raise ReferenceError(f"memory-service {' '.join(argv)} does not parse") from exc


def _commands(parser: argparse.ArgumentParser, path: list[str] | None = None) -> Iterator[tuple[list[str], Any]]:
    """(command words, parser) of every runnable command, e.g. (["tasks", "list"], its parser)."""
    path = path or []
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path, parser
    for action in subparsers:
        for name, sub in action.choices.items():
            yield from _commands(sub, [*path, name])


def _required_arguments(parser: argparse.ArgumentParser) -> list[str]:
    argv: list[str] = []
    for action in parser._actions:
        if action.required and action.option_strings:
            argv += [action.option_strings[-1], _first_choice(action) or "x"]
        elif not action.option_strings and action.nargs not in ("?", "*") and action.dest != "help":
            argv.append("x")
    return argv


def _first_choice(action: argparse.Action) -> str | None:
    return str(next(iter(action.choices))) if action.choices else None


def _option_value(action: argparse.Action, prober: Prober) -> str:
    if action.type is int:
        return "7"
    if action.type is float:
        return "7.5"
    return prober.text_value(f"flag{action.option_strings[-1]}")


# ---- the gateway ----------------------------------------------------------------------------------


class _RecordingEnviron(dict[str, str]):
    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.append(key)
        return super().__getitem__(key)


def gateway_variables(prober: Prober) -> dict[str, str]:
    """MEMORY_* variable → the memory-gateway flag whose default it is."""
    from voxbridge.memory.gateway import cli as gateway_cli

    empty = _RecordingEnviron({})
    gateway_cli.parse_args([], empty)
    names = [n for n in dict.fromkeys(empty.read) if n.startswith(config.PREFIX)]
    parsers: list[argparse.ArgumentParser] = []
    original = argparse.ArgumentParser.parse_args

    def spy(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        parsers.append(self)
        return original(self, *args, **kwargs)

    values = {name: prober.text_value(name) for name in names}
    with mock.patch.object(argparse.ArgumentParser, "parse_args", spy):
        gateway_cli.parse_args([], _RecordingEnviron(values))
    flags: dict[str, str] = {}
    for name in names:
        option = [a.option_strings[-1] for a in parsers[0]._actions if str(a.default) == values[name]]
        flags[name] = option[0] if option else ""
    return flags


# ---- the document ---------------------------------------------------------------------------------


def collect() -> tuple[dict[str, Variable], dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="config-docs-") as scratch:
        prober = Prober(Path(scratch))
        variables = discover(prober)
        for variable in variables.values():
            locate(variable, prober)
        attach_flags(variables, prober)
        gateway = gateway_variables(prober)
    return variables, gateway


def check_descriptions(variables: Mapping[str, Variable], gateway: Mapping[str, str]) -> None:
    described = {name for section in settings_reference.SERVICE_VARIABLES.values() for name in section}
    problems = []
    if missing := [name for name in variables if name not in described]:
        problems.append(f"read by the service but not described: {', '.join(missing)}")
    if stale := sorted(described - set(variables)):
        problems.append(f"described but no longer read by the service: {', '.join(stale)}")
    if missing := [name for name in gateway if name not in settings_reference.GATEWAY_VARIABLES]:
        problems.append(f"read by the gateway but not described: {', '.join(missing)}")
    if stale := sorted(set(settings_reference.GATEWAY_VARIABLES) - set(gateway)):
        problems.append(f"described but no longer read by the gateway: {', '.join(stale)}")
    if problems:
        raise ReferenceError("; ".join(problems) + " (edit memory_service/settings_reference.py)")


def render() -> str:
    variables, gateway = collect()
    check_descriptions(variables, gateway)
    runtime = {
        spec.environment_variable: spec for spec in (*runtime_settings.LLM_SPECS, *runtime_settings.EMBEDDING_SPECS)
    }
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by scripts/generate_config_docs.py (`make docs`) from memory_service/config.py,",
        "     memory_service/settings_reference.py, memory_service/runtime_settings.py, memory_service/cli",
        "     and protos/voxbridge/memory/v1/user.proto. Do not edit: a test fails when it is stale. -->",
        "",
        settings_reference.INTRODUCTION,
        "",
        "Contents: " + ", ".join(f"[{title}](#{_anchor(title)})" for title in _titles()) + ".",
        "",
    ]
    for title, described in settings_reference.SERVICE_VARIABLES.items():
        lines += [f"## {title}", "", "| Variable | Type | Default | Also set by | Meaning |", "|---|---|---|---|---|"]
        for name, meaning in described.items():
            variable = variables[name]
            also = [*variable.flags]
            if name in runtime:
                also.append(_runtime_cell(runtime[name]))
            cells = [f"`{name}`", _type(variable), _default(variable), "; ".join(also), meaning]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    lines += _runtime_section(runtime)
    lines += _user_section()
    lines += [
        "## The gateway",
        "",
        "`memory-gateway` (the HTTP API and web UI) takes flags; these variables are the defaults of some of them:",
        "",
        "| Variable | Flag | Meaning |",
        "|---|---|---|",
    ]
    for name, flag in gateway.items():
        lines.append(f"| `{name}` | `{flag}` | {_cell(settings_reference.GATEWAY_VARIABLES[name])} |")
    lines += ["", "## Other variables", "", settings_reference.OTHER_NOTE, ""]
    return "\n".join(lines)


def _titles() -> list[str]:
    return [
        *settings_reference.SERVICE_VARIABLES,
        "Runtime settings",
        "Per-user settings",
        "The gateway",
        "Other variables",
    ]


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _type(variable: Variable) -> str:
    if variable.kind == "choice":
        return "one of " + ", ".join(f"`{c}`" for c in variable.choices)
    if variable.kind == "flag":
        return "boolean"
    if variable.kind == "text":
        return "path" if variable.path_typed else "string"
    kind = "number" if variable.kind == "number" else "integer"
    if variable.minimum is not None and variable.maximum is not None:
        return f"{kind}, {_number(variable.minimum)} to {_number(variable.maximum)}"
    if variable.minimum is not None:
        return f"{kind} ≥ {_number(variable.minimum)}"
    return kind


def _default(variable: Variable) -> str:
    value = variable.default
    if value is None:
        return "*(unset)*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float | int):
        return f"`{_number(value)}`"
    if isinstance(value, Path):
        with contextlib.suppress(ValueError):
            return f"`./{value.relative_to(Path.cwd())}`"
    return f"`{value}`"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _runtime_cell(spec: runtime_settings.SettingSpec) -> str:
    if spec.name.startswith("embedding."):
        return f"cluster setting `{spec.name}` (this variable only seeds it at the first start)"
    return f"runtime setting `{spec.name}` (the database's value wins)"


def _runtime_section(runtime: Mapping[str, runtime_settings.SettingSpec]) -> list[str]:
    lines = [
        "## Runtime settings",
        "",
        settings_reference.RUNTIME_NOTE,
        "",
        "| Setting | Variable | Default | Scope |",
        "|---|---|---|---|",
    ]
    for variable, spec in runtime.items():
        scope = "cluster" if spec.name.startswith("embedding.") else "per process"
        if spec.write_only:
            scope += ", write-only"
        default = f"`{spec.default}`" if spec.default else "*(unset)*"
        lines.append(f"| `{spec.name}` | `{variable}` | {default} | {scope} |")
    return [*lines, ""]


def user_settings_fields() -> list[tuple[str, str]]:
    """(field, comment) of the UserSettings message a caller sets: Required and Output only fields left out."""
    text = USER_PROTO.read_text()
    body = re.search(r"message UserSettings \{(.*?)\n\}", text, re.DOTALL)
    if body is None:
        raise ReferenceError(f"no message UserSettings in {USER_PROTO}")
    fields = []
    for comment, name in re.findall(r"((?:\s*//[^\n]*\n)+)\s*[\w.]+ (\w+) = \d+;", body.group(1)):
        words = " ".join(line.strip().removeprefix("//").strip() for line in comment.strip().splitlines())
        if not words.startswith(("Required.", "Output only.")):
            fields.append((name, words))
    return fields


def _user_section() -> list[str]:
    lines = ["## Per-user settings", "", settings_reference.USER_NOTE, "", "| Setting | Meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(meaning)} |" for name, meaning in user_settings_fields()]
    return [*lines, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Writes docs/configuration.md from the settings code.")
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/configuration.md is stale")
    args = parser.parse_args(argv)
    try:
        document = render()
    except ReferenceError as exc:
        print(f"generate_config_docs: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != document:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(document)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
