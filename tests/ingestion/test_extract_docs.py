from pathlib import Path

from ingestion.extract_docs import render_markdown
from pcnmo.contracts import CONTRACTS

SPEC = Path(__file__).resolve().parents[2] / "docs" / "extracts.md"


def test_committed_extract_specification_matches_the_contracts():
    assert SPEC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/extracts.md is stale: run `pcnmo docs` and commit the result"
    )


def test_specification_documents_every_table_and_header():
    text = render_markdown()
    for table in CONTRACTS:
        assert f"### `{table.qualified_name}`" in text
        for column in table.columns:
            for dialect in table.dialects:
                header = column.header(dialect.name)
                if header:
                    assert f"`{header}`" in text, (table.name, header)
