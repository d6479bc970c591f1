"""Tests for the plain-text extractor and the byte decoder behind it.

The seed pages are real pasted pages; the fixtures under ``fixtures/plaintext`` are small
invented pages of other shapes, so the heuristics are checked on text they were not
written against.
"""

from __future__ import annotations

import codecs
import gzip
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.encoding import decode_text
from extractors.models import ExtractedArticle, ExtractionError
from extractors.plaintext import detect_language, extract_plaintext, split_paragraphs

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plaintext"

KNOWN_REASONS = {"too_large", "empty_input", "binary_content", "no_title", "no_body"}


def seed(prefix: str) -> ExtractedArticle:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return extract_plaintext(path.read_bytes())


def fixture(name: str) -> ExtractedArticle:
    return extract_plaintext((FIXTURES / name).read_bytes())


def paragraphs(article: ExtractedArticle) -> list[str]:
    return article.text.split("\n\n")


def reason_of(raw: bytes, **kwargs: int) -> str:
    with pytest.raises(ExtractionError) as caught:
        extract_plaintext(raw, **kwargs)
    return caught.value.reason


# --- the five seed pages ---------------------------------------------------------------

SEED_EXPECTATIONS = [
    pytest.param(
        "000",
        "Failed: Baby P report slams councils",
        "COUNCILS across the country will be slammed this week for COVERING UP",
        "“We may have got some of this wrong.”",
        19,
        [
            "Derek Simpson backs moderate to lead Unite",
            "Ed Miliband edges ahead of bruv",
            "Child benefit for older kids faces axe",
            "Keeping one eye on the rest of the web",
            "Westminster blog spy",
        ],
        id="000-headline-list-and-footer",
    ),
    pytest.param(
        "001",
        "Social Services Failing To Implement Climbie Refoms, Baby P Report To Show",
        "Children are being put at risk because social workers are overloaded",
        "more time filling in forms than looking after children.”",
        12,
        [],
        id="001-plain",
    ),
    pytest.param(
        "002",
        "Lord Laming warns over social services' failings",
        "The man who carried out a review into social services after the death of Baby P",
        'not on glossy brochures and not on brave words," he said.',
        15,
        ["Click to follow", "The Independent Online"],
        id="002-tag-lines",
    ),
    pytest.param(
        "003",
        'Government accepts 58-point "Baby P" report',
        "LONDON (Reuters) - Overstretched children’s social workers will be given extra",
        "to address all Laming’s recommendations by the end of April.",
        16,
        ["REUTERS/Stephen Hird", "Bournemouth", "Editing by", "Addison"],
        id="003-wire-caption-credits",
    ),
    pytest.param(
        "004",
        "What will Lord Laming have found?",
        "The Laming findings on how his recommendations following the Victoria Climbie",
        "the whole debacle and failure that let Baby P be killed is properly and "
        "extensively addressed.",
        11,
        ["thoughts on", "I don’t think Haringey is unique", "pencils with erasers", "Mommy"],
        id="004-reader-comments",
    ),
]


@pytest.mark.parametrize(
    ("prefix", "title", "first_start", "last_end", "count", "furniture"), SEED_EXPECTATIONS
)
def test_seed_pages(
    prefix: str, title: str, first_start: str, last_end: str, count: int, furniture: list[str]
) -> None:
    article = seed(prefix)
    body = paragraphs(article)

    assert article.method == "plaintext"
    assert article.title == title
    assert body[0].startswith(first_start)
    assert body[-1].endswith(last_end)
    assert len(body) == count
    for line in [*furniture, title]:
        assert line not in article.text
    assert "\xa0" not in article.text and "  " not in article.text


def test_seed_000_keeps_the_introduced_op_ed() -> None:
    body = paragraphs(seed("000"))
    intro = (
        "DR Ray Jones, professor of social work at Kingston University and former director "
        "of social services, writes . ."
    )
    assert intro in body
    assert body[body.index(intro) + 1].startswith("THIS has been a very quick inquiry.")


def test_seed_002_outlet_line_becomes_the_outlet() -> None:
    assert seed("002").outlet == "The Independent Online"


def test_seed_003_wire_dateline_is_kept_in_the_text_and_read_as_provenance() -> None:
    article = seed("003")
    assert (article.dateline, article.wire_credit, article.outlet) == (
        "LONDON",
        "Reuters",
        "Reuters",
    )
    assert article.text.startswith("LONDON (Reuters) - Overstretched children’s social workers")
    assert not any("REUTERS/" in p or p.startswith("Editing by") for p in paragraphs(article))
    assert "“No barrier, no bureaucracy, no buck-passing" in article.text


def test_seed_004_title_has_plain_space_and_comments_are_gone() -> None:
    article = seed("004")
    assert "\xa0" not in (article.title or "")
    assert "social workers could still have saved the life" not in article.text
    assert "Sharon Shoesmith’s arrogance" not in article.text


