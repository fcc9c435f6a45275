-- Delivery. A courier is a user with the courier role: how they get about, where they work, the
-- one shop they may work for alone, whether they are online, and their last position (what
-- dispatch measures offers from; `position_at` says how fresh it is).
CREATE TABLE couriers (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users(id),
    vehicle TEXT NOT NULL,
    home_area_id BLOB REFERENCES market_areas(id),
    only_for BLOB REFERENCES merchants(id),
    state TEXT NOT NULL,
    latitude_micro INTEGER,
    longitude_micro INTEGER,
    position_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX couriers_online ON couriers(state, only_for);

-- One job per delivery order, written in the transaction that accepts the order. `offered_at` is
-- when it was last offered (the offer circle widens from it), `alerted_at` when the shop was told
-- nobody claimed it. A claim is a compare-and-set on (status, courier_id, version): one wins.
CREATE TABLE delivery_jobs (
    id BLOB PRIMARY KEY NOT NULL,
    order_id BLOB NOT NULL UNIQUE REFERENCES orders(id),
    seller_id BLOB NOT NULL REFERENCES sellers(merchant_id),
    status TEXT NOT NULL,
    courier_id BLOB REFERENCES couriers(user_id),
    fee INTEGER NOT NULL CHECK (fee >= 0),
    currency TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    offered_at INTEGER NOT NULL,
    alerted_at INTEGER,
    reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX delivery_jobs_open ON delivery_jobs(status, offered_at);
CREATE INDEX delivery_jobs_courier ON delivery_jobs(courier_id, updated_at);
CREATE INDEX delivery_jobs_seller ON delivery_jobs(seller_id, updated_at);

-- Who moved a job, when, from which step to which, with which courier, where they stood (if their
-- phone said), and why.
CREATE TABLE delivery_steps (
    job_id BLOB NOT NULL REFERENCES delivery_jobs(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    by_id BLOB,
    from_status TEXT,
    to_status TEXT NOT NULL,
    courier_id BLOB,
    latitude_micro INTEGER,
    longitude_micro INTEGER,
    note TEXT,
    PRIMARY KEY (job_id, seq)
) STRICT;
