#!/usr/bin/env python3
"""Regenerate the sample mall product CSVs (CP932, CRLF) of the 和み雑貨店 sample shop.

Run: python3 generate_products.py   (writes rakuten/item.csv, rakuten/select.csv,
yahoo/data.csv and futureshop/goods.csv under sample-data/products). Encoding is
strict cp932 (not shift_jis), so ～ must be U+FF5E and － U+FF0D."""
import csv, io, os
BASE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = 'https://image.rakuten.co.jp/nagomi-zakka/cabinet/'

ITEM_HEADER = """コントロールカラム,商品管理番号（商品URL）,商品番号,全商品ディレクトリID,タグID,PC用キャッチコピー,モバイル用キャッチコピー,
商品名,販売価格,表示価格,消費税,送料,個別送料,送料区分1,送料区分2,代引料,倉庫指定,商品情報レイアウト,注文ボタン,
資料請求ボタン,商品問い合わせボタン,再入荷お知らせボタン,モバイル表示,のし対応,PC用商品説明文,モバイル用商品説明文,
スマートフォン用商品説明文,PC用販売説明文,商品画像URL,商品画像名（ALT）,動画,販売期間指定,注文受付数,在庫タイプ,在庫数,
在庫数表示,項目選択肢別在庫用横軸項目名,項目選択肢別在庫用縦軸項目名,項目選択肢別在庫用残り表示閾値,RAC番号,サーチ非表示,
闇市パスワード,カタログID,在庫戻しフラグ,在庫切れ時の注文受付,在庫あり時納期管理番号,在庫切れ時納期管理番号,
予約商品発売日,ポイント変倍率,ポイント変倍率適用期間,ヘッダー・フッター・レフトナビ,表示項目の並び順,共通説明文（小）,
目玉商品,共通説明文（大）,レビュー本文表示,あす楽配送管理番号,海外配送管理番号,サイズ表リンク,医薬品説明文,医薬品注意事項,
二重価格文言管理番号""".replace('\n', '').split(',')
assert len(ITEM_HEADER) == 62, len(ITEM_HEADER)  # mall-apis.md §2 lists 62 names

SELECT_HEADER = '項目選択肢用コントロールカラム,商品管理番号（商品URL）,選択肢タイプ,Select/Checkbox用項目名,Select/Checkbox用選択肢,項目選択肢別在庫用横軸選択肢,項目選択肢別在庫用横軸選択肢子番号,項目選択肢別在庫用縦軸選択肢,項目選択肢別在庫用縦軸選択肢子番号,項目選択肢別在庫用取り寄せ可能表示,項目選択肢別在庫用在庫数,在庫戻しフラグ,在庫切れ時の注文受付,在庫あり時納期管理番号,在庫切れ時納期管理番号'.split(',')
assert len(SELECT_HEADER) == 15

T = '\uff5e'   # ～ FULLWIDTH TILDE (CP932 0x8160)
M = '\uff0d'   # － FULLWIDTH HYPHEN-MINUS (CP932 0x817C)

