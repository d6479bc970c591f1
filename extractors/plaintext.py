"""Extract the article from a web page that was pasted as plain text.

A pasted page is the article plus the page's furniture: navigation and lists of other
headlines above it, share buttons and outlet names between headline and body, photo
captions and agency credits inside it, related links, site blurbs and reader comments
below it. The extractor works on the *shape* of the text rather than on any outlet's
wording, so that it keeps working on pages it has never seen:

* **Paragraphs.** Blank lines separate paragraphs. Inside a block, a line is glued to the
  previous one only when it clearly continues it (it starts in lower case, the previous
  line ends in a comma or a function word, or the block is visibly hard-wrapped), so a
  list of headlines pasted line by line stays a list.
* **Paragraph kinds.** Each paragraph is classified by shape: *prose* (eight or more
  words ending in sentence punctuation, or very long), a short *sentence*, a short
  unpunctuated *line* (headlines, menus, tags), a bulleted *list item*, a *comments* or
  *related-links* section header, or recognised *furniture* (share/follow/sign-up
  buttons, bylines, date lines, "X Online" outlet lines, "Reporting by"/"Editing by"
  credits, photo captions ending in an agency credit such as ``REUTERS/Name`` or
  ``(AP Photo/Name)``, cookie and copyright notices). Furniture is dropped wherever it
  is, after its metadata (author, outlet, date) has been read.
* **The body** is the largest *run* of prose: consecutive prose and sentences, allowing
  a single short line between them (a crosshead) and bulleted lists. Two or more short
  unpunctuated lines in a row (a menu, a list of links, a site footer) end a run, and so
  does a section header. Runs after the first comments header ("12 comments",
  "N thoughts on ...", "Leave a reply", "Have your say", ...) are never the body, and the
  chosen run ends at that header, so reader comments are dropped. Short lines after the
  last prose paragraph are never part of the body.
* **The title** is the article's own headline, which sits just above the body, below
  any list of other stories: among the nearest headline-shaped lines above the body
  (short, no full stop at the end; a question or exclamation counts), furniture is
  skipped and the nearest line that shares content words with the body wins. Sharing
  words with the body is what tells a headline from "Click to follow" or a neighbouring
  story's headline; if no nearby line shares any, the nearest one is taken.
* **Metadata** comes only from the text itself: a wire dateline ("LONDON (Reuters) - ",
  "WASHINGTON (AP) — ") gives ``dateline`` and ``outlet`` and is cut from the first
  paragraph; a "By Jane Smith" line gives ``author``; an "X Online" line or a copyright
  line gives ``outlet``; a date line gives ``published_at``; ``language`` is guessed
  from stop-word frequencies when jusText (installed with trafilatura) is available.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum

from extractors import dates, outlets
from extractors.encoding import decode_text
from extractors.models import ExtractedArticle, ExtractionError
from extractors.provenance import agency_name, dateline, find_provenance

DEFAULT_MAX_BYTES = 5_000_000


def _word_set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string, for readable constants."""
    return frozenset(words.split())


# --- shape thresholds -----------------------------------------------------------------
PROSE_MIN_WORDS = 8  # a statement this long ending in "." is a paragraph, not a label
QUESTION_PROSE_MIN_WORDS = 15  # shorter questions/exclamations may be headlines
UNPUNCTUATED_PROSE_MIN_WORDS = 25  # longer than any headline even without punctuation
HEADLINE_MAX_WORDS = 20
TITLE_LOOKBACK_CANDIDATES = 12  # headline-shaped lines examined above the body
TITLE_OVERLAP_CANDIDATES = 5  # ... of which the nearest few may win on shared words
RUN_BREAK_LINES = 2  # this many short unpunctuated lines in a row end a run
MIN_WRAP_WIDTH = 50  # narrower blocks are lists, not hard-wrapped prose
WRAP_WIDTH_SHARE = 0.75  # a line this close to the block width was wrapped by width
FURNITURE_MAX_WORDS = 12  # button/label lines are short
CAPTION_MAX_WORDS = 80
CAPTION_CREDIT_TAIL_CHARS = 160  # credits end a caption, so only its tail is searched
BOILERPLATE_MAX_WORDS = 80
BYLINE_MAX_WORDS = 20
CREDIT_LINE_MAX_WORDS = 40
COMMENTS_HEADER_MAX_WORDS = 15
LANGUAGE_SAMPLE_CHARS = 20_000  # plenty for stop-word statistics
LANGUAGE_MIN_TOKENS = 12
LANGUAGE_MIN_STOPWORD_SHARE = 0.2

