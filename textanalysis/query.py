"""Boolean text queries for watchlists and search: a tokenizer, a recursive-descent parser,
an evaluator over article text and snippets. Pure Python, no database.

Syntax (operators are upper case; lower-case ``and``/``or``/``not`` are ordinary words)::

    query  := or
    or     := and ( "OR" and )*
    and    := unary ( ["AND"] unary )*        -- juxtaposition is AND
    unary  := "NOT" unary | atom
    atom   := WORD | '"' words '"' | "(" or ")"

Words match whole words, case-insensitively, after the same normalisation dedup uses
(Unicode NFKC, curly quotes and dashes folded, case-folded). A quoted phrase matches its
words in sequence; so does a bare word that normalises to several (``Baby-P`` is the phrase
``baby p``). Examples: ``laming``, ``"baby p" AND (haringey OR council) NOT sport``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType

KEYWORDS = ("AND", "OR", "NOT")
# Bounds that keep parsing and evaluation (both recursive) far from Python's recursion
# limit and a query's cost small, whatever a user or a stored watchlist holds.
MAX_QUERY_CHARS = 2_000
MAX_QUERY_DEPTH = 50  # nested parentheses and NOTs together


class QueryError(ValueError):
    """A query that cannot be parsed; the message says where and why."""


# --- syntax tree -------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word, or several in sequence (a phrase)."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


def _join(kind: type[And] | type[Or], children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else [child])
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def render(node: Node) -> str:
    """A canonical query string that parses back to the same tree."""
    if isinstance(node, Term):
        if len(node.words) == 1 and node.words[0].upper() not in KEYWORDS:
            return node.words[0]
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Not):
        inner = render(node.child)
        return f"NOT ({inner})" if isinstance(node.child, And | Or) else f"NOT {inner}"
    separator = " AND " if isinstance(node, And) else " OR "
    parts = []
    for child in node.children:
        text = render(child)
        parts.append(f"({text})" if isinstance(child, And | Or) else text)
    return separator.join(parts)


def positive_terms(node: Node, negated: bool = False) -> list[Term]:
    """Terms whose presence can make the query match (not under an odd number of NOTs)."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    return [t for child in node.children for t in positive_terms(child, negated)]


def all_terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return all_terms(node.child)
    return [t for child in node.children for t in all_terms(child)]


# --- tokenizer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # 'WORD', 'PHRASE', 'AND', 'OR', 'NOT', '(', ')', 'END'
    text: str
    position: int


_BREAK = re.compile(r'[\s()"]')


