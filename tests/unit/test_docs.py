"""The README and docs/ are all a reader of a clone needs: no link leads outside the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_starts_with_the_two_commands():
    block = ROOT.joinpath("README.md").read_text().split("```")[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    assert commands == ["python3 dev.py run", "python3 dev.py test"]


def test_every_local_link_in_the_docs_resolves_inside_the_repository():
    for doc in [ROOT / "README.md", *ROOT.joinpath("docs").glob("*.md")]:
        text = doc.read_text()
        assert "../shared" not in text, doc
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            path = (doc.parent / target).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), (doc.name, target)


def test_the_design_names_the_public_surface():
    design = ROOT.joinpath("docs", "DESIGN.md").read_text()
    for name in ("Accept", "Decline", "En route", "On scene", "Clear", "Save outcome", "/api/v1"):
        assert f"`{name}`" in design or name in design
