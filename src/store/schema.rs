//! Versioned migrations. A run on an older store applies the missing ones, each in a transaction.
//! Never edit a released migration: add a new one.

pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "products, masters, runs", V1),
    (2, "orders, order items, fetch cursors", V2),
    (3, "order enrichment and the ten checks", V3),
    (4, "enrichment as columns with their sources; order_checks as a view", V4),
    (5, "check reasons stored for every check; check names from the enrich stage; order_checks rewords nothing", V5),
    (6, "orders as the mall means them: shipments per destination, the mall's delivery fields, absent amounts, customer keys; the 配送方法 master", V6),
    (7, "orders a mall listed and did not send, and orders it sent that juchu cannot read: kept pending, asked for again", V7),
    (8, "every problem a run reported, by stage (the workbook's エラー sheet)", V8),
    (9, "the mail log: each order mail sent once; check 10 (メール文面) from it", V9),
    (10, "the mail log keeps each mail's body (the workbook's メール sheet) and staff's settling of a mail left at sending", V10),
    (11, "linkage history (受注連動, never overwritten) and juchu's own order status with its log", V11),
    (12, "the write-back outbox (one row per order and action), its send log, the shadow plan, overwrites; the 配送会社コード master", V12),
    (13, "the shipping day: holds (保留) and their releases, 同梱 proposals and merges, slips exported per carrier, tracking files imported, workbook decisions applied", V13),
];

const V1: &str = r#"
CREATE TABLE shop_meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per product of a mall. The first mall imported is the master (shop_meta.master_mall);
-- products of other malls link to a master product through master_item_key.
CREATE TABLE products (
    mall VARCHAR NOT NULL,
    item_key VARCHAR NOT NULL,          -- 商品管理番号 (Rakuten), code (Yahoo), 商品URLコード (FutureShop2)
    product_code VARCHAR,               -- 商品番号
    name VARCHAR,
    price BIGINT,                       -- 販売価格, yen
    tax_included BOOLEAN,
    postage_included BOOLEAN,
    stock_type INTEGER,                 -- 在庫タイプ 0 none / 1 通常 / 2 項目選択肢別
    stock BIGINT,
    master_item_key VARCHAR,            -- the linked master product (same as item_key for the master mall)
    src_file VARCHAR,
    src_line INTEGER,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (mall, item_key)
);

-- SKUs: per-option stock rows (select.csv `i`, SKU-layout rows, Yahoo sub-codes).
CREATE TABLE product_skus (
    mall VARCHAR NOT NULL,
    item_key VARCHAR NOT NULL,
    sku VARCHAR NOT NULL,               -- SKU管理番号, or 商品番号 + 横軸子番号 + 縦軸子番号
    choice_text VARCHAR,                -- e.g. カラー:赤 サイズ:L
    price BIGINT,
    stock BIGINT,
    src_file VARCHAR,
    src_line INTEGER,
    PRIMARY KEY (mall, item_key, sku)
);

-- 項目選択肢: one row per choice, kept with its text (prices in the text are checked against the add-on master).
CREATE TABLE product_options (
    mall VARCHAR NOT NULL,
    item_key VARCHAR NOT NULL,
    option_type VARCHAR NOT NULL,       -- s select, c checkbox, v variation
    item_name VARCHAR NOT NULL,
    choice VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    src_file VARCHAR,
    src_line INTEGER,
    PRIMARY KEY (mall, item_key, item_name, choice)
);

CREATE TABLE master_sheets (
    sheet VARCHAR PRIMARY KEY,
    file VARCHAR NOT NULL,
    headers VARCHAR NOT NULL            -- tab-separated header row, to point findings at a cell
);

CREATE TABLE m_order_statuses (mall VARCHAR, code VARCHAR, name VARCHAR, internal_status VARCHAR, src_sheet VARCHAR, src_row INTEGER, PRIMARY KEY (mall, code));
CREATE TABLE m_payment_methods (mall VARCHAR, mall_name VARCHAR, internal VARCHAR, src_sheet VARCHAR, src_row INTEGER, PRIMARY KEY (mall, mall_name));
CREATE TABLE m_prefectures (jis_code VARCHAR, name VARCHAR, region VARCHAR, src_sheet VARCHAR, src_row INTEGER);
CREATE TABLE m_carriers (name VARCHAR PRIMARY KEY, rakuten_code VARCHAR, cool BOOLEAN, src_sheet VARCHAR, src_row INTEGER);
CREATE TABLE m_time_slots (carrier VARCHAR, label VARCHAR, code VARCHAR, start_hour INTEGER, end_hour INTEGER, src_sheet VARCHAR, src_row INTEGER, PRIMARY KEY (carrier, code));
CREATE TABLE m_logistics_companies (name VARCHAR PRIMARY KEY, origin_region VARCHAR, origin_prefecture VARCHAR, src_sheet VARCHAR, src_row INTEGER);
CREATE TABLE m_delivery_conditions (product_code VARCHAR PRIMARY KEY, logistics_company VARCHAR, carrier VARCHAR, preparation_days INTEGER, time_slots VARCHAR, temperature VARCHAR, src_sheet VARCHAR, src_row INTEGER);
CREATE TABLE m_transit_days (origin_region VARCHAR, prefecture VARCHAR, days INTEGER, src_sheet VARCHAR, src_row INTEGER, PRIMARY KEY (origin_region, prefecture));
CREATE TABLE m_option_addons (product_code VARCHAR, item_name VARCHAR, choice VARCHAR, amount BIGINT, src_sheet VARCHAR, src_row INTEGER, PRIMARY KEY (product_code, item_name, choice));
CREATE TABLE m_customer_ranks (rank VARCHAR PRIMARY KEY, min_total BIGINT, min_count BIGINT, priority INTEGER, src_sheet VARCHAR, src_row INTEGER);
CREATE TABLE m_shop_holidays (date DATE PRIMARY KEY, reason VARCHAR, src_sheet VARCHAR, src_row INTEGER);
CREATE TABLE m_closed_weekdays (weekday INTEGER PRIMARY KEY, src_sheet VARCHAR, src_row INTEGER); -- 0 = Monday … 6 = Sunday
CREATE TABLE m_national_holidays (date DATE PRIMARY KEY, name VARCHAR NOT NULL);

