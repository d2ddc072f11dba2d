"""Finding the member a slip is for: anyone active in the author's chapter, or, for slips that
cross chapters, an active member of another chapter found by business or classification.

Searches of other chapters are limited, explicit queries that return only the four fields a
member of another chapter may see: name, business, classification and chapter."""

from chapters.models import Chapter
from chapters.search import matching_every_word
from members.models import Member

RESULT_LIMIT = 15
MIN_OTHER_CHAPTER_QUERY = 2
SHOWN_FIELDS = (
    "pk", "user__first_name", "user__last_name", "business_name", "classification__name",
    "chapter__name",
)


def search_own_chapter(*, chapter: Chapter, exclude: Member, query: str) -> list[dict]:
    """Active members of the chapter whose name, business or classification match every word."""
    members = Member.objects.active().filter(chapter=chapter).exclude(pk=exclude.pk)
    members = matching_every_word(members, query, Member.NAMED_BY)
    return list(
        members.order_by("user__first_name", "user__last_name").values(*SHOWN_FIELDS)[
            :RESULT_LIMIT
        ]
    )


def search_other_chapters(*, chapter: Chapter, query: str) -> list[dict]:
    """Active members of other chapters whose business or classification match every word."""
    if len(query.strip()) < MIN_OTHER_CHAPTER_QUERY:
        return []
    members = Member.objects.active().exclude(chapter=chapter)
    members = matching_every_word(members, query, ("business_name", "classification__name"))
    return list(
        members.order_by("classification__name", "business_name").values(*SHOWN_FIELDS)[
            :RESULT_LIMIT
        ]
    )