# --- text patterns --------------------------------------------------------------------
WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
CONTENT_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
POSSESSIVE_SUFFIX = re.compile(r"['’]s?$")
LETTER = re.compile(r"[^\W\d_]")
DIGIT = re.compile(r"\d")
CLOSERS = "\"'”’»)\\]*"
ENDS_WITH_TERMINAL = re.compile(rf"[.!?…][{CLOSERS}]*$")
ENDS_WITH_QUESTION_OR_EXCLAMATION = re.compile(rf"[!?][{CLOSERS}]*$")
ENDS_WITH_SOFT_PUNCTUATION = re.compile(r"[,;:]$")
ENDS_MID_SENTENCE = re.compile(r"(?:[,;(–—]|\s-)$")
STARTS_LOWERCASE = re.compile(r"^[\"'“‘(]?[a-zà-ÿ]")
INTERNAL_SENTENCE_BOUNDARY = re.compile(rf"[a-z][.!?][{CLOSERS}]*\s+[\"'“‘(]?[A-Z]")
LIST_MARKER = re.compile(r"^(?:[•·▪◦‣*\-–—]|\d{1,3}[.)])\s+")
INVISIBLE_CHARACTERS = re.compile(r"[\u200b\u2060\ufeff\u00ad\x00-\x08\x0b-\x1f\x7f-\x9f]")

FUNCTION_WORDS = _word_set(
    "a an the of to in on at by for from with and or but nor as that than this these those "
    "which who whom whose is was are were be been has have had its their his her our your "
    "not into over after about under between"
)
STOPWORDS = FUNCTION_WORDS | _word_set(
    "he she it they we you i me him them us my mine what when where why how all any some "
    "no yes will would can could should may might must do does did said says say also just "
    "more most new now one two there here then out up down off so if very"
)

# Whole lines that are buttons, labels and widgets rather than content (short lines only).
UI_LINE = re.compile(
    "|".join(
        f"(?:{pattern})"
        for pattern in (
            r"^(?:click|tap|press)\s+(?:here|to|for)\b",
            r"^follow(?:\s+(?:us|me|on|this|the author)\b.*|\s+@\S+.*)?$",
            r"^share(?:\s+(?:this|on|via|to|the|article|story|page)\b.*)?$",
            r"^(?:sign|log)\s*(?:up|in|out)\b",
            r"^subscribe\b",
            r"\bnewsletters?\b",
            r"^(?:story|article) continues\b",
            r"^continue reading\b",
            r"^(?:read|show|load|see|view) (?:more|all|less|full|comments|gallery)\b",
            r"^(?:skip to|jump to|back to top|go to)\b",
            r"^(?:image|photo|picture|video) (?:\d+ of \d+|caption|source|copyright|credit)\b",
            r"^\d+\s*(?:min(?:ute)?s?|hrs?|hours?)\s+(?:read|listen|watch)$",
            r"^(?:advertisement|advert|ad|ads|sponsored(?: content)?|promoted(?: content)?|print|"
            r"email|e-mail|tweet|save|saved|bookmark|reply|like|copy link|link copied|"
            r"gift(?: this)? article|reprints?(?: (?:&|and) permissions)?|"
            r"listen(?: to (?:this )?(?:article|story))?|watch(?: now| live)?|close|menu|search|"
            r"home|top|next|previous|prev|image|photo|video|audio|gallery|enlarge|expand|"
            r"register|login|logout)[:.]?$",
        )
    ),
    re.IGNORECASE,
)
# A row of social-network buttons, e.g. "Facebook Twitter Email".
SOCIAL_BUTTON_WORDS = _word_set(
    "share facebook twitter x email e-mail print whatsapp linkedin reddit pinterest "
    "messenger telegram copy link tweet comments comment save flipboard bluesky threads"
)

