# Report snapshots and benchmarks arrive with issue 4. Every model added here must extend
# accounts.models.TenantModel and get an EnableRLS migration; tests/test_tenancy_model_walk.py
# fails otherwise.
