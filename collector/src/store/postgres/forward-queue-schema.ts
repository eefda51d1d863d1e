/**
 * The forward queue's tables on PostgreSQL (schema 4 and 5), apart from the queries (forward-queue.ts)
 * so that the migrations can name them without importing the queries' own dependencies.
 */
export const FORWARD_QUEUE_SCHEMA = `CREATE TABLE forward_queue (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  encoding text NOT NULL CHECK (encoding IN ('protobuf', 'json')),
  body bytea NOT NULL,
  keep_json text,
  queued_at bigint NOT NULL,
  facto_ids jsonb NOT NULL
);`;

/**
 * The queue's size, kept in one row by statement triggers on forward_queue (schema 5), so that every
 * process reads it in O(1) and exactly: inside the sequencer's section, where no other process adds,
 * before it admits a request (on a shared database a count kept beside the store learns of another
 * process's deliveries late, and called the queue full when it was nearly empty). Triggers rather than
 * updates in each statement: a row an operator deletes by hand is counted out too. A transaction that
 * removes or rewrites queued rows locks this row first (lockSize), so two such transactions take
 * their locks in one order and cannot deadlock.
 */
/**
 * Notified, on commit, by every transaction that adds to the queue (the insert trigger below): the
 * forwarder LISTENs on it while elected, so it delivers what another process queued at once instead
 * of at its next poll (a second later, by which time a busy queue was full).
 */
export const FORWARD_QUEUE_CHANNEL = 'facto_forward_queue';

export const FORWARD_QUEUE_SIZE_SCHEMA = `CREATE TABLE forward_queue_size (
  singleton smallint PRIMARY KEY CHECK (singleton = 0),
  requests bigint NOT NULL,
  bytes bigint NOT NULL
);
INSERT INTO forward_queue_size (singleton, requests, bytes)
  SELECT 0, count(*), coalesce(sum(octet_length(body)), 0) FROM forward_queue;
CREATE FUNCTION facto_forward_queue_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE forward_queue_size SET requests = requests + counted.added_requests, bytes = bytes + counted.added_bytes
    FROM (SELECT count(*) AS added_requests, coalesce(sum(octet_length(body)), 0) AS added_bytes FROM added) AS counted WHERE singleton = 0;
  PERFORM pg_notify('${FORWARD_QUEUE_CHANNEL}', '');
  RETURN NULL;
END $$;
CREATE FUNCTION facto_forward_queue_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE forward_queue_size SET requests = requests - counted.removed_requests, bytes = bytes - counted.removed_bytes
    FROM (SELECT count(*) AS removed_requests, coalesce(sum(octet_length(body)), 0) AS removed_bytes FROM removed) AS counted WHERE singleton = 0;
  RETURN NULL;
END $$;
CREATE FUNCTION facto_forward_queue_rewritten() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE forward_queue_size SET bytes = bytes + (SELECT coalesce(sum(octet_length(body)), 0) FROM added) - (SELECT coalesce(sum(octet_length(body)), 0) FROM removed)
    WHERE singleton = 0;
  RETURN NULL;
END $$;
CREATE FUNCTION facto_forward_queue_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE forward_queue_size SET requests = 0, bytes = 0 WHERE singleton = 0;
  RETURN NULL;
END $$;
CREATE TRIGGER forward_queue_added AFTER INSERT ON forward_queue REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION facto_forward_queue_added();
CREATE TRIGGER forward_queue_removed AFTER DELETE ON forward_queue REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION facto_forward_queue_removed();
CREATE TRIGGER forward_queue_rewritten AFTER UPDATE ON forward_queue REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION facto_forward_queue_rewritten();
CREATE TRIGGER forward_queue_emptied AFTER TRUNCATE ON forward_queue
  FOR EACH STATEMENT EXECUTE FUNCTION facto_forward_queue_emptied();`;