# Notices that are never article text (cookie banners are short; long text is exempt).
BOILERPLATE = re.compile(
    "|".join(
        f"(?:{pattern})"
        for pattern in (
            r"\b(?:we|this (?:site|website)|our (?:site|website)) uses? cookies\b",
            r"\b(?:accept|allow|manage) (?:all )?cookies\b",
            r"\bcookie (?:policy|settings|preferences)\b",
            r"\benable javascript\b|\bjavascript (?:is )?(?:disabled|required)\b",
            r"\ball rights reserved\b",
        )
    ),
    re.IGNORECASE,
)
COPYRIGHT_LINE = re.compile(
    r"^(?:©|\(c\)|copyright\b)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?\s*)?,?\s*"
    r"(?P<holder>.*?)[.\s]*(?:all rights reserved\.?)?$",
    re.IGNORECASE,
)
URL_LINE = re.compile(
    r"^(?:https?://\S+|www\.\S+|[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|co\.uk|uk|ie|au|in|news)"
    r"(?:/\S*)?)$",
    re.IGNORECASE,
)
# A label line whose *next* paragraph is a caption ("Image caption" / "Caption").
CAPTION_LABEL = re.compile(r"^(?:(?:image|photo|picture|video|media) )?caption\s*:?$", re.I)
# "The Independent Online", "Mail Online", "MailOnline": a site naming itself.
OUTLET_LINE = re.compile(r"^(?:(?:[A-Z][\w&'’.-]*\s+){1,4}Online|[A-Z][A-Za-z]+Online)$")

# "Reporting by ...", "Editing by ...", "(Additional reporting by ...)", "Contributing: ..."
CREDIT_LINE = re.compile(
    r"^\(?\s*(?:(?:additional\s+)?(?:reporting|editing|writing|compiled|edited|research|"
    r"graphics?|produced|fact[- ]checked|translated|translation)\s+(?:by|from)\b|"
    r"contributing\s*:|.{0,120}\bcontributed (?:to )?(?:this )?(?:report|story|article)\.?\)?$)",
    re.IGNORECASE,
)

INLINE_CAPTION_LABEL = re.compile(r"^(?:image|photo|picture|video|media) caption\b", re.I)
# Photo credits that end a caption: "REUTERS/Stephen Hird", "AFP/Getty Images",
# "(AP Photo/Evan Vucci)", "Photograph: Jane Doe/The Guardian", "... Getty Images".
CAPTION_CREDIT = re.compile(
    "|".join(
        f"(?:{pattern})"
        for pattern in (
            r"\b[A-Z]{2,}(?:[ -][A-Z]{2,})*(?:/[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})+$",
            r"(?i:\(\s*[\w.' -]{0,30}\bphotos?\b[^()]*\)\s*\.?$)",
            r"(?i:\b(?:photo(?:graph)?|picture|pic|image|illustration|photo credit|credit)s?"
            r"\s*:\s*[^.!?]{1,80}$)",
            r"\b(?:Getty Images|PA Wire|PA Media|PA Images|PA Archive|Shutterstock|"
            r"Alamy(?: Stock Photo)?|Rex Features|AP Photo|AFP|EPA(?:-EFE)?)\s*\)?$",
        )
    )
)

NAME_TOKEN = r"[A-Z][\w'’.\-]*"
NAME_PARTICLE = r"(?:de|da|di|du|del|der|den|van|von|le|la|bin|al|el|ibn)"
PERSON_NAME = rf"{NAME_TOKEN}(?:\s+(?:{NAME_PARTICLE}\s+)?{NAME_TOKEN}){{1,3}}"
# "By Jane Smith", "By JANE SMITH and John Doe", "By Jane Smith, Political Editor".
BYLINE = re.compile(
    rf"^(?i:by|written by|words by|story by)\s+(?P<names>{PERSON_NAME}"
    rf"(?:\s+(?:and|&)\s+{PERSON_NAME})*)(?:\s*(?:,|\||-|–|—|•|/)\s*[^.!?]*)?$"
)