# slug, 商品番号, name, price, 送料(0 送料別/1 送料込), 在庫タイプ, 在庫数, のし, genre, food?, temp, 物流, carrier, lead days, slots, catch, desc, img
P = [
 dict(slug='imabari-towel-01', code='NG-TWL-001', name='今治タオル フェイスタオル 2枚セット 日本製 ギフト', price=1980, soryo=0, stype=1, stock=48, noshi=1, genre=100541, food=False,
      catch='ふんわり厚手の今治タオル', desc=f'<p>①吸水性 ②やわらかさ ③耐久性にこだわった今治タオルです。</p><p>サイズ：約34×80cm（±2cm）<br>製造元：㈱髙橋タオル（愛媛県今治市）</p><p>お届けまで3{T}5営業日</p>', img='towel/imabari-01.jpg'),
 dict(slug='arita-mug-01', code='NG-MUG-001', name='有田焼 マグカップ 藍染付 300ml 名入れ可', price=3240, soryo=0, stype=1, stock=20, noshi=1, genre=216129, food=False,
      catch='職人が絵付けした有田焼', desc=f'<p>佐賀県有田町の窯元で一点ずつ絵付けしています。</p><p>容量：約300ml<br>電子レンジ：①可 食洗機：②不可</p><p>名入れは{T}8文字まで（漢字・かな・英字）。</p>', img='mug/arita-01.jpg'),
 dict(slug='nambu-kyusu-01', code='NG-KYS-001', name='南部鉄器 急須 0.5L 霰（あられ） 茶こし付', price=8800, soryo=1, stype=1, stock=8, noshi=1, genre=216096, food=False,
      catch='送料無料 岩手の伝統工芸', desc=f'<p>岩手県奥州市の鋳物工房「髙舘鋳造所」の南部鉄器急須です。</p><p>容量：0.5L 重さ：約900g<br>内側はホーロー加工のため、直火にはかけられません。</p><p>※手作りのため、霰の模様は一点ずつ異なります{T}</p>', img='iron/kyusu-01.jpg'),
 dict(slug='shinshu-apple-juice-6', code='NG-JUC-006', name='信州りんごジュース ストレート果汁100% 1L×6本', price=4320, soryo=1, stype=1, stock=30, noshi=1, genre=100316, food=True,
      catch='長野県産りんご100%', desc=f'<p>長野県産のふじりんごを搾ったストレートジュース（1L×6本）。</p><p>原材料：りんご（長野県産）/酸化防止剤（ビタミンC）<br>賞味期限：製造日より1年</p><p>販売者：㈱信州フルーツ工房 TEL 0263{M}00{M}0000</p>', img='food/apple-juice-6.jpg'),
 dict(slug='uji-matcha-01', code='NG-MCH-001', name='京都宇治抹茶 薄茶用 100g 缶入り', price=2160, soryo=0, stype=1, stock=40, noshi=0, genre=100317, food=True,
      catch='石臼挽きの宇治抹茶', desc=f'<p>京都府宇治産の一番茶を石臼で挽いた抹茶です。</p><p>①茶こしでふるう ②70{T}80℃のお湯を注ぐ ③茶筅で点てる</p><p>内容量：100g 保存方法：高温多湿を避けて保存</p>', img='food/uji-matcha-01.jpg'),
 dict(slug='hokkaido-konbu-01', code='NG-KOB-001', name='北海道産 日高昆布 200g だし用', price=1620, soryo=0, stype=1, stock=60, noshi=0, genre=100260, food=True,
      catch='だしがよく出る日高昆布', desc=f'<p>北海道日高地方で採れた天然昆布です。</p><p>内容量：200g<br>加工者：㈱髙田海産（北海道様似郡）</p><p>北海道の出荷センターから常温便でお届けします。</p>', img='food/konbu-01.jpg'),
 dict(slug='hakata-motsunabe-01', code='NG-MTN-001', name='冷凍 博多もつ鍋セット 醤油味 2〜3人前', price=4980, soryo=1, stype=1, stock=25, noshi=0, genre=100227, food=True,
      catch='【冷凍便】送料無料', desc=f'<p>国産牛もつ400g・特製醤油スープ・ちゃんぽん麺のセット（2{T}3人前）。</p><p>①解凍して ②野菜と煮込むだけ。<br>賞味期限：冷凍で30日</p><p>ヤマト運輸クール宅急便（冷凍）でお届けします。</p>', img='food/motsunabe-01.jpg'),
 dict(slug='tenugui-01', code='NG-TNG-001', name='注染 手ぬぐい 和柄 綿100% 約90×34cm', price=1100, soryo=0, stype=1, stock=120, noshi=0, genre=403730, food=False,
      catch='職人が一枚ずつ染めた手ぬぐい', desc=f'<p>東京の染工場で注染（ちゅうせん）により染めた手ぬぐいです。</p><p>サイズ：約90×34cm 素材：綿100%</p><p>※端は切りっぱなしです。洗うと{T}1cmほど縮みます。</p>', img='tenugui/tenugui-01.jpg'),
 dict(slug='naire-hashi-01', code='NG-HSI-001', name='名入れ箸 夫婦箸セット 若狭塗 桐箱入り', price=3850, soryo=0, stype=1, stock=35, noshi=1, genre=216130, food=False,
      catch='名入れ無料キャンペーン中', desc=f'<p>福井県小浜市の若狭塗の夫婦箸です。</p><p>長さ：23cm／21cm<br>名入れ：①書体を選択 ②お名前を備考欄に入力</p><p>名入れ商品はお届けまで5{T}7営業日かかります。</p>', img='hashi/naire-01.jpg'),
 dict(slug='wa-tshirt-01', code='NG-TSH-001', name='和柄 Tシャツ 綿100% 富士と波', price=3300, soryo=0, stype=2, stock=None, noshi=0, genre=303656, food=False,
      catch='サイズ・カラー選べます', desc=f'<p>浮世絵の波をモチーフにした和柄Tシャツです。</p><p>サイズ：S／M／L 着丈 66{T}74cm<br>カラー：赤・紺・白</p><p>企画：㈱髙島屋染工 日本製</p>', img='apparel/tshirt-01.jpg'),
 dict(slug='jinbei-01', code='NG-JNB-001', name='甚平 メンズ 綿麻 しじら織', price=5480, soryo=1, stype=2, stock=None, noshi=0, genre=566064, food=False,
      catch='送料無料 夏の定番', desc=f'<p>涼しいしじら織の綿麻甚平です。</p><p>サイズ：S／M／L（身長 160{T}185cm）<br>カラー：赤・紺・白</p><p>①洗濯機可 ②タンブラー乾燥不可</p>', img='apparel/jinbei-01.jpg'),
 dict(slug='hokkaido-ikura-01', code='NG-IKR-001', name='冷凍 北海道産 いくら醤油漬け 250g', price=5400, soryo=1, stype=1, stock=15, noshi=1, genre=100236, food=True,
      catch='【冷凍便】送料無料 北海道産', desc=f'<p>北海道産の秋鮭の卵を特製醤油に漬けました。</p><p>内容量：250g 賞味期限：冷凍で60日<br>製造者：㈱髙橋水産（北海道根室市）</p><p>冷凍庫から冷蔵庫に移し、6{T}8時間かけて解凍してください。</p>', img='food/ikura-01.jpg'),
]
for p in P:
    p['name'] = p['name'].replace('〜', T)

