-- Pre-existing data of one fixture database of the seeding scenarios: run with the new, empty database as the
-- current one (molecule/resources/tasks/seed_data.yml). Content varies with the database's name, so no two fixture
-- databases are alike. All InnoDB (consistent_dump refuses non-transactional tables). The manifest is written
-- last: its presence marks a complete fixture, and it records the rows each static table must hold everywhere.
SET NAMES utf8mb4;
SET @db = CONVERT(DATABASE() USING utf8mb4);
SET @salt = CRC32(@db);

CREATE TABLE customers (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(255) NULL,
  country CHAR(2) NOT NULL,
  since DATE NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO customers (id, name, email, country, since)
SELECT seq, CONCAT('Cust ', seq, ' O''Brien «', @db, '» Zoë'),
       IF(seq % 7 = 0, NULL, CONCAT('c', seq, '@example.test')),
       ELT(1 + seq % 4, 'DE', 'FR', 'PL', 'JP'),
       DATE('2020-01-01') + INTERVAL (seq * 11 + @salt % 97) DAY
FROM seq_1_to_50;

-- Varied column types; a foreign key; strings with quotes, backslashes, tabs, newlines and 4-byte UTF-8.
CREATE TABLE items (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  label VARCHAR(255) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  ratio DOUBLE NULL,
  qty SMALLINT NOT NULL,
  status ENUM('new','paid','shipped','void') NOT NULL,
  flags BIT(8) NOT NULL,
  created DATETIME(6) NOT NULL,
  touched TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  payload BLOB NULL,
  notes TEXT NULL,
  KEY items_customer (customer_id),
  CONSTRAINT items_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Filled by the trigger below: an audit row per inserted item.
CREATE TABLE item_log (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  item_id INT UNSIGNED NOT NULL,
  action VARCHAR(16) NOT NULL,
  amount DECIMAL(12,2) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW
  INSERT INTO item_log (item_id, action, amount) VALUES (NEW.id, 'insert', NEW.amount);

INSERT INTO items (customer_id, label, amount, ratio, qty, status, flags, created, payload, notes)
SELECT 1 + seq % 50,
       CONCAT('item ', seq, ' "quoted" it''s a \\ back\tslash ',
              ELT(1 + seq % 5, 'żółć', '日本語', 'emoji 🙂', 'naïve café', 'plain'), ' ', @db),
       ROUND(((seq * 37 + @salt) % 100000) / 100, 2),
       IF(seq % 11 = 0, NULL, seq / 64),
       CAST(seq % 300 AS SIGNED) - 100,
       ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'void'),
       seq % 256,
       TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (seq * 7919) SECOND + INTERVAL (seq * 13) MICROSECOND,
       IF(seq % 13 = 0, NULL, UNHEX(CONCAT(SHA2(CONCAT(@db, seq), 256), '00FF00'))),
       IF(seq % 3 = 0, NULL, REPEAT(CONCAT('line ', seq, '\n'), 1 + seq % 5))
FROM seq_1_to_1000;

-- No primary key and no unique key: every row is there twice, so only the row count tells a copy applied twice.
CREATE TABLE events_nopk (
  source VARCHAR(64) NOT NULL,
  n INT NOT NULL,
  note VARCHAR(100) NULL,
  happened DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO events_nopk (source, n, note, happened)
SELECT @db, seq % 300, CONCAT('dup ', seq % 300, ' ''x'''), TIMESTAMP'2024-06-01 00:00:00' + INTERVAL (seq % 300) HOUR
FROM seq_1_to_600;

-- The background writer's table (used in the host's test_seed_writer_table database; empty elsewhere),
-- with an audit trigger that fires on every live write.
CREATE TABLE orders_live (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  writer VARCHAR(64) NOT NULL,
  n BIGINT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  created DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE live_audit (
  order_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  amount DECIMAL(12,2) NOT NULL
) ENGINE=InnoDB;

CREATE TRIGGER orders_live_audit AFTER INSERT ON orders_live FOR EACH ROW
  INSERT INTO live_audit (order_id, amount) VALUES (NEW.id, NEW.amount);

CREATE VIEW customer_totals AS
  SELECT c.id AS customer_id, c.name, COUNT(i.id) AS items, IFNULL(SUM(i.amount), 0) AS total
  FROM customers c LEFT JOIN items i ON i.customer_id = c.id GROUP BY c.id, c.name;

CREATE FUNCTION customer_total(wanted INT UNSIGNED) RETURNS DECIMAL(14,2) READS SQL DATA
  RETURN (SELECT IFNULL(SUM(amount), 0) FROM items WHERE customer_id = wanted);

CREATE PROCEDURE count_items(IN min_amount DECIMAL(12,2), OUT found INT) READS SQL DATA
  SELECT COUNT(*) INTO found FROM items WHERE amount >= min_amount;

CREATE TABLE fixture_manifest (
  table_name VARCHAR(64) NOT NULL PRIMARY KEY,
  expected_rows INT UNSIGNED NOT NULL
) ENGINE=InnoDB;

INSERT INTO fixture_manifest (table_name, expected_rows)
SELECT 'customers', COUNT(*) FROM customers
UNION ALL SELECT 'items', COUNT(*) FROM items
UNION ALL SELECT 'item_log', COUNT(*) FROM item_log
UNION ALL SELECT 'events_nopk', COUNT(*) FROM events_nopk;
