//! 消費税: the 10 % standard and 8 % reduced (軽減税率) rates, and yen rounding (端数処理) as the
//! shop has set it at the mall. Pure integer arithmetic: no floats touch a yen.

use serde::{Deserialize, Serialize};

use super::Yen;

/// 標準税率
pub const STANDARD: u8 = 10;
/// 軽減税率 (food and drink, newspapers)
pub const REDUCED: u8 = 8;

/// The rates in force on a day: 10 % and 8 % (軽減税率) from 2019-10-01; one rate for everything
/// before (8 % from 2014-04-01, 5 % from 1997-04-01, 3 % from 1989-04-01), so an old order replays
/// as it was billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub standard: u8,
    pub reduced: u8,
}

impl Rates {
    pub fn on(day: chrono::NaiveDate) -> Rates {
        let since = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        let one = |r| Rates { standard: r, reduced: r };
        if day >= since(2019, 10, 1) {
            Rates { standard: STANDARD, reduced: REDUCED }
        } else if day >= since(2014, 4, 1) {
            one(8)
        } else if day >= since(1997, 4, 1) {
            one(5)
        } else {
            one(3)
        }
    }

    /// `10 % / 8 %`, or `8 %` where one rate was in force.
    pub fn describe(self) -> String {
        if self.standard == self.reduced {
            format!("{} %", self.standard)
        } else {
            format!("{} % / {} %", self.standard, self.reduced)
        }
    }
}

/// 端数処理: how a fraction of a yen of tax is settled. The malls let the shop choose; Rakuten's
/// default, and the most common, is 切り捨て.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 切り捨て
    #[default]
    Floor,
    /// 四捨五入
    Round,
    /// 切り上げ
    Ceil,
}

impl Rounding {
    /// `切り捨て` / `四捨五入` / `切り上げ`, or `floor` / `round` / `ceil`.
    pub fn parse(s: &str) -> Option<Rounding> {
        match s.trim() {
            "切り捨て" | "切捨て" | "切捨" | "floor" => Some(Rounding::Floor),
            "四捨五入" | "round" => Some(Rounding::Round),
            "切り上げ" | "切上げ" | "切上" | "ceil" => Some(Rounding::Ceil),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Rounding::Floor => "切り捨て",
            Rounding::Round => "四捨五入",
            Rounding::Ceil => "切り上げ",
        }
    }

    /// `numerator / denominator` (denominator > 0) settled to whole yen.
    pub fn divide(self, numerator: i64, denominator: i64) -> Yen {
        let q = numerator.div_euclid(denominator);
        let r = numerator.rem_euclid(denominator);
        match self {
            Rounding::Floor => q,
            Rounding::Ceil => q + (r > 0) as i64,
            Rounding::Round => q + (2 * r >= denominator) as i64,
        }
    }
}

/// The tax inside a tax-included amount (内税): amount × rate / (100 + rate).
pub fn included(amount: Yen, rate: u8, rounding: Rounding) -> Yen {
    rounding.divide(amount * rate as i64, 100 + rate as i64)
}

/// The tax on a tax-excluded amount (外税): amount × rate / 100.
pub fn added(amount: Yen, rate: u8, rounding: Rounding) -> Yen {
    rounding.divide(amount * rate as i64, 100)
}

/// The amounts of one order by rate, before tax is worked out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bases {
    /// Tax-included amounts at 10 % and at 8 % (items, options, fees).
    pub included: [Yen; 2],
    /// Tax-excluded amounts (税別 items) at 10 % and at 8 %.
    pub excluded: [Yen; 2],
}

/// The tax of one order per rate, and what the tax-excluded items add to the bill.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderTax {
    /// 消費税額 at 10 % and at 8 %, within the billing total.
    pub by_rate: [Yen; 2],
    /// Tax the 税別 items add on top of their prices.
    pub added: Yen,
}

/// Tax per rate over one order, rounded once per rate (as the malls compute an order's tax, not per
/// line). Coupons lower the tax base, taken from the 10 % amounts first and the rest from the 8 %
/// ones; points are a way of paying and leave the tax as it is.
pub fn order_tax(mut b: Bases, coupons: Yen, rounding: Rounding, rates: Rates) -> OrderTax {
    let mut coupon = coupons.max(0);
    for k in 0..2 {
        for amounts in [&mut b.included, &mut b.excluded] {
            let take = coupon.min(amounts[k].max(0));
            amounts[k] -= take;
            coupon -= take;
        }
    }
    let mut out = OrderTax::default();
    for (k, rate) in [rates.standard, rates.reduced].into_iter().enumerate() {
        let on_top = added(b.excluded[k], rate, rounding);
        out.added += on_top;
        out.by_rate[k] = included(b.included[k], rate, rounding) + on_top;
    }
    out
}

