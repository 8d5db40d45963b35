from surveys.ballots import views as ballots
from surveys.tallies import views as results

urlpatterns = [
    *ballots.urlpatterns,
    *results.urlpatterns,
]