CREATE SEQUENCE run_ids START 1;
CREATE TABLE runs (
    run_id BIGINT PRIMARY KEY,
    pipeline VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    clock_now TIMESTAMPTZ NOT NULL,     -- the run's `now` (fixed by --now in replays and tests)
    status VARCHAR NOT NULL,            -- running, ok, records_failed, failed, config_error
    exit_code INTEGER
);
CREATE TABLE run_stages (
    run_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    stage_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,            -- ok, warnings, failed, skipped
    rows_in BIGINT,
    rows_out BIGINT,
    rows_rejected BIGINT,
    rows_new BIGINT,
    rows_changed BIGINT,
    rows_unchanged BIGINT,
    duration_ms BIGINT,
    message VARCHAR,
    PRIMARY KEY (run_id, seq)
);
"#;

/// Orders from the malls: normalized columns for SQL, the normalized order as JSON, and the raw payload as received.
const V2: &str = r#"
CREATE TABLE orders (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,      -- 受注番号
    ordered_at TIMESTAMP NOT NULL,      -- 注文日時, JST (Japan has no DST; all shop times are JST)
    mall_status VARCHAR NOT NULL,
    orderer_name VARCHAR,
    ship_to_name VARCHAR,
    ship_to_prefecture VARCHAR,
    is_gift BOOLEAN NOT NULL,
    payment_method VARCHAR,
    desired_date DATE,                  -- お届け希望日
    desired_time_slot VARCHAR,          -- お届け時間帯
    desired_source VARCHAR,             -- field / remarks
    goods BIGINT,                       -- NULL = not fixed yet (-9999 at the mall)
    shipping BIGINT,
    cod_fee BIGINT,
    payment_fee BIGINT,
    coupons BIGINT,
    points BIGINT,
    billing_total BIGINT,               -- 請求金額
    amounts_fixed BOOLEAN NOT NULL,     -- false while any amount is -9999
    content_hash BIGINT NOT NULL,       -- rewrite only when this changes
    normalized VARCHAR NOT NULL,        -- domain::Order as JSON text (the json extension is not bundled)
    raw VARCHAR NOT NULL,               -- the mall's payload as received, JSON text
    first_seen_run BIGINT,
    last_changed_run BIGINT,
    fetched_at TIMESTAMP NOT NULL,      -- JST
    PRIMARY KEY (mall, shop, order_number)
);
CREATE TABLE order_items (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    line_no INTEGER NOT NULL,
    product_code VARCHAR,
    item_key VARCHAR,
    sku VARCHAR,
    name VARCHAR,
    unit_price BIGINT,
    quantity BIGINT,
    options_text VARCHAR,
    option_price BIGINT,
    PRIMARY KEY (mall, shop, order_number, line_no)
);
-- Where each mall's next poll starts (minus the overlap): advanced in the same transaction as the orders.
CREATE TABLE fetch_cursors (
    mall VARCHAR PRIMARY KEY,
    fetched_to TIMESTAMP NOT NULL,      -- JST
    updated_run BIGINT
);
"#;

const V3: &str = r#"
-- What enrichment added to each order, with where every value came from (provenance, JSON text).
CREATE TABLE order_enrichment (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    logistics_company VARCHAR,          -- 物流会社
    carrier VARCHAR,                    -- 配送会社
    temperature VARCHAR,                -- 温度帯
    ship_date DATE,                     -- 出荷予定日
    desired_date DATE,                  -- お届け希望日
    desired_time_slot VARCHAR,
    sender VARCHAR,                     -- 送付元
    payment_method VARCHAR,             -- 決済方法 (社内)
    option_total BIGINT,                -- オプション金額
    shipping_fee BIGINT,
    cod_fee BIGINT,
    payment_fee BIGINT,
    billing_total BIGINT,               -- 請求金額 as computed
    customer_rank VARCHAR,
    checks_failed INTEGER NOT NULL,
    enrichment VARCHAR NOT NULL,        -- domain::Enrichment as JSON text: values and their sources
    fired_rules VARCHAR NOT NULL,       -- rule rows that fired, `file row N`, comma-separated
    fingerprint BIGINT NOT NULL,        -- of the enrichment: a replay counts orders whose values changed
    enriched_run BIGINT,
    PRIMARY KEY (mall, shop, order_number)
);
-- The ten import checks (S10) per order: pass / fail / n/a, with what was found or what to fix.
-- One row per (order, check_no).
CREATE TABLE order_checks (
    order_id VARCHAR NOT NULL,          -- mall/shop/order_number
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    check_no INTEGER NOT NULL,          -- 1–10
    check_name VARCHAR NOT NULL,
    result VARCHAR NOT NULL,            -- pass / fail / n/a
    reason VARCHAR NOT NULL
    -- No primary key: enrich replaces an order's ten rows together, and an index over millions of
    -- check rows made a replay ten times slower.
);
"#;

