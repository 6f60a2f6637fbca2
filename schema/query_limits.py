"""What one GraphQL document may ask for: depth, aliases, cost, and the work to check it.

Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` expand every fragment spread
again, so a 1 KB document whose fragments each spread the next one twice costs 2^n visits
and pins the CPU (issue 9). This rule measures each fragment definition once and reuses the
figures wherever it is spread. It runs when the document is entered, before graphql-core's
own rules walk the tree, and aborts the validation at the first limit exceeded, so a
refused document costs one linear pass over its text. The bounds on repeated fields and
fragment spreads in one selection set are there because ``OverlappingFieldsCanBeMerged``
compares those pairwise: without them 490 repeated root fields took over a second.

Cost estimates the objects a response may hold, as GitHub's GraphQL API limits nodes: each
object-typed field counts one, and inside a connection (a field taking ``first``/``last``)
each list (``edges``, ``nodes``) counts once per item: the literal ``first``/``last``
clamped to the page cap, the default page size when neither is given, the page cap when a
variable decides. Introspection fields (``__schema``…) count toward no depth or cost.
"""

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.validation.validate import ValidationAbortedError

from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

CODE = "QUERY_TOO_COMPLEX"


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 10_000
    max_root_fields: int = 30
    max_selections: int = 500
    max_expanded: int = 10_000
    """Selections the operation would have with every fragment spread inlined."""
    max_repeats: int = 10
    """Fields with one response name in one selection set (inline fragments included)."""
    max_fragments: int = 40
    """Fragment definitions: graphql-core compares fragments pairwise."""


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    expanded: int = 0


class TooComplex(ValidationAbortedError):
    """Raised inside the visit: graphql-core stops validating and keeps only this error."""

    def __init__(self, limit: str, value: int, maximum: int, message: str,
                 nodes: Any = None) -> None:
        super().__init__(message, nodes, extensions={
            "code": CODE, "limit": limit, "value": value, "maximum": maximum})


def _unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type of a field, and whether it is a list."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return get_named_type(type_), isinstance(type_, GraphQLList)


def _page_size(field: FieldNode, definition: Any) -> int | None:
    """Items a connection field returns at most; None when the field is no connection."""
    if definition is None or not ({"first", "last"} & definition.args.keys()):
        return None
    sizes = []
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            sizes.append(max(0, min(int(value.value), MAX_PAGE_SIZE))
                         if isinstance(value, IntValueNode) else MAX_PAGE_SIZE)
    return max(sizes) if sizes else DEFAULT_PAGE_SIZE