COMMENTS_HEADER_PREFIX = re.compile(
    r"^(?:(?:\d+|no|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?:thoughts?|comments?|responses?|replies|reply|reactions?)\b|"
    r"leave a (?:reply|comment)\b|post a comment\b|add (?:a |your )?comments?\b|"
    r"write a comment\b|have your say\b|join the (?:conversation|discussion|debate)\b|"
    r"comments are (?:closed|open)\b|(?:show|view|read|see) (?:all )?(?:\d+ )?comments\b)",
    re.IGNORECASE,
)
COMMENTS_HEADER_EXACT = re.compile(
    r"^(?:comments?|reader(?:s'|s’)? comments|your comments|discussion|responses|"
    r"what do you think)\s*(?:[(\[]?\d+[)\]]?)?\s*[:.!?]?$",
    re.IGNORECASE,
)
SECTION_HEADER = re.compile(
    r"^(?:related(?:\s+(?:articles?|stories|links|content|coverage|posts|news|topics|"
    r"reading|items))?|more\s+(?:from|on|in|about)\b.{0,40}|"
    r"more\s+(?:stories|news|articles|like this|to explore)|"
    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|"
    r"recommended(?:\s+(?:for you|stories|articles|reading))?|"
    r"most\s+(?:read|popular|viewed|shared|commented)(?:\s+\w+)?|"
    r"trending(?:\s+(?:now|stories|topics))?|see also|also (?:read|see)|read next|up next|"
    r"further reading|top stories|latest (?:news|stories|headlines)|editor'?s? picks?|"
    r"popular (?:now|stories|articles)|in other news|(?:elsewhere on|around|from) the web|"
    r"(?:sponsored|promoted) (?:stories|links))\s*:?$",
    re.IGNORECASE,
)

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = _word_set(
    "monday mon tuesday tue tues wednesday wed thursday thu thurs friday fri saturday sat "
    "sunday sun"
)
DATE_LINE_WORDS = (
    frozenset(MONTHS)
    | WEEKDAYS
    | _word_set(
        "published updated last first posted modified on at am pm a.m p.m gmt bst utc est "
        "edt et cet cest pst pdt ist aest ago hour hours minute minutes min mins hr hrs day "
        "days week weeks today yesterday st nd rd th"
    )
)
MONTH_NAME = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE_FORMATS: tuple[tuple[re.Pattern[str], tuple[str, str, str]], ...] = (
    (re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"), ("y", "m", "d")),
    (
        re.compile(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{MONTH_NAME})\.?,?\s+(?P<y>\d{{4}})\b",
            re.IGNORECASE,
        ),
        ("y", "m", "d"),
    ),
    (
        re.compile(
            rf"\b(?P<m>{MONTH_NAME})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
            re.IGNORECASE,
        ),
        ("y", "m", "d"),
    ),
)

# jusText stop-word list names -> ISO 639-1 codes. Limited to widely used languages so a
# short English text is not claimed by a small language with an overlapping list.
JUSTEXT_LANGUAGES = {
    "English": "en", "French": "fr", "German": "de", "Spanish": "es", "Italian": "it",
    "Portuguese": "pt", "Dutch": "nl", "Swedish": "sv", "Danish": "da",
    "Norwegian_Bokmal": "no", "Finnish": "fi", "Polish": "pl", "Czech": "cs",
    "Hungarian": "hu", "Romanian": "ro", "Turkish": "tr", "Russian": "ru",
    "Ukrainian": "uk", "Greek": "el", "Indonesian": "id", "Catalan": "ca", "Welsh": "cy",
    "Irish": "ga", "Arabic": "ar", "Persian": "fa", "Hebrew": "he", "Hindi": "hi",
    "Vietnamese": "vi",
}  # fmt: skip


