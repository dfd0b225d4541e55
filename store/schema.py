"""The workspace schema as an ordered list of migrations; version N is the state after migration N."""
from __future__ import annotations

from datetime import datetime, timezone

# Each migration is a list of statements run in one transaction. Never edit a released step: add one.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE schema_version (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE securities (
            ticker VARCHAR PRIMARY KEY,
            name VARCHAR,
            kind VARCHAR NOT NULL DEFAULT 'equity',
            simulated BOOLEAN NOT NULL DEFAULT false,
            added_at TIMESTAMP)""",
        """CREATE TABLE bars (
            ticker VARCHAR NOT NULL,
            date DATE NOT NULL,
            open DOUBLE NOT NULL,
            high DOUBLE NOT NULL,
            low DOUBLE NOT NULL,
            close DOUBLE NOT NULL,
            adj_close DOUBLE NOT NULL,
            volume DOUBLE NOT NULL,
            source VARCHAR NOT NULL,
            ingested_at TIMESTAMP NOT NULL,
            PRIMARY KEY (ticker, date))""",
        """CREATE TABLE splits (
            ticker VARCHAR NOT NULL, date DATE NOT NULL, ratio DOUBLE NOT NULL,
            PRIMARY KEY (ticker, date))""",
        """CREATE TABLE dividends (
            ticker VARCHAR NOT NULL, date DATE NOT NULL, amount DOUBLE NOT NULL,
            PRIMARY KEY (ticker, date))""",
        """CREATE TABLE shares_outstanding (
            ticker VARCHAR NOT NULL, date DATE NOT NULL, shares DOUBLE NOT NULL, source VARCHAR,
            PRIMARY KEY (ticker, date))""",
        """CREATE TABLE clients (
            client_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, ticker VARCHAR, benchmark VARCHAR)""",
        """CREATE TABLE engagements (
            engagement_id INTEGER PRIMARY KEY,
            client_id VARCHAR NOT NULL,
            consultant VARCHAR,
            signed_date DATE,
            start_date DATE,
            end_date DATE,
            retainer_amount DOUBLE,
            retainer_frequency VARCHAR DEFAULT 'monthly',
            minimum_months INTEGER,
            retainer_price_rule VARCHAR DEFAULT 'close_on_payment',
            retainer_price_days INTEGER,
            notes VARCHAR)""",
        """CREATE TABLE option_grants (
            grant_id INTEGER PRIMARY KEY, engagement_id INTEGER NOT NULL, holder VARCHAR,
            shares DOUBLE NOT NULL, strike DOUBLE NOT NULL, grant_date DATE, expiry_date DATE)""",
        """CREATE TABLE financings (
            financing_id INTEGER PRIMARY KEY, engagement_id INTEGER NOT NULL, date DATE NOT NULL,
            amount DOUBLE NOT NULL, fee_rate DOUBLE, description VARCHAR)""",
        """CREATE TABLE activities (
            activity_id INTEGER PRIMARY KEY,
            client_id VARCHAR NOT NULL,
            date DATE NOT NULL,
            end_date DATE,
            type VARCHAR NOT NULL,
            title VARCHAR,
            channel VARCHAR,
            reach BIGINT,
            cost DOUBLE,
            after_close BOOLEAN NOT NULL DEFAULT false,
            notes VARCHAR,
            created_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE ingest_log (
            run_id INTEGER PRIMARY KEY, job VARCHAR NOT NULL, ticker VARCHAR, status VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL, ended_at TIMESTAMP,
            added BIGINT DEFAULT 0, updated BIGINT DEFAULT 0, rejected BIGINT DEFAULT 0, error VARCHAR)""",
    ],
    # v2: penny-stock flags on bars (back-filled), activity links and edit times, workspace metadata.
    2: [
        "ALTER TABLE bars ADD COLUMN zero_volume BOOLEAN DEFAULT false",
        "ALTER TABLE bars ADD COLUMN stale_close BOOLEAN DEFAULT false",
        """UPDATE bars SET zero_volume = f.zero_volume, stale_close = f.stale_close
           FROM (SELECT ticker, date, volume = 0 AS zero_volume,
                        coalesce(volume = 0 AND close <> lag(close) OVER (PARTITION BY ticker ORDER BY date), false)
                            AS stale_close
                 FROM bars) AS f
           WHERE bars.ticker = f.ticker AND bars.date = f.date""",
        "ALTER TABLE activities ADD COLUMN link VARCHAR",
        "ALTER TABLE activities ADD COLUMN updated_at TIMESTAMP",
        "CREATE TABLE workspace (key VARCHAR PRIMARY KEY, value VARCHAR)",
    ],
    # v3: who may see what (users, their roles and clients, the audit log), the consultant's firm
    # on each client, and non-IR corporate events (earnings, news) that confound an activity.
    3: [
        "ALTER TABLE clients ADD COLUMN firm VARCHAR",
        """CREATE TABLE users (
            email VARCHAR PRIMARY KEY,
            name VARCHAR,
            role VARCHAR NOT NULL,
            firm VARCHAR,
            disabled BOOLEAN NOT NULL DEFAULT false,
            created_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE user_clients (
            email VARCHAR NOT NULL, client_id VARCHAR NOT NULL,
            PRIMARY KEY (email, client_id))""",
        """CREATE TABLE audit_log (
            logged_at TIMESTAMP NOT NULL, email VARCHAR, action VARCHAR NOT NULL,
            client_id VARCHAR, detail VARCHAR)""",
        """CREATE TABLE corporate_events (
            ticker VARCHAR NOT NULL, date DATE NOT NULL, kind VARCHAR NOT NULL,
            title VARCHAR, source VARCHAR NOT NULL, ingested_at TIMESTAMP,
            PRIMARY KEY (ticker, date, kind))""",
    ],
    # v4: promotion integrity (payments to the consultant beyond the terms, the consultant's and insiders'
    # trades, the sale rules of each engagement, whether an activity carried its 17(b) disclosure,
    # objectives set before the campaign) and the services themselves (shareholder inquiries,
    # mailings and their responses, market-maker and analyst counts, each client's peer group).
    4: [
        """CREATE TABLE compensation (
            payment_id INTEGER PRIMARY KEY,
            engagement_id INTEGER NOT NULL,
            client_id VARCHAR NOT NULL,
            date DATE NOT NULL,
            payer VARCHAR NOT NULL,
            recipient VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            amount DOUBLE,
            shares DOUBLE,
            notes VARCHAR,
            created_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE trades (
            trade_id INTEGER PRIMARY KEY,
            client_id VARCHAR NOT NULL,
            holder VARCHAR NOT NULL,
            role VARCHAR NOT NULL DEFAULT 'consultant',
            date DATE NOT NULL,
            shares DOUBLE NOT NULL,
            price DOUBLE,
            notes VARCHAR,
            created_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE sale_rules (
            engagement_id INTEGER PRIMARY KEY,
            reporting_issuer BOOLEAN NOT NULL DEFAULT true,
            registered_shares BOOLEAN NOT NULL DEFAULT false,
            holding_months INTEGER,
            affiliate BOOLEAN NOT NULL DEFAULT false,
            otc BOOLEAN NOT NULL DEFAULT true,
            promotion_tail_days INTEGER NOT NULL DEFAULT 15,
            sale_flag_days INTEGER NOT NULL DEFAULT 5,
            blackout_before_days INTEGER NOT NULL DEFAULT 5,
            blackout_after_days INTEGER NOT NULL DEFAULT 2)""",
        "ALTER TABLE activities ADD COLUMN disclosed BOOLEAN",
        """CREATE TABLE objectives (
            objective_id INTEGER PRIMARY KEY,
            client_id VARCHAR NOT NULL,
            measure VARCHAR NOT NULL,
            target DOUBLE NOT NULL,
            direction VARCHAR NOT NULL DEFAULT 'at_least',
            set_date DATE NOT NULL,
            due_date DATE,
            notes VARCHAR,
            created_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE inquiries (
            inquiry_id INTEGER PRIMARY KEY,
            client_id VARCHAR NOT NULL,
            received_at TIMESTAMP NOT NULL,
            channel VARCHAR,
            topic VARCHAR,
            answered_at TIMESTAMP,
            answered_by VARCHAR,
            created_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE mailings (
            mailing_id INTEGER PRIMARY KEY,
            client_id VARCHAR NOT NULL,
            activity_id INTEGER,
            date DATE NOT NULL,
            kind VARCHAR NOT NULL,
            list_name VARCHAR,
            recipients BIGINT NOT NULL,
            calls BIGINT NOT NULL DEFAULT 0,
            meetings BIGINT NOT NULL DEFAULT 0,
            inquiries BIGINT NOT NULL DEFAULT 0,
            cost DOUBLE,
            created_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE coverage_counts (
            client_id VARCHAR NOT NULL,
            date DATE NOT NULL,
            market_makers INTEGER,
            analysts INTEGER,
            source VARCHAR,
            PRIMARY KEY (client_id, date))""",
        """CREATE TABLE peers (
            client_id VARCHAR NOT NULL,
            ticker VARCHAR NOT NULL,
            added_at TIMESTAMP NOT NULL,
            PRIMARY KEY (client_id, ticker))""",
    ],
}
CURRENT_VERSION = max(MIGRATIONS)


def utc_now() -> datetime:
    """Naive UTC timestamp (what every TIMESTAMP column holds)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def current_version(con) -> int:
    """Schema version of the database open on `con` (0 when it has no schema yet)."""
    has = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        " AND table_catalog = current_database()"
    ).fetchall()[0][0]
    if not has:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con, target: int | None = None) -> int:
    """Apply the missing migrations up to `target` (default: the latest) on an open transaction."""
    target = CURRENT_VERSION if target is None else target
    version = current_version(con)
    if version > CURRENT_VERSION:
        raise RuntimeError(
            f"The workspace has schema version {version}, newer than this code ({CURRENT_VERSION}): "
            "update the project (git pull) before opening it."
        )
    for step in range(version + 1, target + 1):
        for sql in MIGRATIONS[step]:
            con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, ?)", [step, utc_now()])
    return max(version, target)
