use super::*;
use crate::model::rng::{self, purpose};
use crate::scenario::{AutomakerParams, Powertrains};

fn line() -> Automaker {
    let p = AutomakerParams { count: 1, powertrains: Powertrains::Single, ..AutomakerParams::default() };
    let mut a =
        crate::model::automaker::init(&p, &[1.0], &mut rng::stream(3, purpose::INIT_AUTOMAKERS, 0, 0)).remove(0);
    crate::model::automaker::sell_via_dealers(
        std::slice::from_mut(&mut a),
        &DealerParams::default(),
        p.initial_discount,
    );
    (a.list_price, a.discount, a.push_discount, a.inventory) = (100_000.0, 0.1, 0.0, 1.0e6);
    a
}

#[test]
fn invoice_transaction_and_trader_prices_nest() {
    let mut a = line();
    a.dealer_discount = 0.03;
    let p = DealerParams::default();
    assert_eq!(a.factory_price(), 90_000.0);
    assert!((a.invoice_price() - 85_000.0).abs() < 1e-6);
    assert!((a.transaction_price() - 87_000.0).abs() < 1e-6);
    assert!((export_price(&a, &p) - 85_000.0).abs() < 1e-6);
    // Without dealers the three are one price.
    let mut direct = line();
    (direct.dealer_margin, direct.via_dealers) = (0.0, false);
    assert_eq!(direct.invoice_price(), direct.transaction_price());
}

/// Wholesale ships the restocking need plus the pushed part, up to acceptance and factory
/// stock; the push rebate is paid only above the need, and the money and cars add up.
#[test]
fn wholesale_ships_need_plus_push_within_acceptance() {
    let p = DealerParams::default();
    let policy = PolicyParams::default();
    let mut firms = vec![line()];
    let mut dealers = init(&firms, &[1000.0], &p);
    assert_eq!(dealers[0].stock, 1000.0);
    firms[0].push_units = 500.0;
    let inventory = firms[0].inventory;
    wholesale_all(&mut dealers, &mut firms, &p, &policy);
    let (a, d) = (&firms[0], &dealers[0]);
    assert_eq!((d.restock, a.wholesale, d.inflow), (1000.0, 1500.0, 1500.0));
    assert_eq!(a.inventory + a.wholesale, inventory);
    let invoice = a.invoice_price();
    assert!((d.rebates - p.push_rebate * invoice * 500.0).abs() < 1e-6);
    assert!((a.revenue - (1500.0 * invoice - d.rebates)).abs() < 1e-6);
    assert!((d.book - 2500.0 * invoice).abs() < 1e-3);
    // Acceptance caps the push: (1 + k_max) R - S.
    firms[0].push_units = 1.0e5;
    let before = dealers[0].stock;
    wholesale_all(&mut dealers, &mut firms, &p, &policy);
    assert!((dealers[0].stock - (1.0 + p.max_coefficient) * 1000.0).abs() < 1e-9 && before < dealers[0].stock);
    // No relief, no push: wholesale_push = 0 ships only the need.
    let relief = PolicyParams { wholesale_push: 0.0, ..PolicyParams::default() };
    let mut fresh = init(&firms, &[1000.0], &p);
    wholesale_all(&mut fresh, &mut firms, &p, &relief);
    assert_eq!(firms[0].wholesale, 1000.0);
}

/// The export reserve: with `export_reserve_months` = 1 the push takes only the factory stock
/// left after the need and last month's export orders; the need itself is not limited.
#[test]
fn the_export_reserve_keeps_export_orders_out_of_the_push() {
    let p = DealerParams { export_reserve_months: 1.0, ..DealerParams::default() };
    let policy = PolicyParams::default();
    let mut firms = vec![line()];
    let mut dealers = init(&firms, &[1000.0], &p);
    (firms[0].inventory, firms[0].push_units, firms[0].export_orders_last) = (2000.0, 1500.0, 800.0);
    wholesale_all(&mut dealers, &mut firms, &p, &policy);
    assert_eq!((dealers[0].restock, firms[0].wholesale, firms[0].inventory), (1000.0, 1200.0, 800.0));
    // Export orders above the stock: the need is still shipped, the push is not.
    let mut dealers = init(&firms, &[1000.0], &p);
    (firms[0].inventory, firms[0].export_orders_last) = (2000.0, 5000.0);
    wholesale_all(&mut dealers, &mut firms, &p, &policy);
    assert_eq!(firms[0].wholesale, 1000.0);
}

