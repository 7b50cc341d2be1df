-- Money is shown in the workspace's currency (Settings → Workspace), not a hard-coded dollar.
-- Amounts stay in hundredths (`deal_value_cents`); the code is ISO 4217 (`src/model/money.rs`).
ALTER TABLE workspaces ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
