-- Workspace checks that a task's assignee is a member of the tenant (issue 4): it reads
-- memberships, and nothing else is added to what it may do.
grant select on memberships to oryn_workspace;
