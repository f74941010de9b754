# The instrument, campaigns and responses arrive with issue 3. Every model added here must extend
# accounts.models.TenantModel and get an EnableRLS migration; tests/test_tenancy_model_walk.py
# fails otherwise.
