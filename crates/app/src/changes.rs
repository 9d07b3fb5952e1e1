//! Keeping the registry current: status letters, points and renewals, each recorded in the history.

use std::fmt;

use edl_domain::{
    ClassSet, FileNumber, Licence, PointValue, RenewError, Renewal, StatusSet, Validity,
    ValidityEnd,
};
use edl_store::{ChangeKind, NewHistoryEntry, Store, StoreError};
use time::Date;

use crate::Clock;

/// Who made a change: an operator's identifier (not personal data of a licence holder).
#[derive(Clone, PartialEq, Eq)]
pub struct Actor(String);

/// Why an actor or a reason was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChangeInputError {
    /// The operator identifier was empty or too long.
    #[error("the operator (--by) must be 1 to 64 characters without control characters")]
    BadActor,
    /// The reason was empty or too long.
    #[error("the reason must be 1 to 500 characters without control characters")]
    BadReason,
}

impl Actor {
    /// Parses an operator identifier: 1 to 64 characters, no control characters.
    pub fn parse(s: &str) -> Result<Actor, ChangeInputError> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 64 || s.chars().any(char::is_control) {
            return Err(ChangeInputError::BadActor);
        }
        Ok(Actor(s.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Actor({})", self.0)
    }
}

/// Why a change was made: free text for the history, 1 to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// Parses a reason.
    pub fn parse(s: &str) -> Result<Reason, ChangeInputError> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 500 || s.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(ChangeInputError::BadReason);
        }
        Ok(Reason(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A change an operator asks for.
#[derive(Debug, Clone)]
pub enum Change {
    /// Replace the status letters (暂扣, 吊销, restore to 正常 …).
    SetStatus(StatusSet),
    /// Record an offence's points on a date; reaching 12 sets 超分 (B).
    AddPoints {
        /// The offence's points.
        value: PointValue,
        /// The date of the offence.
        on: Date,
    },
    /// 换证: a new validity period, and optionally new classes. Old credentials stop verifying.
    Renew {
        /// The new period's end; `None` takes the next term of the 6 → 10 → 长期 progression from today.
        until: Option<ValidityEnd>,
        /// The new class set, if the classes change.
        classes: Option<ClassSet>,
        /// Whether a 12-point cycle occurred during the ending term (keeps the same term length).
        full_score_during_term: bool,
    },
}

/// Why a change failed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// No licence has this 档案编号.
    #[error("no licence with this 档案编号")]
    NotFound,
    /// The renewal breaks a licence rule.
    #[error(transparent)]
    Renew(#[from] RenewError),
    /// The new state breaks a licence rule.
    #[error(transparent)]
    Licence(#[from] edl_domain::LicenceError),
    /// The requested validity period is impossible.
    #[error(transparent)]
    Validity(#[from] edl_domain::ValidityError),
    /// The change would leave the licence as it is.
    #[error("the licence already is in that state; nothing was recorded")]
    NoChange,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies `change` to the licence with file number `file_number` and records it in the history.
///
/// The update is optimistic: if another change lands between read and write, it is retried on the
/// fresh record, a few times.
pub async fn apply_change<S: Store>(
    store: &S,
    clock: &dyn Clock,
    file_number: &FileNumber,
    change: &Change,
    actor: &Actor,
    reason: &Reason,
) -> Result<Licence, ChangeError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let stored = store
            .licence(file_number)
            .await?
            .ok_or(ChangeError::NotFound)?;
        let before = &stored.licence;
        let today = clock.today();
        let (after, kind) = match change {
            Change::SetStatus(status) => (before.with_status(*status)?, ChangeKind::StatusChanged),
            Change::AddPoints { value, on } => {
                (before.add_points(*value, *on)?, ChangeKind::PointsAdded)
            }
            Change::Renew {
                until,
                classes,
                full_score_during_term,
            } => {
                let validity = match until {
                    Some(end) => Validity::new(today, *end)?,
                    None => {
                        let term = before
                            .validity()
                            .term()
                            .unwrap_or(edl_domain::ValidityTerm::SixYears)
                            .next(*full_score_during_term);
                        Validity::for_term(today, term)
                    }
                };
                let renewal = Renewal {
                    validity,
                    classes: *classes,
                    authority: None,
                };
                (before.renew(renewal, today)?, ChangeKind::Renewed)
            }
        };
        if summary(&after) == summary(before) {
            return Err(ChangeError::NoChange);
        }
        let entry = NewHistoryEntry {
            at: clock.now(),
            actor: actor.as_str().to_owned(),
            reason: reason.as_str().to_owned(),
            kind,
            before: summary(before),
            after: summary(&after),
        };
        match store.update_licence(stored.version, &after, entry).await {
            Ok(_) => return Ok(after),
            Err(StoreError::StaleVersion) if attempts < 5 => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// A one-line, personal-data-free summary of the parts of a licence that changes touch.
pub fn summary(licence: &Licence) -> String {
    let points = licence.points();
    format!(
        "status={} points={} cycle={} classes={} validity={}..{} edition={}",
        licence.status(),
        points.total(),
        points.cycle_start(),
        licence.classes(),
        licence.validity().start(),
        licence.validity().end(),
        licence.edition(),
    )
}