class Kind(Enum):
    """What a paragraph looks like, judged from its shape alone."""

    PROSE = "prose"
    SENTENCE = "sentence"  # short but punctuated: a quote, a one-line paragraph
    LINE = "line"  # short, unpunctuated: headline, menu entry, tag, crosshead
    LIST_ITEM = "list_item"
    FURNITURE = "furniture"
    COMMENTS_HEADER = "comments_header"
    SECTION_HEADER = "section_header"


@dataclass(frozen=True)
class Paragraph:
    """One whitespace-normalised paragraph of the page and what it looks like."""

    text: str
    kind: Kind
    words: int


@dataclass(frozen=True)
class Run:
    """Indices (inclusive) of a stretch of prose in the paragraph list."""

    start: int
    end: int
    words: int


def extract_plaintext(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ExtractedArticle:
    """Extract title, body and self-stated metadata from a pasted page.

    Raises ``ExtractionError`` with reason ``too_large``, ``empty_input``,
    ``binary_content``, ``no_body`` or ``no_title``.
    """
    if len(raw) > max_bytes:
        raise ExtractionError("too_large", f"{len(raw)} bytes, limit {max_bytes}")
    paragraphs = _mark_labelled_captions(
        [_classify(text) for text in split_paragraphs(decode_text(raw))]
    )

    body = _find_body_run(paragraphs)
    body_text_words = _content_words(p.text for p in paragraphs[body.start : body.end + 1])
    title_index = _find_title_index(paragraphs, body.start, body_text_words)
    title = paragraphs[title_index].text

    header_zone = paragraphs[title_index + 1 : body.start]
    body_paragraphs = paragraphs[body.start : body.end + 1]
    texts = [
        p.text
        for p in body_paragraphs
        if p.kind not in (Kind.FURNITURE, Kind.COMMENTS_HEADER, Kind.SECTION_HEADER)
        and p.text != title
    ]
    if not texts:
        raise ExtractionError("no_body", "nothing left of the body")

    metadata_zone = [*header_zone, *body_paragraphs]
    text = "\n\n".join(texts)
    author = _find_author(metadata_zone)
    provenance = find_provenance([p.text for p in metadata_zone], author)
    outlet, outlet_source = _outlet(texts, metadata_zone, paragraphs[title_index + 1 :])
    published = _find_published_date(metadata_zone)
    return ExtractedArticle(
        title=title,
        text=text,
        method="plaintext",
        author=author,
        published_at=published,
        outlet=outlet,
        dateline=provenance.dateline_place,
        language=detect_language(text),
        dates=tuple(dates.claim(dates.TEXT, published)),
        outlet_source=outlet_source,
        wire_credit=provenance.wire_credit,
        byline=provenance.byline,
    )


def _outlet(
    texts: list[str], metadata_zone: list[Paragraph], below_title: list[Paragraph]
) -> tuple[str | None, str | None]:
    """The outlet the text names: a wire dateline's credit, an "X Online" line, a copyright
    holder; with its source (``text``)."""
    found = dateline(texts[0]) if texts else None
    credit = found[2] if found is not None else None
    outlet = (
        (agency_name(credit) if credit else None)
        or _find_outlet_line(metadata_zone)
        or _find_copyright_holder(below_title)
    )
    return (outlet, outlets.TEXT) if outlet else (None, None)


# --- paragraphs -----------------------------------------------------------------------


def split_paragraphs(text: str) -> list[str]:
    """Split text into whitespace-normalised paragraphs (see the module docstring)."""
    paragraphs: list[str] = []
    for block in _blocks_of_lines(text):
        paragraphs.extend(_join_wrapped_lines(block))
    return paragraphs


def _normalise_line(line: str) -> str:
    # str.split() splits on all Unicode whitespace, NBSP included, and drops the ends.
    return " ".join(INVISIBLE_CHARACTERS.sub(" ", line).split())


def _blocks_of_lines(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for raw_line in text.split("\n"):
        line = _normalise_line(raw_line)
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _join_wrapped_lines(lines: Sequence[str]) -> list[str]:
    width = max(len(line) for line in lines)
    paragraphs: list[list[str]] = [[lines[0]]]
    previous_was_joined = False
    for previous_line, line in itertools.pairwise(lines):
        previous_was_joined = _continues_previous_line(
            previous_line, line, width, previous_was_joined
        )
        if previous_was_joined:
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return [" ".join(paragraph) for paragraph in paragraphs]


def _continues_previous_line(
    previous: str, line: str, block_width: int, previous_was_joined: bool
) -> bool:
    if ENDS_WITH_TERMINAL.search(previous) or LIST_MARKER.match(line):
        return False
    if STARTS_LOWERCASE.match(line) or ENDS_MID_SENTENCE.search(previous):
        return True
    last_word = previous.rsplit(" ", 1)[-1].lower()
    if last_word in FUNCTION_WORDS:
        return True
    # Hard-wrapped prose: the previous line filled the block's width and is itself prose.
    is_wide = block_width >= MIN_WRAP_WIDTH and len(previous) >= WRAP_WIDTH_SHARE * block_width
    looks_like_prose = previous_was_joined or bool(INTERNAL_SENTENCE_BOUNDARY.search(previous))
    return is_wide and looks_like_prose


def _count_words(text: str) -> int:
    return len(WORD.findall(text))


def _classify(text: str) -> Paragraph:
    words = _count_words(text)
    return Paragraph(text=text, kind=_kind_of(text, words), words=words)


def _kind_of(text: str, words: int) -> Kind:
    if not LETTER.search(text):
        return Kind.FURNITURE
    if _is_comments_header(text, words):
        return Kind.COMMENTS_HEADER
    if words <= FURNITURE_MAX_WORDS and SECTION_HEADER.match(text):
        return Kind.SECTION_HEADER
    if _is_furniture(text, words):
        return Kind.FURNITURE
    marker = LIST_MARKER.match(text)
    if marker:
        item = text[marker.end() :]
        item_kind = _kind_by_shape(item, _count_words(item))
        return Kind.PROSE if item_kind is Kind.PROSE else Kind.LIST_ITEM
    return _kind_by_shape(text, words)


def _kind_by_shape(text: str, words: int) -> Kind:
    if ENDS_WITH_QUESTION_OR_EXCLAMATION.search(text):
        return Kind.PROSE if words >= QUESTION_PROSE_MIN_WORDS else Kind.SENTENCE
    if ENDS_WITH_TERMINAL.search(text):
        return Kind.PROSE if words >= PROSE_MIN_WORDS else Kind.SENTENCE
    if words >= UNPUNCTUATED_PROSE_MIN_WORDS:
        return Kind.PROSE
    if ENDS_WITH_SOFT_PUNCTUATION.search(text) and words >= 3:
        return Kind.SENTENCE
    return Kind.LINE


def _is_comments_header(text: str, words: int) -> bool:
    if words > COMMENTS_HEADER_MAX_WORDS:
        return False
    return bool(COMMENTS_HEADER_PREFIX.match(text) or COMMENTS_HEADER_EXACT.match(text))


def _is_furniture(text: str, words: int) -> bool:
    return (
        _is_ui_line(text, words)
        or bool(words <= BOILERPLATE_MAX_WORDS and BOILERPLATE.search(text))
        or bool(words <= FURNITURE_MAX_WORDS and COPYRIGHT_LINE.match(text))
        or bool(URL_LINE.match(text))
        or bool(OUTLET_LINE.match(text))
        or bool(words <= CREDIT_LINE_MAX_WORDS and CREDIT_LINE.match(text))
        or bool(words <= BYLINE_MAX_WORDS and BYLINE.match(text))
        or _is_caption(text, words)
        or _is_date_line(text, words)
    )


def _is_ui_line(text: str, words: int) -> bool:
    if words > FURNITURE_MAX_WORDS:
        return False
    if UI_LINE.search(text):
        return True
    tokens = re.findall(r"[\w-]+", text.lower())
    return bool(tokens) and all(token in SOCIAL_BUTTON_WORDS for token in tokens)


def _is_caption(text: str, words: int) -> bool:
    if words > CAPTION_MAX_WORDS:
        return False
    tail = text[-CAPTION_CREDIT_TAIL_CHARS:]
    return bool(INLINE_CAPTION_LABEL.match(text) or CAPTION_CREDIT.search(tail))


def _is_date_line(text: str, words: int) -> bool:
    if words > FURNITURE_MAX_WORDS:
        return False
    if not DIGIT.search(text):
        return False
    tokens = re.findall(r"[^\W_]+", text.lower())
    return all(token.isdigit() or token in DATE_LINE_WORDS for token in tokens) and (
        any(token in MONTHS or token in WEEKDAYS or token == "ago" for token in tokens)
        or bool(re.search(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}", text))
    )


def _mark_labelled_captions(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Turn the paragraph after an "Image caption" label into furniture."""
    marked = list(paragraphs)
    for index in range(1, len(marked)):
        if CAPTION_LABEL.match(marked[index - 1].text):
            marked[index] = replace(marked[index], kind=Kind.FURNITURE)
    return marked


# --- body -----------------------------------------------------------------------------


def _find_body_run(paragraphs: Sequence[Paragraph]) -> Run:
    comments_start = _comments_start(paragraphs)
    candidates = [
        run
        for run in _prose_runs(paragraphs[:comments_start])
        if any(p.kind is Kind.PROSE for p in paragraphs[run.start : run.end + 1])
    ]
    if not candidates:
        raise ExtractionError("no_body", "no paragraph of prose found")
    # max() keeps the first of equally long runs.
    return max(candidates, key=lambda run: run.words)


def _comments_start(paragraphs: Sequence[Paragraph]) -> int:
    """Index of the first comments header that follows some prose, else len()."""
    seen_prose = False
    for index, paragraph in enumerate(paragraphs):
        if paragraph.kind is Kind.PROSE:
            seen_prose = True
        elif paragraph.kind is Kind.COMMENTS_HEADER and seen_prose:
            return index
    return len(paragraphs)


def _opens_run(paragraph: Paragraph) -> bool:
    # A short question or exclamation may be the headline, so it cannot start the body.
    return paragraph.kind is Kind.PROSE or (
        paragraph.kind is Kind.SENTENCE
        and not ENDS_WITH_QUESTION_OR_EXCLAMATION.search(paragraph.text)
    )


def _prose_runs(paragraphs: Sequence[Paragraph]) -> list[Run]:
    runs: list[Run] = []
    start: int | None = None
    last_content = 0
    pending_lines = 0

    def close() -> None:
        nonlocal start
        if start is not None:
            words = sum(
                p.words
                for p in paragraphs[start : last_content + 1]
                if p.kind in (Kind.PROSE, Kind.SENTENCE, Kind.LIST_ITEM)
            )
            runs.append(Run(start, last_content, words))
        start = None

    for index, paragraph in enumerate(paragraphs):
        kind = paragraph.kind
        if kind is Kind.FURNITURE:
            continue
        if kind in (Kind.COMMENTS_HEADER, Kind.SECTION_HEADER):
            close()
        elif kind is Kind.LINE:
            pending_lines += 1
            if pending_lines >= RUN_BREAK_LINES:
                close()
            continue
        elif start is not None:
            last_content = index
        elif _opens_run(paragraph):
            start = last_content = index
        pending_lines = 0
    close()
    return runs


# --- title ----------------------------------------------------------------------------


def _is_headline_candidate(paragraph: Paragraph) -> bool:
    if not 1 <= paragraph.words <= HEADLINE_MAX_WORDS:
        return False
    return paragraph.kind is Kind.LINE or (
        paragraph.kind is Kind.SENTENCE
        and bool(ENDS_WITH_QUESTION_OR_EXCLAMATION.search(paragraph.text))
    )


def _find_title_index(
    paragraphs: Sequence[Paragraph], body_start: int, body_words: frozenset[str]
) -> int:
    candidates: list[int] = []  # nearest to the body first
    for index in range(body_start - 1, -1, -1):
        paragraph = paragraphs[index]
        if paragraph.kind is Kind.PROSE or len(candidates) >= TITLE_LOOKBACK_CANDIDATES:
            break
        if _is_headline_candidate(paragraph):
            candidates.append(index)
    if not candidates:
        raise ExtractionError("no_title", "no headline-shaped line above the body")

    def shared_words(index: int) -> tuple[int, int]:
        words = _content_words([paragraphs[index].text])
        return len(words & body_words), len(words)

    nearby = candidates[:TITLE_OVERLAP_CANDIDATES]
    for index in nearby:  # clearly about the same story
        shared, total = shared_words(index)
        if shared >= 2 or (shared >= 1 and total <= 2):
            return index
    for index in nearby:  # at least touches it
        if shared_words(index)[0] >= 1:
            return index
    multi_word = [index for index in candidates if paragraphs[index].words >= 2]
    return (multi_word or candidates)[0]


def _content_words(texts: Iterable[str]) -> frozenset[str]:
    """Lower-cased, crudely singularised words that carry meaning (no stop words)."""
    tokens = {token for text in texts for token in CONTENT_TOKEN.findall(text.lower())}
    words: set[str] = set()
    for token in tokens:
        token = POSSESSIVE_SUFFIX.sub("", token)
        if len(token) > 3 and token.endswith("s"):
            token = token[:-1]
        if len(token) >= 3 and token not in STOPWORDS:
            words.add(token)
    return frozenset(words)


# --- metadata -------------------------------------------------------------------------


def _find_author(paragraphs: Iterable[Paragraph]) -> str | None:
    for paragraph in paragraphs:
        match = BYLINE.match(paragraph.text) if paragraph.kind is Kind.FURNITURE else None
        if match:
            names = match.group("names")
            return names.title() if names.isupper() else names
    return None


def _find_outlet_line(paragraphs: Iterable[Paragraph]) -> str | None:
    return next((p.text for p in paragraphs if OUTLET_LINE.match(p.text)), None)


def _find_copyright_holder(paragraphs: Iterable[Paragraph]) -> str | None:
    for paragraph in paragraphs:
        if paragraph.kind is not Kind.FURNITURE:
            continue
        match = COPYRIGHT_LINE.match(paragraph.text)
        holder = match.group("holder").strip(" .,") if match else ""
        if holder and len(holder.split()) <= 6 and holder[0].isupper():
            return holder
    return None


def _find_published_date(paragraphs: Iterable[Paragraph]) -> date | None:
    for paragraph in paragraphs:
        if paragraph.kind is Kind.FURNITURE and (
            _is_date_line(paragraph.text, paragraph.words) or BYLINE.match(paragraph.text)
        ):
            parsed = parse_date(paragraph.text)
            if parsed:
                return parsed
    return None


def parse_date(text: str) -> date | None:
    """First calendar date written as 2009-03-12, 12 March 2009 or March 12, 2009."""
    for pattern, _ in DATE_FORMATS:
        for match in pattern.finditer(text):
            month_text = match.group("m").lower()
            month = MONTHS.get(month_text) if not month_text.isdigit() else int(month_text)
            try:
                return date(int(match.group("y")), month or 0, int(match.group("d")))
            except ValueError:
                continue
    return None


@functools.cache
def _stopword_lists() -> dict[str, frozenset[str]]:
    try:
        import justext  # shipped as a trafilatura dependency; optional here
    except ImportError:  # pragma: no cover - depends on the environment
        return {}
    lists: dict[str, frozenset[str]] = {}
    for name, code in JUSTEXT_LANGUAGES.items():
        try:
            lists[code] = frozenset(justext.get_stoplist(name))
        except (ValueError, OSError):  # pragma: no cover - a list missing from the wheel
            continue
    return lists


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the language whose stop words cover most of ``text``, or None."""
    tokens = re.findall(r"[^\W\d_]+", text[:LANGUAGE_SAMPLE_CHARS].lower())
    lists = _stopword_lists()
    if len(tokens) < LANGUAGE_MIN_TOKENS or not lists:
        return None
    shares = {
        code: sum(token in stopwords for token in tokens) / len(tokens)
        for code, stopwords in lists.items()
    }
    best = max(shares, key=lambda code: shares[code])
    return best if shares[best] >= LANGUAGE_MIN_STOPWORD_SHARE else None
