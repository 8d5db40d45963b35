"""Ballot pages: staff's batches under /surveys/ (`batches`), the respondents' ballot
under /b/ (`public`)."""

from surveys.ballots.views import batches, public

urlpatterns = batches.urlpatterns
public_urlpatterns = public.urlpatterns
