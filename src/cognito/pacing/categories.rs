//! One adaptive pacer per quota category. Cognito meters its APIs by category (UserUpdate,
//! UserRead, ...), each with its own per-account limit, so a throttle in one category says
//! nothing about another: each category the run sends in gets its own [`Pacing`] (ceiling,
//! slow start, the cubic curve, its meter), made the first time a call of the category is
//! about to go. A row whose calls span categories takes each call's turn from its own
//! category's pacer, in the row's order.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::{Meter, Pacing, RateControl, RetryPolicy, Second};
use crate::cognito::call::Category;

/// The pacers of a run, one per category used, made on first use.
pub struct Pacers {
    policy: RetryPolicy,
    /// When sending started: every category's meter counts its seconds from it.
    start: std::time::Instant,
    /// Ceilings set by flags (`--rps`, `--read-rps`, `--category-rps`); other categories run
    /// at [`Category::default_ceiling`].
    ceilings: BTreeMap<Category, f64>,
    pacers: Mutex<BTreeMap<Category, Arc<Pacing>>>,
}

/// What one category's pacer did in a run, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CategoryFigures {
    /// Cognito's name for it (`UserUpdate`).
    pub category: String,
    /// The ceiling, calls a second (0 when unknown, as in a report rebuilt from a journal).
    pub max_rps: f64,
    /// The pacer's rate at the end (0 when unknown).
    pub final_rps: f64,
    /// How many times a throttle lowered the pacer's rate (0 when unknown).
    pub decreases: u64,
    pub calls: u64,
    pub successes: u64,
    pub throttles: u64,
    /// Other failed calls (transient faults, row and fatal errors).
    pub errors: u64,
    /// Second by second.
    pub timeline: Vec<Second>,
}

impl CategoryFigures {
    /// The figures of `timeline` (a category's calls, second by second).
    pub fn of(category: Category, max_rps: f64, final_rps: f64, timeline: Vec<Second>) -> Self {
        let sum = |f: fn(&Second) -> u64| timeline.iter().map(f).sum();
        CategoryFigures {
            category: category.name().to_string(),
            max_rps,
            final_rps,
            decreases: 0,
            calls: sum(|s| s.calls),
            successes: sum(|s| s.successes),
            throttles: sum(|s| s.throttles),
            errors: sum(|s| s.errors),
            timeline,
        }
    }
}

impl Pacers {
    pub fn new(ceilings: BTreeMap<Category, f64>, policy: RetryPolicy) -> Pacers {
        Pacers {
            policy,
            start: std::time::Instant::now(),
            ceilings,
            pacers: Mutex::new(BTreeMap::new()),
        }
    }

    /// The ceiling of `category`, calls a second.
    pub fn ceiling(&self, category: Category) -> f64 {
        self.ceilings
            .get(&category)
            .copied()
            .unwrap_or_else(|| category.default_ceiling())
    }

    /// The retry policy every category's calls share.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The pacer of `category`, made (its slow start beginning) the first time it is asked for.
    pub fn of(&self, category: Category) -> Arc<Pacing> {
        let mut pacers = self.pacers.lock().expect("pacers lock");
        pacers
            .entry(category)
            .or_insert_with(|| {
                Arc::new(Pacing {
                    rate: RateControl::new(self.ceiling(category)),
                    meter: Meter::starting_at(self.start),
                    policy: self.policy.clone(),
                })
            })
            .clone()
    }

    /// Opens `category`'s pacer at `rps` (never above its ceiling) instead of slow start's
    /// opening rate: for a resumed run, the rate its journal's run last held.
    pub fn start_at(&self, category: Category, rps: f64) {
        self.of(category).rate.start_at(rps);
    }

    /// The categories used so far, with their pacers, in [`Category::ALL`]'s order.
    pub fn used(&self) -> Vec<(Category, Arc<Pacing>)> {
        let pacers = self.pacers.lock().expect("pacers lock");
        pacers.iter().map(|(c, p)| (*c, p.clone())).collect()
    }

    /// The figures of each category that made calls (a pacer opened for a resumed run that
    /// had nothing left to send made none).
    pub fn figures(&self) -> Vec<CategoryFigures> {
        self.used()
            .into_iter()
            .filter(|(_, p)| !p.meter.timeline().is_empty())
            .map(|(c, p)| {
                let rate = p.rate.snapshot();
                CategoryFigures {
                    decreases: rate.decreases,
                    ..CategoryFigures::of(c, rate.max_rps, rate.current_rps, p.meter.timeline())
                }
            })
            .collect()
    }

    /// The writes' pacers' rates added up, calls a second (what progress shows).
    pub fn writes_rps(&self) -> f64 {
        self.used()
            .iter()
            .filter(|(c, _)| c.writes())
            .map(|(_, p)| p.rate.snapshot().current_rps)
            .sum()
    }

    /// The timeline of the categories `wanted` picks, added up second by second (the rate
    /// limit too: what they could send together).
    pub fn timeline(&self, wanted: impl Fn(Category) -> bool) -> Vec<Second> {
        let mut total: Vec<Second> = Vec::new();
        for (_, pacing) in self.used().into_iter().filter(|(c, _)| wanted(*c)) {
            add_timeline(&mut total, &pacing.meter.timeline());
        }
        total
    }
}

/// Adds `more` to `total`, second by second.
pub fn add_timeline(total: &mut Vec<Second>, more: &[Second]) {
    for s in more {
        let i = s.t as usize;
        while total.len() <= i {
            let t = total.len() as u64;
            total.push(Second {
                t,
                ..Second::default()
            });
        }
        let sum = &mut total[i];
        sum.calls += s.calls;
        sum.successes += s.successes;
        sum.throttles += s.throttles;
        sum.errors += s.errors;
        sum.rate_limit += s.rate_limit;
    }
}

#[cfg(test)]
mod tests;
