"""Model discovery: one file per model, no registry line; broken files are isolated."""

import re
import shutil
import sys
from pathlib import Path

import pytest

import core.sandbox.models as models_pkg
from core.bills.checks import unit_rate_outlier, usage_outlier
from core.detectors import REGISTRY
from core.sandbox import Input, Model, SandboxError, discover, docs

MODELS_DIR = Path(models_pkg.__file__).parent
EXAMPLE = MODELS_DIR / "_example.py"
SHIPPED = {*REGISTRY, "overshoot", "baseline", usage_outlier.NAME, unit_rate_outlier.NAME}


@pytest.fixture
def extra_models(tmp_path, monkeypatch):
    """A second folder on the models package's path; its modules are forgotten afterwards."""
    folder = tmp_path / "more_models"
    folder.mkdir()
    monkeypatch.setattr(models_pkg, "__path__", [*models_pkg.__path__, str(folder)])
    yield folder
    for name in [m for m in sys.modules if m.startswith("core.sandbox.models.")]:
        if Path(getattr(sys.modules[name], "__file__", "") or "").parent == folder:
            del sys.modules[name]


def test_every_shipped_model_is_discovered_and_valid():
    found = discover()
    assert found.errors == []
    assert set(found.models) == SHIPPED
    for key, model in found.models.items():
        assert model.key == key
        model.validate()


def test_every_detector_has_a_model_generated_from_its_params():
    models = discover().models
    for name, module in REGISTRY.items():
        names = [i.name for i in models[name].inputs if not i.is_data]
        assert names == list(module.Params.__dataclass_fields__)
        for inp in models[name].inputs:  # the help is the Params docstring's entry
            assert inp.help and inp.help != inp.name.replace("_", " "), (name, inp.name)


def test_the_example_is_not_registered_but_runs():
    assert "_example" not in discover().models
    assert EXAMPLE.exists()


def test_a_new_file_is_a_new_model_with_no_other_change(extra_models):
    shutil.copy(EXAMPLE, extra_models / "my_model.py")
    found = discover()
    assert found.errors == []
    assert "my_model" in found.models  # the key defaults to the file name
    assert found.models["my_model"].title.startswith("Example")
    assert set(found.models) == SHIPPED | {"my_model"}


def test_a_broken_file_is_reported_and_the_others_still_load(extra_models):
    (extra_models / "broken.py").write_text("raise RuntimeError('oops')\n")
    (extra_models / "bad_kind.py").write_text(
        "from core.sandbox import Input, Model\n"
        "MODEL = Model('T', 'S', (), (Input('x', 'slider', 'help'),), run=print)\n"
    )
    found = discover()
    errors = dict(found.errors)
    assert "oops" in errors["broken.py"]
    assert "kind 'slider'" in errors["bad_kind.py"] and "number" in errors["bad_kind.py"]
    assert set(found.models) == SHIPPED


def test_a_duplicate_key_names_the_file_that_has_it(extra_models):
    (extra_models / "twin.py").write_text(
        "from core.sandbox.models.baseline import MODEL as _m\n"
        "import dataclasses\nMODEL = dataclasses.replace(_m, key='baseline')\n"
    )
    errors = dict(discover().errors)
    assert "already used by baseline.py" in errors["twin.py"]


@pytest.mark.parametrize(
    ("inp", "message"),
    [
        (Input("n", "number", "help", default=5, min=0, max=3), "outside [0, 3]"),
        (Input("c", "choice", "help", default="z", options=("a", "b")), "not in options"),
        (Input("n", "number", "", default=1), "plain words"),
    ],
)
def test_bad_declarations_are_refused_with_the_input_named(inp, message):
    model = Model("T", "S", (), (inp,), run=print, key="t")
    with pytest.raises(SandboxError, match=re.escape(message)):
        model.validate()


def test_every_mirror_resolves_to_text_and_every_model_is_documented():
    text = (MODELS_DIR.parents[2] / "docs" / "sandbox.md").read_text()
    for key, model in discover().models.items():
        assert model.mirrors, key
        for ref in model.mirrors:
            assert docs.excerpt(ref), f"{key}: {ref} does not resolve"
        if key not in REGISTRY:  # a detector's model is documented with it, in docs/detectors.md
            assert f"`{key}`" in text, f"{key} is not in docs/sandbox.md"


def test_doc_sections_stop_at_the_next_heading():
    text = "# A\nintro\n## B c\nbody\n### d\nmore\n"
    assert docs.section(text, "a") == "intro"
    assert docs.section(text, "b-c") == "body"
    assert docs.section(text, "nope") is None
    assert "building_days" in docs.excerpt("core/overshoot/detect.py::faults")
