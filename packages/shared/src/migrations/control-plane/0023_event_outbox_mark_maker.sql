-- Which workspace process made each mark: an id it draws at start. Each replica's sweep relays
-- only the marks it made, plus those whose maker has stopped sweeping them (older than three
-- sweep periods: a live maker drops its mark after two once the outbox is empty) and those with
-- no maker. Sweeping every mark from every replica opened a connection to each written tenant's
-- database from every replica each period, tenants the gateway sends to one replica only.
-- Null for marks made before, and by a workspace of the previous release during the deploy:
-- those are anyone's to sweep.
-- Every write marks its tenant: rather fail the migration (and run it again) than queue every
-- write behind this statement's exclusive lock while something else holds the table.
set local lock_timeout = '5s';
alter table event_outbox_marks
  add column marked_by text check (char_length(marked_by) <= 200);
