"""Language detection and per-language story terms (pure functions; texts written here)."""

from __future__ import annotations

import pytest

from extractors.models import ExtractedArticle
from flows.fingerprints_ahead import with_language
from tests.helpers import story_vector
from textanalysis.fingerprints import cosine, statistics_language, term_id
from textanalysis.language import (
    UNDETERMINED,
    article_language,
    is_mixed,
    primary_subtag,
)
from textanalysis.stems import stem

ENGLISH = (
    "The city council approved the new budget for public transport on Tuesday evening. "
    "Councillors said the money would pay for three new tram lines and longer opening "
    "hours at the central station. The opposition argued that ticket prices were still "
    "too high for families and students, and promised to bring the matter back next year."
)
GERMAN = (
    "Der Stadtrat hat am Dienstagabend den neuen Haushalt für den Nahverkehr beschlossen. "
    "Mit dem Geld sollen drei neue Straßenbahnlinien gebaut und die Öffnungszeiten am "
    "Hauptbahnhof verlängert werden. Die Opposition kritisierte, die Fahrpreise seien für "
    "Familien und Studierende weiterhin zu hoch, und kündigte einen neuen Antrag an."
)
TURKISH = (
    "Belediye meclisi salı akşamı toplu taşıma için yeni bütçeyi onayladı. Meclis üyeleri, "
    "paranın üç yeni tramvay hattı ve merkez istasyonda daha uzun çalışma saatleri için "
    "kullanılacağını söyledi. Muhalefet ise bilet fiyatlarının aileler ve öğrenciler için "
    "hâlâ çok yüksek olduğunu savundu ve konuyu gelecek yıl yeniden gündeme getireceğini açıkladı."
)
ARABIC = (
    "وافق مجلس المدينة مساء الثلاثاء على الميزانية الجديدة للنقل العام. وقال أعضاء المجلس "
    "إن الأموال ستخصص لثلاثة خطوط ترام جديدة ولتمديد ساعات العمل في المحطة المركزية. "
    "وقالت المعارضة إن أسعار التذاكر لا تزال مرتفعة جدا بالنسبة للعائلات والطلاب، "
    "ووعدت بإعادة طرح المسألة في العام المقبل أمام المجلس."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(ENGLISH, "en"), (GERMAN, "de"), (TURKISH, "tr"), (ARABIC, "ar")],
)
def test_language_is_detected_from_the_text(text: str, expected: str) -> None:
    assert article_language("A headline", text) == expected


def test_a_confident_detection_wins_over_a_wrong_declaration() -> None:
    # Site templates often declare their default language on every page.
    assert article_language(None, GERMAN, declared="en-GB") == "de"


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Budget approved", ""),  # empty body
        ("Budget approved", "   \n\n  "),
        ("Budget approved", "The council approved the budget on Tuesday."),  # one sentence
        (None, "1234 5678 — 2025-01-01 12:00 +++ 42 %"),  # no letters to detect
    ],
)
def test_too_little_text_is_undetermined(title: str | None, body: str) -> None:
    assert article_language(title, body, declared="en") == UNDETERMINED


def test_a_mixed_language_page_is_undetermined() -> None:
    body = "\n\n".join([ENGLISH, GERMAN, ENGLISH.replace("Tuesday", "Monday"), GERMAN])
    assert is_mixed(body)
    assert article_language("Budget / Haushalt", body) == UNDETERMINED
    # One language throughout is not mixed, however long.
    assert not is_mixed("\n\n".join([GERMAN] * 4))
    assert article_language("Haushalt", "\n\n".join([GERMAN] * 4)) == "de"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [("de-AT", "de"), ("EN_gb", "en"), ("tr", "tr"), ("", None), (None, None), ("1x", None)],
)
def test_primary_subtag(declared: str | None, expected: str | None) -> None:
    assert primary_subtag(declared) == expected


def test_statistics_language_falls_back_to_english_for_und() -> None:
    assert statistics_language("und") == "en"
    assert statistics_language(None) == "en"
    assert statistics_language("de-CH") == "de"


def test_with_language_stores_the_detected_language_on_the_article() -> None:
    found = with_language(ExtractedArticle("Haushalt", GERMAN, "test", language="en"))
    assert found.language == "de"
    assert with_language(ExtractedArticle("Kurz", "", "test", language="de")).language == "und"


def test_turkish_forms_of_one_name_share_a_stem() -> None:
    assert stem("istanbul'da", "tr") == stem("istanbul", "tr") == "istanb"
    assert stem("ankaranın", "tr") == stem("ankarada", "tr")
    assert stem("warszawie", "pl") == stem("warszawa", "pl")


def test_arabic_attached_article_and_prepositions_are_stripped() -> None:
    assert stem("بالقاهرة", "ar") == stem("القاهرة", "ar") == stem("والقاهرة", "ar")
    assert stem("بمصر", "ar") == stem("مصر", "ar") == "مصر"
    # Short words keep their letters (a stem of at least three letters).
    assert stem("بلد", "ar") == "بلد"


def test_english_and_german_words_are_cut_to_seven_letters() -> None:
    assert stem("elections", "en") == stem("election", "en") == "electio"
    assert stem("regierungen", "de") == stem("regierung", "de")
    assert stem("wahlen", "de") == "wahlen"
    assert stem("wahlen", "nl") == "wahlen"  # languages not measured are not stemmed


def test_story_terms_follow_the_article_language() -> None:
    """Two Turkish reports naming the same things in different cases share their stems;
    under English statistics (no stemming) the forms stay apart."""
    first = "Kadıköy yangınında itfaiyeciler sabaha kadar çalıştı. Yangında evler yandı."
    second = "Kadıköy yangını söndürüldü. İtfaiyenin ekipleri yangına müdahale etti."

    def similarity(language: str) -> float:
        return cosine(story_vector(first, language), story_vector(second, language))

    shared = set(story_vector(first, "tr")) & set(story_vector(second, "tr"))
    assert term_id(stem("yangın", "tr")) in shared
    assert similarity("tr") > similarity("en") + 0.1
