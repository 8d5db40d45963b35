"""Lists that do not grow with the county (SPEC §6): every list page shows one page of its
rows, the reader picks the page size among a few, and the filters ride along in the
query string — the one way to paginate (the pager is `{% pager page_obj %}` from the `ui`
template tags; a filter form keeps the other parameters with `{% hidden_params %}`).

The page number is `page`, the page size `per_page`; an unknown size falls back to the
first of the choices, a page past the end shows the last page (Django's `get_page`).
"""

from django.core.paginator import Paginator
from django.db.models import Count, Window

from core.views import int_or_none

PAGE_SIZES = (50, 100, 200)
PAGE_PARAM = "page"
SIZE_PARAM = "per_page"


class SizedPaginator(Paginator):
    """A paginator that knows the page sizes the reader may choose among."""

    def __init__(self, object_list, per_page, sizes=PAGE_SIZES, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.sizes = tuple(sizes)


def page_size(request, sizes=PAGE_SIZES):
    size = int_or_none(request.GET.get(SIZE_PARAM))
    return size if size in sizes else sizes[0]


def paginate(request, rows, sizes=PAGE_SIZES, count=None):
    """The page of `rows` (an ordered queryset or a list) the request asks for; `count`:
    how many rows there are, when the page has counted them already (one query less)."""
    paginator = SizedPaginator(rows, page_size(request, sizes), sizes)
    if count is not None:
        paginator.count = count  # a cached_property: the given number stands in for COUNT(*)
    return paginator.get_page(request.GET.get(PAGE_PARAM))


class PaginatedListMixin:
    """For a ListView: `paginate` instead of ListView's own (which answers 404 for a page
    past the end, and has one fixed size)."""

    page_sizes = PAGE_SIZES

    def get_paginate_by(self, queryset):
        return page_size(self.request, self.page_sizes)

    def paginate_queryset(self, queryset, page_size):
        page = paginate(self.request, queryset, self.page_sizes)
        return page.paginator, page, page.object_list, page.has_other_pages()


def head(rows, n):
    """The first `n` of an ordered queryset and how many there are in all, in one query
    (each row carries the total): for a panel that lists a few and counts the rest."""
    found = list(rows.annotate(total_rows=Window(Count("pk")))[:n])
    return found, (found[0].total_rows if found else 0)