/// The display stock: a network with no expected retail is restocked to it and keeps it out of
/// its offer to traders; without it (the default 0) such a network gets nothing.
#[test]
fn the_display_stock_keeps_a_line_without_expected_retail_on_offer() {
    let policy = PolicyParams { wholesale_push: 0.0, ..PolicyParams::default() };
    for (floor, want) in [(0.0, 0.0), (10.0, 10.0)] {
        let p = DealerParams { display_stock: floor, ..DealerParams::default() };
        let mut firms = vec![line()];
        let mut dealers = init(&firms, &[0.0], &p);
        assert_eq!(dealers[0].stock, 0.0);
        wholesale_all(&mut dealers, &mut firms, &p, &policy);
        assert_eq!((dealers[0].inflow, dealers[0].stock), (want, want), "display stock {floor}");
        offer_all(&mut dealers, &firms, &p, 1);
        assert_eq!(dealers[0].offer, 0.0, "the display stock is not offered to traders");
    }
}

/// The dealer's own discount follows the coefficient above the healthy one and returns when
/// the stock falls; offers to traders start above the warning line.
#[test]
fn discount_and_offers_follow_the_coefficient() {
    let p = DealerParams::default();
    let firms = vec![line()];
    let mut dealers = init(&firms, &[1000.0], &p);
    price_all(&mut dealers, &p);
    offer_all(&mut dealers, &firms, &p, 1);
    assert_eq!((dealers[0].discount, dealers[0].offer), (0.0, 0.0));
    dealers[0].stock = 2500.0;
    for _ in 0..80 {
        price_all(&mut dealers, &p);
    }
    let target = p.discount_per_month * (2.5 - p.healthy_coefficient);
    assert!((dealers[0].discount - target).abs() < 1e-5, "{}", dealers[0].discount);
    offer_all(&mut dealers, &firms, &p, 1);
    assert!((dealers[0].offer - p.export_offer_share * 1000.0).abs() < 1e-9);
    dealers[0].stock = 800.0;
    for _ in 0..80 {
        price_all(&mut dealers, &p);
    }
    assert!(dealers[0].discount < 1e-5);
}