def test_seeds_without_statements_have_no_invented_metadata() -> None:
    for prefix in ("000", "001", "004"):
        article = seed(prefix)
        assert (article.author, article.outlet, article.dateline) == (None, None, None)
        assert (article.wire_credit, article.byline) == (None, None)


# --- pages of other shapes -------------------------------------------------------------


def test_byline_date_and_share_furniture() -> None:
    article = fixture("byline_share.txt")
    assert article.title == "Council tax to rise by five per cent in April"
    assert article.author == "Jane Smith"
    assert article.published_at == date(2024, 3, 12)
    assert paragraphs(article) == [
        "Households across the county will pay five per cent more council tax from April "
        "after councillors approved the budget on Tuesday night.",
        "The increase, the maximum allowed without a local referendum, will add about £90 a "
        "year to a typical Band D bill.",
        'Council leader Tom Brown said the rise was needed to protect adult social care. "We '
        'have had no choice," he said.',
        "Opposition councillors voted against the budget and said the council had wasted "
        "money on consultants.",
    ]


def test_related_articles_list_after_the_body_is_dropped() -> None:
    article = fixture("related_articles.txt")
    assert article.title == "Flood defences finished two years late"
    body = paragraphs(article)
    assert len(body) == 4
    assert body[-1].endswith('we got it four winters later," said one shop owner.')
    for line in ("Related articles", "River levels rise", "More from News", "Man charged"):
        assert line not in article.text


def test_ap_dateline_photo_credit_and_contributor_line() -> None:
    article = fixture("ap_dateline.txt")
    assert article.title == "Senate passes stopgap spending bill, averting shutdown"
    assert (article.dateline, article.wire_credit) == ("WASHINGTON", "Associated Press")
    assert article.outlet == "Associated Press"  # the credit, named as one agency
    body = paragraphs(article)
    assert body[0].startswith("WASHINGTON (AP) — The Senate passed a stopgap spending bill")
    assert body[-1] == '"The American people can breathe a sigh of relief," Schumer said.'
    assert "AP Photo" not in article.text
    assert "contributed to this report" not in article.text


def test_text_without_a_headline_raises_no_title() -> None:
    assert reason_of((FIXTURES / "no_headline.txt").read_bytes()) == "no_title"


def test_single_paragraph_article_with_headline_on_first_line() -> None:
    article = fixture("single_paragraph.txt")
    assert article.title == "Library reopens after roof repairs"
    assert article.text.startswith("The town library reopened on Monday")
    assert "\n" not in article.text


def test_hard_wrapped_lines_are_joined_into_paragraphs() -> None:
    article = fixture("hard_wrapped.txt")
    assert article.title == "Bus fares frozen for another year"
    body = paragraphs(article)
    assert body[0] == (
        "Bus fares across the region will be frozen for a further twelve months, the "
        "transport authority announced on Wednesday, in a move it said would help passengers "
        "struggling with the cost of living. The freeze covers single and return tickets as "
        "well as weekly passes."
    )
    assert body[-1].endswith("next Autumn, because councils cannot afford to subsidise them.")


def test_counted_comments_header_ends_the_body_but_crossheads_stay() -> None:
    article = fixture("comments_counted.txt")
    assert article.title == "Why the village shop matters more than ever"
    body = paragraphs(article)
    assert body[2] == "The numbers behind the shop"
    assert body[-1].startswith("Last year the shop made a small profit")
    for line in ("12 Comments", "Mary Jones", "Reply", "Tom Green", "supermarket"):
        assert line not in article.text


def test_captions_credits_and_bullets() -> None:
    article = fixture("captions_and_bullets.txt")
    assert article.title == "Hospital waiting lists fall for third month"
    assert article.outlet == "Example Health News"
    assert paragraphs(article)[2:5] == [
        "• More operations at weekends",
        "• Extra money for diagnostic centres",
        "• New targets for cancer care",
    ]
    for line in ("Image caption", "since the winter peak", "Photograph:", "Getty", "Editing"):
        assert line not in article.text
    assert paragraphs(article)[-1].startswith("Doctors' leaders said the fall was too small")


def test_question_headline_below_menu_and_leave_a_reply() -> None:
    article = fixture("question_headline_comments.txt")
    assert article.title == "Should schools ban mobile phones?"
    assert len(paragraphs(article)) == 2
    for line in ("Menu", "Follow us", "What do you think", "Leave a Reply", "menace"):
        assert line not in article.text


def test_headline_without_any_prose_raises_no_body() -> None:
    assert reason_of(b"Just a headline\nAnd another short line\n") == "no_body"


