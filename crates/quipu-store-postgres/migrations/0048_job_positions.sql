-- Where a courier on a job is: the last fix per job (replaced as newer ones come), and a thinned
-- trail of the way taken, deleted by housekeeping some time after the job. Positions are not
-- money: nothing here is in the ledger or waits for its durability barrier.
CREATE TABLE job_positions (
    job_id UUID PRIMARY KEY NOT NULL REFERENCES delivery_jobs(id),
    at BIGINT NOT NULL,
    latitude_micro BIGINT NOT NULL CHECK (latitude_micro BETWEEN -90000000 AND 90000000),
    longitude_micro BIGINT NOT NULL CHECK (longitude_micro BETWEEN -180000000 AND 180000000)
);

CREATE TABLE job_trails (
    job_id UUID NOT NULL REFERENCES delivery_jobs(id),
    at BIGINT NOT NULL,
    latitude_micro BIGINT NOT NULL CHECK (latitude_micro BETWEEN -90000000 AND 90000000),
    longitude_micro BIGINT NOT NULL CHECK (longitude_micro BETWEEN -180000000 AND 180000000),
    PRIMARY KEY (job_id, at)
);
