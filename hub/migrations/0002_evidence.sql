-- Bank biometric evidence in the hub's custody until the bank acknowledges it (docs/hub.md, "Fan-out"):
-- the kiosk deletes its copy when the hub answers 2xx, the hub deletes this row when every fan-out row of
-- the record is sent.  Never logged, never shown in the console.
CREATE TABLE record_evidence (
    record_id       bigint PRIMARY KEY REFERENCES records ON DELETE CASCADE,
    live_jpeg       bytea NOT NULL,
    chip_image      bytea NOT NULL,
    chip_image_type text NOT NULL
);