const V4: &str = r#"
-- Enrichment reads orders by column, not by parsing the stored JSON: the two fields it lacked.
-- (Existing rows are filled from `normalized` by the migration's backfill; items stored before it
-- keep the standard rate.)
ALTER TABLE orders ADD COLUMN orderer_prefecture VARCHAR;   -- 注文者都道府県
ALTER TABLE orders ADD COLUMN remarks VARCHAR;              -- 備考
ALTER TABLE orders ADD COLUMN ship_to_postal_code VARCHAR;  -- 送付先郵便番号
ALTER TABLE orders ADD COLUMN remote_island BOOLEAN DEFAULT false;  -- 離島, as the mall marks it
ALTER TABLE order_items ADD COLUMN tax_rate INTEGER;        -- 消費税率 in percent; NULL = 10
ALTER TABLE order_items ADD COLUMN tax_excluded BOOLEAN DEFAULT false;  -- 税別 price

-- Enrichment is derived data: dropped here, the next run enriches every order again.
DROP TABLE order_checks;
DROP TABLE order_enrichment;

-- What enrichment added to each order; every value has a `_source` beside it (provenance in words
-- staff follow: `配送条件!C5`, `rules/carrier.yaml row 1`, `the mall's 送料`).
-- No primary key: enrich deletes an order's row and appends the new one in one transaction, and an
-- index made a replay of a million orders several times slower.
CREATE TABLE order_enrichment (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    logistics_company VARCHAR,          -- 物流会社
    logistics_company_source VARCHAR,
    carrier VARCHAR,                    -- 配送会社
    carrier_source VARCHAR,
    temperature VARCHAR,                -- 温度帯 (the coldest item's)
    ship_date DATE,                     -- 出荷予定日
    ship_date_source VARCHAR,
    desired_date DATE,                  -- お届け希望日
    desired_date_source VARCHAR,
    desired_time_slot VARCHAR,          -- お届け時間帯
    desired_time_slot_source VARCHAR,
    remote_island VARCHAR,              -- 離島 (the area), where the mall or a rule says so
    remote_island_source VARCHAR,
    sender VARCHAR,                     -- 送付元
    sender_source VARCHAR,
    payment_method VARCHAR,             -- 決済方法 (社内)
    payment_method_source VARCHAR,
    option_total BIGINT,                -- オプション金額
    option_total_source VARCHAR,
    shipments VARCHAR,                  -- 分割出荷: `1: 物流会社 / 配送会社 (商品番号, …); 2: …`, where a rule split the order
    shipments_source VARCHAR,
    shipping_fee BIGINT,                -- 送料
    shipping_fee_source VARCHAR,
    cod_fee BIGINT,                     -- 代引手数料
    cod_fee_source VARCHAR,
    payment_fee BIGINT,                 -- 決済手数料
    payment_fee_source VARCHAR,
    billing_total BIGINT,               -- 請求金額 as juchu computes it
    billing_total_source VARCHAR,
    tax_10 BIGINT,                      -- 消費税額 (10% 対象), included in the billing total
    tax_8 BIGINT,                       -- 消費税額 (8% 軽減税率対象)
    tax_source VARCHAR,
    customer_rank VARCHAR,              -- 顧客ランク
    customer_rank_source VARCHAR,
    checks VARCHAR NOT NULL,            -- the ten checks' results, one letter each: P pass, F fail, N n/a
    checks_failed INTEGER NOT NULL,
    check_reasons VARCHAR[] NOT NULL,   -- ten entries: what was found or what to fix; NULL where passed
    fired_rules VARCHAR NOT NULL,       -- rule rows that fired, `file row N`, comma-separated
    fingerprint BIGINT NOT NULL,        -- of the values and sources: a replay counts orders whose values changed
    enriched_run BIGINT NOT NULL
);

-- The ten import checks (S10): ten rows per order, pass / fail / n/a, with what was found or what to
-- fix. A view over order_enrichment: a passed check's reason is its value and where it came from,
-- worded as domain::enrichment::ten_checks words it (only failed and n/a reasons are stored).
CREATE VIEW order_checks AS
SELECT e.mall || '/' || e.shop || '/' || e.order_number AS order_id, e.mall, e.shop, e.order_number,
    n AS check_no,
    ['物流会社', '配送会社', '出荷予定日', 'お届け希望日', '送付元住所', '備考欄の配送日時', '決済方法', 'オプション金額', '請求金額', 'メール文面'][n] AS check_name,
    CASE substr(e.checks, n, 1) WHEN 'P' THEN 'pass' WHEN 'F' THEN 'fail' ELSE 'n/a' END AS result,
    CASE WHEN substr(e.checks, n, 1) <> 'P' THEN e.check_reasons[n]
        WHEN n = 1 AND e.shipments IS NOT NULL THEN
            e.shipments_source || ' (' || e.logistics_company || ' (' || e.logistics_company_source || ')): ' || e.shipments
        WHEN n = 2 AND e.shipments IS NOT NULL THEN e.shipments_source || ' (' || e.carrier || ' (' || e.carrier_source || ')): ' || e.shipments
        WHEN n = 1 THEN e.logistics_company || ' (' || e.logistics_company_source || ')'
        WHEN n = 2 THEN e.carrier || ' (' || e.carrier_source || ')'
        WHEN n = 3 THEN strftime(e.ship_date, '%Y-%m-%d') || ' (' || e.ship_date_source || ')'
        WHEN n = 4 THEN trim(coalesce(strftime(e.desired_date, '%Y-%m-%d'), '') || ' ' || coalesce(e.desired_time_slot, ''))
            || ' (' || CASE WHEN e.desired_date IS NULL THEN e.desired_time_slot_source ELSE e.desired_date_source END || ')'
        WHEN n = 5 THEN e.sender || ' (' || e.sender_source || ')'
        WHEN n = 6 AND CASE WHEN e.desired_date IS NULL THEN e.desired_time_slot_source ELSE e.desired_date_source END LIKE 'the remarks%' THEN
            'read from the remarks: ' || trim(coalesce(strftime(e.desired_date, '%Y-%m-%d'), '') || ' ' || coalesce(e.desired_time_slot, ''))
        WHEN n = 6 THEN 'the mall''s own fields carry the request (they win over the remarks)'
        WHEN n = 7 THEN e.payment_method || ' (' || e.payment_method_source || ')'
        WHEN n = 8 THEN e.option_total || ' yen (' || e.option_total_source || ')'
        WHEN n = 9 THEN e.billing_total || ' yen, as the mall bills (' || e.billing_total_source || ')'
    END AS reason
FROM order_enrichment e CROSS JOIN range(1, 11) t(n);
"#;

const V5: &str = r#"
-- Every check's reason is worded once, in Rust (domain::checks), and stored: all ten, passed ones
-- too, in the language of the run that enriched. Rows enriched before this carry no reasons for
-- passed checks: they are deleted, and the next run enriches every order again (derived data, as in
-- migration 4). Reasons repeat a lot (自社倉庫 (配送条件!B9) on every order of that product), so
-- each text is stored once in check_reasons and an order keeps ten ids: storing the texts per order
-- made a 1M-order replay ~10 % slower.
DELETE FROM order_enrichment;
DROP VIEW order_checks;
ALTER TABLE order_enrichment DROP COLUMN check_reasons;
ALTER TABLE order_enrichment ADD COLUMN check_reason_ids INTEGER[];
CREATE TABLE check_reasons (
    id INTEGER PRIMARY KEY,
    reason VARCHAR NOT NULL
);

-- The ten checks' names as the seed's checklist has them, written by the enrich stage from
-- domain::checks::CHECK_NAMES on every run.
CREATE TABLE check_names (
    check_no INTEGER PRIMARY KEY,       -- 1–10
    name VARCHAR NOT NULL,              -- 物流会社 …
    name_en VARCHAR NOT NULL            -- Logistics company …
);

-- The ten import checks (S10): ten rows per order, each as stored. `result` spells out the
-- letters of order_enrichment.checks (domain::checks::CheckResult).
CREATE VIEW order_checks AS
SELECT e.mall || '/' || e.shop || '/' || e.order_number AS order_id, e.mall, e.shop, e.order_number,
    n.check_no, n.name AS check_name, n.name_en AS check_name_en,
    CASE substr(e.checks, n.check_no, 1) WHEN 'P' THEN 'pass' WHEN 'F' THEN 'fail' WHEN 'N' THEN 'n/a' END AS result,
    r.reason
FROM order_enrichment e CROSS JOIN check_names n
LEFT JOIN check_reasons r ON r.id = e.check_reason_ids[n.check_no];
"#;

const V6: &str = r#"
-- One shipment per destination (送付先): Rakuten sends one PackageModel per recipient, each with its
-- own items, postage and remote-island flag. Every other mall's order is one shipment. Existing
-- orders become one shipment each (their ship-to columns); the next fetch that sees them changed
-- rewrites them whole.
CREATE TABLE order_shipments (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    shipment_no INTEGER NOT NULL,       -- 1, 2, … in the mall's order
    ship_to_name VARCHAR,
    ship_to_name_kana VARCHAR,
    ship_to_postal_code VARCHAR,
    ship_to_prefecture VARCHAR,
    ship_to_address VARCHAR,
    ship_to_phone VARCHAR,
    address_pending BOOLEAN NOT NULL,   -- the mall's placeholder (ソーシャルギフト 入力待ち, 〒999-9999)
    postage BIGINT,                     -- 送料 of this shipment as the mall charged it; NULL = not sent
    remote_island BOOLEAN NOT NULL,     -- 離島, as the mall marks it
    delivery_method VARCHAR,            -- 配送方法 as the mall names it (メール便, postage1, Standard)
    delivery_temperature VARCHAR,       -- 温度帯 the customer chose at the mall (冷蔵, 冷凍), where it says
    delivery_source VARCHAR,            -- the mall's field: DeliveryModel.deliveryName, ShipMethod …
    PRIMARY KEY (mall, shop, order_number, shipment_no)
);
INSERT INTO order_shipments
SELECT mall, shop, order_number, 1, ship_to_name, NULL, ship_to_postal_code, ship_to_prefecture, NULL, NULL, false, NULL,
    coalesce(remote_island, false), NULL, NULL, NULL
FROM orders;
ALTER TABLE order_items ADD COLUMN shipment_no INTEGER DEFAULT 1;   -- the shipment the line goes to
ALTER TABLE order_items ADD COLUMN sku_info VARCHAR;                -- skuInfo: サイズ:M カラー:ブラック
ALTER TABLE order_items ADD COLUMN merchant_sku VARCHAR;            -- merchantDefinedSkuId
ALTER TABLE orders ADD COLUMN shipment_count INTEGER DEFAULT 1;
ALTER TABLE orders ADD COLUMN cancelled BOOLEAN DEFAULT false;      -- キャンセル at the mall
ALTER TABLE orders ADD COLUMN customer_key VARCHAR;                 -- 顧客キー for ranks; NULL = the mall sent no email or phone + name
ALTER TABLE orders ADD COLUMN amounts_absent VARCHAR;               -- the amounts the mall did not send: `goods,billing_total`
ALTER TABLE orders ADD COLUMN additional_fee BIGINT;                -- a fee the mall adds to the bill itself
ALTER TABLE orders ADD COLUMN wrapping BIGINT;                      -- ラッピング料, inside the mall's goods total
ALTER TABLE orders ADD COLUMN postage_included BOOLEAN;             -- 送料込み
ALTER TABLE orders ADD COLUMN mall_tax_10 BIGINT;                   -- the mall's own 消費税, per rate
ALTER TABLE orders ADD COLUMN mall_tax_8 BIGINT;
-- The first shipment's delivery fields beside its ship-to columns: enrichment reads a one-destination
-- order (nearly all) from `orders` alone, and order_shipments only for orders of several (reading
-- every order's shipments cost a 1M-order replay a third more time).
ALTER TABLE orders ADD COLUMN address_pending BOOLEAN DEFAULT false;
ALTER TABLE orders ADD COLUMN delivery_method VARCHAR;
ALTER TABLE orders ADD COLUMN delivery_temperature VARCHAR;
ALTER TABLE orders ADD COLUMN delivery_source VARCHAR;
-- Orders stored before this ranked customers by name: their key is the name, as before.
UPDATE orders SET customer_key = mall || ':name:' || orderer_name WHERE orderer_name IS NOT NULL AND orderer_name <> '';

-- 配送方法: the mall's delivery method → carrier service, with or without time slots (optional sheet).
CREATE TABLE m_delivery_methods (mall VARCHAR, method VARCHAR, carrier VARCHAR, service VARCHAR, temperature VARCHAR, time_slots BOOLEAN, src_sheet VARCHAR, src_row INTEGER, PRIMARY KEY (mall, method));

-- Enrichment is per shipment now (one row each; an order of one destination has one row), with
-- the 温度帯's source and the 配送サービス. Derived data: the table is made again, and the next run
-- enriches every order again.
DROP VIEW order_checks;
DROP TABLE order_enrichment;
DELETE FROM check_reasons;
CREATE TABLE order_enrichment (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    shipment_no INTEGER NOT NULL,       -- 送付先 1, 2, … (order_shipments)
    logistics_company VARCHAR,          -- 物流会社
    logistics_company_source VARCHAR,
    temperature VARCHAR,                -- 温度帯 (the coldest item's)
    temperature_source VARCHAR,
    carrier VARCHAR,                    -- 配送会社
    carrier_source VARCHAR,
    carrier_service VARCHAR,            -- 配送サービス (the mall's delivery method through the 配送方法 master)
    carrier_service_source VARCHAR,
    shipments VARCHAR,                  -- 分割出荷, where a rule split the shipment
    shipments_source VARCHAR,
    ship_date DATE,                     -- 出荷予定日
    ship_date_source VARCHAR,
    desired_date DATE,                  -- お届け希望日
    desired_date_source VARCHAR,
    desired_time_slot VARCHAR,          -- お届け時間帯
    desired_time_slot_source VARCHAR,
    remote_island VARCHAR,              -- 離島
    remote_island_source VARCHAR,
    sender VARCHAR,                     -- 送付元
    sender_source VARCHAR,
    payment_method VARCHAR,             -- 決済方法 (社内)
    payment_method_source VARCHAR,
    option_total BIGINT,                -- オプション金額 (the order's add-ons)
    option_total_source VARCHAR,
    shipping_fee BIGINT,                -- 送料 (this shipment's)
    shipping_fee_source VARCHAR,
    cod_fee BIGINT,                     -- 代引手数料 (the order's)
    cod_fee_source VARCHAR,
    payment_fee BIGINT,                 -- 決済手数料 (the order's)
    payment_fee_source VARCHAR,
    billing_total BIGINT,               -- 請求金額 of the whole order, as juchu computes it
    billing_total_source VARCHAR,
    tax_10 BIGINT,                      -- 消費税額 (10% 対象)
    tax_8 BIGINT,                       -- 消費税額 (8% 対象)
    tax_source VARCHAR,
    customer_rank VARCHAR,              -- 顧客ランク
    customer_rank_source VARCHAR,
    checks VARCHAR NOT NULL,            -- P pass, F fail, N n/a, one letter per check
    checks_failed INTEGER NOT NULL,
    fired_rules VARCHAR NOT NULL,
    fingerprint BIGINT NOT NULL,        -- of the whole order's enrichment (every shipment's), the same on each row
    enriched_run BIGINT NOT NULL,
    check_reason_ids INTEGER[]          -- ten ids into check_reasons
);
CREATE VIEW order_checks AS
SELECT e.mall || '/' || e.shop || '/' || e.order_number AS order_id, e.mall, e.shop, e.order_number, e.shipment_no,
    n.check_no, n.name AS check_name, n.name_en AS check_name_en,
    CASE substr(e.checks, n.check_no, 1) WHEN 'P' THEN 'pass' WHEN 'F' THEN 'fail' WHEN 'N' THEN 'n/a' END AS result,
    r.reason
FROM order_enrichment e CROSS JOIN check_names n
LEFT JOIN check_reasons r ON r.id = e.check_reason_ids[n.check_no];
"#;

/// 取得待ち: every order number a mall listed whose content is not stored (yet). Kept in the same
/// transaction as the cursor, so the cursor's promise holds: every order before it is stored or here.
const V7: &str = r#"
CREATE TABLE pending_orders (
    mall VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,            -- not_returned (listed, not sent) or unreadable (sent, does not parse)
    detail VARCHAR,                     -- the mall's words (not_returned) or the parse error (unreadable)
    raw VARCHAR,                        -- unreadable: the order's payload as received
    first_seen TIMESTAMP NOT NULL,      -- JST, the poll that first listed it
    last_tried TIMESTAMP NOT NULL,
    polls INTEGER NOT NULL,             -- how many polls asked for it
    first_run BIGINT NOT NULL,
    last_run BIGINT NOT NULL,
    PRIMARY KEY (mall, order_number)
);
"#;

/// What each stage of a run reported (rejected rows, failed malls, warnings), as staff saw it, for the
/// verification workbook's エラー sheet.
const V8: &str = r#"
CREATE TABLE run_diagnostics (
    run_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,               -- the stage's place in the run (run_stages.seq)
    n INTEGER NOT NULL,                 -- order within the stage
    stage_id VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,          -- error, warning
    place VARCHAR,                      -- file:line:col, book.xlsx!Sheet!C12, or empty
    message VARCHAR NOT NULL,
    help VARCHAR,
    PRIMARY KEY (run_id, seq, n)
);
"#;

/// 送信記録: one row per (order, template). `sending` is written and committed before the mail leaves,
/// `sent` after; a row left at `sending` (a crash in between) is never sent again, only reported.
/// Check 10 comes from here, so enrich's replays do not rewrite it.
const V9: &str = r#"
CREATE TABLE mail_log (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    template VARCHAR NOT NULL,          -- order_confirmation, shipping_notice
    status VARCHAR NOT NULL,            -- sending, sent, failed
    message_id VARCHAR NOT NULL,
    recipient VARCHAR,
    subject VARCHAR,
    reason VARCHAR,                     -- failed: why (render or send error); sent: where it went
    run_id BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,      -- JST
    PRIMARY KEY (mall, shop, order_number, template)
);
DROP VIEW order_checks;
CREATE VIEW order_checks AS
WITH mails AS (
    SELECT mall, shop, order_number,
        CASE WHEN bool_or(status = 'failed') THEN 'fail' WHEN bool_or(status = 'sent') THEN 'pass' ELSE 'n/a' END AS result,
        string_agg(template || ': ' || status || coalesce(' (' || reason || ')', ''), '; ' ORDER BY template) AS reason
    FROM mail_log GROUP BY mall, shop, order_number
)
SELECT e.mall || '/' || e.shop || '/' || e.order_number AS order_id, e.mall, e.shop, e.order_number, e.shipment_no,
    n.check_no, n.name AS check_name, n.name_en AS check_name_en,
    CASE WHEN n.check_no = 10 THEN coalesce(m.result, 'n/a')
        ELSE CASE substr(e.checks, n.check_no, 1) WHEN 'P' THEN 'pass' WHEN 'F' THEN 'fail' WHEN 'N' THEN 'n/a' END END AS result,
    CASE WHEN n.check_no = 10 THEN coalesce(m.reason, r.reason) ELSE r.reason END AS reason
FROM order_enrichment e CROSS JOIN check_names n
LEFT JOIN check_reasons r ON r.id = e.check_reason_ids[n.check_no]
LEFT JOIN mails m ON n.check_no = 10 AND m.mall = e.mall AND m.shop = e.shop AND m.order_number = e.order_number;
"#;

/// The body as rendered, so staff can read what a customer got (an SMTP mail leaves no file behind),
/// and who settled a mail a crash left at `sending` (`juchu mail settle`).
const V10: &str = r#"
ALTER TABLE mail_log ADD COLUMN body VARCHAR;
CREATE TABLE mail_settlements (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    template VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,          -- sent (it arrived), resend (send it again)
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,      -- JST
    note VARCHAR
);
"#;

/// 受注連動: each enable and disable of a mall's linkage, appended and never updated (S13); a
/// mall's state is its last row. 社内ステータス: the status juchu gives an order (`juchu orders
/// move-status`, later the shipping stages), beside the mall's own, each change logged.
const V11: &str = r#"
CREATE SEQUENCE linkage_history_seq;
CREATE TABLE linkage_history (
    seq BIGINT PRIMARY KEY DEFAULT nextval('linkage_history_seq'),
    mall VARCHAR NOT NULL,
    action VARCHAR NOT NULL,            -- enable, disable
    starts_at TIMESTAMP,                -- JST; enable only
    allow_auto_authorization BOOLEAN NOT NULL DEFAULT false,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,      -- JST
    note VARCHAR
);
ALTER TABLE orders ADD COLUMN house_status VARCHAR;
CREATE SEQUENCE order_status_log_seq;
CREATE TABLE order_status_log (
    seq BIGINT PRIMARY KEY DEFAULT nextval('order_status_log_seq'),
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    from_status VARCHAR,                -- juchu's status before, or the mall's when juchu had none
    to_status VARCHAR NOT NULL,
    changed_by VARCHAR NOT NULL,
    changed_at TIMESTAMP NOT NULL,      -- JST
    command VARCHAR NOT NULL            -- what did it: `orders move-status --to 処理済 --imported-before …`
);
"#;

/// 書き戻し (write-back). The outbox holds the state each mall should show, one row per (mall,
/// shop, order, action): a status or shipment changed again replaces the row's values and queues
/// it again; the same change queued twice is the same row. `write_back_log` records every plan and
/// send; `write_back_plan` is the latest shadow plan (連動プレビュー); `write_back_overwrites` each
/// time juchu put back a status or shipment edited in the mall's own screen after linkage (S12).
const V12: &str = r#"
CREATE TABLE m_carrier_codes (mall VARCHAR, carrier VARCHAR, code VARCHAR, src_sheet VARCHAR, src_row INTEGER, PRIMARY KEY (mall, carrier));
CREATE TABLE write_back_outbox (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    action VARCHAR NOT NULL,            -- status, shipping
    status VARCHAR,                     -- status: 社内ステータス to write
    carrier VARCHAR,                    -- shipping: 配送会社 as the masters name it
    tracking_numbers VARCHAR,           -- shipping: お問い合わせ番号, comma-separated
    shipped_on DATE,                    -- shipping: 出荷日
    state VARCHAR NOT NULL,             -- queued, sending, done, skipped, dead
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error VARCHAR,
    queued_at TIMESTAMP NOT NULL,       -- JST
    queued_by VARCHAR NOT NULL,
    command VARCHAR NOT NULL,
    done_at TIMESTAMP,                  -- JST
    done_run BIGINT,
    outcome VARCHAR,                    -- changed, already_set, or why skipped
    mall_call VARCHAR,                       -- the mall's write call, with the request's fields in the mall's codes
    request VARCHAR,
    PRIMARY KEY (mall, shop, order_number, action)
);
CREATE SEQUENCE write_back_log_seq;
CREATE TABLE write_back_log (
    seq BIGINT PRIMARY KEY DEFAULT nextval('write_back_log_seq'),
    run_id BIGINT,
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    mall_call VARCHAR,
    request VARCHAR,
    result VARCHAR NOT NULL,            -- sending, changed, already_set, unknown, refused, failed, dead, skipped
    detail VARCHAR,
    logged_at TIMESTAMP NOT NULL        -- JST
);
CREATE TABLE write_back_plan (
    run_id BIGINT NOT NULL,
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    mall_call VARCHAR,
    request VARCHAR,
    mall_shows VARCHAR,                 -- what the last fetch showed at the mall
    differs BOOLEAN NOT NULL,
    would_send BOOLEAN NOT NULL,
    note VARCHAR,
    planned_at TIMESTAMP NOT NULL       -- JST
);
CREATE SEQUENCE write_back_overwrites_seq;
CREATE TABLE write_back_overwrites (
    seq BIGINT PRIMARY KEY DEFAULT nextval('write_back_overwrites_seq'),
    run_id BIGINT,
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    mall_showed VARCHAR,
    juchu_writes VARCHAR,
    logged_at TIMESTAMP NOT NULL        -- JST
);
"#;

/// 出荷の一日 (the shipping day). Holds are kept per reason: rule holds follow the order's
/// enrichment, a released reason stays released, staff holds stay until released. A 同梱 group is a
/// link between untouched mall orders. A slip is one parcel (お客様管理番号 = `slip_key`), with the
/// orders on it; re-exporting supersedes it. Tracking files and workbooks are applied once, by hash.
const V13: &str = r#"
DROP VIEW order_checks;
ALTER TABLE order_enrichment ADD COLUMN holds VARCHAR;   -- hold rules matched: `row<TAB>reason` lines
-- The view as migration 9 made it (check 10 from the mail log).
CREATE VIEW order_checks AS
WITH mails AS (
    SELECT mall, shop, order_number,
        CASE WHEN bool_or(status = 'failed') THEN 'fail' WHEN bool_or(status = 'sent') THEN 'pass' ELSE 'n/a' END AS result,
        string_agg(template || ': ' || status || coalesce(' (' || reason || ')', ''), '; ' ORDER BY template) AS reason
    FROM mail_log GROUP BY mall, shop, order_number
)
SELECT e.mall || '/' || e.shop || '/' || e.order_number AS order_id, e.mall, e.shop, e.order_number, e.shipment_no,
    n.check_no, n.name AS check_name, n.name_en AS check_name_en,
    CASE WHEN n.check_no = 10 THEN coalesce(m.result, 'n/a')
        ELSE CASE substr(e.checks, n.check_no, 1) WHEN 'P' THEN 'pass' WHEN 'F' THEN 'fail' WHEN 'N' THEN 'n/a' END END AS result,
    CASE WHEN n.check_no = 10 THEN coalesce(m.reason, r.reason) ELSE r.reason END AS reason
FROM order_enrichment e CROSS JOIN check_names n
LEFT JOIN check_reasons r ON r.id = e.check_reason_ids[n.check_no]
LEFT JOIN mails m ON n.check_no = 10 AND m.mall = e.mall AND m.shop = e.shop AND m.order_number = e.order_number;
CREATE TABLE order_holds (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    source VARCHAR NOT NULL,            -- the rule row (rules/holds.yaml row 2), or staff
    reason VARCHAR NOT NULL,            -- 保留理由
    held_at TIMESTAMP NOT NULL,         -- JST
    held_run BIGINT,
    held_by VARCHAR,                    -- staff holds: who, and how (the command or the workbook cell)
    released_at TIMESTAMP,              -- JST; NULL = holding
    released_by VARCHAR,
    release_reason VARCHAR,
    release_command VARCHAR,
    PRIMARY KEY (mall, shop, order_number, source, reason)
);
-- 保留 mirrored to the mall (hold_at_mall): the status the order had, written back on release.
CREATE TABLE hold_mirrors (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    status_before VARCHAR NOT NULL,     -- 社内ステータス before the hold
    mirrored_at TIMESTAMP NOT NULL,     -- JST
    PRIMARY KEY (mall, shop, order_number)
);
-- 出荷OK: staff accepted an order whose checks failed, for its enrichment as it was then.
CREATE TABLE order_acceptances (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    fingerprint BIGINT NOT NULL,        -- order_enrichment.fingerprint accepted; a changed order needs it again
    accepted_by VARCHAR NOT NULL,
    accepted_at TIMESTAMP NOT NULL,     -- JST
    via VARCHAR NOT NULL,
    PRIMARY KEY (mall, shop, order_number)
);
-- 同梱: orders for one recipient proposed as one parcel; staff accept (同梱OK) or decline (同梱しない).
CREATE TABLE order_merges (
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    group_key VARCHAR NOT NULL,         -- the same for every order of the group: mall, shop, recipient, payment, delivery group
    state VARCHAR NOT NULL,             -- proposed, accepted, declined
    proposed_at TIMESTAMP NOT NULL,     -- JST
    proposed_run BIGINT,
    decided_at TIMESTAMP,
    decided_by VARCHAR,
    decided_via VARCHAR,
    PRIMARY KEY (mall, shop, order_number)
);
CREATE SEQUENCE slip_seq;
CREATE TABLE slips (
    slip_key VARCHAR PRIMARY KEY,       -- お客様管理番号 / お客様側管理番号 as juchu writes it
    carrier VARCHAR NOT NULL,           -- 配送会社 as the masters name it
    format VARCHAR NOT NULL,            -- b2, ehiden, yupri, clickpost
    file VARCHAR NOT NULL,
    exported_at TIMESTAMP NOT NULL,     -- JST
    exported_run BIGINT,
    command VARCHAR NOT NULL,
    superseded_by VARCHAR,              -- exported again (--again) under this key
    tracking_number VARCHAR,            -- お問い合わせ番号, from the carrier's file
    shipped_on DATE,                    -- 出荷日
    tracking_file VARCHAR,
    tracking_line INTEGER,
    tracked_at TIMESTAMP
);
CREATE TABLE slip_orders (
    slip_key VARCHAR NOT NULL,
    mall VARCHAR NOT NULL,
    shop VARCHAR NOT NULL,
    order_number VARCHAR NOT NULL,
    shipment_no INTEGER NOT NULL,
    PRIMARY KEY (slip_key, mall, shop, order_number, shipment_no)
);
CREATE TABLE tracking_imports (
    file_hash VARCHAR PRIMARY KEY,      -- of the file's bytes: a file is imported once
    file VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL,     -- JST
    run_id BIGINT,
    rows_applied INTEGER NOT NULL,
    rows_failed INTEGER NOT NULL
);
-- 確認用ブックの判断: every decision cell read back by `juchu apply`, applied or not and why.
CREATE SEQUENCE workbook_decisions_seq;
CREATE TABLE workbook_decisions (
    seq BIGINT PRIMARY KEY DEFAULT nextval('workbook_decisions_seq'),
    file VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    cell VARCHAR NOT NULL,              -- book.xlsx!受注チェック!R12
    mall VARCHAR,
    shop VARCHAR,
    order_number VARCHAR,
    decision VARCHAR NOT NULL,          -- 出荷OK, 保留, 保留解除, 同梱OK, 同梱しない
    outcome VARCHAR NOT NULL,           -- applied, unchanged, refused
    detail VARCHAR,
    applied_by VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL       -- JST
);
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checks::CheckResult;

    #[test]
    fn a_store_at_version_4_upgrades_and_its_orders_are_enriched_again_per_shipment() {
        let store = super::super::Store { conn: duckdb::Connection::open_in_memory().unwrap(), path: ":memory:".into() };
        store.migrate_to(4).unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO order_enrichment (mall, shop, order_number, checks, checks_failed, check_reasons, fired_rules, fingerprint, enriched_run)
                 VALUES ('rakuten', 's', '1', 'PPPNPNPNPN', 0, [NULL, NULL, NULL, 'x', NULL, 'x', NULL, 'x', NULL, 'x'], '', 0, 1)",
            )
            .unwrap();
        store.migrate().unwrap();
        let count = |sql: &str| store.conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT count(*) FROM order_enrichment"), 0, "enriched again by the next run");
        store.conn.execute_batch("INSERT INTO check_names VALUES (9, '請求金額', 'Billing amount')").unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO check_reasons VALUES (7, '5000 yen, as the mall bills'), (8, 'a');
                 INSERT INTO order_enrichment (mall, shop, order_number, shipment_no, checks, checks_failed, check_reason_ids, fired_rules, fingerprint, enriched_run)
                 VALUES ('rakuten', 's', '1', 1, 'PPPNPNPNPN', 0, [8, 8, 8, 8, 8, 8, 8, 8, 7, 8], '', 0, 2)",
            )
            .unwrap();
        let row: (String, String, String) = store
            .conn
            .query_row("SELECT check_name, result, reason FROM order_checks WHERE check_no = 9", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(row, ("請求金額".into(), "pass".into(), "5000 yen, as the mall bills".into()));
    }

    /// A migration that makes the view again keeps what later ones added (check 10 from the mail log).
    #[test]
    fn the_latest_order_checks_view_reads_check_10_from_the_mail_log() {
        let store = super::super::Store::in_memory().unwrap();
        let sql: String =
            store.conn.query_row("SELECT sql FROM duckdb_views() WHERE view_name = 'order_checks'", [], |r| r.get(0)).unwrap();
        assert!(sql.contains("mail_log"), "{sql}");
    }

    #[test]
    fn the_view_spells_out_the_letters_as_rust_does() {
        for r in CheckResult::ALL {
            assert!(V6.contains(&format!("WHEN '{}' THEN '{}'", r.letter(), r.as_str())), "{r:?}");
        }
    }
}
