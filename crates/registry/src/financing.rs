//! The financing report for IKNL (issue 19): how many networks are financed by each form and
//! funder, and which financing ends within a few months or has already ended. Funders with a
//! register code (a health insurer's UZOVI code, a municipality's CBS code) are grouped by it,
//! others by their name as written (case and spacing aside).

use crate::Registry;
use crate::error::{Error, Result};
use crate::filter::parse_list;
use chrono::{Months, NaiveDate};
use onconet_db::networks as q;
use onconet_domain::programme::FunderId;
use onconet_domain::{Actor, Financing, RegistryState};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Most months ahead a report looks for financing that ends.
pub const MAX_MONTHS: u32 = 24;

/// The report's parameters as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct FinancingParams<'a> {
    /// Registry states, a comma list (default `published`).
    pub states: Option<&'a str>,
    /// How far ahead to look for financing that ends, 1–24 months (default 6).
    pub within_months: Option<&'a str>,
}

/// A network's financing, as the report reads it.
#[derive(Debug, Clone)]
pub struct FinancedNetwork {
    pub id: Uuid,
    pub name: String,
    pub state: String,
    pub ros_org: Option<String>,
    pub financing: Vec<Financing>,
}

/// Networks financed by one funder in one form.
#[derive(Debug, Clone, PartialEq)]
pub struct FunderCount {
    /// The name as most entries write it (`None`: no funder named).
    pub funder: Option<String>,
    pub funder_id: Option<FunderId>,
    pub networks: usize,
}

/// One financing form: how many networks use it, by funder (most networks first).
#[derive(Debug, Clone, PartialEq)]
pub struct FormCount {
    pub form: String,
    pub networks: usize,
    pub funders: Vec<FunderCount>,
}

/// A financing entry that ends within the period or has ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub network_id: Uuid,
    pub name: String,
    pub state: String,
    pub ros_org: Option<String>,
    /// Its position in the network's `financing`.
    pub index: usize,
    pub form: String,
    pub funder: Option<String>,
    pub funder_id: Option<FunderId>,
    pub until: NaiveDate,
    /// Days from today to `until` (negative: ended).
    pub days_left: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FinancingReport {
    pub as_of: NaiveDate,
    pub until: NaiveDate,
    pub states: Vec<RegistryState>,
    /// Networks in the report with any financing.
    pub networks: usize,
    /// In the order of the financing-form vocabulary; forms nobody uses are left out.
    pub forms: Vec<FormCount>,
    /// Soonest (or longest ended) first.
    pub ending: Vec<Ending>,
}

/// Per form: the networks using it, and per funder key the networks, a name and the code.
type FormTally = (
    BTreeSet<Uuid>,
    BTreeMap<String, (BTreeSet<Uuid>, Option<String>, Option<FunderId>)>,
);

/// How a funder is told apart: its register code, else its name folded.
fn funder_key(f: &Financing) -> String {
    match (&f.funder_id, &f.funder) {
        (Some(id), _) => format!("{}:{}", id.register, id.code),
        (None, Some(name)) => format!(
            "name:{}",
            name.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        ),
        (None, None) => "none".into(),
    }
}

/// The report over `networks` on `today`, looking `months` ahead; forms in `form_order`.
pub fn financing_report(
    networks: &[FinancedNetwork],
    today: NaiveDate,
    months: u32,
    form_order: &[&str],
    states: Vec<RegistryState>,
) -> FinancingReport {
    let until = today
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    // form → funder key → (networks, a name, the code)
    let mut forms: BTreeMap<String, FormTally> = BTreeMap::new();
    let mut ending = Vec::new();
    for n in networks {
        for (index, f) in n.financing.iter().enumerate() {
            let (users, funders) = forms.entry(f.form.clone()).or_default();
            users.insert(n.id);
            let entry = funders
                .entry(funder_key(f))
                .or_insert_with(|| (BTreeSet::new(), None, f.funder_id.clone()));
            entry.0.insert(n.id);
            if entry.1.is_none() {
                entry.1.clone_from(&f.funder);
            }
            if let Some(end) = f.until
                && end <= until
            {
                ending.push(Ending {
                    network_id: n.id,
                    name: n.name.clone(),
                    state: n.state.clone(),
                    ros_org: n.ros_org.clone(),
                    index,
                    form: f.form.clone(),
                    funder: f.funder.clone(),
                    funder_id: f.funder_id.clone(),
                    until: end,
                    days_left: (end - today).num_days(),
                });
            }
        }
    }
    ending.sort_by(|a, b| {
        (a.until, &a.name, a.network_id, a.index).cmp(&(b.until, &b.name, b.network_id, b.index))
    });
    let position = |form: &str| {
        form_order
            .iter()
            .position(|f| *f == form)
            .unwrap_or(usize::MAX)
    };
    let mut forms: Vec<FormCount> = forms
        .into_iter()
        .map(|(form, (users, funders))| {
            let mut funders: Vec<FunderCount> = funders
                .into_values()
                .map(|(ids, funder, funder_id)| FunderCount {
                    funder,
                    funder_id,
                    networks: ids.len(),
                })
                .collect();
            funders.sort_by(|a, b| {
                b.networks
                    .cmp(&a.networks)
                    .then_with(|| a.funder.cmp(&b.funder))
            });
            FormCount {
                form,
                networks: users.len(),
                funders,
            }
        })
        .collect();
    forms.sort_by_key(|f| (position(&f.form), f.form.clone()));
    FinancingReport {
        as_of: today,
        until,
        states,
        networks: networks.iter().filter(|n| !n.financing.is_empty()).count(),
        forms,
        ending,
    }
}

