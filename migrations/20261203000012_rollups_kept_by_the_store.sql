-- The dashboard rollups are kept by the store's writes from now on (`src/server/store/rollups.rs`:
-- one place that says what each figure counts, applied as the delta of a row before and after
-- a change, in the same transaction), so PostgreSQL can keep them the same way. The guards
-- that refuse rewriting what the rollups count by stay.
DROP TRIGGER messages_rollup_insert;
DROP TRIGGER messages_rollup_update;
DROP TRIGGER messages_response_update;
DROP TRIGGER lead_channels_touch_insert;
DROP TRIGGER lead_channels_touch_update;
DROP TRIGGER leads_rollup_insert;
DROP TRIGGER leads_rollup_update;
DROP TRIGGER leads_touch_update;
