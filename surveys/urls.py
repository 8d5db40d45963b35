from surveys.views import ballots, results

urlpatterns = [
    *ballots.urlpatterns,
    *results.urlpatterns,
]
