from scoring.grid import views as grid
from scoring.results import views as results
from scoring.selfeval import views as selfeval

urlpatterns = [
    *selfeval.urlpatterns,
    *grid.urlpatterns,
    *results.urlpatterns,
]
