"""docs/population-format.md stays true: its example lines import, and its field tables list
exactly the keys of the format."""

from __future__ import annotations

import json
import re
from pathlib import Path

from idp.population.records import (
    CITIZEN_KEYS,
    DRIVING_LICENSE_KEYS,
    EDUCATION_KEYS,
    HEALTH_INSURANCE_KEYS,
    SOCIAL_INSURANCE_KEYS,
    VACCINATION_KEYS,
    VEHICLE_KEYS,
    parse_record,
    to_document,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "population-format.md"


def json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def table_fields(heading: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)


def test_the_example_lines_are_valid() -> None:
    full, smallest = json_blocks()
    record = parse_record(json.loads(full))
    assert to_document(record) == json.loads(full)
    assert parse_record(json.loads(smallest)).health_insurance is None


def test_the_tables_list_every_key_of_the_format() -> None:
    assert table_fields("## The citizen") == list(CITIZEN_KEYS)
    assert table_fields("### `health_insurance`") == list(HEALTH_INSURANCE_KEYS)
    assert table_fields("### `social_insurance`") == list(SOCIAL_INSURANCE_KEYS)
    assert table_fields("### `driving_licenses[]`") == list(DRIVING_LICENSE_KEYS)
    assert table_fields("### `vehicles[]`") == list(VEHICLE_KEYS)
    assert table_fields("### `education[]`") == list(EDUCATION_KEYS)
    assert table_fields("### `vaccinations[]`") == list(VACCINATION_KEYS)
