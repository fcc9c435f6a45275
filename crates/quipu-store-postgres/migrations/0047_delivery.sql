-- Delivery. A courier is a user with the courier role: how they get about, where they work, the
-- one shop they may work for alone, whether they are online, and their last position (what
-- dispatch measures offers from; `position_at` says how fresh it is).
CREATE TABLE couriers (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users(id),
    vehicle TEXT NOT NULL,
    home_area_id UUID REFERENCES market_areas(id),
    only_for UUID REFERENCES merchants(id),
    state TEXT NOT NULL,
    latitude_micro BIGINT,
    longitude_micro BIGINT,
    position_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX couriers_online ON couriers(state, only_for);

-- One job per delivery order, written in the transaction that accepts the order. `offered_at` is
-- when it was last offered (the offer circle widens from it), `alerted_at` when the shop was told
-- nobody claimed it. A claim is a compare-and-set on (status, courier_id, version): one wins.
CREATE TABLE delivery_jobs (
    id UUID PRIMARY KEY NOT NULL,
    order_id UUID NOT NULL UNIQUE REFERENCES orders(id),
    seller_id UUID NOT NULL REFERENCES sellers(merchant_id),
    status TEXT NOT NULL,
    courier_id UUID REFERENCES couriers(user_id),
    fee BIGINT NOT NULL CHECK (fee >= 0),
    currency TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    offered_at BIGINT NOT NULL,
    alerted_at BIGINT,
    reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX delivery_jobs_open ON delivery_jobs(status, offered_at);
CREATE INDEX delivery_jobs_courier ON delivery_jobs(courier_id, updated_at);
CREATE INDEX delivery_jobs_seller ON delivery_jobs(seller_id, updated_at);

-- Who moved a job, when, from which step to which, with which courier, where they stood (if their
-- phone said), and why.
CREATE TABLE delivery_steps (
    job_id UUID NOT NULL REFERENCES delivery_jobs(id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    by_id UUID,
    from_status TEXT,
    to_status TEXT NOT NULL,
    courier_id UUID,
    latitude_micro BIGINT,
    longitude_micro BIGINT,
    note TEXT,
    PRIMARY KEY (job_id, seq)
);
