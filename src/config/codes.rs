//! The one registry of diagnostic codes: code, default severity, title and how to fix, in Japanese
//! and English. Every `Diagnostic` names a code from here (a unit test proves it); the README's code
//! table is generated from this list (`JUCHU_WRITE_README=1 cargo test --release --lib codes`).
//!
//! C: pipeline and settings YAML · D: input files (CSV, workbooks) · M: master data · R: rule files ·
//! F: talking to malls · W: writing back to malls · S: the store.

use super::diagnostic::Severity;
use crate::domain::lang::Text;

pub struct Code {
    pub code: &'static str,
    pub severity: Severity,
    pub title: Text,
    pub help: Text,
}

const fn e(code: &'static str, title: Text, help: Text) -> Code {
    Code { code, severity: Severity::Error, title, help }
}

const fn w(code: &'static str, title: Text, help: Text) -> Code {
    Code { code, severity: Severity::Warning, title, help }
}

const fn t(ja: &'static str, en: &'static str) -> Text {
    Text::new(ja, en)
}

pub const CODES: &[Code] = &[
    // Pipeline and settings YAML.
    e(
        "C001",
        t("YAMLの書き方に誤りがあります", "the YAML does not parse or has an unexpected key or value"),
        t(
            "示された行と列を直してください。キー名の綴りと値の型（文字列・数値・リスト）を確認します",
            "fix the line and column shown: the key's spelling and the value's type (text, number, list)",
        ),
    ),
    e(
        "C002",
        t("ファイルを読めません", "a file cannot be read"),
        t(
            "パスを確認してください。相対パスはそのファイルを書いたファイルの場所から数えます",
            "check the path; relative paths start at the file that names them",
        ),
    ),
    e(
        "C003",
        t("YAMLファイルがUTF-8ではありません", "a YAML file is not UTF-8"),
        t("エディタでUTF-8（Shift_JISではなく）で保存し直してください", "save the file as UTF-8 (not Shift_JIS) in your editor"),
    ),
    e(
        "C010",
        t("設定ファイルに shop: の項目がありません", "the settings have no `shop:` section"),
        t(
            "shop: に code, name, sender, origin_region を書いてください（見本の shop.yaml 参照）",
            "add `shop:` with code, name, sender and origin_region (see the sample shop.yaml)",
        ),
    ),
    e(
        "C011",
        t("都道府県名が47都道府県のどれでもありません", "not one of the 47 prefectures"),
        t("「東京都」のように都道府県名を正式に書いてください", "write the prefecture's full name, e.g. 東京都"),
    ),
    e(
        "C012",
        t("郵便番号が7桁ではありません", "a postal code is not 7 digits"),
        t(
            "\"150-0001\" のように引用符で囲んで書いてください（先頭の0が消えないように）",
            "write it as \"150-0001\", in quotes, so a leading zero is kept",
        ),
    ),
    e(
        "C013",
        t("時刻として読めません", "not a time of day"),
        t("日本時間の HH:MM で書いてください（例 \"12:00\"）", "write HH:MM in JST, e.g. \"12:00\""),
    ),
    e(
        "C014",
        t("消費税の端数処理の書き方が違います", "not a way of rounding tax"),
        t(
            "モールの設定と同じく 切り捨て・四捨五入・切り上げ のどれかを書いてください",
            "write 切り捨て, 四捨五入 or 切り上げ, as set at the malls",
        ),
    ),
    e(
        "C015",
        t("受注ファイルのフォルダがありません", "the order-file folder does not exist"),
        t(
            "フォルダは設定ファイルの場所から数えます。フォルダを作るかパスを直してください",
            "the folder is relative to the settings file; create it or fix the path",
        ),
    ),
    e(
        "C016",
        t("受注ファイルの項目名が違います", "not an order field of the order-file mapping"),
        t("候補から正しい項目名を選んでください", "use one of the order fields listed"),
    ),
    e(
        "C017",
        t("受注ファイルの必須項目が割り当てられていません", "a required order field is not mapped"),
        t(
            "order_number, ordered_at, product_code, unit_price, quantity をファイルの列名に割り当ててください",
            "map order_number, ordered_at, product_code, unit_price and quantity to the file's columns",
        ),
    ),
    e(
        "C018",
        t("表示言語の指定が違います", "not a language juchu speaks"),
        t(
            "language: ja（日本語、既定）か language: en（英語）と書いてください",
            "write `language: ja` (Japanese, the default) or `language: en`",
        ),
    ),
    e(
        "C019",
        t("暗号化されない http:// の接続先です（認証情報が平文で送られます）", "a plain http:// endpoint: the credentials would travel unencrypted"),
        t(
            "https:// に直してください。http:// はこのマシンの中（localhost, 127.0.0.1, ::1）だけです。自社の閉じたネットワークなら、そのモールに allow_insecure_http: true を書きます",
            "write https://; plain http:// is only for this machine (localhost, 127.0.0.1, ::1); on a network that is yours, set `allow_insecure_http: true` for that mall",
        ),
    ),
    e(
        "C020",
        t("モールの種類が違います", "unknown mall kind"),
        t(
            "kind: に rakuten, yahoo, amazon, aupay, futureshop, yamada, ponpare のどれかを書いてください",
            "set `kind:` to rakuten, yahoo, amazon, aupay, futureshop, yamada or ponpare",
        ),
    ),
    e(
        "C021",
        t("認証情報が ${環境変数} の参照になっていません", "a credential is not an ${ENV} reference"),
        t(
            "パスワードやキーはファイルに書かず、${JUCHU_RAKUTEN_KEY} のように環境変数の名前を書いてください",
            "never write a secret in the file: write the name of an environment variable, like ${JUCHU_RAKUTEN_KEY}",
        ),
    ),
    e("C022", t("日付として読めません", "not a date"), t("YYYY-MM-DD で書いてください", "write the date as YYYY-MM-DD")),
    w(
        "C023",
        t("モールの認証情報の有効期限が切れています", "a mall's credentials have expired"),
        t(
            "モールでキー・パスワードを更新し、環境変数とこの日付を直してください（S16）",
            "renew the key or password at the mall, then update the environment variable and this date (S16)",
        ),
    ),
    w(
        "C024",
        t("モールの認証情報の有効期限が近づいています", "a mall's credentials expire soon"),
        t("期限が切れる前に更新し、この日付を直してください（S16）", "renew them before they expire, then update this date (S16)"),
    ),
    e(
        "C025",
        t("日時として読めません", "not a date-time"),
        t(
            "2026-12-01T09:00:00+09:00 のように日本時間の時差つきで書いてください",
            "write RFC 3339 with the JST offset, e.g. 2026-12-01T09:00:00+09:00",
        ),
    ),
    w(
        "C026",
        t("受注連動の開始日時が過去です", "linkage started in the past"),
        t(
            "開始日時は記録として残ります（S13）。新しく始めるときは過去でない日時にしてください（S12）",
            "the start is kept as a record (S13); a new start must not be in the past (S12)",
        ),
    ),
    e(
        "C027",
        t("受注連動がONなのに開始日時がありません", "linkage is on without a start date-time"),
        t(
            "linkage_starts_at に過去でない日時を書いてください（S12）",
            "set linkage_starts_at to a date-time that is not in the past (S12)",
        ),
    ),
    e(
        "C028",
        t("このモールには使えない接続先です", "an endpoint that cannot work for this mall"),
        t(
            "mock（模擬モール）か、FutureShop2 は ftp:// / ftps://、APIのモールは https:// を書いてください",
            "write `mock`, or ftp:// / ftps:// for FutureShop2, https:// for the API malls",
        ),
    ),
    w(
        "C029",
        t("認証情報の環境変数が設定されていません", "a credential's environment variable is not set"),
        t(
            "cron ジョブが動く環境でその環境変数を export してください（ファイルには書きません）",
            "export the variable in the environment the cron job runs in (never in the file)",
        ),
    ),
    e(
        "C030",
        t("パイプラインが指す設定ファイルがありません", "the settings file the pipeline names does not exist"),
        t("パスはパイプラインファイルの場所から数えます", "the path is relative to the pipeline file"),
    ),
    e(
        "C031",
        t("パイプラインに設定ファイルの指定がありません", "the pipeline does not name its settings file"),
        t("先頭に settings: ../shop.yaml のように書いてください", "add `settings: ../shop.yaml` at the top"),
    ),
    e(
        "C032",
        t("ステージの id が重複しています", "a stage id is used twice"),
        t("ステージごとに別の id をつけてください", "give each stage its own id"),
    ),
    e(
        "C033",
        t("ステージの種類（type）が違います", "unknown stage type"),
        t("候補のステージ種類から選んでください", "use one of the stage types listed"),
    ),
    e(
        "C034",
        t("パイプラインにステージがありません", "the pipeline has no stages"),
        t("stages: に - id: … type: … with: … を一つ以上書いてください", "add `stages:` with at least one `- id: … type: … with: …`"),
    ),
    e(
        "C035",
        t("このステージには with: の設定が必要です", "this stage needs a `with:` section"),
        t(
            "README のステージ一覧にある設定を with: に書いてください",
            "add `with:` with the stage's settings (see the README's stage list)",
        ),
    ),
    e(
        "C036",
        t(
            "ステージの順番が違います: 必要なものを用意するステージより前にあります",
            "a stage comes before the stage that provides what it needs",
        ),
        t(
            "このステージを、必要なものを用意するステージの後ろへ移してください",
            "move this stage after the stage that provides what it needs",
        ),
    ),
    e(
        "C040",
        t("with: に書いたファイルがありません", "a file named in `with:` does not exist"),
        t("パスはパイプラインファイルの場所から数えます", "paths in a pipeline are relative to the pipeline file"),
    ),
    e(
        "C041",
        t("設定にないモールです", "a mall that is not in the settings"),
        t("設定ファイルの malls: にある名前を書いてください", "use a mall name from the settings' `malls:`"),
    ),
    e(
        "C042",
        t("商品ファイルの形式が違います", "unknown product format"),
        t("rakuten, yahoo, futureshop, mapped のどれかを書いてください", "write rakuten, yahoo, futureshop or mapped"),
    ),
    e(
        "C043",
        t("このモールには決まった商品CSVの形式がありません", "this mall kind has no built-in product layout"),
        t(
            "mapping: { item_key: 列名, name: 列名, price: 列名 } でCSVの列を指定してください",
            "add `mapping: { item_key: <column>, name: <column>, price: <column> }`",
        ),
    ),
    e(
        "C044",
        t("商品の紐付けキーが違います", "unknown link key"),
        t(
            "link_by は product_code（商品番号）, item_key（商品管理番号）, sku のどれかです",
            "link_by is product_code (商品番号), item_key (商品管理番号) or sku",
        ),
    ),
    e(
        "C045",
        t("format: mapped には mapping: が必要です", "`format: mapped` needs a `mapping:`"),
        t(
            "mapping: { item_key: 列名, name: 列名, price: 列名 } を書いてください",
            "add `mapping: { item_key: <column>, name: <column>, price: <column> }`",
        ),
    ),
    e(
        "C046",
        t(
            "load_masters には workbook: か csv_dir: のどちらか一つが必要です",
            "load_masters needs exactly one of `workbook:` or `csv_dir:`",
        ),
        t("例: with: { workbook: ../sample-data/masters/masters.xlsx }", "e.g. `with: { workbook: ../sample-data/masters/masters.xlsx }`"),
    ),
    e(
        "C050",
        t("パイプラインにその id のステージがありません", "the pipeline has no stage with this id"),
        t("一覧にあるステージ id を指定してください", "name one of the stage ids listed"),
    ),
    e(
        "C060",
        t("fetch_orders に設定にないモールが書かれています", "fetch_orders names a mall that is not in the settings"),
        t("設定ファイルの malls: にある名前を書いてください", "use a mall name from the settings' `malls:`"),
    ),
    w(
        "C061",
        t("このモールの受注取込はまだありません", "this mall has no order adapter in this version"),
        t("受注は取り込まれません。malls: から外してください", "its orders are not fetched; remove it from `malls:`"),
    ),
    e(
        "C075",
        t("確認用ブックの期間が正しくありません", "the workbook's date range is not valid"),
        t(
            "from と to を YYYY-MM-DD で両方書くか、両方消して（その実行の新規・変更の受注）ください",
            "give `from` and `to` both as YYYY-MM-DD, or neither (the orders new or changed in the run)",
        ),
    ),
    e(
        "C080",
        t("送り状の書き出し設定（export_slips）が正しくありません", "the slip export settings (export_slips) are not valid"),
        t(
            "carriers: の配送会社ごとに format（b2 / ehiden / yupri）と、B2 なら請求先顧客コードと運賃管理番号を書いてください",
            "give each carrier under carriers: its format (b2, ehiden, yupri) and, for B2, the customer code and freight number",
        ),
    ),
    w(
        "C081",
        t("送り状の形式がない配送会社の荷物は書き出していません", "shipments of a carrier with no slip layout are not exported"),
        t("export_slips の carriers: にその配送会社を加えてください", "add the carrier under export_slips' carriers:"),
    ),
    // Input files.
    e(
        "D001",
        t("ファイルの文字コードが指定と違います", "the file's encoding is not the one given"),
        t(
            "encoding: を消すか（自動判定）、実際の文字コードを書いてください",
            "remove `encoding:` (juchu detects it) or give the file's real encoding",
        ),
    ),
    e(
        "D002",
        t("UTF-8でもShift_JIS（CP932）でもない文字があります", "bytes that are neither UTF-8 nor CP932 (Shift_JIS)"),
        t(
            "モールかExcelから、一つの文字コードのCSVとして出力し直してください",
            "export the file again from the mall or Excel as CSV in one encoding",
        ),
    ),
    e(
        "D003",
        t("ファイルを読めません", "a data file cannot be read"),
        t("パイプラインのパスを確認してください", "check the path in the pipeline"),
    ),
    e(
        "D004",
        t("ファイルが空か、見出し行しかありません", "the file is empty, or holds only its header row"),
        t("見出し行と1件以上のデータを含めて出力し直してください", "export it again with a header row and at least one row"),
    ),
    e(
        "D005",
        t("行の項目数が見出しと合いません（引用符の崩れ）", "a line has a different number of fields than the header (broken quoting)"),
        t("その行の \" の対応を直すか、出力し直してください", "fix the quotes on that line, or export the file again"),
    ),
    e(
        "D006",
        t("必要な列やシートの中身がありません", "required columns or sheet content are missing"),
        t(
            "示された列名の見出しで出力し直すか、mapping: で列を指定してください",
            "export again with the columns named, or name the right columns with `mapping:`",
        ),
    ),
    e(
        "D010",
        t("同じ商品が2回あります", "a product appears twice in the file"),
        t(
            "一つのファイルに商品は1回だけです。どちらかの行を消すかまとめてください",
            "each product may appear once per file; delete or merge one of the rows",
        ),
    ),
    e(
        "D011",
        t("整数として読めません", "not a whole number"),
        t("数字で書いてください（カンマ・¥・円は使えます）", "write a number; commas, ¥ and 円 are allowed"),
    ),
    e(
        "D012",
        t("コントロールカラムが n, u, d のどれでもありません", "コントロールカラム is not n, u or d"),
        t("n = 新規, u = 更新, d = 削除", "n = new product, u = update, d = delete"),
    ),
    e(
        "D013",
        t("選択肢タイプが s, c, i のどれでもありません", "選択肢タイプ is not s, c or i"),
        t("s = セレクトボックス, c = チェックボックス, i = 項目選択肢別在庫", "s = select box, c = checkbox, i = per-option stock"),
    ),
    e(
        "D014",
        t("必須の列が空です", "a required column is empty"),
        t("すべての行にこの列の値を入れてください", "every row needs a value in this column"),
    ),
    w(
        "D015",
        t("店舗にない商品への更新（u）です", "an update (u) of a product that is not in the store"),
        t("先に n（商品名・販売価格つき）で登録してください", "import the product with `n` (and 商品名, 販売価格) first"),
    ),
    e(
        "D020",
        t("ブックがありません", "the workbook does not exist"),
        t("パイプラインのパスを確認してください", "check the path in the pipeline"),
    ),
    e(
        "D021",
        t("ブックを開けません", "the workbook cannot be opened"),
        t(
            "Excelで .xlsx（Excel ブック）として保存し、共有ドライブで開いたままなら閉じてください",
            "save it from Excel as .xlsx, and close it if it is open on a shared drive",
        ),
    ),
    e(
        "D022",
        t("ブックに必要なシートがありません", "the workbook lacks a sheet"),
        t(
            "シート名をぴったり同じにして追加するか、名前を直してください",
            "add the sheet (the name must match exactly), or rename the sheet that holds it",
        ),
    ),
    e(
        "D023",
        t("都道府県名が違います", "unknown prefecture"),
        t("47都道府県の正式な名前で書いてください", "write one of the 47 prefectures' names"),
    ),
    e(
        "D024",
        t("整数として読めません", "not a whole number"),
        t("3 や 1980 のような整数で書いてください", "write an integer such as 3 or 1980"),
    ),
    e("D025", t("日付として読めません", "not a date"), t("2026-12-31 のように書いてください", "write it like 2026-12-31")),
    e(
        "D026",
        t("決められた値のどれでもありません", "not one of the allowed values"),
        t("示された値のどれかを書いてください", "write one of the values listed"),
    ),
    e(
        "D027",
        t("必須のセルが空です", "a required cell is empty"),
        t("セルを埋めるか、その行を消してください", "fill this cell, or delete the row"),
    ),
    e(
        "D028",
        t("同じキーの行が2回あります", "a key is listed twice"),
        t("どちらかの行を消すかまとめてください", "delete or merge one of the rows"),
    ),
    w(
        "D030",
        t("マスタ商品に紐付かない商品です", "a product that links to no master product"),
        t(
            "最初のモール（マスタ）の商品番号と合わせるか、link_by を変えてください",
            "give it the master mall's product number, or change `link_by`",
        ),
    ),
    e(
        "D040",
        t("送り状に書けない受注です（文字・桁数・必須項目）", "a slip cannot be written for the order (characters, width, a required field)"),
        t(
            "示された受注の項目を直すか保留にしてください。その送り状は出さず、ほかの送り状は出しました",
            "fix the order's field shown, or hold the order; that slip is left out, the others are written",
        ),
    ),
    w(
        "D044",
        t("配送サービスが配送会社にないため、通常の便で送り状を出しました", "the carrier has no such service: the slip is its standard parcel"),
        t(
            "ネコポスなどで送るなら配送会社をその便の会社に戻してください（配送会社のルール表）",
            "to ship by that service, set the carrier back to the one that offers it (the carrier rules)",
        ),
    ),
    e(
        "D041",
        t("送り状番号のファイルに使えない行があります", "a row of the tracking file cannot be used"),
        t("示された行を確かめてください。ほかの行は取り込みました", "check the row shown; the other rows are imported"),
    ),
    e(
        "D042",
        t("送り状番号のファイルの形式がわかりません", "the tracking file's layout is not one juchu reads"),
        t(
            "B2クラウドの発行済データ、e飛伝の印刷済データ、ゆうプリRの発送履歴を、Excel で開かずに取り込んでください",
            "import B2 Cloud's issued data, e-Hiden's printed data or Yu-Print R's shipping history, never opened in Excel",
        ),
    ),
    e(
        "D043",
        t("送り状番号を受注に付けられません", "the tracking number cannot go on an order"),
        t(
            "juchu が書き出した送り状か、番号がほかの荷物に付いていないか、受注がキャンセルされていないかを確かめてください",
            "check that juchu exported the slip, that the number is on no other parcel, and that the order is not cancelled",
        ),
    ),
    // Talking to malls.
    e(
        "F001",
        t("モールが認証情報を受け付けません", "a mall refused the credentials"),
        t(
            "モールの管理画面でキーを更新し、設定の ${…} が指す環境変数（例 RAKUTEN_LICENSE_KEY）に入れて cron の環境で export してください（S16）",
            "renew the key in the mall's admin screen, then export it in the cron job's environment under the variable the settings' ${…} names (e.g. RAKUTEN_LICENSE_KEY) (S16)",
        ),
    ),
    e(
        "F002",
        t("モールにつながらないか、読めない応答でした", "a mall could not be reached, kept failing, or answered something unreadable"),
        t(
            "受注は失われていません。次の実行で同じ時間帯をもう一度取りにいきます",
            "nothing was lost: the next run asks for the same window again",
        ),
    ),
    e(
        "F003",
        t("取り込んだ受注を保存できませんでした", "the orders could not be saved"),
        t(
            "このモールの受注は保存されていません。次の実行でもう一度取りにいきます",
            "the orders of this mall were not saved; the next run asks again",
        ),
    ),
    e(
        "F004",
        t("モールの設定が使えません", "a mall's settings cannot be used"),
        t(
            "設定のこのモールの項目を直してください（juchu check で一覧できます）",
            "fix this mall's entry in the settings (`juchu check` lists what is wrong)",
        ),
    ),
    w(
        "F005",
        t("ステータスのない受注があります", "an order came without a status"),
        t(
            "モールが受注ステータス（楽天 orderProgress など）を送りませんでした。ステータス不明として保存し、再取得はしません。モールの管理画面で確認してください",
            "the mall sent no status (Rakuten orderProgress, …): the order is kept with the status unknown and not asked for again; check it in the mall's screen",
        ),
    ),
    e(
        "F006",
        t("モールが一覧に出した受注が届きません", "orders the mall listed have not come in"),
        t(
            "モールは受注番号を一覧に出しましたが、内容を返しません（楽天 ORDER_EXT_API_GET_ORDER_INFO_102 など）。juchu は取得待ち（pending_orders）として毎回取得し直し、届けば取り込みます。続く場合はモールの管理画面で受注を確かめてください",
            "the mall listed the order numbers but does not return them (Rakuten ORDER_EXT_API_GET_ORDER_INFO_102, …); juchu keeps them pending (pending_orders), asks on every poll and takes them in once sent; if it goes on, look them up in the mall's admin screen",
        ),
    ),
    e(
        "F007",
        t("読み取れない受注を取り置きました", "an order the mall sent cannot be read and is set aside"),
        t(
            "その受注だけを取り置き（pending_orders に受注データと理由を保存）、他の受注は取り込みました。毎回読み直すので、モール側で受注が直るか juchu を更新すると取り込まれます",
            "only that order is set aside (its payload and the reason are kept in pending_orders); the others came in; juchu reads it again on every poll, so a corrected order or a juchu update brings it in",
        ),
    ),
    e(
        "F008",
        t("認証情報の期限が切れたモールは取得しません", "a mall whose credentials expired is not fetched"),
        t(
            "credentials_expire_on の日付を過ぎたモールには問い合わせません（S16）。他のモールは取得し、終了コードは 1 です",
            "juchu does not call a mall past its credentials_expire_on (S16); the other malls are fetched and the run exits 1",
        ),
    ),
    // Writing back to malls (書き戻し).
    e(
        "W001",
        t("書き戻す内容をモールのコードにできません", "a change cannot be put in the mall's codes"),
        t(
            "示されたマスタのセル（受注ステータス・配送会社コード）を直してください。変更は送信箱に残り、直した後の実行で送ります",
            "fix the master cell shown (受注ステータス, 配送会社コード); the change stays queued and goes out on the run after the fix",
        ),
    ),
    e(
        "W002",
        t("モールが変更を受け付けませんでした（送信を止めました）", "the mall refused a change (dead-lettered)"),
        t(
            "モールの言葉を読んで受注かマスタを直し、juchu write-back --retry-dead で送り直してください",
            "read the mall's words, fix the order or the master, then `juchu write-back --retry-dead`",
        ),
    ),
    e(
        "W003",
        t("応答のない送信が続いたため止めました", "a change got no answer too many times (dead-lettered)"),
        t(
            "モールの画面で受注を確かめてから juchu write-back --retry-dead で送り直してください（送る前にモールの状態を読むので、二重には送りません）",
            "check the order in the mall's screen, then `juchu write-back --retry-dead` (it reads the mall first, so nothing is sent twice)",
        ),
    ),
    e(
        "W004",
        t("設定にないモールへの書き戻しがあります", "changes are queued for a mall the settings do not have"),
        t(
            "設定の malls: にそのモールを戻すか、モール名の綴りを確かめてください。変更は送信箱に残っています",
            "put the mall back under `malls:` in the settings or check its spelling; the changes stay queued",
        ),
    ),
    // Master data.
    e(
        "M000",
        t("店舗にマスタがありません", "no masters in the store"),
        t("このステージより前に load_masters ステージを置いてください", "put a load_masters stage before this stage"),
    ),
    e(
        "M001",
        t("受注ステータスマスタが楽天RMSと一致しません", "the order-status master does not match Rakuten RMS"),
        t(
            "ステータス名はRMSとまったく同じに書き、社内での呼び名は「社内ステータス」列に書いてください",
            "write each status exactly as RMS does; the internal name goes in 社内ステータス",
        ),
    ),
    e(
        "M002",
        t("都道府県マスタが47都道府県と一致しません", "the prefecture master is not exactly the 47 prefectures"),
        t(
            "都道府県名とJISコード（\"01\" のように文字列）を正しく書いてください",
            "write the 47 names and JIS codes (as text, like \"01\") exactly",
        ),
    ),
    w(
        "M003",
        t(
            "配送条件か物流会社がない商品です（チェック1〜3が空になります）",
            "a master product has no delivery condition or logistics company (checks 1–3 will be empty)",
        ),
        t("配送条件シートにこの商品番号の行を追加してください", "add a row for the product on the 配送条件 sheet"),
    ),
    e(
        "M004",
        t(
            "配送条件が未登録の物流会社・配送会社・時間帯を指しています",
            "a delivery condition names an unknown logistics company, carrier or time slot",
        ),
        t("物流会社・配送会社・配送時間帯のシートに登録するか、名前を直してください", "register it on its sheet, or fix the name"),
    ),
    w(
        "M005",
        t(
            "価格つきの選択肢なのにオプション加算が登録されていないか、金額が違います",
            "an option choice with a price has no add-on registered, or a different amount",
        ),
        t(
            "オプション加算シートに商品番号・項目名・選択肢・加算額を登録してください",
            "register the product, item, choice and amount on the オプション加算 sheet",
        ),
    ),
    w(
        "M006",
        t("決済方法マスタがないモールです（チェック7が空になります）", "a mall has no payment-method mapping (check 7 will be empty)"),
        t("決済方法シートにこのモールの決済方法名を登録してください", "register the mall's payment methods on the 決済方法 sheet"),
    ),
    w(
        "M007",
        t("出荷元から配送日数がない都道府県があります", "transit days are missing for some prefectures"),
        t(
            "配送日数シートに、出荷元地域から全都道府県への日数を書いてください",
            "fill the 配送日数 sheet for every prefecture from the shop's origin region",
        ),
    ),
    e(
        "M008",
        t("配送方法が配送会社シートにない配送会社を指しています", "a delivery method names a carrier that is not in the 配送会社 sheet"),
        t("配送会社シートに登録するか、名前を直してください", "register the carrier on the 配送会社 sheet, or fix the name"),
    ),
    w(
        "M009",
        t("冷蔵・冷凍の配送方法なのに、配送会社がクール便に対応していません", "a refrigerated or frozen delivery method on a carrier without クール便"),
        t(
            "配送会社シートのクール便を「対応」にするか、クール便のある配送会社か温度帯を書いてください",
            "set クール便 to 対応 on the 配送会社 sheet, or give the method a carrier with cool delivery or another 温度帯",
        ),
    ),
    w(
        "M010",
        t("配送時間帯が一つもない配送会社です（時間帯指定の受注はチェック4で不合格になります）", "a carrier has no time slots (orders asking it for a slot fail check 4)"),
        t("配送時間帯シートにこの配送会社の時間帯を登録してください", "register the carrier's time slots on the 配送時間帯 sheet"),
    ),
    w(
        "M011",
        t("祝日一覧の期間が終わります（以降は計算による暫定の祝日です）", "the national holiday list ends soon (the years after are computed, provisional)"),
        t(
            "内閣府が翌年の祝日を公表したら（毎年2月）、juchu か data/holidays/syukujitsu.csv を更新してください。それまでは祝日法による計算で休日を除きます",
            "update juchu, or data/holidays/syukujitsu.csv, when the Cabinet Office publishes the next year (each February); until then the holidays are computed by the Holiday Act",
        ),
    ),
    w(
        "M012",
        t("配送会社コードのシートに、配送会社シートにない配送会社があります", "a 配送会社コード row names a carrier the 配送会社 sheet lacks"),
        t(
            "配送会社シートと同じ名前に直してください。書き戻しは配送会社シートの名前でコードを探します",
            "write the name as the 配送会社 sheet does; the write-back looks codes up by that name",
        ),
    ),
    e(
        "C070",
        t("設定に mail: がありません", "the settings have no `mail:` section"),
        t(
            "send_mail の段階を使うときは shop.yaml に mail: の from（送信元）と signature（署名）を書いてください",
            "a send_mail stage needs `mail:` in shop.yaml with `from` (the sender) and `signature`",
        ),
    ),
    e(
        "C071",
        t("SMTP の設定が使えません", "the SMTP settings cannot be used"),
        t(
            "mail.smtp の host・port・tls と、user・password の環境変数が設定されているか確かめてください",
            "check mail.smtp's host, port and tls, and that the user and password variables are exported",
        ),
    ),
    w(
        "C072",
        t("楽天あての送信元が RMS に登録されたアドレスではありません", "a Rakuten mail's sender is not an RMS-registered address"),
        t(
            "楽天あんしんメルアドの中継サーバ（sub.fw.rakuten.ne.jp:587）は RMS に登録した送信元（店舗連絡先・注文確認メール送り先など）からのメールしか通しません。登録済みのアドレスを mail.rms_senders に書くか、from をそれにしてください",
            "Rakuten's relay (sub.fw.rakuten.ne.jp:587) passes mail only from an address registered in RMS (店舗連絡先, 注文確認メール送り先, …): list it under mail.rms_senders, or send from it",
        ),
    ),
    // Rule files.
    e(
        "R010",
        t("メールテンプレートを差し込めません", "a mail template does not render"),
        t(
            "示された行の名前とフィルタを確かめてください。使える名前は README「注文メール」にあります（未定義の名前はエラーです）",
            "check the names and filters on the line shown; the names are listed in the README, \"Order mails\" (an undefined name is an error)",
        ),
    ),
    e(
        "R001",
        t("ヒットポリシーが違います", "unknown hit policy"),
        t(
            "first（最初に合った行）か collect（合ったすべての行）を書いてください",
            "write `first` (the first matching row wins) or `collect` (every matching row)",
        ),
    ),
    e(
        "R002",
        t("受注の項目にない名前です", "not a field of the order"),
        t("候補の項目名から選んでください", "use one of the fields listed"),
    ),
    e(
        "R003",
        t("ルールでは設定できない項目です", "a column rules cannot set"),
        t("ルールで設定できる項目から選んでください", "use one of the outputs rules can set"),
    ),
    e(
        "R004",
        t("行のセルの数が列の数と合いません", "a row has the wrong number of cells"),
        t(
            "入力列と出力列の数だけセルを書いてください（空のセルは \"\"）",
            "write one cell per input and output column (an empty cell is \"\")",
        ),
    ),
    e(
        "R005",
        t("セルを読めません", "a cell does not parse"),
        t("示された文字のところを直してください", "fix the cell at the character shown"),
    ),
    e(
        "R006",
        t("値の種類が項目と合いません", "a literal of the wrong kind for its field"),
        t("項目の種類（金額・日付・文字など）に合う値を書いてください", "write a value of the field's kind (yen, date, text …)"),
    ),
    e(
        "R007",
        t("テストが表にない列を指しています", "a test names a column the table lacks"),
        t("表の列名を使ってください", "use the table's column names"),
    ),
    w(
        "R008",
        t("この行はどの受注にも当たりません", "a row that can never match"),
        t(
            "前の行がこの行の条件をすべて含んでいます。行を上へ移すか消してください",
            "an earlier row matches everything it does; move it up or delete it",
        ),
    ),
    // The store.
    e(
        "S001",
        t("店舗データ（ストア）を読めません", "the store cannot be read"),
        t(
            "ファイルが juchu のストアか確認し、壊れていれば別名に移して実行し直すか、バックアップから戻してください",
            "check the file is a juchu store; if it is damaged, move it aside and run again, or restore a backup",
        ),
    ),
];