def test_language_is_detected_from_stop_words() -> None:
    pytest.importorskip("justext")
    assert seed("002").language == "en"
    french = (
        "Le gouvernement a annoncé jeudi une réforme de la protection de l'enfance après la "
        "mort d'un enfant. Les services sociaux sont accusés de ne pas avoir appliqué les "
        "recommandations du rapport publié par le ministère."
    )
    assert detect_language(french) == "fr"
    assert detect_language("Too short") is None


def test_paragraph_splitting_keeps_headline_lists_apart() -> None:
    text = "Alpha beta gamma delta epsilon zeta\nEta theta iota kappa lambda mu\n\nOne more"
    assert split_paragraphs(text) == [
        "Alpha beta gamma delta epsilon zeta",
        "Eta theta iota kappa lambda mu",
        "One more",
    ]


# --- size and encodings ----------------------------------------------------------------

ARTICLE = (
    "Mayor “sorry” for café closure\n\n"
    "The mayor said on Friday that he was “truly sorry” about the closure of the café "
    "in the town hall, which had served visitors for thirty years.\n"
)


def test_twenty_megabytes_is_too_large() -> None:
    assert reason_of(b"a" * 20_000_000) == "too_large"


def test_max_bytes_is_respected() -> None:
    raw = ARTICLE.encode("utf-8")
    assert reason_of(raw, max_bytes=len(raw) - 1) == "too_large"
    assert extract_plaintext(raw, max_bytes=len(raw)).title == "Mayor “sorry” for café closure"


@pytest.mark.parametrize("raw", [b"", b"   \n\t\r\n ", "\xa0\u200b\n \n".encode()])
def test_empty_input(raw: bytes) -> None:
    assert reason_of(raw) == "empty_input"
    with pytest.raises(ExtractionError, match="empty_input"):
        decode_text(raw)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", id="png"),
        pytest.param(gzip.compress(ARTICLE.encode() * 10), id="gzip"),
        pytest.param(bytes(range(1, 32)) * 20, id="control-characters"),
        pytest.param(b"Plain text\x00 with a NUL byte in it", id="nul"),
    ],
)
def test_binary_content(raw: bytes) -> None:
    assert reason_of(raw) == "binary_content"


def test_cp1252_curly_quotes_decode_correctly() -> None:
    raw = ARTICLE.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert decode_text(raw) == ARTICLE
    article = extract_plaintext(raw)
    assert article.title == "Mayor “sorry” for café closure"
    assert "“truly sorry”" in article.text


def test_latin1_bytes_decode() -> None:
    assert decode_text(b"Se\xf1or M\xfcller, caf\xe9") == "Señor Müller, café"
    # 0x8d is undefined in cp1252: that byte falls back to latin-1, the rest stays cp1252.
    assert decode_text(b"\x93Quoted\x94 and caf\xe9 \x8d") == "“Quoted” and café \x8d"


def test_utf8_is_preferred_over_cp1252() -> None:
    assert decode_text("naïve “quotes”".encode()) == "naïve “quotes”"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(ARTICLE.encode("utf-16"), id="utf-16-native-bom"),
        pytest.param(codecs.BOM_UTF16_BE + ARTICLE.encode("utf-16-be"), id="utf-16-be"),
        pytest.param(codecs.BOM_UTF32_LE + ARTICLE.encode("utf-32-le"), id="utf-32-le"),
        pytest.param(codecs.BOM_UTF8 + ARTICLE.encode(), id="utf-8-bom"),
    ],
)
def test_byte_order_marks(raw: bytes) -> None:
    assert decode_text(raw) == ARTICLE
    assert extract_plaintext(raw).title == "Mayor “sorry” for café closure"


def test_newlines_and_nfc_are_normalised() -> None:
    assert decode_text(b"one\r\ntwo\rthree\n") == "one\ntwo\nthree\n"
    assert decode_text("Cafe\u0301".encode()) == "Café"


# --- property ----------------------------------------------------------------------------

PAGE_PIECES = st.sampled_from(
    [
        "Breaking news",
        "Click to follow",
        "By Jane Smith",
        "LONDON (Reuters) - ",
        "The minister said the plan would be published next week after a long review.",
        "Why does this matter?",
        "Related articles",
        "3 comments",
        "REUTERS/Jane Doe",
        "\xa0",
        "",
        "• item",
    ]
)
TEXT_PAGES = st.lists(st.one_of(PAGE_PIECES, st.text(max_size=120)), max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2_000),
        TEXT_PAGES.map(lambda text: text.encode("utf-8")),
        TEXT_PAGES.map(lambda text: text.encode("utf-16")),
    )
)
def test_any_input_gives_an_article_or_an_extraction_error(raw: bytes) -> None:
    try:
        article = extract_plaintext(raw)
    except ExtractionError as error:
        assert error.reason in KNOWN_REASONS
    else:
        assert isinstance(article, ExtractedArticle)
        assert article.title and article.title.strip()
        assert article.text.strip()
        assert article.method == "plaintext"
