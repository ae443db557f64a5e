"""The package's shape, read from its imports: each folder imports only its own layer and
the layers below it, and no module imports itself back through others (function-local and
type-checking imports included). docs/architecture.md draws the same layers."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "gateway"

# Bottom to top: a module may import its own folder's and any lower folder's modules.
LAYERS = ["core", "observability", "shared", "connect", "data", "api", "http", "cli"]
# The emulator is apart: it imports only itself, gateway.core.rates (Connect's quota
# table, which it enforces) and gateway.core.records (the Record alias); only the CLI's
# demo and the tests start it.
EMULATOR_MAY_IMPORT = {"gateway.core.rates", "gateway.core.records"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> Iterator[str]:
    """Every gateway module `path` imports, wherever the import statement is (in a
    function too), except under `if TYPE_CHECKING:`, which only annotations read."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from a.b import c` imports module a.b.c if there is one, else from a.b.
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name for name in submodules if name in known]
            if len(names) < len(submodules):
                names.append(node.module)
        else:
            continue
        for name in names:
            if name in known:
                yield name


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("cli", "__main__", "app", "settings"):
        return "cli"  # the top: the commands, and the contract's names (gateway.app, ...)
    return parts[1]


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imports_of(path, known)) - {name} for name, path in found.items()}


def test_every_folder_is_a_known_layer() -> None:
    folders = {layer_of(module) for module in modules()}
    assert folders <= {*LAYERS, "emulator"}, folders - {*LAYERS, "emulator"}


def test_no_folder_imports_a_higher_one() -> None:
    wrong = []
    for module, targets in graph().items():
        layer = layer_of(module)
        for target in sorted(targets):
            if target == "gateway":
                continue  # the package's own __init__: its version, nothing else
            if target in ("gateway.app", "gateway.settings") and layer != "cli":
                wrong.append(f"{module} -> {target} (the contract's alias: import the layer's)")
                continue
            other = layer_of(target)
            if layer == "emulator":
                if other != "emulator" and target not in EMULATOR_MAY_IMPORT:
                    wrong.append(f"{module} -> {target}")
            elif other == "emulator":
                if layer != "cli":
                    wrong.append(f"{module} -> {target}")
            elif LAYERS.index(other) > LAYERS.index(layer):
                wrong.append(f"{module} ({layer}) -> {target} ({other})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    edges = graph()
    cycles = [sorted(group) for group in _strongly_connected(edges) if len(group) > 1]
    assert not cycles, "\n".join(" <-> ".join(group) for group in cycles)


def test_api_does_not_see_botocore() -> None:
    """Connect's wire format lives in gateway/connect/: the schema and resolvers never
    import botocore or boto3."""
    seen = []
    for path in (PACKAGE / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                if any(n.split(".")[0] in ("botocore", "boto3") for n in names):
                    seen.append(f"{path.name}:{node.lineno}")
    assert not seen, seen


def test_the_checks_find_what_they_look_for() -> None:
    """Guards against a reader that finds nothing: known edges and a made-up cycle."""
    edges = graph()
    assert "gateway.core.settings" in edges["gateway.connect.client"]
    assert "gateway.data.store" in edges["gateway.data.loaders"]
    made_up = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [sorted(g) for g in _strongly_connected(made_up) if len(g) > 1] == [["a", "b", "c"]]


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(group)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def test_the_emulators_world_imports_only_itself() -> None:
    """The emulator's three rooms (gateway/emulator/): the world is the bottom one, the
    seeded demo data, which neither the operations nor the wire front end reach into it
    from below; it imports only itself and the gateway's Record alias."""
    world = "gateway.emulator.world"
    wrong = [
        f"{name} -> {target}"
        for name, targets in graph().items()
        if name.startswith(world)
        for target in targets
        if not target.startswith(world) and target != "gateway.core.records"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_emulators_operations_never_import_its_front_end_routes() -> None:
    """Operations answer over the world; of the wire front end they use only Connect's
    errors, the service models, input validation and the state a handler is given."""
    allowed = {f"gateway.emulator.protocol.{m}" for m in ("errors", "model", "validation", "state")}
    wrong = [
        f"{name} -> {target}"
        for name, targets in graph().items()
        if name.startswith("gateway.emulator.operations")
        for target in targets
        if target.startswith("gateway.emulator.protocol") and target not in allowed
    ]
    assert not wrong, "\n".join(wrong)
