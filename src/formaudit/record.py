"""The form record of FORM-RECORD.md as typed models (field names and types are the contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # Extra fields are allowed: the contract lets the project add fields, and hand-edited
    # records may carry their own.
    model_config = ConfigDict(extra="allow")


class CellRef(_Model):
    page: int
    bbox: list[float] | None = None
    text: str
    confidence: float = 1.0


class FundingRow(_Model):
    source: Literal["total", "fiscal", "carryover", "other"]
    label: str
    initial_budget: float | None = None
    budget: float | None = None
    executed: float | None = None
    transfer: float | None = None
    weight: float | None = None
    rate: float | None = None
    score: float | None = None


class Goals(_Model):
    planned: str | None = None
    achieved: str | None = None


class Indicator(_Model):
    level1: Literal["output", "benefit", "satisfaction", "cost"]
    level1_label: str | None = None
    level2: str | None = None
    level2_label: str | None = None
    name: str | None = None
    content: str | None = None
    target: str | None = None
    actual: str | None = None
    weight: float | None = None
    score: float | None = None
    reason: str | None = None
    measures: str | None = None


class Total(_Model):
    weight: float | None = None
    score: float | None = None


class Finding(_Model):
    code: str
    severity: Literal["error", "warning"]
    path: str
    expected: Any = None
    found: Any = None
    message: str


class Form(_Model):
    form_type: Literal["department", "project"]
    title: str
    year: int | None
    unit_name: str | None
    project_name: str | None = None
    implementing_unit: str | None = None
    money_unit: Literal["万元", "元"] | None
    pages: list[int]
    funding: list[FundingRow] = Field(default_factory=list)
    goals: Goals | None = None
    indicators: list[Indicator] = Field(default_factory=list)
    total: Total | None = None
    findings: list[Finding] = Field(default_factory=list)
    cells: dict[str, CellRef] = Field(default_factory=dict)


class Source(_Model):
    path: str
    sha256: str
    pages: int | None


class DocumentError(_Model):
    code: str
    message: str
    page: int | None = None


class Record(_Model):
    source: Source
    forms: list[Form] = Field(default_factory=list)
    errors: list[DocumentError] = Field(default_factory=list)