/// The registry entry of a code.
pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

/// The README's code table, as Markdown.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | 日本語 | English |\n|---|---|---|---|\n");
    for c in CODES {
        let sev = match c.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("| {} | {sev} | {} | {} |\n", c.code, c.title.ja.replace('|', "\\|"), c.title.en.replace('|', "\\|")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `"X000"`-shaped string literal in `src/` outside this file.
    fn codes_used_in_src() -> Vec<(String, String)> {
        let mut found = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("config/codes.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let b = text.as_bytes();
                    for i in 0..b.len().saturating_sub(5) {
                        let lit = &b[i..i + 6];
                        if lit[0] == b'"' && lit[5] == b'"' && b"CDFMRSW".contains(&lit[1]) && lit[2..5].iter().all(u8::is_ascii_digit) {
                            found.push((String::from_utf8(lit[1..5].to_vec()).unwrap(), path.display().to_string()));
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "{} is registered twice", c.code);
            assert!(!c.title.ja.is_empty() && !c.title.en.is_empty() && !c.help.ja.is_empty() && !c.help.en.is_empty(), "{}", c.code);
        }
    }

    #[test]
    fn every_code_used_in_src_is_registered() {
        let used = codes_used_in_src();
        assert!(used.len() > 50, "the scan found only {} codes", used.len());
        for (code, file) in &used {
            assert!(lookup(code).is_some(), "{code} is used in {file} but not registered in src/config/codes.rs");
        }
    }

    #[test]
    fn every_registered_code_is_used() {
        let used: std::collections::HashSet<String> = codes_used_in_src().into_iter().map(|(c, _)| c).collect();
        for c in CODES {
            assert!(used.contains(c.code), "{} is registered but never used in src/", c.code);
        }
    }

    /// The README's table is this registry (`JUCHU_WRITE_README=1` rewrites it).
    #[test]
    fn the_readme_table_is_the_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let (start, end) = ("<!-- codes:start -->\n", "<!-- codes:end -->");
        let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else { panic!("README.md lacks the {start} … {end} markers") };
        let table = markdown_table();
        if readme[a + start.len()..b] != table {
            if std::env::var("JUCHU_WRITE_README").is_ok() {
                std::fs::write(path, format!("{}{table}{}", &readme[..a + start.len()], &readme[b..])).unwrap();
            } else {
                panic!(
                    "README.md's code table differs from src/config/codes.rs: run `JUCHU_WRITE_README=1 cargo test --release --lib codes`"
                );
            }
        }
    }
}
