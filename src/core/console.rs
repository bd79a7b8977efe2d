//! The merchant console's wire types (shared by `shop-api` and the console's wasm, so the two
//! cannot drift apart) and its pure rules: weeks for the NPS chart, chances in percent that
//! must add up to 100 %, manual point adjustments.

use serde::{Deserialize, Serialize};

use crate::core::feedback::{CsatSummary, DayCounts, NpsTally};
use crate::core::games::{CampaignConfig, CampaignState, Game, days_from_civil};

/// `GET /api/v1/console/session`: who is signed in, and the token every write carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub actor: String,
    pub csrf_token: String,
    pub expires_at: String,
}

/// One week of NPS answers, by band; `week` is its Monday (`YYYY-MM-DD`, UTC days).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekNps {
    pub week: String,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// −100 to 100; `null` for a week without answers.
    pub score: Option<i32>,
}

/// Plays and prizes of one campaign in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignPlays {
    pub campaign_id: String,
    pub name: String,
    pub plays: u64,
    pub prizes: u64,
}

/// Points moved in the period, each as a positive number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsMoved {
    /// Earned (purchases, sign-ups, birthdays, reviews, referrals) and added by hand.
    pub issued: u64,
    pub redeemed: u64,
    pub expired: u64,
}

/// Coupons created in the period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponsIssued {
    /// Paid for with points.
    pub rewards: u64,
    /// Won in a game.
    pub prizes: u64,
    /// Offered to referred friends.
    pub referrals: u64,
}

/// `GET /api/v1/admin/overview?from=&to=`: the console's first page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub from: String,
    pub to: String,
    pub nps_weeks: Vec<WeekNps>,
    pub csat: CsatSummary,
    pub per_day: Vec<DayCounts>,
    pub campaigns: Vec<CampaignPlays>,
    pub points: PointsMoved,
    pub coupons: CouponsIssued,
}

/// A campaign in the console's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignListItem {
    pub id: String,
    pub name: String,
    pub game: Game,
    pub state: CampaignState,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub revision: i64,
    pub plays: u64,
    pub prizes: u64,
}

/// `GET /api/v1/admin/campaigns/{id}`: the campaign as its file, its revision, and what was
/// played so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRecord {
    pub revision: i64,
    pub state: CampaignState,
    pub campaign: CampaignConfig,
    pub plays: u64,
    pub prizes: u64,
}

/// A customer found by a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHit {
    pub id: String,
    pub first_name: Option<String>,
    pub email: Option<String>,
}

/// One ledger row as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: String,
    pub points: i64,
    pub tier_points: i64,
    pub detail: Option<String>,
    pub available_at: String,
    pub created_at: String,
}

/// A coupon a customer holds, from a reward or a game.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCoupon {
    pub code: String,
    /// The reward's or the prize's name.
    pub name: String,
    /// `reward` or `prize`.
    pub source: String,
    /// `active`, `pending` or `failed`.
    pub status: String,
    pub created_at: String,
    pub expires_at: String,
}

/// `GET /api/v1/admin/customers/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub customer: CustomerHit,
    pub points: u64,
    pub pending_points: u64,
    pub tier_points: u64,
    pub tier: Option<String>,
    /// Newest first.
    pub ledger: Vec<LedgerEntry>,
    pub coupons: Vec<CustomerCoupon>,
}

/// `POST /api/v1/admin/customers/{id}/adjustments`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Points added (positive) or taken (negative); never 0.
    pub points: i64,
    /// Why, for the ledger and the audit log.
    pub reason: String,
}

/// Largest manual adjustment either way.
pub const MAX_ADJUSTMENT: i64 = 1_000_000;
/// Longest reason an adjustment may give.
pub const MAX_REASON_CHARS: usize = 200;

impl Adjustment {
    /// Why the adjustment is refused, if it is.
    pub fn problem(&self) -> Option<String> {
        if self.points == 0 || self.points.abs() > MAX_ADJUSTMENT {
            return Some(format!(
                "points must be a whole number from -{MAX_ADJUSTMENT} to {MAX_ADJUSTMENT}, not 0"
            ));
        }
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Some("a reason is required: it goes into the ledger and the audit log".into());
        }
        if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
            return Some(format!(
                "the reason must be at most {MAX_REASON_CHARS} characters on one line"
            ));
        }
        None
    }
}

/// One feedback answer as the console lists it (a review with its product's title).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRow {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub score: u8,
    pub title: Option<String>,
    pub text: Option<String>,
    pub product_id: Option<String>,
    pub product_title: Option<String>,
    pub customer_id: Option<String>,
    pub campaign: String,
    pub status: String,
    pub created_at: String,
}

/// `GET /api/v1/admin/feedback`: one page of answers, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerPage {
    pub answers: Vec<AnswerRow>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// One row of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// `POST /api/v1/admin/previews` answer: where the real widgets read the draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewCreated {
    pub id: String,
    /// The API base to give the preview's widget as its `api` attribute.
    pub api: String,
}

