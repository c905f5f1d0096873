-- Tamper evidence for the audit log: each row carries a SHA-256 over its own content and the
-- previous row's hash, so changing, removing or inserting a row anywhere breaks every link after
-- it. (An attacker who can also rewrite every later hash is not stopped by this alone; anchoring
-- the head hash outside the database would be the next step.)
alter table audit_log add column prev_hash bytea, add column hash bytea;

-- The chain's end, one row. Every append locks it FOR UPDATE until its transaction ends, so
-- concurrent writers take turns: each links to the last committed row and the chain cannot fork
-- (under REPEATABLE READ the second writer fails with a serialization error instead).
create table audit_chain_head (
  only_row boolean primary key default true check (only_row),
  last_id bigint,
  last_hash bytea
);
insert into audit_chain_head default values;

-- What a row's hash covers. The time is taken as whole microseconds since the epoch and the
-- fields go through jsonb's text form, so the hash does not depend on session settings
-- (TimeZone, DateStyle) and the verifier recomputes exactly what the trigger computed.
create function oryn_audit_hash(
  prev bytea, id bigint, at timestamptz, actor_id uuid, request_id text, action text,
  entity text, entity_id uuid, before jsonb, after jsonb
) returns bytea language sql stable set search_path = pg_catalog as $$
  select sha256(coalesce(prev, ''::bytea) || convert_to(jsonb_build_array(
    id::text, (extract(epoch from at) * 1000000)::bigint::text, actor_id, request_id, action,
    entity, entity_id, before, after
  )::text, 'UTF8'))
$$;

create or replace function oryn_audit_row() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  head public.audit_chain_head;
  row_id bigint;
  row_at timestamptz := clock_timestamp();
  row_actor uuid := nullif(current_setting('oryn.actor_id', true), '')::uuid;
  row_request text := nullif(current_setting('oryn.request_id', true), '');
  row_action text := case tg_op when 'INSERT' then 'created' when 'UPDATE' then 'updated' else 'deleted' end;
  row_entity_id uuid := case tg_op when 'DELETE' then old.id else new.id end;
  row_before jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  row_after jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
  row_hash bytea;
begin
  -- Serialises appends (see audit_chain_head). The id is drawn under the lock, so ids follow the
  -- chain's order.
  select * into strict head from public.audit_chain_head for update;
  row_id := nextval(pg_get_serial_sequence('public.audit_log', 'id'));
  row_hash := public.oryn_audit_hash(head.last_hash, row_id, row_at, row_actor, row_request,
    row_action, tg_argv[0], row_entity_id, row_before, row_after);
  insert into public.audit_log
    (id, at, actor_id, request_id, action, entity, entity_id, before, after, prev_hash, hash)
  overriding system value values (row_id, row_at, row_actor, row_request, row_action, tg_argv[0], row_entity_id,
    row_before, row_after, head.last_hash, row_hash);
  update public.audit_chain_head set last_id = row_id, last_hash = row_hash;
  return null;
end $$;

-- Rows written before this migration join the chain in id order. The append-only trigger is
-- switched off for this one transaction by the table's owner (the migrating admin).
alter table audit_log disable trigger audit_log_no_update_or_delete;
do $$
declare
  entry record;
  previous bytea;
  last bigint;
begin
  for entry in select * from public.audit_log order by id loop
    update public.audit_log set prev_hash = previous, hash = public.oryn_audit_hash(previous,
      entry.id, entry.at, entry.actor_id, entry.request_id, entry.action, entry.entity,
      entry.entity_id, entry.before, entry.after)
    where id = entry.id returning hash into previous;
    last := entry.id;
  end loop;
  update public.audit_chain_head set last_id = last, last_hash = previous;
end $$;
alter table audit_log enable trigger audit_log_no_update_or_delete;

-- Listing newest first, filtered by actor or time.
create index audit_log_at on audit_log (at);
create index audit_log_actor on audit_log (actor_id, id);

revoke all on audit_chain_head from public;
revoke all on function oryn_audit_hash(bytea, bigint, timestamptz, uuid, text, text, text, uuid, jsonb, jsonb) from public;
-- Reading is enough to verify the chain; only the trigger (SECURITY DEFINER) appends to it.
grant select on audit_chain_head to oryn_tenant;
grant execute on function oryn_audit_hash(bytea, bigint, timestamptz, uuid, text, text, text, uuid, jsonb, jsonb) to oryn_tenant;
