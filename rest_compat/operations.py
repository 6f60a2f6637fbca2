"""A dialect's GraphQL operations, read from its ``.graphql`` files and checked once.

Each file may hold several named operations and the fragments they share. At start-up every
operation becomes its own document (the operation plus the fragments it reaches) and is
validated against the schema, so a broken document stops the process rather than a request.
The text is fixed, so at request time the parse and validation caches (schema/pipeline.py) answer
for it.
"""

from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
    visit,
)
from graphql.language import Visitor


class OperationError(RuntimeError):
    pass


def _spreads(node: Node) -> set[str]:
    names: set[str] = set()

    class Collect(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, Collect())
    return names


def _closure(start: Node, fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    seen: list[str] = []
    todo = sorted(_spreads(start))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in fragments:
            raise OperationError(f"unknown fragment {name!r}")
        seen.append(name)
        todo.extend(sorted(_spreads(fragments[name]) - set(seen)))
    return sorted(seen)


def load_operations(folder: Path, schema: GraphQLSchema) -> dict[str, str]:
    """``{operation name: document text}`` for every ``*.graphql`` under ``folder``."""
    documents: list[DocumentNode] = [parse(p.read_text()) for p in sorted(folder.glob("*.graphql"))]
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: dict[str, OperationDefinitionNode] = {}
    for document in documents:
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
            elif isinstance(definition, OperationDefinitionNode):
                if definition.name is None:
                    raise OperationError(f"an operation in {folder} has no name")
                if definition.name.value in operations:
                    raise OperationError(f"operation {definition.name.value} defined twice")
                operations[definition.name.value] = definition
    out: dict[str, str] = {}
    for name, operation in operations.items():
        parts = [operation, *(fragments[f] for f in _closure(operation, fragments))]
        text = "\n\n".join(print_ast(p) for p in parts)
        errors = validate(schema, parse(text))
        if errors:
            raise OperationError(f"{folder.name}/{name}: {errors[0].message}")
        out[name] = text
    return out
