-- PostgreSQL 15 already refuses CREATE on schema public to PUBLIC; older servers do not, and a
-- tenant role must not be able to add objects to its database.
revoke create on schema public from public;
