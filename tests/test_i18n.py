"""The translation catalogs: current with the code, complete, compiled; the language chosen."""

from __future__ import annotations

import pytest

from auditor.i18n import texts
from auditor.lab import catalogs


def test_the_vietnamese_catalog_is_current_complete_and_compiled(capsys: pytest.CaptureFixture[str]) -> None:
    assert catalogs.main(["--check"]) == 0, capsys.readouterr().err


def test_a_translation_with_other_placeholders_is_caught() -> None:
    catalog = catalogs.template()
    for message in catalog:
        if message.id == "Replace {what}: {labels}":
            message.string = "Thay thế {what}: {nhan}"
    assert "placeholders differ: 'Replace {what}: {labels}' → 'Thay thế {what}: {nhan}'" in catalogs.problems(catalog)
    assert any(p.startswith("untranslated: ") for p in catalogs.problems(catalog))  # the template has no Vietnamese


def test_texts_in_both_languages() -> None:
    assert texts("vi")("TOTAL") == "TỔNG CỘNG" and texts("en")("TOTAL") == "TOTAL"
    assert texts("vi").plural("{n} broken", "{n} broken", 2) == "2 thiết bị hỏng"
    with pytest.raises(ValueError, match="unknown language"):
        texts("fr")