/// A rate the mall sends as a fraction (Rakuten `taxRate`: 0.1, 0.08) in percent.
pub fn rate_from_fraction(f: f64) -> Option<u8> {
    let pct = (f * 100.0).round();
    (0.0..=100.0).contains(&pct).then_some(pct as u8)
}

/// A rate the mall sends as text: `10`, `8`, `10%`, `0.08`.
pub fn rate_from_text(t: &str) -> Option<u8> {
    let t = super::text::to_half_width(t.trim());
    let t = t.trim_end_matches('%');
    if t.contains('.') {
        return t.parse::<f64>().ok().and_then(|f| if f < 1.0 { rate_from_fraction(f) } else { Some(f.round() as u8) });
    }
    t.parse::<u8>().ok()
}

/// The rate index (0 = 10 %, 1 = 8 %) of a rate in percent; anything but 8 counts as standard.
pub fn rate_index(rate: u8) -> usize {
    (rate == REDUCED) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Rates = Rates { standard: STANDARD, reduced: REDUCED };

    #[test]
    fn the_rates_in_force_on_the_order_date() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(Rates::on(d("2019-10-01")), Rates { standard: 10, reduced: 8 });
        assert_eq!(Rates::on(d("2019-09-30")), Rates { standard: 8, reduced: 8 });
        assert_eq!(Rates::on(d("2014-03-31")), Rates { standard: 5, reduced: 5 });
        // A 2018 order of 1,080 yen at the then 8 %: 80 yen of tax, not 98.
        let b = Bases { included: [1080, 0], excluded: [0, 0] };
        assert_eq!(order_tax(b, 0, Rounding::Floor, Rates::on(d("2018-01-01"))).by_rate, [80, 0]);
    }

    #[test]
    fn included_tax_is_rounded_as_the_shop_set_it() {
        // 3,240 yen at 10 %: 294.54… yen of tax.
        assert_eq!(included(3240, 10, Rounding::Floor), 294);
        assert_eq!(included(3240, 10, Rounding::Round), 295);
        assert_eq!(included(3240, 10, Rounding::Ceil), 295);
        // 2,160 yen of matcha at 8 %: exactly 160 yen.
        assert_eq!(included(2160, 8, Rounding::Ceil), 160);
        assert_eq!(added(1999, 8, Rounding::Floor), 159);
        assert_eq!(added(1999, 8, Rounding::Round), 160);
        assert_eq!(Rounding::Round.divide(5, 10), 1, "half a yen rounds up (四捨五入)");
        assert_eq!(Rounding::Floor.divide(-5, 10), -1);
    }

    #[test]
    fn rates_as_the_malls_write_them() {
        assert_eq!(rate_from_fraction(0.08), Some(8));
        assert_eq!(rate_from_fraction(0.1), Some(10));
        for (t, r) in [("10", Some(10)), ("８", Some(8)), ("8%", Some(8)), ("0.08", Some(8)), ("", None), ("x", None)] {
            assert_eq!(rate_from_text(t), r, "{t}");
        }
    }

    #[test]
    fn an_order_with_both_rates_rounds_once_per_rate() {
        // A mug (3,240 incl.), matcha (2,160 incl., 8 %), postage 880, a 300-yen coupon.
        let b = Bases { included: [3240 + 880, 2160], excluded: [0, 0] };
        let t = order_tax(b, 300, Rounding::Floor, NOW);
        assert_eq!(t.by_rate, [(3820 * 10) / 110, 160]);
        assert_eq!(t.added, 0);
        // A 税別 item of 1,000 yen at 8 % adds 80 yen to the bill.
        let t = order_tax(Bases { included: [0, 0], excluded: [0, 1000] }, 0, Rounding::Floor, NOW);
        assert_eq!((t.by_rate, t.added), ([0, 80], 80));
        // A coupon larger than the 10 % amounts comes off the 8 % ones.
        let t = order_tax(Bases { included: [100, 1080], excluded: [0, 0] }, 180, Rounding::Floor, NOW);
        assert_eq!(t.by_rate, [0, 74]);
    }
}