impl Registry {
    /// The financing report as of `today`, for IKNL staff and admins.
    pub async fn financing_report(
        &self,
        actor: &Actor,
        params: FinancingParams<'_>,
        today: NaiveDate,
    ) -> Result<FinancingReport> {
        if !crate::networks::is_staff(Some(actor)) {
            return Err(Error::Forbidden(
                "the financing report is for IKNL staff and admins".into(),
            ));
        }
        let mut states = parse_list("state", params.states, |s| s.parse::<RegistryState>())?;
        if states.is_empty() {
            states.push(RegistryState::Published);
        }
        states.sort();
        states.dedup();
        let months = match params.within_months.map(str::trim) {
            None => 6,
            Some(m) => match m.parse::<i64>() {
                Ok(n) if (1..=i64::from(MAX_MONTHS)).contains(&n) => n as u32,
                Ok(_) => {
                    return Err(Error::bad_parameter(
                        "within_months",
                        "out_of_range",
                        format!("must be between 1 and {MAX_MONTHS}"),
                    ));
                }
                Err(_) => {
                    return Err(Error::bad_parameter(
                        "within_months",
                        "invalid_type",
                        "must be a whole number of months",
                    ));
                }
            },
        };
        let codes: Vec<String> = states.iter().map(|s| s.as_str().to_owned()).collect();
        let mut conn = self.conn().await?;
        let rows = q::financing_of(&mut conn, &codes).await?;
        drop(conn);
        let networks = rows
            .into_iter()
            .map(|r| {
                let financing = serde_json::from_value(r.financing)
                    .map_err(|e| Error::Internal(format!("networks.financing of {}: {e}", r.id)))?;
                Ok(FinancedNetwork {
                    id: r.id,
                    name: r.name,
                    state: r.state,
                    ros_org: r.ros_org,
                    financing,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let order: Vec<&str> = self
            .vocabularies
            .financing_forms
            .entries
            .iter()
            .map(|e| e.code)
            .collect();
        Ok(financing_report(&networks, today, months, &order, states))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onconet_domain::programme::FunderRegister;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn entry(
        form: &str,
        funder: Option<&str>,
        code: Option<&str>,
        until: Option<&str>,
    ) -> Financing {
        Financing {
            form: form.into(),
            funder: funder.map(Into::into),
            funder_id: code.and_then(|c| FunderId::parse(FunderRegister::Uzovi, c).ok()),
            since: None,
            until: until.map(day),
            note: None,
        }
    }

    fn network(n: u128, name: &str, financing: Vec<Financing>) -> FinancedNetwork {
        FinancedNetwork {
            id: Uuid::from_u128(n),
            name: name.into(),
            state: "published".into(),
            ros_org: None,
            financing,
        }
    }

    #[test]
    fn funders_are_grouped_by_code_else_by_name_and_endings_listed_soonest_first() {
        let today = day("2026-12-06");
        let networks = [
            network(
                1,
                "A",
                vec![
                    entry(
                        "insurer_contract",
                        Some("Zilveren Kruis"),
                        Some("3311"),
                        Some("2027-03-31"),
                    ),
                    entry(
                        "municipality_grant",
                        Some("Gemeente Groningen"),
                        None,
                        Some("2026-11-30"),
                    ),
                ],
            ),
            network(
                2,
                "B",
                vec![
                    entry(
                        "insurer_contract",
                        Some("ZK Achmea"),
                        Some("3311"),
                        Some("2027-06-07"),
                    ),
                    entry("insurer_contract", Some("  menzis "), None, None),
                ],
            ),
            network(
                3,
                "C",
                vec![
                    entry("insurer_contract", Some("Menzis"), None, Some("2027-06-06")),
                    entry("membership_fee", None, None, None),
                ],
            ),
            network(4, "D", vec![]),
        ];
        let order = ["membership_fee", "insurer_contract", "municipality_grant"];
        let r = financing_report(&networks, today, 6, &order, vec![RegistryState::Published]);
        assert_eq!(r.until, day("2027-06-06"));
        assert_eq!(r.networks, 3);
        let forms: Vec<(&str, usize)> = r
            .forms
            .iter()
            .map(|f| (f.form.as_str(), f.networks))
            .collect();
        assert_eq!(
            forms,
            [
                ("membership_fee", 1),
                ("insurer_contract", 3),
                ("municipality_grant", 1)
            ]
        );
        let insurers: Vec<(Option<&str>, usize)> = r.forms[1]
            .funders
            .iter()
            .map(|f| (f.funder.as_deref(), f.networks))
            .collect();
        // The same UZOVI code under two names is one funder; names match without case or spaces.
        assert_eq!(
            insurers,
            [(Some("  menzis "), 2), (Some("Zilveren Kruis"), 2)]
        );
        assert_eq!(
            r.forms[1].funders[1]
                .funder_id
                .as_ref()
                .map(|f| f.code.as_str()),
            Some("3311")
        );
        let ending: Vec<(&str, i64)> = r
            .ending
            .iter()
            .map(|e| (e.name.as_str(), e.days_left))
            .collect();
        // Ended 6 days ago, ends in 115 days, ends on the last day of the period; not a day later.
        assert_eq!(ending, [("A", -6), ("A", 115), ("C", 182)]);
    }
}