class _Measurer:
    """One walk over a document; fragments measured once per list multiplier."""

    def __init__(self, schema: GraphQLSchema, limits: QueryLimits,
                 fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.limits = limits
        self.fragments = fragments
        self.memo: dict[tuple[str, int], Measure] = {}
        self.selections = 0

    def _count(self, node: Any) -> None:
        self.selections += 1
        if self.selections > self.limits.max_selections:
            raise TooComplex(
                "selections", self.selections, self.limits.max_selections,
                f"the document has more than {self.limits.max_selections} selections "
                "(fields, fragment spreads and inline fragments as written)", [node])

    def fragment(self, name: str, multiplier: int) -> Measure:
        key = (name, multiplier)
        if key not in self.memo:
            definition = self.fragments.get(name)
            self.memo[key] = Measure()  # a cycle (reported by NoFragmentCycles) adds nothing
            if definition is not None:
                parent = self.schema.type_map.get(definition.type_condition.name.value)
                self.memo[key] = self.selection_set(definition.selection_set, parent,
                                                    multiplier)
        return self.memo[key]

    def selection_set(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None,
                      multiplier: int) -> Measure:
        """``multiplier``: how many items each list field of this set stands for."""
        depth = aliases = cost = expanded = 0
        repeats: dict[str, int] = {}
        stack: list[tuple[SelectionSetNode, Any]] = [(selection_set, parent)]
        while stack:  # inline fragments are flattened into their parent set
            current, current_type = stack.pop()
            for selection in current.selections:
                self._count(selection)
                expanded += 1
                if isinstance(selection, FieldNode):
                    sub = self.field(selection, current_type, multiplier)
                    response = (selection.alias or selection.name).value
                    repeats[response] = repeats.get(response, 0) + 1
                    if repeats[response] > self.limits.max_repeats:
                        raise TooComplex(
                            "repeats", repeats[response], self.limits.max_repeats,
                            f"'{response}' is selected more than {self.limits.max_repeats} "
                            "times in one selection set", [selection])
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    stack.append((selection.selection_set, current_type if condition is None
                                  else self.schema.type_map.get(condition.name.value)))
                    continue
                else:
                    assert isinstance(selection, FragmentSpreadNode)
                    sub = self.fragment(selection.name.value, multiplier)
                depth = max(depth, sub.depth)
                aliases += sub.aliases
                cost += sub.cost
                expanded += sub.expanded
        return Measure(depth, aliases, cost, expanded)

    def field(self, field: FieldNode, parent: Any, multiplier: int) -> Measure:
        aliases = 1 if field.alias else 0
        if field.selection_set is None:
            return Measure(0, aliases, 0, 0)
        name = field.name.value
        definition = getattr(parent, "fields", {}).get(name) if parent is not None else None
        named, is_list = _unwrap(definition.type) if definition is not None else (None, False)
        page = _page_size(field, definition)
        sub = self.selection_set(field.selection_set, named,
                                 page if page is not None else 1)
        if name.startswith("__"):
            return Measure(0, aliases + sub.aliases, 0, sub.expanded)
        items = multiplier if is_list else 1
        return Measure(1 + sub.depth, aliases + sub.aliases, items * (1 + sub.cost),
                       sub.expanded)


def create_rule(limits: QueryLimits) -> type[ValidationRule]:
    """A validation rule class for ``limits``; build it once (ValidationCache keys on it)."""

    class QueryLimitsRule(ValidationRule):
        def enter_document(self, node: Any, *_args: Any) -> None:
            definitions = node.definitions
            fragments = {d.name.value: d for d in definitions
                         if isinstance(d, FragmentDefinitionNode)}
            if len(fragments) > limits.max_fragments:
                raise TooComplex("fragments", len(fragments), limits.max_fragments,
                                 f"the document defines {len(fragments)} fragments; the "
                                 f"maximum is {limits.max_fragments}")
            measurer = _Measurer(self.context.schema, limits, fragments)
            aliases = 0
            try:
                for definition in definitions:
                    if isinstance(definition, OperationDefinitionNode):
                        aliases += self._operation(measurer, definition).aliases
                    if aliases > limits.max_aliases:
                        raise TooComplex("aliases", aliases, limits.max_aliases,
                                         f"{aliases} aliases found. Allowed: "
                                         f"{limits.max_aliases}")
                for name in fragments:  # unused ones too: graphql-core's rules visit them
                    measurer.fragment(name, 1)
            except RecursionError:
                raise TooComplex("depth", 0, limits.max_depth,
                                 "fragments are nested too deeply") from None

        def _operation(self, measurer: _Measurer, operation: OperationDefinitionNode
                       ) -> Measure:
            name = operation.name.value if operation.name else "anonymous"
            roots = len(operation.selection_set.selections)
            if roots > limits.max_root_fields:
                raise TooComplex("rootFields", roots, limits.max_root_fields,
                                 f"'{name}' selects {roots} root fields; the maximum is "
                                 f"{limits.max_root_fields}", [operation])
            root = self.context.schema.get_root_type(operation.operation)
            measure = measurer.selection_set(operation.selection_set, root, 1)
            if measure.expanded > limits.max_expanded:
                raise TooComplex(
                    "expandedSelections", measure.expanded, limits.max_expanded,
                    f"'{name}' would have {measure.expanded} selections with its fragments "
                    f"inlined; the maximum is {limits.max_expanded}", [operation])
            if measure.depth > limits.max_depth:
                raise TooComplex("depth", measure.depth, limits.max_depth,
                                 f"'{name}' exceeds maximum operation depth of "
                                 f"{limits.max_depth} (depth {measure.depth})", [operation])
            if measure.cost > limits.max_cost:
                raise TooComplex(
                    "cost", measure.cost, limits.max_cost,
                    f"'{name}' may return {measure.cost} objects; the maximum is "
                    f"{limits.max_cost}. Ask connections for fewer items (first/last) "
                    "or split the query", [operation])
            return measure

    return QueryLimitsRule