/// `YYYY-MM-DD` → (year, month, day), for real calendar days only.
pub fn parse_day(day: &str) -> Option<(i32, u32, u32)> {
    let b = day.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i32 = day.get(0..4)?.parse().ok()?;
    let month: u32 = day.get(5..7)?.parse().ok()?;
    let d: u32 = day.get(8..10)?.parse().ok()?;
    let (ny, nm, nd) = civil_from_days(days_from_civil(year, month, d));
    (day.bytes()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (ny, nm, nd) == (year, month, d))
        .then_some((year, month, d))
}

/// The date `days` after 1970-01-01 (Howard Hinnant's algorithm, the inverse of
/// [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// The Monday of the ISO week `day` falls in.
pub fn week_start(day: &str) -> Option<String> {
    let (y, m, d) = parse_day(day)?;
    let days = days_from_civil(y, m, d);
    // 1970-01-01 was a Thursday: three days after a Monday.
    let monday = days - (days + 3).rem_euclid(7);
    let (y, m, d) = civil_from_days(monday);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// NPS answers counted per day and score, bucketed into weeks (oldest first, weeks without
/// answers left out); scores above 10 are not NPS and are left out.
pub fn weekly_nps(counts: &[(String, u8, u64)]) -> Vec<WeekNps> {
    let mut weeks: std::collections::BTreeMap<String, NpsTally> = Default::default();
    for (day, score, count) in counts {
        let Some(week) = week_start(day) else {
            continue;
        };
        let tally = weeks.entry(week).or_default();
        match score {
            9..=10 => tally.promoters += count,
            7..=8 => tally.passives += count,
            0..=6 => tally.detractors += count,
            _ => {}
        }
    }
    weeks
        .into_iter()
        .filter(|(_, t)| t.responses() > 0)
        .map(|(week, t)| WeekNps {
            week,
            promoters: t.promoters,
            passives: t.passives,
            detractors: t.detractors,
            score: t.score(),
        })
        .collect()
}

/// Chances in the console are hundredths of a percent: a segment's `weight` of 2 500 is a
/// 25 % chance, and a campaign's chances add up to exactly this.
pub const ODDS_TOTAL: u64 = 10_000;

/// Why a campaign's chances, given as hundredths of a percent in its segments' weights, are
/// refused, if they are: they must add up to exactly 100 %.
pub fn odds_problem(campaign: &CampaignConfig) -> Option<String> {
    let total: u64 = campaign.segments.iter().map(|s| u64::from(s.weight)).sum();
    if total == ODDS_TOTAL {
        return None;
    }
    let percent = |n: u64| format!("{}.{:02} %", n / 100, n % 100);
    Some(if total < ODDS_TOTAL {
        format!(
            "the chances add up to {}, not 100 %: {} is not given to any segment",
            percent(total),
            percent(ODDS_TOTAL - total)
        )
    } else {
        format!(
            "the chances add up to {}, not 100 %: take {} off",
            percent(total),
            percent(total - ODDS_TOTAL)
        )
    })
}

/// Relative weights (as `shop-api campaign put` takes them) as hundredths of a percent that add
/// up to exactly 100 %: the largest remainders get the rounding, so the console can show and
/// save any campaign. All zero stays all zero.
pub fn weights_as_odds(weights: &[u32]) -> Vec<u32> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<(u64, u64)> = weights
        .iter()
        .map(|&w| {
            let scaled = u64::from(w) * ODDS_TOTAL;
            (scaled / total, scaled % total)
        })
        .collect();
    let mut odds: Vec<u64> = exact.iter().map(|(q, _)| *q).collect();
    let missing = ODDS_TOTAL - odds.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in order.iter().take(missing as usize) {
        odds[i] += 1;
    }
    odds.into_iter().map(|o| o as u32).collect()
}