def item_row(p):
    r = dict.fromkeys(ITEM_HEADER, '')
    r.update({
        'コントロールカラム': 'n', '商品管理番号（商品URL）': p['slug'], '商品番号': p['code'],
        '全商品ディレクトリID': str(p['genre']), 'PC用キャッチコピー': p['catch'], 'モバイル用キャッチコピー': p['catch'],
        '商品名': p['name'], '販売価格': str(p['price']), '消費税': '1', '送料': str(p['soryo']), '代引料': '0',
        '倉庫指定': '0', '商品情報レイアウト': '1', '注文ボタン': '1', '資料請求ボタン': '0', '商品問い合わせボタン': '1',
        '再入荷お知らせボタン': '1', 'モバイル表示': '1', 'のし対応': str(p['noshi']),
        'PC用商品説明文': p['desc'], 'スマートフォン用商品説明文': p['desc'],
        'PC用販売説明文': '<p>和み雑貨店は、日本の職人がつくる雑貨と食品をお届けしています。</p>',
        '商品画像URL': IMG + p['img'] + ' ' + IMG + p['img'].replace('-01.', '-02.').replace('-6.', '-6b.'),
        '商品画像名（ALT）': p['name'], '在庫タイプ': str(p['stype']),
        '在庫数': '' if p['stype'] == 2 else str(p['stock']), '在庫数表示': '0',
        'サーチ非表示': '0', '在庫戻しフラグ': '0', '在庫切れ時の注文受付': '0', '在庫あり時納期管理番号': '1',
        'ヘッダー・フッター・レフトナビ': '自動選択', '表示項目の並び順': '自動選択', '共通説明文（小）': '自動選択',
        '目玉商品': '自動選択', '共通説明文（大）': '自動選択', 'レビュー本文表示': '2',
    })
    if p['stype'] == 2:
        r['項目選択肢別在庫用横軸項目名'] = 'カラー'
        r['項目選択肢別在庫用縦軸項目名'] = 'サイズ'
        r['項目選択肢別在庫用残り表示閾値'] = '3'
    return [r[h] for h in ITEM_HEADER]

WRAP = ('ラッピング', ['なし', 'あり(+300円)'])
NAIRE = ('名入れ', ['なし', 'あり(+550円)'])
NOSHI = ('のし', ['不要', '御祝', '内祝', '御礼', '御中元', '御歳暮'])
SELECTS = {
    'imabari-towel-01': [('s',) + WRAP, ('s',) + NOSHI],
    'arita-mug-01': [('s',) + WRAP, ('s',) + NAIRE],
    'nambu-kyusu-01': [('s',) + WRAP, ('s',) + NOSHI],
    'shinshu-apple-juice-6': [('s',) + NOSHI],
    'hakata-motsunabe-01': [('s', '追加麺', ['なし', 'ちゃんぽん麺2玉追加(+250円)'])],
    'tenugui-01': [('c', 'オプション', ['桐箱入り(+330円)', 'メッセージカード'])],
    'naire-hashi-01': [('s',) + NAIRE, ('s',) + WRAP],
    'wa-tshirt-01': [('s',) + WRAP],
    'hokkaido-ikura-01': [('s',) + NOSHI],
}
COLORS = [('赤', '-r'), ('紺', '-n'), ('白', '-w')]
SIZES = [('S', '-s'), ('M', '-m'), ('L', '-l')]
PER_OPTION_STOCK = {
    'wa-tshirt-01': [5, 8, 3, 10, 12, 6, 4, 0, 2],
    'jinbei-01': [2, 4, 3, 6, 9, 7, 1, 3, 0],
}

