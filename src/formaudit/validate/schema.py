"""A record read from JSON, checked against the contract's JSON Schema before any rule runs:
a record the schema rejects is not audited (a `true` budget would otherwise be read as 1)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path

from formaudit.errors import InputError


@cache
def _validator():
    import jsonschema

    schema = json.loads(files("formaudit").joinpath("schema/form-record.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def read_json(path: Path):
    """JSON as the standard has it (no NaN or Infinity), or an InputError naming the file and the fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a JSON record (not UTF-8 text)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror}") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise InputError(f"{path}: not a form record: its JSON nests too deeply") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON: {str(exc).splitlines()[0]}") from None


def schema_problem(data) -> str | None:
    """The first way `data` breaks the contract's schema, as `<path>: <what>`; None when it conforms."""
    import jsonschema

    try:
        error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    except RecursionError:
        return "/: nests too deeply"
    if error is None:
        return None
    where = "/" + "/".join(str(p) for p in error.absolute_path)
    message = error.message if len(error.message) <= 160 else error.message[:160] + "…"
    return f"{where}: {message}"


def load_checked(path: Path) -> dict:
    """A record file that the schema accepts, or an InputError naming the file, the path in it and the fault."""
    data = read_json(path)
    problem = schema_problem(data)
    if problem is not None:
        raise InputError(f"{path}: not a readable form record (the contract's schema): {problem}")
    return data