/// What saving changes for a campaign that shoppers are already playing, for the editor to say
/// before the merchant saves. Plays already made keep what they won.
pub fn running_change_notes(before: &CampaignConfig, after: &CampaignConfig) -> Vec<&'static str> {
    let mut notes = Vec::new();
    if before.segments.len() != after.segments.len()
        || before
            .segments
            .iter()
            .zip(&after.segments)
            .any(|(a, b)| a.label != b.label || a.prize != b.prize)
    {
        notes.push("segments");
    }
    if before
        .segments
        .iter()
        .zip(&after.segments)
        .any(|(a, b)| a.stock != b.stock)
    {
        notes.push("stock");
    }
    if before.play_every_seconds != after.play_every_seconds {
        notes.push("period");
    }
    if before.consent_text != after.consent_text {
        notes.push("consent");
    }
    if before.ends_at != after.ends_at || before.starts_at != after.starts_at {
        notes.push("window");
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_across_months_and_years() {
        let cases = [
            ("2026-11-23", "2026-11-23"), // a Monday
            ("2026-11-29", "2026-11-23"), // the Sunday after
            ("2026-12-01", "2026-11-30"),
            ("2027-01-01", "2026-12-28"), // a Friday: its week began the year before
            ("2024-02-29", "2024-02-26"),
            ("1970-01-01", "1969-12-29"),
        ];
        for (day, monday) in cases {
            assert_eq!(week_start(day).as_deref(), Some(monday), "{day}");
        }
        for bad in ["2026-02-30", "2026-13-01", "26-11-23", "2026-11-2x", ""] {
            assert_eq!(week_start(bad), None, "{bad}");
        }
    }

    #[test]
    fn nps_answers_are_counted_per_week_by_band() {
        let counts = vec![
            ("2026-11-23".to_owned(), 10, 2),
            ("2026-11-24".to_owned(), 9, 1),
            ("2026-11-25".to_owned(), 7, 1),
            ("2026-11-29".to_owned(), 3, 2),
            ("2026-11-30".to_owned(), 0, 1),
            ("2026-11-30".to_owned(), 11, 5),
            ("not a day".to_owned(), 10, 9),
        ];
        let weeks = weekly_nps(&counts);
        assert_eq!(
            weeks,
            vec![
                WeekNps {
                    week: "2026-11-23".into(),
                    promoters: 3,
                    passives: 1,
                    detractors: 2,
                    score: Some(17),
                },
                WeekNps {
                    week: "2026-11-30".into(),
                    promoters: 0,
                    passives: 0,
                    detractors: 1,
                    score: Some(-100),
                },
            ]
        );
    }

    fn campaign(weights: &[u32]) -> CampaignConfig {
        let segments: Vec<_> = weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| crate::core::games::SegmentConfig {
                label: format!("s{i}"),
                color: None,
                weight,
                prize: (i > 0).then(|| format!("prize {i}")),
                stock: None,
                fallback: i == 0,
                discount: None,
            })
            .collect();
        CampaignConfig {
            id: "c".into(),
            name: "C".into(),
            game: Game::Wheel,
            starts_at: None,
            ends_at: None,
            play_every_seconds: 86_400,
            coupon_valid_days: 30,
            guest_email: false,
            consent_text: None,
            disclose_odds: false,
            rules_url: None,
            segments,
        }
    }

    #[test]
    fn chances_must_add_up_to_exactly_one_hundred_percent() {
        assert_eq!(odds_problem(&campaign(&[5000, 2500, 2500])), None);
        assert_eq!(
            odds_problem(&campaign(&[5000, 2500, 2000])).as_deref(),
            Some("the chances add up to 95.00 %, not 100 %: 5.00 % is not given to any segment")
        );
        assert_eq!(
            odds_problem(&campaign(&[5000, 2500, 2501])).as_deref(),
            Some("the chances add up to 100.01 %, not 100 %: take 0.01 % off")
        );
        assert!(odds_problem(&campaign(&[0, 0])).is_some());
    }

    #[test]
    fn relative_weights_become_chances_that_add_up() {
        let cases: [(&[u32], &[u32]); 5] = [
            (
                &[26, 20, 20, 12, 8, 10, 2, 2],
                &[2600, 2000, 2000, 1200, 800, 1000, 200, 200],
            ),
            (&[1, 1, 1], &[3334, 3333, 3333]),
            (&[50, 50, 50, 50], &[2500, 2500, 2500, 2500]),
            (&[2, 1], &[6667, 3333]),
            (&[0, 0], &[0, 0]),
        ];
        for (weights, odds) in cases {
            assert_eq!(weights_as_odds(weights), odds, "{weights:?}");
            if weights.iter().any(|&w| w > 0) {
                assert_eq!(odds.iter().map(|&o| u64::from(o)).sum::<u64>(), ODDS_TOTAL);
            }
        }
    }

    #[test]
    fn adjustments_need_points_and_a_reason() {
        let ok = Adjustment {
            points: -50,
            reason: "Pakken kom aldri fram".into(),
        };
        assert_eq!(ok.problem(), None);
        for bad in [
            Adjustment {
                points: 0,
                reason: "x".into(),
            },
            Adjustment {
                points: 1_000_001,
                reason: "x".into(),
            },
            Adjustment {
                points: 10,
                reason: "   ".into(),
            },
            Adjustment {
                points: 10,
                reason: "a\nb".into(),
            },
            Adjustment {
                points: 10,
                reason: "x".repeat(201),
            },
        ] {
            assert!(bad.problem().is_some(), "{bad:?}");
        }
    }

    #[test]
    fn changing_a_running_campaign_names_what_changes_for_shoppers() {
        let before = campaign(&[5000, 5000]);
        assert!(running_change_notes(&before, &before).is_empty());
        let mut after = before.clone();
        after.segments[1].stock = Some(3);
        after.play_every_seconds = 3600;
        after.consent_text = Some("Ja takk".into());
        assert_eq!(
            running_change_notes(&before, &after),
            ["stock", "period", "consent"]
        );
        after.segments[1].label = "Ny".into();
        assert_eq!(running_change_notes(&before, &after)[0], "segments");
    }
}
