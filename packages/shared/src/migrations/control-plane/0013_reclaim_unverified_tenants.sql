-- The provisioner's sweep reclaims tenants whose owner never verified their address (issue 21):
-- it reads whether an owner is verified, and nothing else of the users.
grant select (id, email_verified_at) on users to oryn_provisioner;