/// The quarterly target: set in a quarter's first month at (1 + σ) R for each of its months;
/// in its last month a network near the target offers the gap at a price cut by part of the
/// rebate, one far from it does not; the rebate is paid on reaching the target, by the automaker.
#[test]
fn a_network_near_its_quarterly_target_sells_the_gap_to_traders() {
    let p = DealerParams::default();
    let policy = PolicyParams::default();
    let mut firms = vec![line()];
    let mut dealers = init(&firms, &[1000.0], &p);
    set_targets(&mut dealers, &p, &policy, 2, false);
    assert_eq!(dealers[0].target, 0.0, "no target outside a quarter's first month");
    set_targets(&mut dealers, &p, &policy, 2, true);
    assert!((dealers[0].target - (1.0 + p.target_stretch) * 1000.0 * 2.0).abs() < 1e-9, "run's first month: 2 left");
    set_targets(&mut dealers, &p, &policy, 4, false);
    let target = (1.0 + p.target_stretch) * 3000.0;
    assert!((dealers[0].target - target).abs() < 1e-9);
    dealers[0].stock = 1000.0;
    dealers[0].quarter_sold = target - 100.0;
    offer_all(&mut dealers, &firms, &p, 5);
    assert_eq!((dealers[0].offer, dealers[0].trader_price), (0.0, export_price(&firms[0], &p)), "not the last month");
    offer_all(&mut dealers, &firms, &p, 6);
    let bonus = p.target_rebate * firms[0].invoice_price() * target;
    let cut = (p.target_pass_through * bonus / 100.0).min(p.max_discount * firms[0].list_price);
    assert!((dealers[0].offer - 100.0).abs() < 1e-9 && (dealers[0].target_offer - 100.0).abs() < 1e-9);
    assert!((dealers[0].trader_price - (export_price(&firms[0], &p) - cut)).abs() < 1e-6);
    // Far from the target the loss on the gap exceeds the rebate: no offer.
    dealers[0].quarter_sold = 0.0;
    offer_all(&mut dealers, &firms, &p, 6);
    assert_eq!(dealers[0].offer, 0.0);
    // Paid on reaching the target, by the automaker: the money adds up.
    let (revenue, rebates) = (firms[0].revenue, dealers[0].rebates);
    sell_to_traders(&mut dealers[0], 100.0, 80_000.0);
    settle_targets(&mut dealers, &mut firms, &p, 6);
    assert_eq!(dealers[0].target_rebate, 0.0, "100 cars short");
    dealers[0].quarter_sold = target;
    settle_targets(&mut dealers, &mut firms, &p, 5);
    assert_eq!(dealers[0].target_rebate, 0.0, "not the last month");
    settle_targets(&mut dealers, &mut firms, &p, 6);
    let paid = p.target_rebate * firms[0].invoice_price() * target;
    assert!((dealers[0].target_rebate - paid).abs() < 1e-6);
    assert!((dealers[0].rebates - rebates - paid).abs() < 1e-6 && (revenue - firms[0].revenue - paid).abs() < 1e-6);
}

/// A retail sale pays the network the full transaction price: households pay it less the
/// hidden discount, the automaker the rest and the support; the book value leaves with the cars.
#[test]
fn retail_sale_books_price_support_and_cost_of_goods() {
    let p = DealerParams::default();
    let mut firms = vec![line()];
    let mut dealers = init(&firms, &[1000.0], &p);
    let book = dealers[0].book;
    firms[0].hidden_discount = 1000.0;
    let policy = PolicyParams { dealer_support: 500.0, ..PolicyParams::default() };
    let tx = firms[0].transaction_price();
    sell_retail(&mut dealers[0], &mut firms[0], 400.0, &policy);
    let d = &dealers[0];
    assert_eq!((d.stock, d.retail), (600.0, 400.0));
    assert!((d.revenue - 400.0 * tx).abs() < 1e-6);
    assert!((firms[0].revenue + 400.0 * 1500.0).abs() < 1e-6);
    assert!((d.cogs - 0.4 * book).abs() < 1e-6 && (d.book - 0.6 * book).abs() < 1e-6);
    assert_eq!(d.rebates, 200_000.0);
}

/// Accounts: a loss-making network closes outlets and its creditors write the closing share of
/// the debt down; the network of an exited line writes its stock off and closes.
#[test]
fn losses_close_outlets_and_exits_write_stock_off() {
    let p = DealerParams::default();
    let mut firms = vec![line(), line()];
    let mut dealers = init(&firms, &[600.0, 600.0], &p);
    let outlets = dealers[0].outlets;
    assert_eq!(outlets, 10.0);
    dealers[0].cash = -1.0e9;
    firms[1].active = false;
    let acc = account_all(&mut dealers, &firms, &p);
    let d = &dealers[0];
    assert!((d.closed - p.exit_rate * outlets).abs() < 1e-9 && d.outlets < outlets && d.writedowns > 0.0);
    assert!(d.cash < 0.0, "only the closing share of the debt is written down");
    let gone = &dealers[1];
    assert!(!gone.active && gone.stock == 0.0 && gone.outlets == 0.0);
    assert_eq!(acc.written_off, 600.0);
    assert!(gone.profit < 0.0);
}
