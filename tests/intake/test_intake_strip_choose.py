"""Which top-level statements are kept, which definition each manifest file gets, which file is
the one, and what a syntax error is called."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from grader.assignment import Assignment, FunctionSpec
from grader.intake.choose import choose, collect_definitions, is_stub, signature_tier
from grader.intake.diagnose import python2_construct
from grader.intake.resolve import loose_name, name_rank, rank_candidates
from grader.intake.sources import Block, SourceFile, parse_block, read_source
from grader.intake.strip import DROP, DROP_SILENT, KEEP_BLOCK, KEEP_CONST, KEEP_IMPORT, classify_blocks
from intake_helpers import demo_assignment


def kinds(code: str) -> list[tuple[str, str]]:
    block = Block("f.py", None, textwrap.dedent(code).strip("\n"), 0)
    parse_block(block)
    return [(block.lines()[s.start - 1].strip(), s.kind) for s in classify_blocks([block])]


def test_constant_rule() -> None:
    got = dict(kinds('''
        """docstring"""
        import torch
        import numpy as np
        from torch import nn
        NH = 10
        SIZES = (2, NH, 2 * NH)
        CLASSES = {"a": 0, "b": 1}
        W0 = torch.tensor([[1.0, 2.0]], dtype=torch.float32)
        GRID = np.linspace(-2, 2, 40)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        loss_fn = nn.CrossEntropyLoss()
        model = nn.Sequential(nn.Linear(2, 10), nn.Tanh())
        act = lambda x: torch.tanh(x)
        squares = [i ** 2 for i in range(10)]
        data = np.loadtxt("circles.csv")
        X = torch.randn(100, 2)
        params = init_params(2, NH, 2)
        Y = X * 2
        N = data.shape[0]
        print("training")
        for i in range(10):
            pass
        W0[0, 0] = 3
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = lambda x: x
        if __name__ == "__main__":
            main()
        pass
    '''))
    keep = {"import torch": KEEP_IMPORT, "NH = 10": KEEP_CONST, "SIZES = (2, NH, 2 * NH)": KEEP_CONST,
            'CLASSES = {"a": 0, "b": 1}': KEEP_CONST, "GRID = np.linspace(-2, 2, 40)": KEEP_CONST,
            'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")': KEEP_CONST,
            "loss_fn = nn.CrossEntropyLoss()": KEEP_CONST, "model = nn.Sequential(nn.Linear(2, 10), nn.Tanh())": KEEP_CONST,
            "act = lambda x: torch.tanh(x)": KEEP_CONST, "squares = [i ** 2 for i in range(10)]": KEEP_CONST,
            "W0 = torch.tensor([[1.0, 2.0]], dtype=torch.float32)": KEEP_CONST, "try:": KEEP_BLOCK,
            '"""docstring"""': DROP_SILENT, 'if __name__ == "__main__":': DROP_SILENT, "pass": DROP_SILENT}
    drop = ['data = np.loadtxt("circles.csv")', "X = torch.randn(100, 2)", "params = init_params(2, NH, 2)",
            "Y = X * 2", "N = data.shape[0]", 'print("training")', "for i in range(10):", "W0[0, 0] = 3"]
    for line, kind in keep.items():
        assert got[line] == kind, line
    for line in drop:
        assert got[line] == DROP, line


def test_semicolon_lines_keep_only_their_kept_part() -> None:
    block = Block("f.ipynb", 2, "from google.colab import drive; drive.mount('/content/drive')", 0)
    parse_block(block)
    stmts = classify_blocks([block])
    assert [s.kind for s in stmts] == [KEEP_IMPORT, DROP]
    assert stmts[0].source_lines() == ["from google.colab import drive"]


def _defs(code: str, cells: list[tuple[str, str]] | None = None) -> SourceFile:
    """A source of several blocks: (heading, code) per cell, like a notebook."""
    source = SourceFile("lab.ipynb", Path("lab.ipynb"), "ipynb", 0.0)
    for i, (heading, text) in enumerate(cells or [("", code)]):
        block = Block("lab.ipynb", i, textwrap.dedent(text).strip("\n"), i, headings=((2, heading),) if heading else ())
        parse_block(block)
        source.blocks.append(block)
    return source


def chosen_cells(assignment: Assignment, source: SourceFile) -> dict[str, dict[str, int]]:
    defs = collect_definitions(source, classify_blocks(source.parsed_blocks()))
    out = {}
    for spec in assignment.files[:3]:
        out[spec.name] = {name: (c.chosen.block.cell if c.chosen else None) for name, c in choose(defs, assignment, spec).items()}
    return out


INIT = "def init_params(nx, nh, ny):\n    return {}"
INIT_GRAD = "def init_params(nx, nh, ny):\n    return {'W': 1}"


def test_signature_then_section_then_order(tmp_path: Path) -> None:
    assignment = demo_assignment(tmp_path)
    cells = [
        ("2.1 Forward et backward", INIT + "\ndef forward(params, X):\n    return X, {}"),
        ("2.1 Forward et backward", "def sgd(params, grads, eta):\n    return params"),
        ("2.2 autograd", INIT_GRAD),
        ("2.2 autograd", "def sgd(params, eta):\n    return params"),
        ("2.3 torch.nn", "def init_model(nx, nh, ny):\n    return 1, 2\ndef sgd(model, eta):\n    pass\n    return None"),
        ("2.4 torch.optim", "def init_model(nx, nh, ny, eta):\n    return 1, 2, 3"),
    ]
    got = chosen_cells(assignment, _defs("", cells))
    assert got["tp_nn.py"]["init_params"] == 0 and got["tp_nn.py"]["sgd"] == 1
    assert got["tp_nn_autograd.py"] == {"init_params": 2, "sgd": 3}
    assert got["tp_nn_modules.py"] == {"init_model": 4, "sgd": 4}


def test_without_headings_order_and_anchors_decide(tmp_path: Path) -> None:
    assignment = demo_assignment(tmp_path)
    cells = [("", INIT), ("", "def sgd(params, grads, eta):\n    return params"), ("", "x = 1"),
             ("", INIT_GRAD), ("", "def sgd(params, eta):\n    return params")]
    got = chosen_cells(assignment, _defs("", cells))
    assert got["tp_nn.py"]["init_params"] == 0 and got["tp_nn_autograd.py"]["init_params"] == 3


def test_filled_definition_beats_the_template_stub(tmp_path: Path) -> None:
    assignment = demo_assignment(tmp_path)
    cells = [("", "def forward(params, X):\n    raise NotImplementedError"),
             ("", "def forward(params, X):\n    return X @ params['W'], {}")]
    assert chosen_cells(assignment, _defs("", cells))["tp_nn.py"]["forward"] == 1


def test_signature_tiers() -> None:
    source = _defs("def f(a, b, c=1, *args):\n    return a\nclass C:\n    def __init__(self, x):\n        self.x = x")
    defs = collect_definitions(source, classify_blocks(source.parsed_blocks()))
    f, c = defs["f"][0], defs["C"][0]
    assert signature_tier(FunctionSpec.parse("f(a, b, c)"), f) == 3
    assert signature_tier(FunctionSpec.parse("f(x, y, z)"), f) == 2
    assert signature_tier(FunctionSpec.parse("f(x, y)"), f) == 1
    assert signature_tier(FunctionSpec.parse("f(x)"), f) == 0
    assert signature_tier(FunctionSpec.parse("C(x)"), c) == 3
    assert signature_tier(FunctionSpec.parse("f"), f) == 3


@pytest.mark.parametrize("body,stub", [("raise NotImplementedError", True), ('"""doc"""\n    pass', True),
                                       ("...", True), ("return None", True), ("return 1", False),
                                       ("raise ValueError('x')", False)])
def test_stubs(body: str, stub: bool) -> None:
    import ast
    node = ast.parse(f"def f():\n    {body}").body[0]
    assert is_stub(node) is stub


@pytest.mark.parametrize("name,spec,rank", [
    ("tp_nn.py", "tp_nn.py", 5), ("TP3/tp_nn.py", "tp_nn.py", 4), ("TP NN (1).ipynb", "tp_nn.py", 3),
    ("Ex grad intro (1).py", "Ex grad intro.py", 3), ("ex-grad_intro.ipynb", "Ex grad intro.py", 3),
    ("Copie de Ex grad intro.py", "Ex grad intro.py", 3), ("circlesV2.py", "tp_nn.py", 2),
    ("TP3_4_NOM_Prenom.ipynb", "tp_nn.py", 2), ("ex_grad_intro_DUPONT.py", "Ex grad intro.py", 1),
    ("tp_nn_autograd.py", "tp_nn.py", 0), ("notes.txt", "tp_nn.py", 0), ("Éx grad intro.py", "Ex grad intro.py", 3),
])
def test_loose_names(tmp_path: Path, name: str, spec: str, rank: int) -> None:
    assignment = demo_assignment(tmp_path)
    assert name_rank(name, assignment.file(spec)) == rank
    assert loose_name("Ex grad intro (1).py") == "exgradintro"


def test_ties_go_to_the_most_recent_then_the_name(tmp_path: Path) -> None:
    assignment = demo_assignment(tmp_path / "ref")
    code = "def init_params(nx, nh, ny):\n    return {}\ndef forward(params, X):\n    return X, {}\n"
    sources = []
    for name, mtime in (("b.py", 100), ("a.py", 100), ("old.py", 50)):
        path = tmp_path / name
        path.write_text(code)
        os.utime(path, (mtime, mtime))
        sources.append(read_source(path, name))
    defs = {s.rel: collect_definitions(s, classify_blocks(s.parsed_blocks())) for s in sources}
    ranked = rank_candidates(assignment, assignment.file("tp_nn.py"), sources, defs)
    assert [c.source.rel for c in ranked] == ["a.py", "b.py", "old.py"]
    os.utime(tmp_path / "old.py", (200, 200))
    sources[2] = read_source(tmp_path / "old.py", "old.py")
    ranked = rank_candidates(assignment, assignment.file("tp_nn.py"), sources, defs)
    assert ranked[0].source.rel == "old.py"


@pytest.mark.parametrize("line,construct", [
    ('print "hello"', "print statement"), ("print x, y", "print statement"), ("print >>f, x", "print statement"),
    ("except ValueError, e:", "`except X, e`"), ("except (A, B), e:", "`except X, e`"),
    ("x = `y`", "backticks (repr)"), ("if a <> b:", "the `<>` operator"), ("n = 10L", "long integer literal (`10L`)"),
    ("mode = 0777", "octal literal (`0777`)"), ('raise ValueError, "bad"', '`raise E, "message"`'),
    ('exec "x = 1"', "exec statement"),
    ("print(x)", None), ("printer = 1", None), ("except (A, B) as e:", None), ("s = '`'  # `", None), ("x = 0", None),
])
def test_python2_constructs(line: str, construct: str | None) -> None:
    assert python2_construct(line) == construct
