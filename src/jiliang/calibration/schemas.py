"""Pydantic input documents of the calibration API (units: those of the record, ``unit``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField

from jiliang.calibration.computation import MAX_POINTS
from jiliang.core.resources import MAX_INT

Num = Annotated[float, PField(allow_inf_nan=False, ge=-1e15, le=1e15)]
Id = Annotated[int, PField(ge=1, le=MAX_INT)]
Kind = Literal[
    "initial_verification", "subsequent_verification", "in_use_inspection", "calibration"
]
Text = Annotated[str, StringConstraints(max_length=1000)]


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nominal: Num
    readings: Annotated[list[Num], PField(max_length=100)] = []
    as_found: Num | None = None
    as_left: Num | None = None
    mpe: Num | None = None
    mpe_lower: Num | None = None
    mpe_upper: Num | None = None
    expanded_uncertainty: Annotated[float, PField(allow_inf_nan=False, ge=0, le=1e15)] | None = None
    coverage_factor: Annotated[float, PField(allow_inf_nan=False, gt=0, le=100)] | None = None
    uncertainty_basis: Annotated[str, StringConstraints(max_length=300)] | None = None


Points = Annotated[list[Point], PField(max_length=MAX_POINTS)]
Ids = Annotated[list[Id], PField(max_length=50)]


class RecordFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind | None = None
    procedure_code: Annotated[str, StringConstraints(max_length=40)] | None = None
    procedure_title: Annotated[str, StringConstraints(max_length=200)] | None = None
    performed_on: date | None = None
    location: Annotated[str, StringConstraints(max_length=200)] | None = None
    temperature: Num | None = None
    humidity: Num | None = None
    unit: Annotated[str, StringConstraints(max_length=20)] | None = None
    standard_ids: Ids | None = None
    device_ids: Ids | None = None
    material_ids: Ids | None = None
    decision_rule: dict[str, Any] | None = None
    uncertainty_model: dict[str, Any] | None = None
    points: Points | None = None
    override_reason: Text | None = None


class RecordCreate(RecordFields):
    instrument_id: Id
    kind: Kind
    lab_org_id: Id | None = None


class RecordUpdate(RecordFields):
    reason: Text | None = None


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Annotated[str, StringConstraints(max_length=200)]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ComputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision_rule: dict[str, Any] | None = None
    uncertainty_model: dict[str, Any] | None = None
    points: Points = []


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["m1", "a3", "s2"] = "a3"
    target: Annotated[float, PField(gt=0, lt=1)] = 0.9


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
