"""Every Python block in the README and in docs/ runs.

The blocks of one file run in order as one script, in a fresh interpreter and an empty working
directory, so later blocks may use what earlier blocks defined.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(document: Path) -> list[str]:
    """The ```python blocks of a markdown file, in order."""
    return FENCE.findall(document.read_text(encoding="utf-8"))


SERVER_FIXTURES = {
    "LEXIGRAM_TEST_PG_DSN": "postgres_dsn",
    "LEXIGRAM_TEST_REDIS_URL": "redis_url",
    "LEXIGRAM_TEST_MONGO_URI": "mongo_uri",
}
"""A document that reads one of these variables gets that server for its code."""

DOCUMENTS_WITH_CODE = [d for d in DOCUMENTS if python_blocks(d)]


@pytest.mark.parametrize(
    "document", DOCUMENTS_WITH_CODE, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS_WITH_CODE]
)
def test_document_code_runs(document: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    text = document.read_text(encoding="utf-8")
    for variable, fixture in SERVER_FIXTURES.items():
        if variable in text:
            request.getfixturevalue(fixture)  # starts the server and exports its URL
    script = tmp_path / "doc_blocks.py"
    script.write_text("\n\n".join(python_blocks(document)), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{document.name}:\n{result.stdout}\n{result.stderr}"