def select_rows():
    rows = []
    for p in P:
        s = p['slug']
        for typ, name, choices in SELECTS.get(s, []):
            for c in choices:
                rows.append(['n', s, typ, name, c] + [''] * 10)
        if s in PER_OPTION_STOCK:
            stocks = iter(PER_OPTION_STOCK[s])
            for cname, csub in COLORS:
                for sname, ssub in SIZES:
                    rows.append(['n', s, 'i', '', '', cname, csub, sname, ssub, '0', str(next(stocks)), '0', '0', '1', ''])
    return rows

def write_cp932(path, header, rows, quote_all=True):
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator='\r\n')
    w.writerow(header)
    w.writerows(rows)
    with open(path, 'wb') as f:
        f.write(buf.getvalue().encode('cp932'))  # strict: fails on anything CP932 cannot hold

def price_options():
    import re
    out = []
    for p in P:
        for typ, name, choices in SELECTS.get(p['slug'], []):
            for c in choices:
                m = re.search(r'\(\+(\d+)円\)', c)
                if m:
                    out.append([p['code'], name, c, int(m.group(1))])
    return out

# ---------- Yahoo ----------
YAHOO_HEADER = 'path,name,code,sub-code,original-price,price,sale-price,options,headline,caption,abstract,explanation,additional1,ship-weight,taxable,release-date,display,sort,lead-time-instock,postage-set,taxrate-type'.split(',')
YAHOO_PATH = {'NG-TWL-001': 'タオル:今治タオル', 'NG-MUG-001': '食器:マグカップ', 'NG-KYS-001': 'キッチン:急須',
              'NG-JUC-006': '食品:飲料', 'NG-MCH-001': '食品:お茶', 'NG-KOB-001': '食品:乾物', 'NG-MTN-001': '食品:冷凍食品',
              'NG-TNG-001': '和雑貨:手ぬぐい', 'NG-TSH-001': 'ファッション:Tシャツ', 'NG-JNB-001': 'ファッション:甚平'}

def yahoo_rows():
    rows = []
    bycode = {p['code']: p for p in P}
    for i, code in enumerate(YAHOO_PATH):
        p = bycode[code]
        opts = []
        for typ, name, choices in SELECTS.get(p['slug'], []):
            opts.append(name + ' ' + ' '.join(c for c in choices))
        sub = ''
        if p['stype'] == 2:
            opts = ['カラー 赤 紺 白', 'サイズ S M L'] + opts
            sub = '&'.join(f'カラー:{cn}#サイズ:{sn}={code}{cs}{ss}' for cn, cs in COLORS for sn, ss in SIZES)
        price = p['price'] + (100 if code in ('NG-KYS-001', 'NG-JNB-001') else 0)
        rows.append([YAHOO_PATH[code], p['name'], code, sub, '', str(price), '', '\n'.join(opts), p['catch'],
                     p['desc'], p['catch'], p['desc'].replace('<p>', '').replace('</p>', ' ').replace('<br>', ' ').strip(),
                     '', '', '1', '', '1', str(i + 1), '1' if code != 'NG-MTN-001' else '3', '1', '0.08' if p['food'] else '0.1'])
    rows.append(['和雑貨:ふろしき', 'Yahoo!ショッピング限定 風呂敷 二四巾 約90cm', 'NG-YH-ONLY-01', '', '', '2750', '', 'ラッピング なし あり(+300円)',
                 'ヤフー店限定品', f'<p>綿100%の風呂敷です。約90{T}92cm角。</p>', 'ヤフー店限定品', f'綿100%の風呂敷です。約90{T}92cm角。',
                 '', '', '1', '', '1', '11', '1', '1', '0.1'])
    return rows

FS_HEADER = '商品URLコード,商品番号,商品名,販売価格,定価,消費税区分,在庫数,表示区分'.split(',')
FS_CODES = ['NG-TWL-001', 'NG-MUG-001', 'NG-KYS-001', 'NG-JUC-006', 'NG-MCH-001', 'NG-HSI-001']

def fs_rows():
    bycode = {p['code']: p for p in P}
    return [[bycode[c]['slug'], c, bycode[c]['name'], str(bycode[c]['price']), '', '内税', str(bycode[c]['stock']), '表示'] for c in FS_CODES]

if __name__ == '__main__':
    write_cp932(f'{BASE}/products/rakuten/item.csv', ITEM_HEADER, [item_row(p) for p in P])
    write_cp932(f'{BASE}/products/rakuten/select.csv', SELECT_HEADER, select_rows())
    write_cp932(f'{BASE}/products/yahoo/data.csv', YAHOO_HEADER, yahoo_rows())
    write_cp932(f'{BASE}/products/futureshop/goods.csv', FS_HEADER, fs_rows())
    print('products written')
