"""The PAGE 2019 and ALTO v4 XSDs from ../shared/schemas, loaded offline (xlink resolved to
the local copy), for validating exports in any test."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import shared_path

PAGE_2019 = ("page-2019-07-15", "pagecontent.xsd")
ALTO_V4 = ("alto-v4", "alto-4-4.xsd")


class _LocalXlink(etree.Resolver):
    def __init__(self, xlink: Path) -> None:
        super().__init__()
        self.xlink = xlink

    def resolve(self, url, pubid, context):  # noqa: ANN001
        if url and url.endswith("xlink.xsd"):
            return self.resolve_filename(str(self.xlink), context)
        return None


def load_schema(*parts: str) -> etree.XMLSchema:
    """The schema under ../shared/schemas, or skip the test naming what is missing."""
    xsd = shared_path("schemas", *parts)
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalXlink(xsd.parent / "xlink.xsd"))
    return etree.XMLSchema(etree.parse(str(xsd), parser))


def assert_valid(schema: etree.XMLSchema, path: Path) -> etree._ElementTree:
    tree = etree.parse(str(path))
    if not schema.validate(tree):
        pytest.fail(f"{path.name} does not validate: {schema.error_log}")
    return tree
