//! The price floor of `plan` (docs/model.md sec. 7.1): the soft-budget floor below variable
//! cost, and a below-cost ban on its legal cost basis with leakage through hidden discounts.

use super::Automaker;
use crate::scenario::{AutomakerParams, CostBasis, PolicyParams};

/// Cost basis B of a below-cost ban (yuan/vehicle): variable cost c, or full cost
/// c + F / max(Q, u_n K) with F the monthly fixed cost, Q this month's planned output and u_n K
/// normal-capacity output. Fixed cost is never spread over fewer than u_n K cars, so the basis
/// is bounded by c + F / (u_n K) and does not run away as output falls.
pub fn cost_basis(a: &Automaker, p: &AutomakerParams, policy: &PolicyParams) -> f64 {
    match policy.below_cost_basis {
        CostBasis::VariableCost => a.cost,
        CostBasis::FullCostPlanned => {
            let normal = policy.below_cost_normal_utilization * a.capacity;
            let spread = a.production.max(normal);
            if spread > 0.0 {
                a.cost + a.fixed_cost(p) / spread
            } else {
                a.cost
            }
        }
    }
}

/// Applies the floor to the price the line planned. Without a ban the invoice floor is the
/// soft floor c (1 − ω) and nothing is hidden (the old behaviour). Under a ban the invoice
/// floor is the basis B, but a share λ (`below_cost_leakage`) of the cut the ban forbids, down
/// to the soft floor, still happens off the invoice: households pay at least
/// E = B − λ max(0, B − c (1 − ω)). The line prices on what households pay, so its planned
/// price p* is the invoice price less last month's hidden discount; the invoice is max(p*, B),
/// the effective price max(p*, E), and `hidden_discount` their difference (yuan/vehicle). The
/// list is raised to the invoice floor if below it, and discounts are cut (the push discount
/// first) so that the invoice price is the floor.
pub fn apply(a: &mut Automaker, p: &AutomakerParams, policy: &PolicyParams) {
    let omega = if policy.hard_budget { 0.0 } else { p.soft_floor_margin * a.softness(p) };
    let soft_floor = a.cost * (1.0 - omega);
    let floor = if policy.below_cost_ban {
        let basis = cost_basis(a, p, policy);
        let planned = a.factory_price() - a.hidden_discount;
        let effective_floor = basis - policy.below_cost_leakage * (basis - soft_floor).max(0.0);
        a.hidden_discount = (planned.max(basis) - planned.max(effective_floor)).max(0.0);
        basis
    } else {
        a.hidden_discount = 0.0;
        soft_floor
    };
    if a.list_price < floor {
        a.list_price = floor;
    }
    if a.factory_price() < floor {
        let total = 1.0 - floor / a.list_price;
        a.push_discount = a.push_discount.min(total.max(0.0));
        a.discount = (total - a.push_discount).max(0.0);
    }
}
