from scoring.views import grid, results, selfeval

urlpatterns = [
    *selfeval.urlpatterns,
    *grid.urlpatterns,
    *results.urlpatterns,
]