def tokenize(query: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            out.append(Token(char, char, i))
            i += 1
        elif char == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError(f"unterminated quote at position {i + 1}")
            out.append(Token("PHRASE", query[i + 1 : end], i))
            i = end + 1
        else:
            match = _BREAK.search(query, i)
            end = match.start() if match else n
            word = query[i:end]
            out.append(Token(word if word in KEYWORDS else "WORD", word, i))
            i = end
    out.append(Token("END", "", n))
    return out


# --- parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str) -> None:
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(
                f"the query is {len(query)} characters long; at most {MAX_QUERY_CHARS} are allowed"
            )
        self.tokens = tokenize(query)
        self.index = 0
        self.depth = 0

    def _enter(self, token: Token) -> None:
        """Count one more level of nesting (a '(' or a NOT); refuse past the limit."""
        self.depth += 1
        if self.depth > MAX_QUERY_DEPTH:
            raise QueryError(
                f"the query nests deeper than {MAX_QUERY_DEPTH} levels of parentheses and NOT "
                f"(at position {token.position + 1}); simplify it"
            )

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if self.current.kind == "END":
            raise QueryError("empty query")
        node = self._or()
        if self.current.kind != "END":
            token = self.current
            what = "unmatched ')'" if token.kind == ")" else f"unexpected {token.text!r}"
            raise QueryError(f"{what} at position {token.position + 1}")
        return node

    def _or(self) -> Node:
        children = [self._and()]
        while self.current.kind == "OR":
            self._take()
            children.append(self._and())
        return _join(Or, children)

    def _and(self) -> Node:
        children = [self._unary()]
        while self.current.kind in ("AND", "NOT", "WORD", "PHRASE", "("):
            if self.current.kind == "AND":
                self._take()
            children.append(self._unary())
        return _join(And, children)

    def _unary(self) -> Node:
        if self.current.kind == "NOT":
            self._enter(self._take())
            node = Not(self._unary())
            self.depth -= 1
            return node
        return self._atom()

    def _atom(self) -> Node:
        token = self._take()
        if token.kind == "(":
            if self.current.kind == ")":
                raise QueryError(f"empty parentheses at position {token.position + 1}")
            self._enter(token)
            node = self._or()
            if self.current.kind != ")":
                raise QueryError(f"'(' at position {token.position + 1} is never closed")
            self._take()
            self.depth -= 1
            return node
        if token.kind in ("WORD", "PHRASE"):
            words = tuple(_fingerprints().tokens(token.text))
            if not words:
                shown = f'"{token.text}"' if token.kind == "PHRASE" else repr(token.text)
                raise QueryError(
                    f"{shown} at position {token.position + 1} has no letters or digits"
                )
            return Term(words)
        if token.kind == "END":
            raise QueryError("the query ends where a word, phrase or '(' was expected")
        raise QueryError(
            f"{token.text!r} at position {token.position + 1} where a word, phrase or '(' "
            "was expected"
        )


def _fingerprints() -> ModuleType:
    """``textanalysis.fingerprints`` (dedup's normalisation and tokens, which queries share),
    imported on first use: it loads numpy and wordfreq, which the report commands that
    import this module never need."""
    import textanalysis.fingerprints

    return textanalysis.fingerprints


def parse(query: str) -> Node:
    """Parse ``query``; raises ``QueryError`` with a position on bad syntax."""
    return _Parser(query).parse()


# --- evaluation --------------------------------------------------------------------------


class Document:
    """An article's text prepared for matching many queries (tokenised once)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = _fingerprints().tokens(text)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.words)

    @cached_property
    def joined(self) -> str:
        return " " + " ".join(self.words) + " "

    def has(self, term: Term) -> bool:
        if len(term.words) == 1:
            return term.words[0] in self.vocabulary
        return " " + " ".join(term.words) + " " in self.joined


def evaluate(node: Node, doc: Document) -> bool:
    if isinstance(node, Term):
        return doc.has(node)
    if isinstance(node, Not):
        return not evaluate(node.child, doc)
    if isinstance(node, And):
        return all(evaluate(child, doc) for child in node.children)
    return any(evaluate(child, doc) for child in node.children)


@dataclass(frozen=True)
class Query:
    """A parsed query with its source text."""

    text: str
    tree: Node

    @classmethod
    def parse(cls, text: str) -> Query:
        return cls(text, parse(text))

    @property
    def canonical(self) -> str:
        return render(self.tree)

    def matches(self, doc: Document | str) -> bool:
        return evaluate(self.tree, doc if isinstance(doc, Document) else Document(doc))


# --- snippets ----------------------------------------------------------------------------


def _term_pattern(term: Term, inflected: bool = False) -> re.Pattern[str]:
    words = r"\W+".join(re.escape(w) for w in term.words)
    return re.compile(rf"(?<!\w){words}" + (r"\w*" if inflected else r"(?!\w)"))


def find_first(text: str, terms: list[Term], inflected: bool = False) -> tuple[int, int] | None:
    """Span of the earliest occurrence of any of ``terms`` in ``text`` (with ``inflected``,
    a word followed by more letters counts: "report" finds "reports")."""
    folded = _fingerprints().normalise(text)
    if len(folded) != len(text):  # normalisation changed lengths: positions are unreliable
        folded = text.casefold() if len(text.casefold()) == len(text) else None
    if folded is None:
        return None
    best: tuple[int, int] | None = None
    for term in terms:
        match = _term_pattern(term, inflected and len(term.words) == 1).search(folded)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), match.end())
    return best


def snippet(text: str, terms: list[Term], width: int = 160, inflected: bool = False) -> str:
    """About ``width`` characters of ``text`` around the first match of ``terms``."""
    flat = " ".join(text.split())
    span = find_first(flat, terms, inflected)
    if span is None:
        start = 0
    else:
        start = max(0, span[0] - width // 3)
        if start:
            space = flat.find(" ", start)
            start = space + 1 if 0 <= space < span[0] else start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if span is None or space > span[1] else end
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")
