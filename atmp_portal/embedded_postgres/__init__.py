# The embedded server's two roles: migrations run as the owner, the portal as the runtime role (README,
# "Least privilege in the database"). Plain names here so that settings can read them without importing a backend.
OWNER_ROLE = "atmp_owner"
RUNTIME_ROLE = "atmp_runtime"
